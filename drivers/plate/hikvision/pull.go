package hikvision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sitegate/drivers/plate"
)

// Tuning sets the pull client's timings; a zero field takes its default.
type Tuning struct {
	// Silence is how long the stream may send nothing before it is dropped and reopened: the
	// cameras send videoloss heartbeats every second or so. Default 40 s.
	Silence time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting, doubled per failed attempt
	// with jitter. Defaults 1 s and 60 s.
	MinBackoff, MaxBackoff time.Duration
	// AuthRetry is the wait after the camera refused the credentials: a wrong password is not
	// fixed by hammering the camera, which may lock the account. Default 5 min.
	AuthRetry time.Duration
	// PictureWait is how long a read waits for more picture parts after its alert or its last
	// picture before it goes to the sink. Default 500 ms.
	PictureWait time.Duration
}

func (t Tuning) withDefaults() Tuning {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Silence, 40*time.Second)
	def(&t.MinBackoff, time.Second)
	def(&t.MaxBackoff, time.Minute)
	def(&t.AuthRetry, 5*time.Minute)
	def(&t.PictureWait, 500*time.Millisecond)
	if t.MaxBackoff < t.MinBackoff {
		t.MaxBackoff = t.MinBackoff
	}
	return t
}

// Client holds a camera's alertStream (GET /ISAPI/Event/notification/alertStream, digest
// authentication) and hands its ANPR reads to the sink, with the pictures that follow them.
type Client struct {
	opts   plate.PullOptions
	tune   Tuning
	stream *url.URL
	client *http.Client
	log    *slog.Logger
	// ownClient is set when the client was made here, and its connections are closed by Run.
	ownClient bool

	*plate.PullTracker
}

// NewClient builds the pull client of one camera; it does not connect.
func NewClient(opts plate.PullOptions, tune Tuning) (*Client, error) {
	base, err := cameraURL(opts.URL)
	if err != nil {
		return nil, err
	}
	if opts.Sink == nil {
		return nil, errors.New("no sink for the reads")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hc, own := opts.Client, false
	if hc == nil {
		// No timeout: the stream is held open and its silence watched instead. Its own
		// transport, so Run can close its idle connections when it returns.
		hc, own = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}, true
	}
	return &Client{
		ownClient:   own,
		opts:        opts,
		tune:        tune.withDefaults(),
		stream:      base.JoinPath(AlertStreamPath),
		client:      withDigest(hc, opts.Username, opts.Password),
		log:         opts.Logger.With("camera", opts.Camera, "vendor", Vendor, "url", base.Redacted()),
		PullTracker: plate.NewPullTracker(opts.Camera, Vendor),
	}, nil
}

// Run holds the stream until ctx is done, reconnecting with backoff when it fails, ends or goes
// silent. It returns nil once ctx is done, with no goroutine left.
func (c *Client) Run(ctx context.Context) error {
	if c.ownClient {
		defer c.client.CloseIdleConnections()
	}
	b := plate.Backoff{Min: c.tune.MinBackoff, Max: c.tune.MaxBackoff, Auth: c.tune.AuthRetry,
		IsAuth: func(err error) bool { return errors.Is(err, ErrCredentials) }}
	return c.PullTracker.Run(ctx, b, c.log, c.hold)
}

// errSilent is a stream that sent nothing for Tuning.Silence.
var errSilent = errors.New("stream silent")

