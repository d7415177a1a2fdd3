package camera

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"time"
)

// ErrNoFrame is returned by Snapshot when there is no frame, or the latest one is older than
// Options.StaleAfter and so is no evidence of the present.
var ErrNoFrame = errors.New("camera: no recent frame")

// ErrNoCV is returned by Snapshot in builds without OpenCV (-tags nocv).
var ErrNoCV = errors.New("camera support is not in this build (built with -tags nocv)")

// State is where a camera's reader stands.
type State string

// States reported in Status.State.
const (
	StateConnecting State = "connecting" // opening the source or waiting for its first frame
	StateStreaming  State = "streaming"  // frames are arriving
	StateDown       State = "down"       // the last attempt failed or stalled; waiting to reopen
)

// Options configures a Camera.
type Options struct {
	ID string
	// URL is a file path (played at its own frame rate and looped, so a clip behaves like a live
	// camera), rtsp:// (TCP transport), http:// MJPEG, or /dev/videoN.
	URL string
	// MinBackoff and MaxBackoff bound the wait before reopening after a failure; default 1s, 5s,
	// so a camera is back within about 10 s of its source returning.
	MinBackoff, MaxBackoff time.Duration
	// StaleAfter is the age beyond which a frame is not evidence; default 5s.
	StaleAfter time.Duration
	// StallAfter is how long a streaming source may go without a frame before its capture is
	// abandoned and a new one opened; default 10s. Opening (and the first frame) may take four
	// times as long, since FFmpeg's own open timeout is 30s.
	StallAfter time.Duration
	// Capture is how frames are taken; the zero value is CaptureContinuous. CaptureOnDemand reads
	// an RTSP source's coded pictures without decoding them and decodes only while SetDemand is
	// on (other sources are then read continuously); CaptureSnapshot fetches SnapshotURL while
	// SetDemand is on.
	Capture Capture
	// SnapshotURL is the camera's HTTP JPEG snapshot (CaptureSnapshot), login included.
	SnapshotURL string
	// ActiveFPS bounds the frames converted for use per second while decoding on demand (every
	// picture is decoded, since the next depends on it); default 8. For CaptureSnapshot it is the
	// fetch rate, default 2.
	ActiveFPS float64
	// Watch keeps the camera watching while there is no demand, cheaply: an on-demand RTSP
	// camera decodes each key frame alone as it arrives (one picture every 1-4 s), a snapshot
	// camera fetches its snapshot once a second. A wash-bay camera watches: the truck stands
	// in the bay before it reaches the deck.
	Watch bool
	// Clip keeps the coded pictures of the last Clip.Before (on demand RTSP only), for Clip.
	Clip   ClipOptions
	Logger *slog.Logger
}

// Capture is how a camera's frames are taken.
type Capture string

// Capture modes.
const (
	CaptureContinuous Capture = "continuous" // decode every frame, always (OpenCV)
	CaptureOnDemand   Capture = "on_demand"  // RTSP: keep packets, decode from the last key frame when asked
	CaptureSnapshot   Capture = "snapshot"   // fetch the camera's HTTP JPEG snapshot when asked
)

// ClipOptions configures the clip kept around a capture: the pictures from Before the marked
// time to After it, at most MaxBytes of them (0: no bound). Before 0 keeps no clip.
type ClipOptions struct {
	Before, After time.Duration
	MaxBytes      int
}

