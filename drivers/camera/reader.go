//go:build !nocv

package camera

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gocv.io/x/gocv"
)

// Camera reads one video source and keeps its latest frame. Create it with New, start Run in a
// goroutine, and use Snapshot, Latest and Status from anywhere.
type Camera struct {
	opts   Options
	name   string // "camera ID (redacted URL)", for errors and logs
	log    *slog.Logger
	opener func(url string) (source, error)
	// closeWait bounds how long Run waits, on return, for a reader stuck in a hung Read.
	closeWait time.Duration

	mu       sync.Mutex
	cur      *session // the reader whose frames are accepted; nil when none
	frame    gocv.Mat // latest frame, valid when hasFrame
	hasFrame bool
	frameAt  time.Time
	state    State
	width    int
	height   int
	frames   uint64
	reopens  uint64
	lastErr  string
	meter    rateMeter
	progress time.Time // when the current reader last showed life (start, or a frame)

	// On demand and snapshot capture (ondemand.go).
	demand   bool
	holds    int           // SnapshotNow calls waiting for a frame
	demandCh chan struct{} // wakes the on-demand runner when demand changes
	ring     packetRing
	pkts     *packetStream   // the RTSP packet session, while connected
	decCh    chan accessUnit // the decoder's input, while one runs
	keyCh    chan accessUnit // the key frame decoder's input, while one runs (Options.Watch)
	decGap   bool            // a picture could not be handed to the decoder
	decoded  rateMeter       // pictures decoded
	received byteMeter       // coded bytes received
	clip     *clipState      // the clip being collected around a marked capture
	asked    time.Time       // when demand last came on, until its first frame (zero after)
	first    time.Duration   // from demand to its first frame, the last time
}

// session is one reader goroutine with its own capture. Run abandons a session that stalls;
// the goroutine then exits by itself if its Read ever returns.
type session struct {
	stop     chan struct{} // closed to ask the reader to exit
	stopOnce sync.Once
	done     chan struct{} // closed by the reader when it has closed its capture and Mats
	err      error         // why the reader ended; written before done is closed
	frames   atomic.Uint64
}

func (s *session) halt() { s.stopOnce.Do(func() { close(s.stop) }) }

func (s *session) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// New returns a camera for opts; nothing is opened until Run.
func New(opts Options) *Camera {
	opts = opts.withDefaults()
	name := fmt.Sprintf("camera %s (%s)", opts.ID, redact(opts.URL))
	return &Camera{
		opts:      opts,
		name:      name,
		log:       opts.Logger.With("camera", opts.ID),
		opener:    openCapture,
		closeWait: 3 * time.Second,
		state:     StateConnecting,
		demandCh:  make(chan struct{}, 1),
		ring:      packetRing{keep: opts.Clip.Before, maxBytes: opts.Clip.MaxBytes},
	}
}

// Run opens the source, reads frames and reopens with backoff after failures or stalls, until
// ctx is done. It then stops the reader, closes every Mat and returns. A reader stuck inside a
// hung OpenCV Read cannot be interrupted: Run waits for it at most a few seconds, and that
// goroutine closes its capture and exits if the Read ever returns.
func (c *Camera) Run(ctx context.Context) {
	switch c.opts.effective() {
	case CaptureOnDemand:
		c.runPackets(ctx)
		return
	case CaptureSnapshot:
		c.runSnapshots(ctx)
		return
	}
	var all []*session
	defer func() { c.shutdown(all) }()
	backoff := c.opts.MinBackoff
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			c.mu.Lock()
			c.reopens++
			c.mu.Unlock()
		}
		s := c.start()
		all = append(all, s)
		c.watch(ctx, s)
		if ctx.Err() != nil {
			return
		}
		if s.frames.Load() > 0 {
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

// start launches a reader and makes it current.
func (c *Camera) start() *session {
	s := &session{stop: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	c.cur = s
	c.state = StateConnecting
	c.progress = time.Now()
	c.meter.reset()
	c.mu.Unlock()
	go c.read(s)
	return s
}

// watch waits until the reader ends, stalls, or ctx is done.
func (c *Camera) watch(ctx context.Context, s *session) {
	tick := max(min(c.opts.StallAfter/4, time.Second), time.Millisecond)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			err := s.err
			if err == nil {
				err = errors.New("reader stopped")
			}
			c.down(s, err)
			return
		case now := <-ticker.C:
			if err := c.stalled(s, now); err != nil {
				s.halt()
				c.down(s, err)
				return
			}
		}
	}
}

