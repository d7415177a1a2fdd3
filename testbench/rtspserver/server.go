// Package rtspserver is a small RTSP server for tests: one publisher (for example ffmpeg with
// -f rtsp) records a stream on any path and any number of readers play it, over TCP. Tests
// start it on a loopback port and close it to cut a camera off mid-stream.
//
// It belongs to the testbench and must not import sitegate/agent or sitegate/models.
package rtspserver

import (
	"fmt"
	"sync"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"
)

// Server is a running RTSP server.
type Server struct {
	s *gortsplib.Server

	mu        sync.Mutex
	stream    *gortsplib.ServerStream
	publisher *gortsplib.ServerSession
	published chan struct{} // closed at the first RECORD
	once      sync.Once
}

// Start listens on addr (host:port) and serves until Close.
func Start(addr string) (*Server, error) {
	h := &Server{published: make(chan struct{})}
	h.s = &gortsplib.Server{Handler: h, RTSPAddress: addr}
	if err := h.s.Start(); err != nil {
		return nil, fmt.Errorf("rtsp server %s: %w", addr, err)
	}
	return h, nil
}

// Published is closed once a publisher has started recording.
func (h *Server) Published() <-chan struct{} { return h.published }

// Close stops the server and drops every connection.
func (h *Server) Close() {
	h.s.Close()
	h.mu.Lock()
	if h.stream != nil {
		h.stream.Close()
		h.stream = nil
	}
	h.mu.Unlock()
}

// OnSessionClose ends the stream when its publisher goes.
func (h *Server) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stream != nil && ctx.Session == h.publisher {
		h.stream.Close()
		h.stream = nil
	}
}

// OnDescribe offers the published stream.
func (h *Server) OnDescribe(*gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, h.stream, nil
}

// OnAnnounce takes a new publisher, replacing any previous one.
func (h *Server) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stream != nil {
		h.stream.Close()
		h.publisher.Close()
	}
	h.stream = gortsplib.NewServerStream(h.s, ctx.Description)
	h.publisher = ctx.Session
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSetup sets up a reader or the publisher.
func (h *Server) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, h.stream, nil
}

// OnPlay lets a reader play.
func (h *Server) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnRecord forwards the publisher's packets to every reader.
func (h *Server) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	h.mu.Lock()
	stream := h.stream
	h.mu.Unlock()
	ctx.Session.OnPacketRTPAny(func(medi *description.Media, _ format.Format, pkt *rtp.Packet) {
		stream.WritePacketRTP(medi, pkt)
	})
	h.once.Do(func() { close(h.published) })
	return &base.Response{StatusCode: base.StatusOK}, nil
}
