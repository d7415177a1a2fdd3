package plate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Path is where plate cameras push reads.
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
)

var colors = map[string]bool{"blue": true, "yellow": true, "green": true, "white": true, "black": true}

// Server is the HTTP listener for one or more lanes' plate cameras.
type Server struct {
	opts  Options
	lanes map[string]func(Read)
	log   *slog.Logger

	mu       sync.Mutex
	ln       net.Listener
	ready    chan struct{}
	accepted uint64
	rejected map[string]uint64
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
		opts:     opts,
		lanes:    maps.Clone(opts.Lanes),
		log:      opts.Logger.With("plate_listen", opts.Addr),
		ready:    make(chan struct{}),
		rejected: map[string]uint64{},
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
	return Stats{Accepted: s.accepted, Rejected: maps.Clone(s.rejected)}
}

// Handler serves POST /v1/plate.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(Path, s.servePlate)
	return mux
}

// pushBody is the JSON of a push. Pointers tell a missing field from a zero one; unknown
// (vendor) fields are ignored.
type pushBody struct {
	Lane            *string  `json:"lane"`
	Plate           *string  `json:"plate"`
	Color           *string  `json:"color"`
	Confidence      *float64 `json:"confidence"`
	Time            *string  `json:"time"`
	ImageJPEGBase64 *string  `json:"image_jpeg_base64"`
}

// rejection is a push refused with an HTTP status and a counted reason.
type rejection struct {
	status int
	reason string
	msg    string
}

func reject(status int, reason, format string, args ...any) *rejection {
	return &rejection{status: status, reason: reason, msg: fmt.Sprintf(format, args...)}
}

func (s *Server) servePlate(w http.ResponseWriter, r *http.Request) {
	rd, rej := s.parse(w, r)
	if rej != nil {
		s.mu.Lock()
		s.rejected[rej.reason]++
		s.mu.Unlock()
		s.log.Warn("plate push rejected", "remote", r.RemoteAddr, "status", rej.status, "reason", rej.reason, "err", rej.msg)
		if rej.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		writeJSON(w, rej.status, map[string]string{"error": rej.msg})
		return
	}
	if sink := s.lanes[rd.Lane]; sink != nil {
		sink(rd)
	}
	s.mu.Lock()
	s.accepted++
	s.mu.Unlock()
	s.log.Debug("plate push", "lane", rd.Lane, "plate", rd.Plate, "color", rd.Color, "confidence", rd.Confidence)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) parse(w http.ResponseWriter, r *http.Request) (Read, *rejection) {
	received := s.opts.Now()
	if r.Method != http.MethodPost {
		return Read{}, reject(http.StatusMethodNotAllowed, ReasonMethod, "method %s not allowed, use POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return Read{}, reject(http.StatusUnsupportedMediaType, ReasonContentType, "content type %q is not application/json", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return Read{}, reject(http.StatusRequestEntityTooLarge, ReasonTooLarge, "body over %d bytes", mbe.Limit)
		}
		return Read{}, reject(http.StatusBadRequest, ReasonBody, "reading body: %v", err)
	}
	var p pushBody
	if err := json.Unmarshal(body, &p); err != nil {
		return Read{}, reject(http.StatusBadRequest, ReasonJSON, "malformed JSON: %v", err)
	}
	return s.validate(p, received)
}

// validate checks a decoded push and turns it into a Read.
func (s *Server) validate(p pushBody, received time.Time) (Read, *rejection) {
	var rd Read
	if p.Lane == nil || *p.Lane == "" {
		return Read{}, reject(http.StatusBadRequest, ReasonLane, "lane is required")
	}
	if _, ok := s.lanes[*p.Lane]; !ok {
		return Read{}, reject(http.StatusBadRequest, ReasonLane, "unknown lane %q", *p.Lane)
	}
	rd.Lane = *p.Lane
	if p.Plate == nil || strings.TrimSpace(*p.Plate) == "" {
		return Read{}, reject(http.StatusBadRequest, ReasonPlate, "plate is required")
	}
	plate, err := NormalizePlate(*p.Plate)
	if err != nil {
		return Read{}, reject(http.StatusBadRequest, ReasonPlate, "%v", err)
	}
	rd.Plate = plate
	if p.Color != nil && *p.Color != "" {
		c := strings.ToLower(strings.TrimSpace(*p.Color))
		if !colors[c] {
			return Read{}, reject(http.StatusBadRequest, ReasonColor, "color %q is not one of blue, yellow, green, white, black", *p.Color)
		}
		rd.Color = c
	}
	if p.Confidence != nil {
		c := *p.Confidence
		if !(c >= 0 && c <= 1) {
			return Read{}, reject(http.StatusBadRequest, ReasonConfidence, "confidence %v is outside 0..1", c)
		}
		rd.Confidence = c
	}
	rd.Time = received
	if p.Time != nil && *p.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, *p.Time)
		if err != nil {
			return Read{}, reject(http.StatusBadRequest, ReasonTime, "time %q is not RFC 3339", *p.Time)
		}
		rd.Time = t
	}
	if p.ImageJPEGBase64 != nil && *p.ImageJPEGBase64 != "" {
		img, err := decodeBase64(*p.ImageJPEGBase64)
		if err != nil {
			return Read{}, reject(http.StatusBadRequest, ReasonImage, "image_jpeg_base64: %v", err)
		}
		if len(img) < 3 || img[0] != 0xFF || img[1] != 0xD8 {
			return Read{}, reject(http.StatusBadRequest, ReasonImage, "image_jpeg_base64 is not a JPEG")
		}
		rd.ImageJPEG = img
	}
	return rd, nil
}

// decodeBase64 takes standard base64, padded or not; MIME line breaks are ignored.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "\r\n")
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("invalid base64")
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