// stalled reports a stall of the current reader: no frame for StallAfter while streaming, or no
// first frame for four times that while connecting.
func (c *Camera) stalled(s *session, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != s {
		return nil
	}
	limit := c.opts.StallAfter
	if c.state == StateConnecting {
		limit *= 4
	}
	if idle := now.Sub(c.progress); idle > limit {
		return fmt.Errorf("stalled: no frame for %s while %s", idle.Round(time.Millisecond), c.state)
	}
	return nil
}

// down records that reader s has ended or been abandoned.
func (c *Camera) down(s *session, err error) {
	err = fmt.Errorf("%s: %w", c.name, err)
	c.mu.Lock()
	if c.cur == s {
		c.cur = nil
	}
	c.state = StateDown
	c.lastErr = err.Error()
	c.mu.Unlock()
	c.log.Warn("camera down", "err", err)
}

// shutdown stops every reader, waits a bounded time for them, and closes the latest frame.
func (c *Camera) shutdown(all []*session) {
	c.mu.Lock()
	c.cur = nil // from here on no reader may hand over a frame
	c.mu.Unlock()
	deadline := time.NewTimer(c.closeWait)
	defer deadline.Stop()
	for _, s := range all {
		s.halt()
	}
wait:
	for _, s := range all {
		select {
		case <-s.done:
		case <-deadline.C:
			c.log.Error("camera reader stuck in a read; leaving it behind", "url", redact(c.opts.URL))
			break wait
		}
	}
	c.mu.Lock()
	if c.hasFrame {
		c.frame.Close()
		c.frame = gocv.Mat{}
		c.hasFrame = false
	}
	c.state = StateDown
	c.mu.Unlock()
}

// read is the reader goroutine: it owns its capture and its read buffer, and hands frames over
// by swapping its buffer with the camera's latest frame.
func (c *Camera) read(s *session) {
	defer close(s.done)
	buf := gocv.NewMat()
	defer func() { buf.Close() }() // buf is swapped, so close whichever Mat it holds at the end
	src, err := c.opener(c.opts.URL)
	if err != nil {
		s.err = err
		return
	}
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	isFile := classify(c.opts.URL) == kindFile
	var (
		interval time.Duration
		next     time.Time
		pass     int // frames read since the file was (re)opened
	)
	if isFile {
		interval = time.Duration(float64(time.Second) / playbackFPS(src.FPS()))
		next = time.Now()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for !s.stopped() {
		if !src.Read(&buf) || buf.Empty() {
			if isFile && pass > 0 && !s.stopped() {
				// End of the clip: start it again so it behaves like a live camera.
				src.Close()
				src = nil
				if src, err = c.opener(c.opts.URL); err != nil {
					s.err = fmt.Errorf("reopen at end of file: %w", err)
					return
				}
				pass = 0
				continue
			}
			s.err = errors.New("read failed or end of stream")
			return
		}
		if err := checkFrame(&buf); err != nil {
			s.err = err
			return
		}
		if !c.publish(s, &buf) {
			return // abandoned or stopping
		}
		pass++
		if !isFile {
			continue
		}
		next = next.Add(interval)
		wait := time.Until(next)
		if wait < -interval {
			next = time.Now() // fell behind (slow decode): do not race to catch up
			continue
		}
		if wait <= 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-s.stop:
			return
		case <-timer.C:
		}
	}
}

