package plate_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"sitegate/drivers/plate"
	_ "sitegate/drivers/plate/generic"
	"sitegate/drivers/plate/platetest"
)

var (
	quiet    = platetest.Quiet
	received = platetest.Received
)

// fakePush is a vendor format for testing the server's routing: one read per line of the body,
// "PLATE" for the path's lane or "LANE PLATE"; "!" starts a line that is a plain error and
// "?" one that is a rejection with the vendor's own status. Its answers are plain text.
type fakePush struct{}

func (fakePush) Decode(p plate.Push) ([]plate.Read, error) {
	body, err := plate.ReadBody(p.Request)
	if err != nil {
		return nil, err
	}
	var reads []plate.Read
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "!"):
			return nil, errors.New("fake: " + line[1:])
		case strings.HasPrefix(line, "?"):
			return nil, plate.Reject(http.StatusUnprocessableEntity, plate.ReasonPlate, "fake: %s", line[1:])
		}
		rd := plate.Read{Time: p.Received}
		if lane, text, ok := strings.Cut(line, " "); ok {
			rd.Lane, line = lane, text
		}
		if rd.Plate, err = plate.NormalizePlate(line); err != nil {
			return nil, plate.Reject(http.StatusBadRequest, plate.ReasonPlate, "%v", err)
		}
		reads = append(reads, rd)
	}
	return reads, nil
}

func (fakePush) Reply(w http.ResponseWriter, reads []plate.Read, rej *plate.Rejection) {
	w.Header().Set("Content-Type", "text/plain")
	if rej != nil {
		w.WriteHeader(rej.Status)
		fmt.Fprintf(w, "fake error: %s", rej.Msg)
		return
	}
	fmt.Fprintf(w, "fake ok %d", len(reads))
}

func init() { plate.RegisterPush("fake", fakePush{}) }

