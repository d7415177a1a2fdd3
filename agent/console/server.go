package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
)

//go:embed assets
var assetFS embed.FS

// Cookie names.
const (
	sessionCookie = "sitegate_session"
	loginCookie   = "sitegate_login" // the login form's CSRF token (double submit)
	csrfHeader    = "X-CSRF-Token"
)

// Login rate limits: per client address and per user name.
const (
	loginTries  = 5
	loginWindow = 5 * time.Minute
)

// Options configure a console.
type Options struct {
	Config  config.Console
	Sources Sources
	Logger  *slog.Logger
	// Now is the clock sessions and rate limits are judged by; nil means time.Now.
	Now func() time.Time
}

// Server is a running console.
type Server struct {
	o        Options
	log      *slog.Logger
	sessions *sessions
	byAddr   *limiter
	byName   *limiter
	traces   traces
	recent   recent
	pages    *template.Template
	secure   bool
	// loginStyleHash allows the login page's inline style (CSP).
	loginStyleHash string

	usersMu  sync.Mutex
	users    Users
	usersMod time.Time

	addrMu sync.Mutex
	addr   string
}

// New checks the users file and prepares the console; nothing listens before Run.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, log: o.Logger.With("part", "console"), secure: o.Config.TLSOn(),
		sessions: newSessions(o.Config.SessionTTL.D(), o.Now),
		byAddr:   newLimiter(loginTries*4, loginWindow, o.Now),
		byName:   newLimiter(loginTries, loginWindow, o.Now)}
	if _, err := s.loadUsers(); err != nil {
		return nil, err
	}
	t, err := template.ParseFS(assetFS, "assets/login.html", "assets/index.html")
	if err != nil {
		return nil, err
	}
	s.pages = t
	var style bytes.Buffer
	if err := t.ExecuteTemplate(&style, "loginstyle", nil); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(style.Bytes())
	s.loginStyleHash = "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	return s, nil
}

// loadUsers (re)reads the users file when it changed, so adduser takes effect without a
// restart; sessions of users no longer there (or with another role) end.
func (s *Server) loadUsers() (Users, error) {
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	fi, err := os.Stat(s.o.Config.UsersFile)
	if err != nil {
		if s.users != nil {
			return s.users, nil // keep the last good list
		}
		return nil, fmt.Errorf("console.users_file: %w", err)
	}
	if s.users != nil && fi.ModTime().Equal(s.usersMod) {
		return s.users, nil
	}
	us, err := LoadUsers(s.o.Config.UsersFile)
	if err != nil {
		if s.users != nil {
			s.log.Error("users file not reloaded; the previous logins stay", "err", err)
			return s.users, nil
		}
		return nil, err
	}
	if s.users != nil {
		s.sessions.keepOnly(func(name, role string) bool { u, ok := us[name]; return ok && u.Role == role })
	}
	s.users, s.usersMod = us, fi.ModTime()
	return us, nil
}

// Outbox wraps the gateway's outbox so the console keeps the evidence of recent passages.
func (s *Server) Outbox(b outbox.Outbox) outbox.Outbox { return teeBox{Outbox: b, r: &s.recent} }

// Passage records a stored passage (the gateway's OnStored).
func (s *Server) Passage(p wire.Passage) { s.recent.addPassage(p) }

