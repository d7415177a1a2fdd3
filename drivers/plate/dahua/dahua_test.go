package dahua

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

var (
	now   = platetest.Received
	scene = append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("\r\n--myboundary\r\n"), 8)...), 0xFF, 0xD9)
)

const eventText = "Events[0].Code=TrafficJunction\r\n" +
	"Events[0].TrafficCar.PlateNumber=鄂A06654\r\n" +
	"Events[0].TrafficCar.PlateColor=Blue\r\n" +
	"Events[0].TrafficCar.PlateType=Normal\r\n" +
	"Events[0].Object.Text=鄂A06654\r\n" +
	"Events[0].Object.Confidence=91\r\n" +
	"Events[0].UTC=1764249243\r\n" +
	"Events[0].UTCMS=120\r\n" +
	"Events[0].GroupID=41\r\n" +
	"Events[0].Lane=1\r\n" +
	"Events[0].CommInfo.ParkType=2\r\n"

type eventCase struct {
	name string
	text string
	want []plate.Read // Lane, Camera, Vendor left out
	bad  int
}

var eventCases = []eventCase{
	{name: "TrafficJunction", text: eventText, want: []plate.Read{{Plate: "鄂A06654", Color: "blue", Confidence: 0.91, Time: time.Unix(1764249243, 120e6), Key: "41"}}},
	{name: "Object only", text: "Events[0].EventBaseInfo.Code=TrafficJunction\nEvents[0].Object.Text=浙F12345\nEvents[0].Object.Color=Yellow\n",
		want: []plate.Read{{Plate: "浙F12345", Color: "yellow", Time: now}}},
	{name: "top level", text: "Events[0].Code=TrafficParking\nEvents[0].PlateNumber=粤BD12345\nEvents[0].PlateColor=Green\n",
		want: []plate.Read{{Plate: "粤BD12345", Color: "green", Type: "new-energy", Time: now}}},
	{name: "double yellow", text: "Events[0].Code=TrafficJunction\nEvents[0].TrafficCar.PlateNumber=冀B12345\nEvents[0].TrafficCar.PlateColor=Yellow\nEvents[0].TrafficCar.PlateType=DoubleYellow\n",
		want: []plate.Read{{Plate: "冀B12345", Color: "yellow", Type: "double", Time: now}}},
	{name: "two events", text: "Events[0].Code=TrafficJunction\nEvents[0].TrafficCar.PlateNumber=浙F12345\nEvents[1].Code=TrafficJunction\nEvents[1].TrafficCar.PlateNumber=浙F12346\n",
		want: []plate.Read{{Plate: "浙F12345", Time: now}, {Plate: "浙F12346", Time: now}}},
	{name: "no plate", text: "Events[0].Code=TrafficJunction\nEvents[0].TrafficCar.PlateNumber=无车牌\n"},
	{name: "other event", text: "Events[0].Code=VideoMotion\nEvents[0].TrafficCar.PlateNumber=浙F12345\n"},
	{name: "not a plate", text: "Events[0].Code=TrafficJunction\nEvents[0].TrafficCar.PlateNumber=ABC123\n", bad: 1},
	{name: "garbage", text: "Events[x].Code=1\nEvents[0]Code\n=\nnothing\n"},
}

func TestEvents(t *testing.T) {
	for _, c := range eventCases {
		t.Run(c.name, func(t *testing.T) {
			reads, bad := decodeEvents([]byte(c.text), "exit-1", "front", now)
			if bad != c.bad || len(reads) != len(c.want) {
				t.Fatalf("reads %+v bad %d, want %d reads, bad %d", reads, bad, len(c.want), c.bad)
			}
			for i, w := range c.want {
				w.Lane, w.Camera, w.Vendor = "exit-1", "front", Vendor
				g := reads[i]
				if !g.Time.Equal(w.Time) {
					t.Errorf("time %v, want %v", g.Time, w.Time)
				}
				g.Time = w.Time
				if fmt.Sprint(g) != fmt.Sprint(w) {
					t.Errorf("read\n %+v\nwant\n %+v", g, w)
				}
			}
		})
	}
}

