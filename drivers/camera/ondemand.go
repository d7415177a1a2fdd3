//go:build !nocv

package camera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"gocv.io/x/gocv"
)

// clipState is the clip being collected around a marked capture.
type clipState struct {
	until time.Time
	aus   []accessUnit
	bytes int
}

// SetDemand says whether frames are wanted now (a truck in the lane). An on-demand camera
// decodes only while it is on, starting from the last key frame it holds, so the first frame
// comes after decoding at most one group of pictures; a snapshot camera fetches its snapshot.
// A continuous camera ignores it. Turning it off frees the decoder and the latest frame.
func (c *Camera) SetDemand(on bool) {
	c.mu.Lock()
	if on && !c.demand && c.opts.effective() != CaptureContinuous {
		c.asked = time.Now()
	} else if !on {
		c.asked = time.Time{}
	}
	c.demand = on
	c.mu.Unlock()
	c.wake()
}

func (c *Camera) wanted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.demand || c.holds > 0
}

// SnapshotNow is Snapshot for a camera that may be idle: an on-demand or snapshot camera
// decodes (or fetches) until it has a frame or ctx is done, then goes back to what the lane
// wants. A continuous camera answers at once.
func (c *Camera) SnapshotNow(ctx context.Context, quality int) ([]byte, time.Time, error) {
	if c.opts.effective() == CaptureContinuous {
		return c.Snapshot(quality)
	}
	c.mu.Lock()
	c.holds++
	c.mu.Unlock()
	c.wake()
	defer func() {
		c.mu.Lock()
		c.holds--
		c.mu.Unlock()
		c.wake()
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		jpeg, at, err := c.Snapshot(quality)
		if err == nil || !errors.Is(err, ErrNoFrame) {
			return jpeg, at, err
		}
		select {
		case <-ctx.Done():
			return nil, time.Time{}, err
		case <-tick.C:
		}
	}
}

func (c *Camera) wake() {
	select {
	case c.demandCh <- struct{}{}:
	default:
	}
}

// runPackets holds the RTSP session (reopening it with backoff) and runs a decoder while there
// is demand.
func (c *Camera) runPackets(ctx context.Context) {
	defer c.dropFrame()
	backoff := c.opts.MinBackoff
	for first := true; ctx.Err() == nil; first = false {
		c.mu.Lock()
		if !first {
			c.reopens++
		}
		c.state, c.progress = StateConnecting, time.Now()
		c.meter.reset()
		c.mu.Unlock()
		got, err := c.packetSession(ctx)
		if ctx.Err() != nil {
			return
		}
		err = fmt.Errorf("%s: %w", c.name, err)
		c.mu.Lock()
		c.state, c.lastErr = StateDown, err.Error()
		c.mu.Unlock()
		c.log.Warn("camera down", "err", err)
		if got {
			backoff = c.opts.MinBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, c.opts.MaxBackoff)
	}
}

// packetSession runs one RTSP session until it fails, stalls or ctx is done; got says whether
// any picture arrived.
func (c *Camera) packetSession(ctx context.Context) (got bool, err error) {
	ps, err := openPackets(c.opts.URL, c.opts.StallAfter, c.onAU)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	c.pkts = ps
	c.mu.Unlock()
	ended := make(chan error, 1)
	go func() { ended <- ps.wait() }()
	var dec, keys *decodeRun
	defer func() {
		if dec != nil {
			dec.halt(c)
		}
		if keys != nil {
			keys.haltKeys(c)
		}
		ps.close()
		<-ended
		c.mu.Lock()
		got = c.progress.After(time.Time{}) && c.state == StateStreaming
		c.pkts = nil
		c.ring.reset()
		c.mu.Unlock()
	}()
	tick := time.NewTicker(max(min(c.opts.StallAfter/4, time.Second), time.Millisecond))
	defer tick.Stop()
	for {
		want := c.wanted()
		if want && keys != nil {
			keys.haltKeys(c)
			keys = nil
		}
		if want && dec == nil {
			dec = c.startDecoder(ps)
		} else if !want && dec != nil {
			dec.halt(c)
			dec = nil
			c.dropFrame()
		}
		if !want && c.opts.Watch && keys == nil {
			keys = c.startKeyDecoder(ps)
		}
		select {
		case <-ctx.Done():
			return true, nil
		case err := <-ended:
			ended <- err // for the deferred wait
			if err == nil {
				err = errors.New("stream ended")
			}
			return false, err
		case <-c.demandCh:
		case now := <-tick.C:
			if err := c.stalled(nil, now); err != nil {
				return false, err
			}
		}
	}
}