// Addr is the bound address, once Run listens.
func (s *Server) Addr() string {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// Run serves the console on console.listen until ctx is done.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.o.Config.Listen)
	if err != nil {
		return fmt.Errorf("console.listen: %w", err)
	}
	if s.secure {
		cert, err := tls.LoadX509KeyPair(s.o.Config.TLS.CertFile, s.o.Config.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("console.tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.addrMu.Lock()
	s.addr = ln.Addr().String()
	s.addrMu.Unlock()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	var wg sync.WaitGroup
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { s.sample(sctx) })
	wg.Go(func() {
		<-sctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	})
	scheme := "http"
	if s.secure {
		scheme = "https"
	}
	s.log.Info("console serving", "url", scheme+"://"+s.Addr()+"/")
	if host, _, _ := net.SplitHostPort(s.o.Config.Listen); !s.secure && !loopback(host) {
		s.log.Warn("console served over plain HTTP beyond this machine: passwords and session cookies cross the network readable; set console.tls", "listen", s.o.Config.Listen)
	}
	if ready != nil {
		ready(s.Addr())
	}
	err = srv.Serve(ln)
	stop()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// sample records the lanes' weights for the traces.
func (s *Server) sample(ctx context.Context) {
	if s.o.Sources.Lanes == nil {
		return
	}
	t := time.NewTicker(traceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.traces.add(s.o.Now(), s.o.Sources.Lanes())
		}
	}
}

// Handler is the console's HTTP handler: the login page is the only thing served without a
// session.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.need(Viewer, true, s.logout))
	mux.HandleFunc("GET /{$}", s.need(Viewer, false, s.index))
	mux.HandleFunc("GET /assets/{file}", s.need(Viewer, false, s.asset))
	mux.HandleFunc("GET /api/state", s.need(Viewer, false, s.state))
	mux.HandleFunc("GET /api/frame", s.need(Viewer, false, s.frame))
	mux.HandleFunc("GET /api/evidence", s.need(Viewer, false, s.evidence))
	mux.HandleFunc("POST /api/regions", s.need(Technician, true, s.regions))
	mux.HandleFunc("/", s.need(Viewer, false, http.NotFound))
	return headers(mux, s.secure)
}

// headers adds what every answer carries: no framing, no sniffing, no caching, and a
// content security policy allowing this origin only.
func headers(h http.Handler, secure bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		if secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer a browser sends Origin: null with a
		// form, which sameOrigin refuses.
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// need wraps h: a session is required (else 401 for the API, a redirect to the login page
// for pages), the role at least role, and for a state-changing request the session's CSRF
// token in the X-CSRF-Token header and, when the browser sends one, an Origin of this host.
func (s *Server) need(role string, changes bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss := s.session(r)
		if ss == nil {
			if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
				jsonError(w, http.StatusUnauthorized, "log in first")
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if changes {
			if !sameOrigin(r) {
				jsonError(w, http.StatusForbidden, "cross-origin request refused")
				return
			}
			if !sameToken(r.Header.Get(csrfHeader), ss.csrf) {
				jsonError(w, http.StatusForbidden, "missing or wrong CSRF token")
				return
			}
		}
		if role == Technician && ss.role != Technician {
			jsonError(w, http.StatusForbidden, "a technician's login is needed")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ss)))
	}
}

func (s *Server) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	ss, ok := s.sessions.get(c.Value)
	if !ok {
		return nil
	}
	return ss
}

func sessionOf(r *http.Request) *session { ss, _ := r.Context().Value(ctxKey{}).(*session); return ss }

// sameOrigin reports whether the request's Origin (or, without one, its Referer) is this
// host; a request with neither (not a browser's) passes, the CSRF token still being checked.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return true
	}
	if o == "null" {
		return false
	}
	i := strings.Index(o, "://")
	if i < 0 {
		return false
	}
	host := o[i+3:]
	if j := strings.IndexAny(host, "/?#"); j >= 0 {
		host = host[:j]
	}
	return strings.EqualFold(host, r.Host)
}

func (s *Server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge.Seconds())
	}
	return c
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, r.URL.Query().Get("m"))
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, code int, msg string) {
	tok := randomToken()
	http.SetCookie(w, s.cookie(loginCookie, tok, 10*time.Minute))
	// The login page is served to anyone, so it carries its style inline (the assets need a
	// login), allowed by its hash.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src '"+s.loginStyleHash+"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = s.pages.ExecuteTemplate(w, "login.html", map[string]string{"CSRF": tok, "Message": msg})
}