// hold opens the stream once and reads it until it fails, ends, goes silent or ctx is done.
// delivered reports whether any part came through.
func (c *Client) hold(ctx context.Context) (delivered bool, err error) {
	c.Set(func(s *plate.PullStatus) { s.State = plate.PullConnecting })
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, c.stream.String(), nil)
	if err != nil {
		return false, err
	}
	// The open itself is bounded by the silence timeout: a camera that accepts the connection
	// and never answers is silent too.
	opened := time.AfterFunc(c.tune.Silence, cancel)
	resp, err := c.client.Do(req)
	opened.Stop()
	if err != nil {
		if ctx.Err() == nil && sctx.Err() != nil {
			return false, fmt.Errorf("%w: no answer in %v", errSilent, c.tune.Silence)
		}
		return false, fmt.Errorf("opening the alert stream: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return false, fmt.Errorf("%w for user %q (HTTP 401)", ErrCredentials, c.opts.Username)
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("alert stream: HTTP %d", resp.StatusCode)
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return false, fmt.Errorf("alert stream: content type %q is not multipart with a boundary", resp.Header.Get("Content-Type"))
	}
	c.Set(func(s *plate.PullStatus) { s.State = plate.PullStreaming })
	c.log.Info("plate camera stream open")

	parts := make(chan part)
	done := make(chan error, 1)
	go func() {
		pr := newPartReader(resp.Body, params["boundary"])
		for {
			p, err := pr.next()
			if err != nil {
				done <- err
				return
			}
			select {
			case parts <- p:
			case <-sctx.Done():
				done <- sctx.Err()
				return
			}
		}
	}()
	// The reader goroutine ends once the body is closed; wait for it before returning.
	defer func() {
		cancel()
		resp.Body.Close()
		<-done
	}()

	var pending *pendingRead
	defer func() { c.flush(&pending) }()
	silence := time.NewTimer(c.tune.Silence)
	defer silence.Stop()
	var flushC <-chan time.Time
	var flushT *time.Timer
	stopFlush := func() {
		if flushT != nil {
			flushT.Stop()
			flushT, flushC = nil, nil
		}
	}
	defer stopFlush()
	armFlush := func() {
		stopFlush()
		flushT = time.NewTimer(c.tune.PictureWait)
		flushC = flushT.C
	}
	for {
		select {
		case <-ctx.Done():
			return delivered, ctx.Err()
		case <-silence.C:
			return delivered, fmt.Errorf("%w for %v", errSilent, c.tune.Silence)
		case err := <-done:
			done <- err // for the deferred wait
			if errors.Is(err, errStreamEnd) || errors.Is(err, io.EOF) {
				return delivered, errors.New("the camera ended the stream")
			}
			return delivered, fmt.Errorf("reading the alert stream: %w", err)
		case <-flushC:
			flushT, flushC = nil, nil
			c.flush(&pending)
		case p := <-parts:
			delivered = true
			silence.Reset(c.tune.Silence)
			if c.take(p, &pending) {
				armFlush()
			}
			if pending != nil && pending.complete() {
				stopFlush()
				c.flush(&pending)
			}
		}
	}
}

// pendingRead is an ANPR read waiting for the picture parts that follow it.
type pendingRead struct {
	read     plate.Read
	want     int // pictures the alert announced; -1 when it did not say
	pictures int
}

// complete reports whether every announced picture is in.
func (p *pendingRead) complete() bool { return p.want >= 0 && p.pictures >= p.want }

// take handles one part of the stream. An alert hands the pending read to the sink first; an
// ANPR one becomes the pending read. A picture is attached to the pending read. It reports
// whether the pending read should wait for more pictures from now.
func (c *Client) take(p part, pending **pendingRead) (wait bool) {
	ct := p.header.Get("Content-Type")
	kind := partKind(ct, partNames(p.header)...)
	if kind == kindOther && len(p.body) > 0 && p.body[0] == '<' {
		kind = kindXML
	}
	switch kind {
	case kindXML:
		c.flush(pending)
		a, err := ParseAlert(p.body)
		if err != nil {
			c.reject("malformed alert", err)
			return false
		}
		rd, ok, err := a.Read(c.opts.Now())
		if err != nil {
			c.reject("ANPR alert refused", err)
			return false
		}
		if !ok {
			return false // a heartbeat (videoloss inactive), another event, or no plate
		}
		rd.Lane, rd.Camera, rd.Vendor = c.opts.Lane, c.opts.Camera, Vendor
		*pending = &pendingRead{read: rd, want: a.Pictures()}
		return true
	case kindPlatePicture, kindScenePicture, kindPicture:
		if *pending == nil || !isJPEG(p.body) {
			return false // a picture without its alert, or not a JPEG: nothing to attach it to
		}
		rd := &(*pending).read
		switch {
		case kind == kindPlatePicture && rd.ImageJPEG == nil, kind == kindPicture && rd.ImageJPEG == nil:
			rd.ImageJPEG = p.body
		case kind == kindScenePicture && rd.SceneJPEG == nil, kind == kindPicture && rd.SceneJPEG == nil:
			rd.SceneJPEG = p.body
		}
		(*pending).pictures++
		return true
	default:
		// JSON alerts (parameterFormatType JSON) and anything else: an event we cannot read.
		c.flush(pending)
		return false
	}
}

// partNames are the names a stream part may carry: Content-Disposition's name and filename,
// and Content-ID.
func partNames(h map[string][]string) []string {
	var names []string
	hdr := http.Header(h)
	if _, params, err := mime.ParseMediaType(hdr.Get("Content-Disposition")); err == nil {
		names = append(names, params["name"], params["filename"])
	}
	if id := strings.Trim(hdr.Get("Content-ID"), "<> "); id != "" {
		names = append(names, id)
	}
	return names
}

// flush hands the pending read, if any, to the sink.
func (c *Client) flush(pending **pendingRead) {
	if *pending == nil {
		return
	}
	rd := (*pending).read
	*pending = nil
	c.opts.Sink(rd)
	c.Set(func(s *plate.PullStatus) { s.Reads++ })
	c.log.Debug("plate read", "plate", rd.Plate, "color", rd.Color, "confidence", rd.Confidence, "late", rd.Late)
}

// reject counts an event that became no read.
func (c *Client) reject(what string, err error) {
	c.Set(func(s *plate.PullStatus) { s.Rejected++ })
	c.log.Warn("plate camera event rejected", "what", what, "err", err)
}