// mpart frames one part as the camera does.
func mpart(ctype string, body []byte, length bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--myboundary\r\nContent-Type: %s\r\n", ctype)
	if length {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	b.WriteString("\r\n")
	return b.Bytes()
}

type streamCase struct {
	name   string
	stream []byte
	reads  int
	scenes int // reads with the scene
	err    bool
}

var streamCases = []streamCase{
	{name: "event, picture, heartbeat", stream: bytes.Join([][]byte{mpart("text/plain", []byte(eventText), true), mpart("image/jpeg", scene, true), mpart("text/plain", []byte("Heartbeat"), true)}, nil), reads: 1, scenes: 1},
	{name: "no lengths", stream: bytes.Join([][]byte{mpart("text/plain", []byte(eventText), false), mpart("image/jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 0xFF, 0xD9}, false), []byte("--myboundary--\r\n")}, nil), reads: 1, scenes: 1},
	{name: "event without picture", stream: bytes.Join([][]byte{mpart("text/plain", []byte(eventText), true), mpart("text/plain", []byte("Heartbeat"), true)}, nil), reads: 1},
	{name: "junk before", stream: append([]byte("junk\r\n\r\n"), mpart("text/plain", []byte(eventText), true)...), reads: 1},
	{name: "heartbeats only", stream: bytes.Repeat(mpart("text/plain", []byte("Heartbeat"), true), 3)},
	{name: "cut short", stream: mpart("image/jpeg", scene, true)[:40], err: true},
	{name: "huge length", stream: []byte("--myboundary\r\nContent-Length: 999999999\r\n\r\n"), err: true},
	{name: "empty", stream: nil},
}

// consumeAll runs a stream through a client's consume.
func consumeAll(stream []byte) ([]plate.Read, error) {
	var reads []plate.Read
	c, err := New(plate.PullOptions{Camera: "front", Lane: "exit-1", URL: "http://camera", Sink: func(r plate.Read) { reads = append(reads, r) }, Now: func() time.Time { return now }}, Options{})
	if err != nil {
		panic(err)
	}
	err = c.consume(newParts(bytes.NewReader(stream), "myboundary"))
	return reads, err
}

func TestStream(t *testing.T) {
	for _, c := range streamCases {
		t.Run(c.name, func(t *testing.T) {
			reads, err := consumeAll(c.stream)
			if (err != nil) != c.err {
				t.Fatalf("err %v, want error %v", err, c.err)
			}
			scenes := 0
			for _, r := range reads {
				if r.SceneJPEG != nil {
					scenes++
				}
			}
			if len(reads) != c.reads || scenes != c.scenes {
				t.Fatalf("%d reads, %d with scene; want %d, %d", len(reads), scenes, c.reads, c.scenes)
			}
		})
	}
}

// fakeCamera is an ITC camera's HTTP side with digest authentication (MD5, qop=auth).
type fakeCamera struct {
	user, password string
	stream         func(w http.ResponseWriter, r *http.Request)
	mu             sync.Mutex
	opened         int
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func (f *fakeCamera) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Digest realm="Login to ITC", qop="auth", nonce="n0nce", opaque="op"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/snapManager.cgi":
		if r.URL.Query().Get("action") != "attachFileProc" || r.URL.Query().Get("Events") != "[TrafficJunction]" {
			http.Error(w, "bad query", 400)
			return
		}
		f.stream(w, r)
	case "/cgi-bin/snapshot.cgi":
		w.Write(scene)
	case "/cgi-bin/trafficSnap.cgi":
		if r.URL.Query().Get("action") == "openStrobe" {
			f.mu.Lock()
			f.opened++
			f.mu.Unlock()
			io.WriteString(w, "OK\r\n")
		}
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeCamera) authorized(r *http.Request) bool {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !ok {
		return false
	}
	p := map[string]string{}
	for _, kv := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		p[k] = strings.Trim(v, `"`)
	}
	ha1 := md5hex(f.user + ":Login to ITC:" + f.password)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	return p["username"] == f.user && p["response"] == md5hex(ha1+":n0nce:"+p["nc"]+":"+p["cnonce"]+":auth:"+ha2)
}

// heartbeats streams a first event with its picture, then heartbeats every beat until the
// request ends.
func heartbeats(beat time.Duration, event bool) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=myboundary")
		if event {
			w.Write(mpart("text/plain", []byte(eventText), true))
			w.Write(mpart("image/jpeg", scene, true))
		}
		w.(http.Flusher).Flush()
		t := time.NewTicker(beat)
		defer t.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-t.C:
				w.Write(mpart("text/plain", []byte("Heartbeat"), true))
				w.(http.Flusher).Flush()
			}
		}
	}
}

type sink struct {
	mu    sync.Mutex
	reads []plate.Read
	got   chan struct{}
}

