package camera

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/pkg/codecs/h265"
	"github.com/pion/rtp"
)

// isRTSP reports whether u is an RTSP URL, the only kind of source read as packets.
func isRTSP(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "rtsp://") || strings.HasPrefix(l, "rtsps://")
}

// packetStream is an RTSP session (TCP) that receives a camera's H.264 or H.265 track as coded
// pictures, without decoding them: the cheap way to hold a camera while nothing needs a frame.
type packetStream struct {
	c *gortsplib.Client

	mu     sync.Mutex
	params codecParams
}

// openPackets connects to rawURL, sets up its first H.264 (else H.265) track and plays it;
// onAU receives each complete picture, on the client's reader goroutine.
func openPackets(rawURL string, readTimeout time.Duration, onAU func(accessUnit)) (*packetStream, error) {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("open: not a valid RTSP URL")
	}
	tcp := gortsplib.TransportTCP
	p := &packetStream{c: &gortsplib.Client{Transport: &tcp, ReadTimeout: readTimeout}}
	if err := p.c.Start(u.Scheme, u.Host); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	desc, _, err := p.c.Describe(u)
	if err != nil {
		p.c.Close()
		return nil, fmt.Errorf("describe: %w", err)
	}
	var f264 *format.H264
	var f265 *format.H265
	var medi *description.Media
	var decode func(*rtp.Packet) ([][]byte, error)
	if medi = desc.FindFormat(&f264); medi != nil {
		d, err := f264.CreateDecoder()
		if err != nil {
			p.c.Close()
			return nil, err
		}
		decode = d.Decode
		p.params = codecParams{sps: f264.SPS, pps: f264.PPS}
	} else if medi = desc.FindFormat(&f265); medi != nil {
		d, err := f265.CreateDecoder()
		if err != nil {
			p.c.Close()
			return nil, err
		}
		decode = d.Decode
		p.params = codecParams{hevc: true, vps: f265.VPS, sps: f265.SPS, pps: f265.PPS}
	} else {
		p.c.Close()
		return nil, errors.New("describe: no H.264 or H.265 track")
	}
	if _, err := p.c.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		p.c.Close()
		return nil, fmt.Errorf("setup: %w", err)
	}
	var forma format.Format = f264
	if f264 == nil {
		forma = f265
	}
	p.c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		pts, ok := p.c.PacketPTS2(medi, pkt)
		if !ok {
			return
		}
		nalus, err := decode(pkt)
		if err != nil || len(nalus) == 0 {
			return // more packets needed, or a picture that began before we joined
		}
		au := accessUnit{at: time.Now(), pts: pts, nalus: nalus}
		for _, n := range nalus {
			au.size += len(n)
		}
		au.key = p.learn(nalus)
		onAU(au)
	})
	if _, err := p.c.Play(nil); err != nil {
		p.c.Close()
		return nil, fmt.Errorf("play: %w", err)
	}
	return p, nil
}

// learn keeps parameter sets sent in band and reports whether nalus is a key picture.
func (p *packetStream) learn(nalus [][]byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.params.hevc {
		for _, n := range nalus {
			if len(n) < 2 {
				continue
			}
			switch h265.NALUType((n[0] >> 1) & 0b111111) {
			case h265.NALUType_VPS_NUT:
				p.params.vps = n
			case h265.NALUType_SPS_NUT:
				p.params.sps = n
			case h265.NALUType_PPS_NUT:
				p.params.pps = n
			}
		}
		return h265.IsRandomAccess(nalus)
	}
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			p.params.sps = n
		case h264.NALUTypePPS:
			p.params.pps = n
		}
	}
	return h264.IDRPresent(nalus)
}

func (p *packetStream) codec() codecParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.params
}

// annexB is a picture as a decoder takes it; a key picture gets the parameter sets first, since
// many cameras send them only in the session description.
func (p *packetStream) annexB(au accessUnit) ([]byte, error) {
	nalus := au.nalus
	if au.key {
		cp := p.codec()
		var ps [][]byte
		for _, x := range [][]byte{cp.vps, cp.sps, cp.pps} {
			if x != nil {
				ps = append(ps, x)
			}
		}
		nalus = append(ps, nalus...)
	}
	return h264.AnnexB(nalus).Marshal()
}

// wait blocks until the session ends and says why.
func (p *packetStream) wait() error { return p.c.Wait() }

func (p *packetStream) close() { p.c.Close() }
