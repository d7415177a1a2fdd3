package platecam

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// BarrierCommand is one barrier command an emulated camera was given, as a test reads it back.
type BarrierCommand struct {
	Time   time.Time
	Vendor string // hikvision, dahua, vzenith
	// Action is what the barrier was told: open, close, lock, unlock (Hikvision ctrlMode), open
	// (a Dahua openStrobe, a Vzenith "info":"ok"), or io (a Vzenith ivs_ioctrl).
	Action string
	// Raw is the command as the camera got it: the request line, body, or the reply's JSON.
	Raw string
}

func (c BarrierCommand) String() string {
	return fmt.Sprintf("%s %s barrier %s: %s", c.Time.Format("15:04:05.000"), c.Vendor, c.Action, c.Raw)
}

// barrierLog keeps a camera's barrier commands.
type barrierLog struct {
	mu       sync.Mutex
	cmds     []BarrierCommand
	onChange func(BarrierCommand)
}

func (l *barrierLog) add(c BarrierCommand) {
	l.mu.Lock()
	l.cmds = append(l.cmds, c)
	f := l.onChange
	l.mu.Unlock()
	if f != nil {
		f(c)
	}
}

func (l *barrierLog) list() []BarrierCommand {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]BarrierCommand(nil), l.cmds...)
}

// CameraOptions configure an emulated camera that sitegate pulls from (Hikvision, Dahua).
type CameraOptions struct {
	// User and Password are the digest credentials the camera demands; "" means admin and
	// DefaultPassword.
	User, Password string
	// Heartbeat is the time between heartbeat parts. Zero: Hikvision 1 s; Dahua the
	// heartbeat=N seconds of the request (none when absent).
	Heartbeat time.Duration
	// DropAfter, when above zero, drops every stream connection after that many parts, in the
	// middle of the next one, as a camera that reboots or loses its link does.
	DropAfter int
	// PictureBytes is the exact size of the scene picture sent with each read (0: as encoded,
	// a few kB; at most MaxPictureBytes).
	PictureBytes int
	// OnBarrier is called with each barrier command as it arrives.
	OnBarrier func(BarrierCommand)
	// Now is the camera's clock (default time.Now).
	Now func() time.Time
}

// DefaultPassword is the digest password of an emulated camera when none is set.
const DefaultPassword = "sitegate12345"

func (o *CameraOptions) defaults() {
	if o.User == "" {
		o.User = "admin"
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// hub hands the parts a camera emits to its open streams, and drops or silences them.
type hub struct {
	mu      sync.Mutex
	streams map[*stream]struct{}
	silent  bool
}

type stream struct {
	parts chan []byte
	drop  chan struct{}
}

func (h *hub) add() *stream {
	s := &stream{parts: make(chan []byte, 64), drop: make(chan struct{}, 1)}
	h.mu.Lock()
	if h.streams == nil {
		h.streams = map[*stream]struct{}{}
	}
	h.streams[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) remove(s *stream) {
	h.mu.Lock()
	delete(h.streams, s)
	h.mu.Unlock()
}

// send queues parts (written back to back) on every stream; it returns how many streams took
// them. A silent camera sends nothing.
func (h *hub) send(parts []byte) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.silent {
		return 0
	}
	n := 0
	for s := range h.streams {
		select {
		case s.parts <- parts:
			n++
		default: // a reader that does not read loses parts, as on a camera
		}
	}
	return n
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams)
}

func (h *hub) setSilent(on bool) {
	h.mu.Lock()
	h.silent = on
	h.mu.Unlock()
}

func (h *hub) isSilent() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.silent
}

func (h *hub) dropAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.streams {
		select {
		case s.drop <- struct{}{}:
		default:
		}
	}
}

// serveStream writes a stream's parts until the client goes, the camera drops the connection,
// or ctx ends. heartbeat renders one heartbeat part (nil: no heartbeats).
func (h *hub) serveStream(ctx context.Context, w http.ResponseWriter, every time.Duration, heartbeat func() []byte, dropAfter int) {
	s := h.add()
	defer h.remove(s)
	rc := http.NewResponseController(w)
	rc.Flush()
	var tick <-chan time.Time
	if heartbeat != nil && every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	written := 0
	write := func(p []byte) {
		if dropAfter > 0 && written >= dropAfter {
			abort(w, rc, p)
		}
		w.Write(p)
		rc.Flush()
		written++
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.drop:
			var half []byte
			if heartbeat != nil {
				half = heartbeat()
			}
			abort(w, rc, half)
		case p := <-s.parts:
			write(p)
		case <-tick:
			if !h.isSilent() {
				write(heartbeat())
			}
		}
	}
}

// abort writes the first half of p and closes the connection without ending the response.
func abort(w http.ResponseWriter, rc *http.ResponseController, p []byte) {
	w.Write(p[:len(p)/2])
	rc.Flush()
	panic(http.ErrAbortHandler)
}