func (s *sink) take(r plate.Read) {
	s.mu.Lock()
	s.reads = append(s.reads, r)
	s.mu.Unlock()
	select {
	case s.got <- struct{}{}:
	default:
	}
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestPullReconnectsWhenSilent(t *testing.T) {
	before := runtime.NumGoroutine()
	var log bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return log.Write(p) }), nil))
	cam := &fakeCamera{user: "admin", password: "Pw-9q!z", stream: heartbeats(time.Hour, true)} // silent after the event
	srv := httptest.NewServer(cam)
	sk := &sink{got: make(chan struct{}, 1)}
	c, err := New(plate.PullOptions{Camera: "front", Lane: "exit-1", URL: srv.URL, Username: "admin", Password: "Pw-9q!z", Sink: sk.take, Logger: logger, Now: func() time.Time { return now }},
		Options{Silence: 100 * time.Millisecond, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, "a reconnect after silence", func() bool { st := c.Status(); return st.Reconnects >= 1 && st.Reads >= 2 })
	st := c.Status()
	if !strings.Contains(st.LastError, "no data") {
		t.Errorf("last error %q", st.LastError)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.Close()
	sk.mu.Lock()
	r := sk.reads[0]
	sk.mu.Unlock()
	if r.Plate != "鄂A06654" || r.Camera != "front" || r.Lane != "exit-1" || !bytes.Equal(r.SceneJPEG, scene) {
		t.Errorf("read %+v", r)
	}
	mu.Lock()
	if strings.Contains(log.String(), "Pw-9q") {
		t.Errorf("log shows the password: %s", log.String())
	}
	mu.Unlock()
	waitFor(t, "no goroutine left", func() bool { return runtime.NumGoroutine() <= before })
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestPullWrongPassword(t *testing.T) {
	cam := &fakeCamera{user: "admin", password: "right", stream: heartbeats(time.Hour, false)}
	srv := httptest.NewServer(cam)
	defer srv.Close()
	c, _ := New(plate.PullOptions{Camera: "front", Lane: "exit-1", URL: srv.URL, Username: "admin", Password: "wrong-pw", Sink: func(plate.Read) {}, Logger: slog.New(slog.DiscardHandler)},
		Options{Backoff: time.Millisecond, AuthBackoff: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, "the login refused", func() bool { return strings.Contains(c.Status().LastError, "401") })
	time.Sleep(50 * time.Millisecond) // the auth backoff holds: no retries
	st := c.Status()
	cancel()
	<-done
	if st.Reconnects != 0 || st.State != plate.PullDown || strings.Contains(st.LastError, "wrong-pw") {
		t.Errorf("status %+v", st)
	}
}

func TestControl(t *testing.T) {
	cam := &fakeCamera{user: "admin", password: "pw"}
	srv := httptest.NewServer(cam)
	defer srv.Close()
	c, err := plate.NewControl(plate.ControlOptions{Camera: plate.Camera{ID: "front", Vendor: Vendor, URL: srv.URL, Username: "admin", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Snapshot.Snapshot(context.Background())
	if err != nil || !bytes.Equal(img, scene) {
		t.Fatalf("snapshot %d bytes, %v", len(img), err)
	}
	if err := c.Barrier.Open(context.Background()); err != nil || cam.opened != 1 {
		t.Fatalf("open: %v (opened %d)", err, cam.opened)
	}
	bad, _ := plate.NewControl(plate.ControlOptions{Camera: plate.Camera{ID: "front", Vendor: Vendor, URL: srv.URL, Username: "admin", Password: "nope"}})
	if err := bad.Barrier.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("open with a wrong password: %v", err)
	}
}

// TestCaptures decodes the event texts in testdata (see testdata/README.md).
func TestCaptures(t *testing.T) {
	for name, want := range map[string]string{"scribd-anpr-api-event.txt": "鄂A06654"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		reads, bad := decodeEvents(b, "exit-1", "front", now)
		if bad != 0 || len(reads) != 1 || reads[0].Plate != want {
			t.Errorf("%s: reads %+v, bad %d; want %s", name, reads, bad, want)
		}
	}
}

func FuzzEvents(f *testing.F) {
	for _, c := range eventCases {
		f.Add([]byte(c.text))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		reads, _ := decodeEvents(text, "exit-1", "front", now)
		for _, r := range reads {
			if _, err := plate.NormalizePlate(r.Plate); err != nil {
				t.Fatalf("read %q: %v", r.Plate, err)
			}
		}
	})
}

func FuzzStream(f *testing.F) {
	for _, c := range streamCases {
		f.Add(c.stream)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		reads, _ := consumeAll(stream)
		for _, r := range reads {
			if r.SceneJPEG != nil && !isJPEG(r.SceneJPEG) {
				t.Fatal("a scene that is not a JPEG")
			}
		}
	})
}

// BenchmarkStream measures events parsed per second: an event text part, its scene picture
// (50 KB) and a heartbeat, framed as the camera does.
func BenchmarkStream(b *testing.B) {
	pic := append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x55}, 50<<10)...), 0xFF, 0xD9)
	one := bytes.Join([][]byte{mpart("text/plain", []byte(eventText), true), mpart("image/jpeg", pic, true), mpart("text/plain", []byte("Heartbeat"), true)}, nil)
	stream := bytes.Repeat(one, 100)
	n := 0
	c, _ := New(plate.PullOptions{Camera: "front", Lane: "exit-1", URL: "http://camera", Sink: func(plate.Read) { n++ }}, Options{})
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.consume(newParts(bytes.NewReader(stream), "myboundary")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// TestReadWithoutPictureIsNotHeld: a camera that sends a plate event and no picture part (and no
// heartbeat for a minute) still has its read delivered, after PictureWait.
func TestReadWithoutPictureIsNotHeld(t *testing.T) {
	cam := &fakeCamera{user: "admin", password: "pw", stream: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=myboundary")
		w.Write(mpart("text/plain", []byte(eventText), true))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}}
	srv := httptest.NewServer(cam)
	defer srv.Close()
	got := make(chan plate.Read, 1)
	c, err := New(plate.PullOptions{Camera: "front", Lane: "exit-1", URL: srv.URL, Username: "admin", Password: "pw",
		Sink: func(r plate.Read) { got <- r }, Logger: slog.New(slog.DiscardHandler)},
		Options{Heartbeat: time.Minute, PictureWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case r := <-got:
		if r.Plate == "" || r.SceneJPEG != nil {
			t.Errorf("read %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read waited for a picture that never came")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
