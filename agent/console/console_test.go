package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	config "sitegate/firmware-config"
)

func init() { hashCost = bcrypt.MinCost }

const (
	techPW   = "correct horse battery"
	viewerPW = "viewer password 1"
)

// fakeClock is a settable clock for session expiry and rate limits.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	srv   *httptest.Server
	s     *Server
	clock *fakeClock
	mu    sync.Mutex
	saved []config.ROI
	by    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := AddUser(users, "tech", Technician, techPW); err != nil {
		t.Fatal(err)
	}
	if err := AddUser(users, "view", Viewer, viewerPW); err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: &fakeClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}}
	rois := []config.ROI{{Name: "wheels", Polygon: [][]float64{{0.1, 0.6}, {0.9, 0.6}, {0.9, 0.9}, {0.1, 0.9}}}}
	src := Sources{
		Status: func() wire.Status {
			return wire.Status{Site: "s", Gateway: "g", Lanes: []wire.LaneStatus{{ID: "exit-1", Deck: "empty", LastKg: 10}},
				Cameras: []camera.Status{{ID: "wheels", State: camera.StateDown, LastError: "no stream"}}}
		},
		Lanes: func() []wire.LaneStatus { return []wire.LaneStatus{{ID: "exit-1", LastKg: 10}} },
		Running: func() *config.Config {
			return &config.Config{Lanes: []config.Lane{{ID: "exit-1", Cameras: []config.Camera{{ID: "wheels", ROIs: rois}}}}}
		},
		Cameras: func() []Camera {
			return []Camera{{Lane: "exit-1", ID: "wheels", Frame: func() ([]byte, time.Time, error) { return []byte("\xff\xd8jpeg"), time.Now(), nil },
				Mud:   func() (bool, float64, float64) { return true, 0.2, 0.5 },
				Cover: func() (bool, float64, float64) { return true, 0.8, 0.5 }}}
		},
		SetRegions: func(_ context.Context, lane, cam string, r []config.ROI, by string) (wire.Reported, error) {
			f.mu.Lock()
			f.saved, f.by = r, by
			f.mu.Unlock()
			return wire.Reported{Version: 7, Status: wire.Applied}, nil
		},
	}
	s, err := New(Options{Config: config.Console{Listen: "127.0.0.1:0", UsersFile: users,
		SessionTTL: config.Duration(time.Hour), PollInterval: config.Duration(time.Second)}, Sources: src, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	f.s = s
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// client is a browser-like client: it keeps cookies and does not follow redirects.
func (f *fixture) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([^"]+)"`)

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	return string(b)
}

// login logs c in and returns the session's CSRF token, or "" and the login's status.
func (f *fixture) login(t *testing.T, c *http.Client, user, pw string) (string, int) {
	t.Helper()
	r, err := c.Get(f.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	m := csrfInput.FindStringSubmatch(body(t, r))
	if m == nil {
		t.Fatal("no csrf field on the login page")
	}
	r, err = c.PostForm(f.srv.URL+"/login", url.Values{"user": {user}, "password": {pw}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusSeeOther {
		return "", r.StatusCode
	}
	r, err = c.Get(f.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	mm := csrfMeta.FindStringSubmatch(body(t, r))
	if mm == nil {
		t.Fatalf("logged in, but no csrf meta on the page (status %d)", r.StatusCode)
	}
	return mm[1], r.StatusCode
}

func TestNothingWithoutALogin(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for _, p := range []string{"/", "/assets/console.js", "/assets/console.css", "/assets/index.html", "/api/state", "/api/frame?lane=exit-1&camera=wheels", "/api/evidence?passage=x&name=y", "/nothing"} {
		r, err := c.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, r)
		switch {
		case strings.HasPrefix(p, "/api/"):
			if r.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s: %d, want 401", p, r.StatusCode)
			}
		default:
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
				t.Errorf("GET %s: %d to %q, want a redirect to /login", p, r.StatusCode, r.Header.Get("Location"))
			}
		}
		if strings.Contains(b, "sitegateConsole") || strings.Contains(b, "wheels") {
			t.Errorf("GET %s without a login shows the console: %.100s", p, b)
		}
	}
	r, err := c.Post(f.srv.URL+"/api/regions", "application/json", strings.NewReader(`{"lane":"exit-1","camera":"wheels","rois":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusUnauthorized || f.saved != nil {
		t.Errorf("POST /api/regions without a login: %d (saved %v)", r.StatusCode, f.saved)
	}
	r, err = c.Get(f.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, r)
	if r.StatusCode != 200 || !strings.Contains(b, `name="password"`) {
		t.Fatalf("login page: %d %.200s", r.StatusCode, b)
	}
	for _, ck := range r.Cookies() {
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v", ck.Name, ck.HttpOnly, ck.SameSite)
		}
	}
}

func TestLoginRolesAndCSRF(t *testing.T) {
	f := newFixture(t)
	tech := f.client(t)
	tok, code := f.login(t, tech, "tech", techPW)
	if tok == "" {
		t.Fatalf("technician login: %d", code)
	}
	r, err := tech.Get(f.srv.URL + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	var st stateView
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil || r.StatusCode != 200 {
		t.Fatalf("state: %d %v", r.StatusCode, err)
	}
	r.Body.Close()
	if st.User != "tech" || st.Role != Technician || len(st.Cameras) != 1 || len(st.Cameras[0].ROIs) != 1 || len(st.Problems) == 0 {
		t.Fatalf("state: %+v", st)
	}
	if c := st.Cameras[0]; !c.Mud.Judged || c.Mud.Score != 0.2 || c.Cover == nil || !c.Cover.Judged || c.Cover.Score != 0.8 || c.Cover.Threshold != 0.5 {
		t.Fatalf("camera's live scores: mud %+v, cover %+v", c.Mud, c.Cover)
	}
	for _, p := range []string{"/", "/assets/console.js", "/api/frame?lane=exit-1&camera=wheels"} {
		r, err := tech.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body(t, r)
		if r.StatusCode != 200 {
			t.Errorf("GET %s logged in: %d", p, r.StatusCode)
		}
	}
	save := func(c *http.Client, token, origin string) int {
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/regions", strings.NewReader(`{"lane":"exit-1","camera":"wheels","rois":[{"name":"wheels","polygon":[[0.2,0.6],[0.9,0.6],[0.9,0.9]]}]}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set(csrfHeader, token)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body(t, r)
		return r.StatusCode
	}
	if c := save(tech, "", ""); c != http.StatusForbidden {
		t.Errorf("save without a CSRF token: %d, want 403", c)
	}
	if c := save(tech, "wrong", ""); c != http.StatusForbidden {
		t.Errorf("save with a wrong CSRF token: %d, want 403", c)
	}
	if c := save(tech, tok, "http://evil.example"); c != http.StatusForbidden {
		t.Errorf("save from another origin: %d, want 403", c)
	}
	if f.saved != nil {
		t.Fatal("a refused save reached the control plane")
	}
	if c := save(tech, tok, f.srv.URL); c != http.StatusOK {
		t.Fatalf("technician's save: %d", c)
	}
	if f.by != "console:tech" || len(f.saved) != 1 || f.saved[0].Polygon[0][0] != 0.2 {
		t.Fatalf("saved %v by %q", f.saved, f.by)
	}

	viewer := f.client(t)
	vtok, code := f.login(t, viewer, "view", viewerPW)
	if vtok == "" {
		t.Fatalf("viewer login: %d", code)
	}
	f.saved = nil
	if c := save(viewer, vtok, ""); c != http.StatusForbidden || f.saved != nil {
		t.Errorf("viewer's save: %d, want 403", c)
	}
	// Another session's token is not this one's.
	if c := save(viewer, tok, ""); c != http.StatusForbidden {
		t.Errorf("viewer with the technician's CSRF token: %d, want 403", c)
	}

	// Logging out ends the session.
	req, _ := http.NewRequest("POST", f.srv.URL+"/logout", nil)
	req.Header.Set(csrfHeader, tok)
	r, err = tech.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	r, _ = tech.Get(f.srv.URL + "/api/state")
	body(t, r)
	if r.StatusCode != http.StatusUnauthorized {
		t.Errorf("state after logout: %d", r.StatusCode)
	}
}

func TestLoginRefusals(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if tok, code := f.login(t, c, "tech", "wrong password"); tok != "" || code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", code)
	}
	if tok, code := f.login(t, c, "nobody", techPW); tok != "" || code != http.StatusUnauthorized {
		t.Errorf("unknown user: %d", code)
	}
	// A login form without its CSRF cookie (posted from elsewhere) is refused.
	r, err := http.PostForm(f.srv.URL+"/login", url.Values{"user": {"tech"}, "password": {techPW}, "csrf": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("login without the form's cookie: %d, want 403", r.StatusCode)
	}
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for i := 0; i < loginTries; i++ {
		if _, code := f.login(t, c, "tech", "bad guess"); code != http.StatusUnauthorized {
			t.Fatalf("try %d: %d", i, code)
		}
	}
	if _, code := f.login(t, c, "tech", techPW); code != http.StatusTooManyRequests {
		t.Fatalf("the right password after %d failures: %d, want 429", loginTries, code)
	}
	f.clock.add(loginWindow + time.Second)
	if tok, code := f.login(t, c, "tech", techPW); tok == "" {
		t.Fatalf("after the window: %d", code)
	}
}

func TestSessionExpiry(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if tok, code := f.login(t, c, "view", viewerPW); tok == "" {
		t.Fatalf("login: %d", code)
	}
	f.clock.add(59 * time.Minute)
	r, _ := c.Get(f.srv.URL + "/api/state")
	body(t, r)
	if r.StatusCode != 200 {
		t.Fatalf("before expiry: %d", r.StatusCode)
	}
	f.clock.add(time.Minute)
	r, _ = c.Get(f.srv.URL + "/api/state")
	body(t, r)
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after session_ttl: %d, want 401", r.StatusCode)
	}
}

func TestUsersFileReloadEndsSessions(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if tok, code := f.login(t, c, "view", viewerPW); tok == "" {
		t.Fatalf("login: %d", code)
	}
	// The viewer becomes a technician: the old session (viewer) ends at the next reload.
	if err := AddUser(f.s.o.Config.UsersFile, "view", Technician, viewerPW); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(f.s.o.Config.UsersFile, future, future); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.loadUsers(); err != nil {
		t.Fatal(err)
	}
	r, _ := c.Get(f.srv.URL + "/api/state")
	body(t, r)
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a session of a changed user: %d, want 401", r.StatusCode)
	}
}

func TestUsersFile(t *testing.T) {
	h, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	good := "# c\n\ntech technician " + string(h) + "\n"
	if us, err := ParseUsers([]byte(good)); err != nil || us["tech"].Role != Technician {
		t.Fatalf("%v %v", us, err)
	}
	for _, bad := range []string{
		"tech technician\n",
		"Tech technician " + string(h) + "\n",
		"tech admin " + string(h) + "\n",
		"tech viewer plaintext\n",
		"tech viewer " + string(h) + "\ntech viewer " + string(h) + "\n",
	} {
		if _, err := ParseUsers([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: %v, want an error naming the line", bad, err)
		}
	}
	p := filepath.Join(t.TempDir(), "u")
	if err := AddUser(p, "a", Viewer, "short"); err == nil {
		t.Error("a short password was taken")
	}
	if err := AddUser(p, "a", "root", "long enough pw"); err == nil {
		t.Error("a bad role was taken")
	}
	if err := AddUser(p, "a", Viewer, "long enough pw"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(p)
	if strings.Contains(string(b), "long enough pw") {
		t.Fatal("the password is stored in clear")
	}
}

var regionCases = []string{
	`{"lane":"exit-1","camera":"wheels","rois":[{"name":"w","polygon":[[0.1,0.2],[0.3,0.4],[0.5,0.6]]}]}`,
	`{"lane":"exit-1","camera":"wheels","rois":[]}`,
	`{"lane":"","camera":"wheels","rois":[]}`,
	`{"lane":"exit-1","camera":"wheels","rois":[],"extra":1}`,
	`{"lane":"exit-1"}{"lane":"x"}`,
	`[1,2]`,
	`{"lane":"exit-1","camera":"w","rois":[{"name":"w","polygon":[[0.1]]}]}`,
}

func TestParseRegions(t *testing.T) {
	want := []bool{true, true, false, false, false, false, true}
	for i, c := range regionCases {
		_, err := ParseRegions(strings.NewReader(c))
		if (err == nil) != want[i] {
			t.Errorf("%s: %v", c, err)
		}
	}
}

var loginCases = []struct{ ct, body string }{
	{"application/x-www-form-urlencoded", "user=tech&password=pw&csrf=abc"},
	{"application/x-www-form-urlencoded; charset=utf-8", "user=tech&password=pw"},
	{"application/x-www-form-urlencoded", "user=a&user=b&password=pw"},
	{"application/json", `{"user":"tech"}`},
	{"application/x-www-form-urlencoded", "user=%zz"},
	{"", ""},
}

func TestParseLogin(t *testing.T) {
	want := []bool{true, true, false, false, false, false}
	for i, c := range loginCases {
		_, err := ParseLogin(c.ct, strings.NewReader(c.body))
		if (err == nil) != want[i] {
			t.Errorf("%v: %v", c, err)
		}
	}
}

func FuzzParseRegions(f *testing.F) {
	for _, c := range regionCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRegions(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if r.Lane == "" || r.Camera == "" || len(r.ROIs) > maxRegions {
			t.Fatalf("accepted %q as %+v", b, r)
		}
	})
}

func FuzzParseLogin(f *testing.F) {
	for _, c := range loginCases {
		f.Add(c.ct, []byte(c.body))
	}
	f.Fuzz(func(t *testing.T, ct string, b []byte) {
		l, err := ParseLogin(ct, strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if l.User == "" || l.Password == "" || len(l.User) > 64 {
			t.Fatalf("accepted %q as %+v", b, l)
		}
	})
}

func FuzzParseUsers(f *testing.F) {
	h, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	f.Add([]byte("tech technician " + string(h) + "\n"))
	f.Add([]byte("# c\nx viewer y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		us, err := ParseUsers(b)
		if err != nil {
			return
		}
		for n, u := range us {
			if checkName(n) != nil || checkRole(u.Role) != nil {
				t.Fatalf("accepted %q", b)
			}
		}
	})
}

// pageBudget bounds the console's page weight: the login page, the live page and every
// asset it loads (not the live frames and state it then polls).
const pageBudget = 64 << 10

func TestPageWeight(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	get := func(p string) int {
		r, err := c.Get(f.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, r)
		if r.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, r.StatusCode)
		}
		return len(b)
	}
	login := get("/login")
	if tok, code := f.login(t, c, "view", viewerPW); tok == "" {
		t.Fatalf("login: %d", code)
	}
	total := login
	sizes := map[string]int{"/login": login}
	for _, p := range []string{"/", "/assets/console.css", "/assets/console.js", "/api/state"} {
		sizes[p] = get(p)
		if p != "/api/state" {
			total += sizes[p]
		}
	}
	t.Logf("page weight: %d bytes (login %d, page %d, css %d, js %d); one /api/state here %d bytes",
		total, login, sizes["/"], sizes["/assets/console.css"], sizes["/assets/console.js"], sizes["/api/state"])
	if total > pageBudget {
		t.Fatalf("the console weighs %d bytes, over its budget of %d", total, pageBudget)
	}
}

// TestRunTracesAndServes: Run listens, and the lanes' weights become the state's traces.
func TestRunTracesAndServes(t *testing.T) {
	f := newFixture(t)
	f.s.o.Now = time.Now
	f.s.o.Config.Listen = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- f.s.Run(ctx, func(a string) { ready <- a }) }()
	addr := <-ready
	deadline := time.Now().Add(10 * time.Second)
	for {
		pts, _ := f.s.traces.points("exit-1")
		if len(pts) >= 2 && pts[1][1] == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no trace: %v", pts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r, err := http.Get("http://" + addr + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("state without a login: %d", r.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSecureCookiesOverTLS(t *testing.T) {
	f := newFixture(t)
	f.s.secure = true
	srv := httptest.NewTLSServer(f.s.Handler())
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r, err := c.Get(srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body(t, r)
	if len(r.Cookies()) == 0 || r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatal("no cookie or no HSTS over TLS")
	}
	for _, ck := range r.Cookies() {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %s over TLS: Secure %v HttpOnly %v SameSite %v", ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite)
		}
	}
}

func TestLimiterForgets(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := newLimiter(2, time.Minute, clk.now)
	for i := 0; i < maxLimiterKeys+10; i++ {
		l.failed(strconv.Itoa(i))
	}
	if len(l.fail) > maxLimiterKeys {
		t.Fatalf("%d keys kept", len(l.fail))
	}
	l.failed("x")
	l.failed("x")
	if no, _ := l.blocked("x"); !no {
		t.Fatal("two failures of two allowed: not blocked")
	}
	clk.add(time.Minute)
	if no, _ := l.blocked("x"); no {
		t.Fatal("blocked after the window")
	}
}
