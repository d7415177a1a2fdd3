package plate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Path is where plate cameras push reads in the generic JSON; a vendor's format is pushed to
// Path/{vendor}/{lane}.
const Path = "/v1/plate"

// DefaultMaxConcurrent is how many pushes a listener decodes at once when Options.MaxConcurrent
// is zero, and DefaultConcurrentWait how long a push waits for its turn before it is answered
// 503.
const (
	DefaultMaxConcurrent  = 4
	DefaultConcurrentWait = 10 * time.Second
)

// DefaultMaxBody is the largest request body accepted when Options.MaxBody is zero.
const DefaultMaxBody = 4 << 20

// Read is one plate read by a camera, validated and normalized.
type Read struct {
	Lane       string
	Plate      string  // normalized, e.g. "浙F12345"
	Color      string  // blue, yellow, green, white, black, yellow-green, or "" when not given
	Confidence float64 // 0..1; 0 when not given
	// Time is when the camera read the plate: its own clock where the format carries one, else
	// when the read was received.
	Time      time.Time
	ImageJPEG []byte // the plate picture (evidence plate.jpg); nil when not given
	Vendor    string // the format it came in: Generic or a registered vendor's name
	// Camera is the id of the lane's plate camera that sent it (CONTRACT 7); "" when the format
	// does not say and the lane has no plate camera of that vendor.
	Camera string
	// SceneJPEG is the camera's picture of the whole vehicle (evidence {camera}-scene.jpg).
	SceneJPEG []byte
	// Type is the plate's kind where the camera says it: "double" for the double-layer yellow
	// truck plate, "new-energy", or "" for a plain single-layer plate.
	Type string
	// Late marks a read the camera stored while it could not push and sends again now (an
	// offline resend): Time is then the camera's, and the truck is long gone.
	Late bool
	// Key is the camera's own id of the read (a Vzenith plateid, a Hikvision UUID), with which
	// resends of one read are told apart from new reads; "" when the format has none.
	Key string
}

// Camera is one plate camera of a lane, as the listener and the vendors' clients know it.
type Camera struct {
	ID, Lane, Vendor string
	Mode             string // push | pull
	URL              string // the camera itself: pull streams, snapshots, barrier commands
	Username         string
	Password         string // the secret itself, read from the camera's password_file
}

// Options configures a Server.
type Options struct {
	Addr    string // listen address, e.g. 127.0.0.1:8088 (port 0 picks a free one)
	MaxBody int64  // default 4 MiB
	// Lanes maps each lane id this listener serves to the sink that takes its reads. Sinks are
	// called on the request's goroutine; they return only once the read is taken, or an error
	// when the lane cannot take it now, which the camera is answered as 503 (try again), so a
	// push answered 200 was taken.
	Lanes map[string]func(Read) error
	// Cameras are the plate cameras of the lanes served, which tell a read's camera.
	Cameras []Camera
	// MaxConcurrent bounds the pushes decoded at once (each holds its body, up to MaxBody, and
	// its pictures decoded); a push that finds no room within ConcurrentWait is answered 503.
	// 0 means DefaultMaxConcurrent.
	MaxConcurrent int
	// ConcurrentWait is how long a push waits for its turn; 0 means DefaultConcurrentWait.
	ConcurrentWait time.Duration
	Logger         *slog.Logger
	Now            func() time.Time // clock for reads without a time; default time.Now
}

// Stats counts pushes since the server was created.
type Stats struct {
	Accepted uint64            `json:"accepted"`
	Rejected map[string]uint64 `json:"rejected"` // by reason
}

// Reasons a push is rejected, as counted in Stats.Rejected.
const (
	ReasonMethod      = "method"
	ReasonContentType = "content_type"
	ReasonTooLarge    = "too_large"
	ReasonBody        = "body"
	ReasonJSON        = "malformed_json"
	ReasonLane        = "lane"
	ReasonPlate       = "plate"
	ReasonColor       = "color"
	ReasonConfidence  = "confidence"
	ReasonTime        = "time"
	ReasonImage       = "image"
	ReasonBusy        = "busy"      // the lane could not take the read now: answered 503
	ReasonVendor      = "vendor"    // no format is registered under the path's vendor
	ReasonMalformed   = "malformed" // a vendor's format could not be read
)

// Server is the HTTP listener for one or more lanes' plate cameras.
type Server struct {
	opts  Options
	lanes map[string]func(Read) error
	log   *slog.Logger
	slots chan struct{} // one a push being decoded and handed over

	mu       sync.Mutex
	ln       net.Listener
	ready    chan struct{}
	accepted uint64
	rejects  map[string]uint64
}

// NewServer returns a server for opts; nothing listens until Listen or Run.
func NewServer(opts Options) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.ConcurrentWait <= 0 {
		opts.ConcurrentWait = DefaultConcurrentWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{
		opts:    opts,
		lanes:   maps.Clone(opts.Lanes),
		slots:   make(chan struct{}, opts.MaxConcurrent),
		log:     opts.Logger.With("plate_listen", opts.Addr),
		ready:   make(chan struct{}),
		rejects: map[string]uint64{},
	}
}

// Listen binds Options.Addr. After it returns nil, Addr reports the bound address. Run calls it
// when it has not been called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("plate push %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	close(s.ready)
	return nil
}

// Ready is closed once the server is listening.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr is the bound address once listening, else Options.Addr.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.opts.Addr
}

// Run listens (unless Listen was called) and serves until ctx is done, then shuts down
// gracefully, letting requests in flight finish for up to 5 s. A listen error is returned at
// once, naming the address.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("plate push listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("plate push %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("plate push %s: %w", ln.Addr(), serr)
	}
	if err != nil {
		return fmt.Errorf("plate push %s: shutdown: %w", ln.Addr(), err)
	}
	return nil
}