const (
	defaultMinBackoff = time.Second
	defaultMaxBackoff = 5 * time.Second
	defaultStaleAfter = 5 * time.Second
	defaultStallAfter = 10 * time.Second
	fpsWindow         = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MinBackoff <= 0 {
		o.MinBackoff = defaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = defaultStaleAfter
	}
	if o.StallAfter <= 0 {
		o.StallAfter = defaultStallAfter
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Capture == "" {
		o.Capture = CaptureContinuous
	}
	if o.ActiveFPS <= 0 {
		o.ActiveFPS = 8
		if o.Capture == CaptureSnapshot {
			o.ActiveFPS = 2
		}
	}
	return o
}

// Effective is the capture mode the source is read in: on demand needs RTSP (another source is
// read continuously), snapshot a snapshot URL.
func (o Options) Effective() Capture { return o.withDefaults().effective() }

func (o Options) effective() Capture {
	switch {
	case o.Capture == CaptureOnDemand && !isRTSP(o.URL):
		return CaptureContinuous
	case o.Capture == CaptureSnapshot && o.SnapshotURL == "":
		return CaptureContinuous
	}
	return o.Capture
}

// Status is a camera's health, as reported to operators.
type Status struct {
	ID    string `json:"id"`
	State State  `json:"state"`
	// URL is the source with any password redacted.
	URL string `json:"url"`
	// FPS is the frame rate measured over the last few seconds.
	FPS float64 `json:"fps"`
	// LastFrameAge is the age of the latest frame; zero (and omitted from JSON) when there is none.
	LastFrameAge time.Duration `json:"-"`
	Width        int           `json:"width"`
	Height       int           `json:"height"`
	Frames       uint64        `json:"frames"`
	Reopens      uint64        `json:"reopens"`
	// LastError is the most recent failure; it is kept after the camera recovers.
	LastError string `json:"last_error,omitempty"`
	// Capture is the mode the camera is read in (continuous, on_demand, snapshot), Demand
	// whether frames are wanted now (a truck in the lane), and its cost: pictures decoded per
	// second and bytes received per second, over the last few seconds.
	Capture    Capture `json:"capture,omitempty"`
	Demand     bool    `json:"demand"`
	DecodedFPS float64 `json:"decoded_fps"`
	BytesPerS  float64 `json:"bytes_per_s"`
	// FirstFrame is how long the last demand waited for its first frame (first_frame_ms; omitted
	// before the first demand and for a continuous camera).
	FirstFrame time.Duration `json:"-"`
	// Blind says the camera's latest judged frame could not carry a verdict, and why ("too
	// dark", ...); MudModel and CoverModel name the mud and cover models in force. The driver
	// leaves them empty: the agent's vision checks fill them in.
	Blind       bool   `json:"blind,omitempty"`
	BlindReason string `json:"blind_reason,omitempty"`
	MudModel    string `json:"mud_model,omitempty"`
	CoverModel  string `json:"cover_model,omitempty"`
}

// MarshalJSON adds last_frame_age_ms (when there is a frame) to the plain fields.
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	out := struct {
		plain
		LastFrameAgeMS *int64 `json:"last_frame_age_ms,omitempty"`
		FirstFrameMS   *int64 `json:"first_frame_ms,omitempty"`
	}{plain: plain(s)}
	if s.Frames > 0 {
		ms := s.LastFrameAge.Milliseconds()
		out.LastFrameAgeMS = &ms
	}
	if s.FirstFrame > 0 {
		ms := s.FirstFrame.Milliseconds()
		out.FirstFrameMS = &ms
	}
	return json.Marshal(out)
}

// redact hides a password in a URL; anything that is not a URL is returned as it is.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// rateMeter measures a frame rate over a sliding window of frame times.
type rateMeter struct {
	times [64]time.Time
	n     int // frames recorded, capped at len(times)
	next  int
}

func (r *rateMeter) add(t time.Time) {
	r.times[r.next] = t
	r.next = (r.next + 1) % len(r.times)
	if r.n < len(r.times) {
		r.n++
	}
}

// rate is the frames per second among recorded frames within window of now.
func (r *rateMeter) rate(now time.Time, window time.Duration) float64 {
	var first, last time.Time
	count := 0
	for i := 0; i < r.n; i++ {
		t := r.times[i]
		if now.Sub(t) > window {
			continue
		}
		if count == 0 || t.Before(first) {
			first = t
		}
		if count == 0 || t.After(last) {
			last = t
		}
		count++
	}
	if count < 2 || !last.After(first) {
		return 0
	}
	return float64(count-1) / last.Sub(first).Seconds()
}

func (r *rateMeter) reset() { *r = rateMeter{} }

// byteMeter measures bytes per second over whole seconds.
type byteMeter struct {
	sec       int64 // the second being counted
	cur, prev int64
}

func (b *byteMeter) add(t time.Time, n int) {
	s := t.Unix()
	if s != b.sec {
		b.prev = b.cur
		if s != b.sec+1 {
			b.prev = 0
		}
		b.sec, b.cur = s, 0
	}
	b.cur += int64(n)
}

// rate is the bytes of the last complete second, 0 when that second is not the previous one.
func (b *byteMeter) rate(now time.Time) float64 {
	s := now.Unix()
	switch s {
	case b.sec:
		return float64(b.prev)
	case b.sec + 1:
		return float64(b.cur)
	}
	return 0
}