// publish makes the frame in buf the latest, if s is still the current reader. buf receives the
// previous frame (to be overwritten by the next Read) or a fresh Mat.
func (c *Camera) publish(s *session, buf *gocv.Mat) bool {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != s {
		return false
	}
	c.publishLocked(buf, now, now)
	s.frames.Add(1)
	return true
}

// publishLocked makes buf the latest frame, taken at at; buf receives the previous frame or a
// fresh Mat. Call with mu held.
func (c *Camera) publishLocked(buf *gocv.Mat, at, now time.Time) {
	if c.hasFrame {
		c.frame, *buf = *buf, c.frame
	} else {
		c.frame = *buf
		*buf = gocv.NewMat()
		c.hasFrame = true
	}
	if !c.asked.IsZero() {
		c.first, c.asked = now.Sub(c.asked), time.Time{}
		c.log.Info("camera frame on demand", "after", c.first.Round(time.Millisecond))
	}
	c.frameAt = at
	c.progress = now
	c.width, c.height = c.frame.Cols(), c.frame.Rows()
	c.frames++
	c.meter.add(now)
	if c.state != StateStreaming {
		c.state = StateStreaming
		c.log.Info("camera streaming", "url", redact(c.opts.URL), "width", c.width, "height", c.height)
	}
}

// fresh reports whether there is a latest frame young enough to be evidence. Call with mu held.
func (c *Camera) fresh(now time.Time) bool {
	return c.hasFrame && !c.frame.Empty() && now.Sub(c.frameAt) <= c.opts.StaleAfter
}

// Snapshot encodes the latest frame as a JPEG of the given quality (1..100; 0 means 85). It
// returns ErrNoFrame when there is no frame or the latest is older than StaleAfter.
func (c *Camera) Snapshot(quality int) ([]byte, time.Time, error) {
	if quality <= 0 {
		quality = 85
	}
	quality = min(quality, 100)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fresh(time.Now()) {
		return nil, time.Time{}, fmt.Errorf("%s: %w", c.name, ErrNoFrame)
	}
	if err := checkFrame(&c.frame); err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", c.name, err)
	}
	nb, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, c.frame, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: jpeg: %w", c.name, err)
	}
	defer nb.Close()
	if nb.Len() == 0 {
		return nil, time.Time{}, fmt.Errorf("%s: jpeg: encoder produced nothing", c.name)
	}
	out := make([]byte, nb.Len())
	copy(out, nb.GetBytes())
	return out, c.frameAt, nil
}

// Latest runs fn with the latest frame and its time, under the camera's lock, and reports
// whether it did; false when there is no frame or it is older than StaleAfter. fn must be quick,
// must not modify or Close m, must not keep m or anything sharing its data after it returns, and
// must not call the camera's methods.
func (c *Camera) Latest(fn func(m gocv.Mat, at time.Time)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fresh(time.Now()) || checkFrame(&c.frame) != nil {
		return false
	}
	fn(c.frame, c.frameAt)
	return true
}

// Status reports the camera's health.
func (c *Camera) Status() Status {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Status{
		ID:         c.opts.ID,
		State:      c.state,
		URL:        redact(c.opts.URL),
		FPS:        c.meter.rate(now, fpsWindow),
		Width:      c.width,
		Height:     c.height,
		Frames:     c.frames,
		Reopens:    c.reopens,
		LastError:  c.lastErr,
		Capture:    c.opts.effective(),
		Demand:     c.demand,
		FirstFrame: c.first,
	}
	st.DecodedFPS = st.FPS
	if st.Capture != CaptureContinuous {
		st.DecodedFPS = c.decoded.rate(now, fpsWindow)
		st.BytesPerS = c.received.rate(now)
	}
	if c.frames > 0 {
		st.LastFrameAge = now.Sub(c.frameAt)
	}
	return st
}