// onAU takes a picture from the RTSP session: into the ring, the clip being collected and the
// decoder, if one runs. Never blocks.
func (c *Camera) onAU(au accessUnit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = au.at
	c.received.add(au.at, au.size)
	if c.state != StateStreaming {
		c.state = StateStreaming
		c.log.Info("camera streaming (packets, decoded on demand)", "url", redact(c.opts.URL))
	}
	c.ring.add(au)
	if cl := c.clip; cl != nil && !au.at.After(cl.until) && (c.opts.Clip.MaxBytes <= 0 || cl.bytes+au.size <= c.opts.Clip.MaxBytes) {
		cl.aus = append(cl.aus, au)
		cl.bytes += au.size
	}
	if c.keyCh != nil && au.key {
		select {
		case c.keyCh <- au:
		default: // the decoder is still at the last one: this one is not needed
		}
	}
	if c.decCh != nil {
		au.gap = c.decGap
		select {
		case c.decCh <- au:
			c.decGap = false
		default:
			c.decGap = true
		}
	}
}

// decodeRun is one decoder goroutine.
type decodeRun struct {
	stop, done chan struct{}
}

func (d *decodeRun) halt(c *Camera) {
	c.mu.Lock()
	c.decCh = nil
	c.mu.Unlock()
	close(d.stop)
	<-d.done
}

// startDecoder decodes from the last key frame held, then each picture as it arrives.
func (c *Camera) startDecoder(ps *packetStream) *decodeRun {
	ch := make(chan accessUnit, 256)
	c.mu.Lock()
	gop := c.ring.lastGOP()
	c.decCh, c.decGap = ch, false
	c.mu.Unlock()
	d := &decodeRun{stop: make(chan struct{}), done: make(chan struct{})}
	go c.decode(ps, gop, ch, d)
	return d
}

func (c *Camera) decode(ps *packetStream, gop []accessUnit, ch <-chan accessUnit, d *decodeRun) {
	defer close(d.done)
	dec, err := newAVDecoder(ps.codec().hevc)
	if err != nil {
		c.mu.Lock()
		c.lastErr = fmt.Sprintf("%s: %v", c.name, err)
		c.mu.Unlock()
		return
	}
	defer dec.close()
	buf := gocv.NewMat()
	defer func() { buf.Close() }()
	interval := time.Duration(float64(time.Second) / c.opts.ActiveFPS)
	var lastConv time.Time
	synced := false
	feed := func(au accessUnit, behind bool) {
		if au.gap {
			synced = false
		}
		if !synced && !au.key {
			return
		}
		synced = true
		ab, err := ps.annexB(au)
		if err != nil {
			synced = false
			return
		}
		got, err := dec.decode(ab)
		if err != nil {
			synced = false
			c.log.Debug("decode", "err", err)
			return
		}
		if !got {
			return
		}
		now := time.Now()
		c.mu.Lock()
		c.decoded.add(now)
		c.mu.Unlock()
		// Convert only what may be used: the newest picture, at most ActiveFPS a second (and
		// once in a while even when the decoder lags behind the stream).
		if since := now.Sub(lastConv); (behind && since < 4*interval) || since < interval {
			return
		}
		if err := dec.toMat(&buf); err != nil {
			c.log.Debug("convert", "err", err)
			return
		}
		lastConv = now
		c.mu.Lock()
		if c.decCh != nil {
			c.publishLocked(&buf, au.at, now)
		}
		c.mu.Unlock()
	}
	for i, au := range gop {
		feed(au, i < len(gop)-1 || len(ch) > 0)
	}
	for {
		select {
		case <-d.stop:
			return
		case au := <-ch:
			feed(au, len(ch) > 0)
		}
	}
}

// haltKeys stops a key frame decoder.
func (d *decodeRun) haltKeys(c *Camera) {
	c.mu.Lock()
	c.keyCh = nil
	c.mu.Unlock()
	close(d.stop)
	<-d.done
}

// startKeyDecoder decodes each key frame alone as it arrives (Options.Watch, while there is no
// demand): a current picture every group of pictures for a fraction of a full decode.
func (c *Camera) startKeyDecoder(ps *packetStream) *decodeRun {
	ch := make(chan accessUnit, 1)
	c.mu.Lock()
	c.keyCh = ch
	c.mu.Unlock()
	d := &decodeRun{stop: make(chan struct{}), done: make(chan struct{})}
	go c.decodeKeys(ps, ch, d)
	return d
}