// Stats returns the push counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Accepted: s.accepted, Rejected: maps.Clone(s.rejects)}
}

// Handler serves POST /v1/plate (the generic JSON) and POST /v1/plate/{vendor}/{lane} (a
// vendor's format, for a lane of this listener).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(Path, func(w http.ResponseWriter, r *http.Request) { s.servePush(w, r, Generic, "") })
	mux.HandleFunc(Path+"/{vendor}/{lane}", func(w http.ResponseWriter, r *http.Request) {
		s.servePush(w, r, r.PathValue("vendor"), r.PathValue("lane"))
	})
	return mux
}

// serves reports whether lane is one of this listener's.
func (s *Server) serves(lane string) bool {
	_, ok := s.lanes[lane]
	return ok
}

// servePush decodes a push in vendor's format, hands its reads to their lanes and lets the vendor
// answer. lane is the path's lane, "" at the generic endpoint.
func (s *Server) servePush(w http.ResponseWriter, r *http.Request, vendor, lane string) {
	received := s.opts.Now()
	// A burst of large pushes (offline resends with pictures) is taken a few at a time, so the
	// memory they hold is bounded; the others wait, and past ConcurrentWait try again later.
	select {
	case s.slots <- struct{}{}:
	default:
		t := time.NewTimer(s.opts.ConcurrentWait)
		select {
		case s.slots <- struct{}{}:
			t.Stop()
		case <-t.C:
			rej := Reject(http.StatusServiceUnavailable, ReasonBusy, "too many pushes at once; try again")
			s.rejected(r, vendor, rej)
			WriteJSON(w, rej.Status, map[string]string{"error": rej.Msg})
			return
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	defer func() { <-s.slots }()
	d, ok := LookupPush(vendor)
	if !ok {
		rej := Reject(http.StatusNotFound, ReasonVendor, "unknown plate-camera vendor %q (known: %s)", vendor, list(PushVendors()))
		s.rejected(r, vendor, rej)
		WriteJSON(w, rej.Status, map[string]string{"error": rej.Msg})
		return
	}
	push := Push{Request: r, Lane: lane, Received: received, Serves: s.serves}
	reply := d.Reply
	if pr, ok := d.(PushReplier); ok {
		reply = func(w http.ResponseWriter, reads []Read, rej *Rejection) { pr.ReplyPush(w, push, reads, rej) }
	}
	reads, err := s.decode(w, &push, d, vendor)
	if err != nil {
		rej := rejection(err)
		s.rejected(r, vendor, rej)
		if rej.Status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		reply(w, nil, rej)
		return
	}
	for i, rd := range reads {
		if sink := s.lanes[rd.Lane]; sink != nil {
			if err := sink(rd); err != nil {
				rej := Reject(http.StatusServiceUnavailable, ReasonBusy, "lane %s cannot take the read now (%v); try again", rd.Lane, err)
				s.rejected(r, vendor, rej)
				if i > 0 { // the reads before it were taken: say which
					s.log.Warn("plate push taken in part", "vendor", vendor, "taken", i, "of", len(reads))
				}
				reply(w, reads[:i], rej)
				return
			}
		}
		s.log.Debug("plate push", "vendor", vendor, "lane", rd.Lane, "camera", rd.Camera, "plate", rd.Plate, "color", rd.Color, "confidence", rd.Confidence)
	}
	s.mu.Lock()
	s.accepted++
	s.mu.Unlock()
	reply(w, reads, nil)
}

// decode checks what every format shares (method, path lane, body limit), lets d decode the push
// and checks that every read names a lane of this listener.
func (s *Server) decode(w http.ResponseWriter, p *Push, d PushDecoder, vendor string) ([]Read, error) {
	r, lane := p.Request, p.Lane
	if r.Method != http.MethodPost {
		return nil, Reject(http.StatusMethodNotAllowed, ReasonMethod, "method %s not allowed, use POST", r.Method)
	}
	if lane != "" && !s.serves(lane) {
		return nil, Reject(http.StatusBadRequest, ReasonLane, "unknown lane %q", lane)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	reads, err := d.Decode(*p)
	if err != nil {
		return nil, err
	}
	for i := range reads {
		if reads[i].Lane == "" {
			reads[i].Lane = lane
		}
		if !s.serves(reads[i].Lane) {
			return nil, Reject(http.StatusBadRequest, ReasonLane, "unknown lane %q", reads[i].Lane)
		}
		reads[i].Vendor = vendor
		if reads[i].Camera == "" {
			reads[i].Camera = s.cameraOf(reads[i].Lane, vendor, r.RemoteAddr)
		}
	}
	return reads, nil
}

// cameraOf names the camera of lane and vendor a push came from: the one whose URL's host is
// the request's remote address, else the lane's only camera of that vendor, else "".
func (s *Server) cameraOf(lane, vendor, remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	var only []string
	for _, c := range s.opts.Cameras {
		if c.Lane != lane || c.Vendor != vendor {
			continue
		}
		if u, err := url.Parse(c.URL); err == nil && u.Hostname() == host {
			return c.ID
		}
		only = append(only, c.ID)
	}
	if len(only) == 1 {
		return only[0]
	}
	return ""
}

// rejected counts and logs a refused push.
func (s *Server) rejected(r *http.Request, vendor string, rej *Rejection) {
	s.mu.Lock()
	s.rejects[rej.Reason]++
	s.mu.Unlock()
	s.log.Warn("plate push rejected", "remote", r.RemoteAddr, "vendor", vendor, "status", rej.Status, "reason", rej.Reason, "err", rej.Msg)
}