func TestVendorRouting(t *testing.T) {
	cases := []struct {
		name   string
		method string // default POST
		path   string
		body   string
		status int
		answer string   // the whole answer, trimmed
		reason string   // Stats.Rejected key, for rejections
		reads  []string // "lane plate vendor" of each read handed to a lane
	}{
		{name: "one read, path lane", path: "/v1/plate/fake/exit-1", body: "浙F12345", status: 200, answer: "fake ok 1",
			reads: []string{"exit-1 浙F12345 fake"}},
		{name: "two reads, one naming its lane", path: "/v1/plate/fake/exit-1", body: "浙F12345\nentry-1 京AD12345", status: 200,
			answer: "fake ok 2", reads: []string{"exit-1 浙F12345 fake", "entry-1 京AD12345 fake"}},
		{name: "heartbeat", path: "/v1/plate/fake/exit-1", body: "", status: 200, answer: "fake ok 0"},
		{name: "GET", method: http.MethodGet, path: "/v1/plate/fake/exit-1", status: 405, reason: plate.ReasonMethod,
			answer: "fake error: method GET not allowed, use POST"},
		{name: "unknown path lane", path: "/v1/plate/fake/exit-9", body: "浙F12345", status: 400, reason: plate.ReasonLane,
			answer: `fake error: unknown lane "exit-9"`},
		{name: "read for another lane", path: "/v1/plate/fake/exit-1", body: "浙F12345\nexit-2 京AD12345", status: 400,
			reason: plate.ReasonLane, answer: `fake error: unknown lane "exit-2"`},
		{name: "vendor rejection", path: "/v1/plate/fake/exit-1", body: "?no plate here", status: 422, reason: plate.ReasonPlate,
			answer: "fake error: fake: no plate here"},
		{name: "plain error", path: "/v1/plate/fake/exit-1", body: "!garbled", status: 400, reason: plate.ReasonMalformed,
			answer: "fake error: fake: garbled"},
		{name: "too large", path: "/v1/plate/fake/exit-1", body: strings.Repeat("浙F12345\n", 200), status: 413,
			reason: plate.ReasonTooLarge, answer: "fake error: body over 1024 bytes"},
		{name: "unknown vendor", path: "/v1/plate/nope/exit-1", body: "浙F12345", status: 404, reason: plate.ReasonVendor,
			answer: `{"error":"unknown plate-camera vendor \"nope\" (known: fake, generic)"}`},
		{name: "generic", path: "/v1/plate", body: `{"lane":"entry-1","plate":"浙F12345"}`, status: 200, answer: `{"ok":true}`,
			reads: []string{"entry-1 浙F12345 generic"}},
		{name: "generic, lane in the path", path: "/v1/plate/generic/exit-1", body: `{"plate":"浙F12345"}`, status: 200,
			answer: `{"ok":true}`, reads: []string{"exit-1 浙F12345 generic"}},
		{name: "generic, lanes disagree", path: "/v1/plate/generic/exit-1", body: `{"lane":"entry-1","plate":"浙F12345"}`,
			status: 400, reason: plate.ReasonLane, answer: `{"error":"lane \"entry-1\" is not the path's lane \"exit-1\""}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, sk := platetest.NewServer(1024)
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.status || strings.TrimSpace(rec.Body.String()) != tc.answer {
				t.Fatalf("answer %d %q, want %d %q", rec.Code, rec.Body, tc.status, tc.answer)
			}
			var got []string
			for _, r := range sk.All() {
				got = append(got, r.Lane+" "+r.Plate+" "+r.Vendor)
				if !r.Time.Equal(received) {
					t.Errorf("read time %v, want the time received", r.Time)
				}
			}
			if !slices.Equal(got, tc.reads) {
				t.Errorf("reads %q, want %q", got, tc.reads)
			}
			st := s.Stats()
			if tc.status == 200 {
				if st.Accepted != 1 || len(st.Rejected) != 0 {
					t.Errorf("stats %+v, want one accepted push", st)
				}
				return
			}
			if st.Accepted != 0 || st.Rejected[tc.reason] != 1 || len(st.Rejected) != 1 {
				t.Errorf("stats %+v, want one rejection for %q", st, tc.reason)
			}
			if tc.status == 405 && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("405 without Allow: POST")
			}
		})
	}
}

func TestPathsOutsideTheRoutes(t *testing.T) {
	s, sk := platetest.NewServer(0)
	for _, path := range []string{"/v1/plate/", "/v1/plate/fake", "/v1/plate/fake/exit-1/x", "/v2/plate"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("浙F12345")))
		if rec.Code != 404 {
			t.Errorf("POST %s: status %d, want 404", path, rec.Code)
		}
	}
	if len(sk.All()) != 0 {
		t.Errorf("reads from unrouted paths: %+v", sk.All())
	}
}

func TestRegisterPush(t *testing.T) {
	if vs := plate.PushVendors(); !slices.Contains(vs, "fake") || !slices.Contains(vs, plate.Generic) || !slices.IsSorted(vs) {
		t.Errorf("PushVendors() = %v", vs)
	}
	if _, ok := plate.LookupPush("nope"); ok {
		t.Error("LookupPush found an unregistered vendor")
	}
	for _, name := range []string{"fake", "", "Hik", "hik/vision", strings.Repeat("x", 33)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterPush(%q) did not panic", name)
				}
			}()
			plate.RegisterPush(name, fakePush{})
		}()
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	s, sk := platetest.NewServer(0)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	<-s.Ready()
	if strings.HasSuffix(s.Addr(), ":0") {
		t.Fatalf("Addr %q is not the bound address", s.Addr())
	}
	resp, err := http.Post("http://"+s.Addr()+plate.Path, "application/json", strings.NewReader(`{"lane":"exit-1","plate":"浙F12345"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"ok":true}` {
		t.Fatalf("answer %d %s", resp.StatusCode, body)
	}
	if len(sk.All()) != 1 {
		t.Fatalf("sink got %d reads", len(sk.All()))
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if _, err := http.Post("http://"+s.Addr()+plate.Path, "application/json", strings.NewReader(`{}`)); err == nil {
		t.Fatal("server still answers after Run returned")
	}
}

func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := plate.NewServer(plate.Options{Addr: ln.Addr().String(), Lanes: map[string]func(plate.Read) error{"exit-1": func(plate.Read) error { return nil }}, Logger: quiet})
	err = s.Run(context.Background()) // must return at once, not serve
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Run = %v, want a listen error naming %s", err, ln.Addr())
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the *net.OpError", err)
	}
}

// TestBusyLaneIsTryAgain: a read the lane cannot take is answered 503 and counted, never 200,
// and the camera's next try is taken.
func TestBusyLaneIsTryAgain(t *testing.T) {
	s, sk := platetest.NewServer(1024)
	sk.SetBusy(errors.New("queue full"))
	push := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/plate", strings.NewReader(`{"lane":"exit-1","plate":"浙F12345"}`)))
		return rec
	}
	if rec := push(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "try again") {
		t.Fatalf("busy lane: %d %q", rec.Code, rec.Body)
	}
	if st := s.Stats(); st.Accepted != 0 || st.Rejected[plate.ReasonBusy] != 1 {
		t.Errorf("stats %+v", st)
	}
	sk.SetBusy(nil)
	if rec := push(); rec.Code != 200 || len(sk.All()) != 1 {
		t.Fatalf("after: %d %q, %d reads", rec.Code, rec.Body, len(sk.All()))
	}
}

// TestCameraOfARead: a read is credited to the lane's camera whose URL host sent it, else to the
// lane's only camera of that vendor.
func TestCameraOfARead(t *testing.T) {
	sk := &platetest.Sink{}
	cams := []plate.Camera{
		{ID: "front", Lane: "exit-1", Vendor: plate.Generic, URL: "http://192.0.2.10"},
		{ID: "rear", Lane: "exit-1", Vendor: plate.Generic, URL: "http://192.0.2.11"},
		{ID: "solo", Lane: "entry-1", Vendor: plate.Generic, URL: "http://192.0.2.20"},
	}
	s := plate.NewServer(plate.Options{Lanes: map[string]func(plate.Read) error{"exit-1": sk.Take, "entry-1": sk.Take}, Cameras: cams, Logger: platetest.Quiet})
	for _, c := range []struct{ remote, lane, want string }{
		{"192.0.2.11:4711", "exit-1", "rear"},
		{"192.0.2.99:4711", "exit-1", ""},
		{"192.0.2.99:4711", "entry-1", "solo"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/plate", strings.NewReader(`{"lane":"`+c.lane+`","plate":"浙F12345"}`))
		req.RemoteAddr = c.remote
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		reads := sk.All()
		if rec.Code != 200 || reads[len(reads)-1].Camera != c.want {
			t.Errorf("from %s on %s: %d, camera %q, want %q", c.remote, c.lane, rec.Code, reads[len(reads)-1].Camera, c.want)
		}
	}
}

// TestRejectionIsBounded: a 4 MiB "plate" is refused with a short answer and a short log line.
func TestRejectionIsBounded(t *testing.T) {
	var log strings.Builder
	sk := &platetest.Sink{}
	s := plate.NewServer(plate.Options{MaxBody: 8 << 20, Lanes: map[string]func(plate.Read) error{"exit-1": sk.Take},
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	huge := strings.Repeat("浙", 4<<20/3)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/plate", strings.NewReader(`{"lane":"exit-1","plate":"`+huge+`"}`)))
	if rec.Code != 400 || rec.Body.Len() > 1024 || !strings.Contains(rec.Body.String(), "more bytes") {
		t.Errorf("answer %d, %d bytes: %.200s", rec.Code, rec.Body.Len(), rec.Body.String())
	}
	if log.Len() > 2048 {
		t.Errorf("log line of %d bytes", log.Len())
	}
	if len(sk.All()) != 0 {
		t.Error("the huge plate became a read")
	}
}

func TestCut(t *testing.T) {
	if got := plate.Cut("浙F12345", 4); got != "浙F... (5 more bytes)" {
		t.Errorf("Cut = %q", got)
	}
	if got := plate.Cut("short", 10); got != "short" {
		t.Errorf("Cut = %q", got)
	}
}

// TestPushesTakenAFewAtATime: with one slot, a push that finds it taken waits, and is told to
// try again when its wait is over; the one in the slot is answered.
func TestPushesTakenAFewAtATime(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	s := plate.NewServer(plate.Options{MaxConcurrent: 1, ConcurrentWait: 50 * time.Millisecond, Logger: platetest.Quiet,
		Lanes: map[string]func(plate.Read) error{"exit-1": func(plate.Read) error { entered <- struct{}{}; <-release; return nil }}})
	push := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/plate", strings.NewReader(`{"lane":"exit-1","plate":"浙F12345"}`)))
		return rec
	}
	first := make(chan *httptest.ResponseRecorder, 1)
	go func() { first <- push() }()
	<-entered // the first push holds the slot
	if rec := push(); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "try again") {
		t.Errorf("second push: %d %s", rec.Code, rec.Body)
	}
	close(release)
	if rec := <-first; rec.Code != 200 {
		t.Errorf("first push: %d %s", rec.Code, rec.Body)
	}
	if st := s.Stats(); st.Accepted != 1 || st.Rejected[plate.ReasonBusy] != 1 {
		t.Errorf("stats %+v", st)
	}
}