func (c *Camera) decodeKeys(ps *packetStream, ch <-chan accessUnit, d *decodeRun) {
	defer close(d.done)
	dec, err := newAVDecoder(ps.codec().hevc)
	if err != nil {
		c.mu.Lock()
		c.lastErr = fmt.Sprintf("%s: %v", c.name, err)
		c.mu.Unlock()
		return
	}
	defer dec.close()
	buf := gocv.NewMat()
	defer func() { buf.Close() }()
	for {
		var au accessUnit
		select {
		case <-d.stop:
			return
		case au = <-ch:
		}
		ab, err := ps.annexB(au)
		if err != nil {
			continue
		}
		got, err := dec.decode(ab)
		if err != nil || !got {
			continue
		}
		if err := dec.toMat(&buf); err != nil {
			continue
		}
		now := time.Now()
		c.mu.Lock()
		c.decoded.add(now)
		if c.keyCh != nil {
			c.publishLocked(&buf, au.at, now)
		}
		c.mu.Unlock()
	}
}

// dropFrame frees the latest frame (an idle camera holds none).
func (c *Camera) dropFrame() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hasFrame {
		c.frame.Close()
		c.frame = gocv.Mat{}
		c.hasFrame = false
	}
}

// MarkClip marks a capture at at: the clip holds the pictures from Clip.Before before it (from
// the key frame before that) to Clip.After after it, as they arrive. A new mark replaces the last.
func (c *Camera) MarkClip(at time.Time) {
	if c.opts.Clip.Before <= 0 && c.opts.Clip.After <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	aus := c.ring.since(at.Add(-c.opts.Clip.Before))
	cl := &clipState{until: at.Add(c.opts.Clip.After)}
	for _, au := range aus {
		if c.opts.Clip.MaxBytes > 0 && cl.bytes+au.size > c.opts.Clip.MaxBytes {
			break
		}
		cl.aus = append(cl.aus, au)
		cl.bytes += au.size
	}
	c.clip = cl
}

// Clip writes the clip collected since the last MarkClip as an MP4 (the camera's own H.264 or
// H.265 pictures, not re-encoded), with the time of its first picture; without a mark, the
// last Clip.Before seconds. It returns ErrNoClip when there is nothing to write.
func (c *Camera) Clip() ([]byte, time.Time, error) {
	c.mu.Lock()
	cl := c.clip
	c.clip = nil
	var aus []accessUnit
	if cl != nil {
		aus = cl.aus
	} else if c.opts.Clip.Before > 0 {
		aus = c.ring.since(time.Now().Add(-c.opts.Clip.Before))
	}
	var params codecParams
	if c.pkts != nil {
		params = c.pkts.codec()
	}
	c.mu.Unlock()
	if len(aus) == 0 || (params.sps == nil && params.pps == nil) {
		return nil, time.Time{}, fmt.Errorf("%s: %w", c.name, ErrNoClip)
	}
	mp4, err := writeMP4(params, aus)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", c.name, err)
	}
	return mp4, aus[0].at, nil
}

// runSnapshots fetches the camera's HTTP snapshot at ActiveFPS while there is demand.
func (c *Camera) runSnapshots(ctx context.Context) {
	defer c.dropFrame()
	client := &http.Client{Timeout: 3 * time.Second}
	interval := time.Duration(float64(time.Second) / c.opts.ActiveFPS)
	buf := gocv.NewMat()
	defer func() { buf.Close() }()
	for ctx.Err() == nil {
		want := c.wanted()
		if !want && !c.opts.Watch {
			c.dropFrame()
			select {
			case <-ctx.Done():
				return
			case <-c.demandCh:
			}
			continue
		}
		start := time.Now()
		if err := c.fetchSnapshot(ctx, client, &buf); err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%s: snapshot: %w", c.name, err)
			c.mu.Lock()
			c.state, c.lastErr = StateDown, err.Error()
			c.mu.Unlock()
			c.log.Warn("camera snapshot failed", "err", err)
		}
		next := interval
		if !want {
			next = time.Second // watching
		}
		t := time.NewTimer(max(next-time.Since(start), time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-c.demandCh:
			t.Stop()
		}
	}
}

func (c *Camera) fetchSnapshot(ctx context.Context, client *http.Client, buf *gocv.Mat) error {
	u, err := url.Parse(c.opts.SnapshotURL)
	if err != nil {
		return errors.New("bad snapshot URL")
	}
	var user, pass string
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		return errors.New("request failed") // the error would repeat the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	m, err := gocv.IMDecode(body, gocv.IMReadColor)
	if err != nil || checkFrame(&m) != nil {
		m.Close()
		return errors.New("not a decodable image")
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	buf.Close()
	*buf = m
	c.received.add(now, len(body))
	c.decoded.add(now)
	c.publishLocked(buf, now, now)
	return nil
}
