package plate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// Path is where plate cameras push reads in the generic JSON; a vendor's format is pushed to
// Path/{vendor}/{lane}.
const Path = "/v1/plate"

// DefaultMaxBody is the largest request body accepted when Options.MaxBody is zero.
const DefaultMaxBody = 4 << 20

// Read is one plate read by a camera, validated and normalized.
type Read struct {
	Lane       string
	Plate      string  // normalized, e.g. "浙F12345"
	Color      string  // blue, yellow, green, white, black, or "" when not given
	Confidence float64 // 0..1; 0 when not given
	Time       time.Time
	ImageJPEG  []byte // nil when not given
	Vendor     string // the format it came in: Generic or a registered vendor's name
}

// Options configures a Server.
type Options struct {
	Addr    string // listen address, e.g. 127.0.0.1:8088 (port 0 picks a free one)
	MaxBody int64  // default 4 MiB
	// Lanes maps each lane id this listener serves to the sink that takes its reads. Sinks are
	// called on the request's goroutine and must not block long.
	Lanes  map[string]func(Read)
	Logger *slog.Logger
	Now    func() time.Time // clock for reads without a time; default time.Now
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
	ReasonVendor      = "vendor"    // no format is registered under the path's vendor
	ReasonMalformed   = "malformed" // a vendor's format could not be read
)

// Server is the HTTP listener for one or more lanes' plate cameras.
type Server struct {
	opts  Options
	lanes map[string]func(Read)
	log   *slog.Logger

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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Server{
		opts:    opts,
		lanes:   maps.Clone(opts.Lanes),
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
	d, ok := LookupPush(vendor)
	if !ok {
		rej := Reject(http.StatusNotFound, ReasonVendor, "unknown plate-camera vendor %q (known: %s)", vendor, list(PushVendors()))
		s.rejected(r, vendor, rej)
		WriteJSON(w, rej.Status, map[string]string{"error": rej.Msg})
		return
	}
	reads, err := s.decode(w, r, d, vendor, lane, received)
	if err != nil {
		rej := rejection(err)
		s.rejected(r, vendor, rej)
		if rej.Status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		d.Reply(w, nil, rej)
		return
	}
	for _, rd := range reads {
		if sink := s.lanes[rd.Lane]; sink != nil {
			sink(rd)
		}
		s.log.Debug("plate push", "vendor", vendor, "lane", rd.Lane, "plate", rd.Plate, "color", rd.Color, "confidence", rd.Confidence)
	}
	s.mu.Lock()
	s.accepted++
	s.mu.Unlock()
	d.Reply(w, reads, nil)
}

// decode checks what every format shares (method, path lane, body limit), lets d decode the push
// and checks that every read names a lane of this listener.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, d PushDecoder, vendor, lane string, received time.Time) ([]Read, error) {
	if r.Method != http.MethodPost {
		return nil, Reject(http.StatusMethodNotAllowed, ReasonMethod, "method %s not allowed, use POST", r.Method)
	}
	if lane != "" && !s.serves(lane) {
		return nil, Reject(http.StatusBadRequest, ReasonLane, "unknown lane %q", lane)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	reads, err := d.Decode(Push{Request: r, Lane: lane, Received: received, Serves: s.serves})
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
	}
	return reads, nil
}

// rejected counts and logs a refused push.
func (s *Server) rejected(r *http.Request, vendor string, rej *Rejection) {
	s.mu.Lock()
	s.rejects[rej.Reason]++
	s.mu.Unlock()
	s.log.Warn("plate push rejected", "remote", r.RemoteAddr, "vendor", vendor, "status", rej.Status, "reason", rej.Reason, "err", rej.Msg)
}