// clientAddr is the client's IP address (no port), the key of its login rate limit.
func clientAddr(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f, err := ParseLogin(r.Header.Get("Content-Type"), http.MaxBytesReader(w, r.Body, maxLoginBytes))
	if err != nil {
		s.renderLogin(w, r, http.StatusBadRequest, err.Error())
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(f.CSRF, c.Value) || !sameOrigin(r) {
		s.renderLogin(w, r, http.StatusForbidden, "the login form expired; try again")
		return
	}
	addr := clientAddr(r)
	if no, wait := s.byAddr.blocked(addr); no {
		s.tooMany(w, r, wait)
		return
	}
	if no, wait := s.byName.blocked(f.User); no {
		s.tooMany(w, r, wait)
		return
	}
	us, err := s.loadUsers()
	if err != nil {
		s.renderLogin(w, r, http.StatusInternalServerError, "the users file cannot be read")
		return
	}
	u, ok := us.Check(f.User, f.Password)
	if !ok {
		s.byAddr.failed(addr)
		s.byName.failed(f.User)
		s.log.Warn("console login refused", "user", f.User, "from", addr)
		s.renderLogin(w, r, http.StatusUnauthorized, "wrong user name or password")
		return
	}
	s.byName.succeeded(f.User)
	ss := s.sessions.start(u.Name, u.Role)
	s.log.Info("console login", "user", u.Name, "role", u.Role, "from", addr)
	http.SetCookie(w, s.cookie(loginCookie, "", -1))
	http.SetCookie(w, s.cookie(sessionCookie, ss.token, s.o.Config.SessionTTL.D()))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int(wait.Seconds()) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.renderLogin(w, r, http.StatusTooManyRequests, fmt.Sprintf("too many failed logins; try again in %d s", secs))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	s.sessions.end(ss.token)
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	s.log.Info("console logout", "user", ss.user)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = s.pages.ExecuteTemplate(w, "index.html", map[string]any{
		"CSRF": ss.csrf, "User": ss.user, "Role": ss.role,
		"PollMs": s.o.Config.PollInterval.D().Milliseconds(),
	})
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if strings.HasSuffix(name, ".html") || strings.ContainsAny(name, "/\\") {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(assetFS, path.Join("assets", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(b)
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) camera(lane, id string) (Camera, bool) {
	if s.o.Sources.Cameras == nil {
		return Camera{}, false
	}
	for _, c := range s.o.Sources.Cameras() {
		if c.Lane == lane && c.ID == id {
			return c, true
		}
	}
	return Camera{}, false
}

func (s *Server) frame(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, ok := s.camera(q.Get("lane"), q.Get("camera"))
	if !ok || c.Frame == nil {
		jsonError(w, http.StatusNotFound, "no such camera")
		return
	}
	b, at, err := c.Frame()
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("X-Frame-Time", at.Format(wire.TimeLayout))
	_, _ = w.Write(b)
}

func (s *Server) evidence(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	b, ok := s.recent.picture(q.Get("passage"), q.Get("name"))
	if !ok {
		jsonError(w, http.StatusNotFound, "no such evidence here (the console keeps the newest passages' only)")
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(b)
}

func (s *Server) regions(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	req, err := ParseRegions(http.MaxBytesReader(w, r.Body, maxRegionsBytes))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
		return
	}
	if _, ok := s.camera(req.Lane, req.Camera); !ok {
		jsonError(w, http.StatusNotFound, "no such camera")
		return
	}
	if s.o.Sources.SetRegions == nil {
		jsonError(w, http.StatusServiceUnavailable, "this gateway takes no config changes")
		return
	}
	by := "console:" + ss.user
	s.log.Info("console: regions saved", "user", ss.user, "lane", req.Lane, "camera", req.Camera, "regions", len(req.ROIs))
	rep, err := s.o.Sources.SetRegions(r.Context(), req.Lane, req.Camera, req.ROIs, by)
	if err != nil {
		jsonError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	code := http.StatusOK
	if rep.Status != wire.Applied {
		code = http.StatusUnprocessableEntity
	}
	writeJSON(w, code, rep)
}

// loopback reports whether host is this machine only.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
