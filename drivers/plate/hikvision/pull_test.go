package hikvision

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

const (
	camUser  = "admin"
	camPass  = "s3cret-Pass"
	camRealm = "DS-TCG405"
	camNonce = "4e6b3a5c2d1f"
)

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// digestOK checks an Authorization header against RFC 7616 (MD5, qop=auth) for the camera's
// user and password.
func digestOK(r *http.Request) bool {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !ok {
		return false
	}
	p := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		p[k] = strings.Trim(val, `"`)
	}
	if p["username"] != camUser || p["realm"] != camRealm || p["nonce"] != camNonce || p["uri"] != r.URL.RequestURI() {
		return false
	}
	ha1 := md5hex(camUser + ":" + camRealm + ":" + camPass)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	return p["response"] == md5hex(strings.Join([]string{ha1, camNonce, p["nc"], p["cnonce"], p["qop"], ha2}, ":"))
}

// camera is an httptest camera demanding digest authentication. Each accepted stream
// connection is served by the next of streams (the last one repeats); a stream writes parts
// with the writer it is given.
type camera struct {
	srv     *httptest.Server
	streams []func(ctx context.Context, w *streamWriter)
	conns   atomic.Int32 // authenticated stream connections
	denied  atomic.Int32 // requests answered 401
	other   http.HandlerFunc
}

func newCamera(t *testing.T, streams ...func(ctx context.Context, w *streamWriter)) *camera {
	c := &camera{streams: streams}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !digestOK(r) {
			c.denied.Add(1)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", algorithm=MD5`, camRealm, camNonce))
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != AlertStreamPath {
			if c.other != nil {
				c.other(w, r)
				return
			}
			http.NotFound(w, r)
			return
		}
		n := int(c.conns.Add(1)) - 1
		w.Header().Set("Content-Type", "multipart/mixed; boundary=boundary")
		w.WriteHeader(http.StatusOK)
		sw := &streamWriter{w: w, f: w.(http.Flusher)}
		c.streams[min(n, len(c.streams)-1)](r.Context(), sw)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// streamWriter writes alertStream parts as the cameras do.
type streamWriter struct {
	w http.ResponseWriter
	f http.Flusher
}

func (s *streamWriter) part(ctype, name string, body []byte) {
	fmt.Fprintf(s.w, "--boundary\r\nContent-Type: %s\r\n", ctype)
	if name != "" {
		fmt.Fprintf(s.w, "Content-Disposition: attachment; filename=\"%s\"\r\n", name)
	}
	fmt.Fprintf(s.w, "Content-Length: %d\r\n\r\n", len(body))
	s.w.Write(body)
	s.w.Write([]byte("\r\n"))
	s.f.Flush()
}

func (s *streamWriter) heartbeat() {
	s.part(`application/xml; charset="UTF-8"`, "", []byte(strings.Replace(alertDoc("hikvision.com", "videoloss", "", ""), ">active<", ">inactive<", 1)))
}

func (s *streamWriter) anpr(plateText, extra string) {
	s.part(`application/xml; charset="UTF-8"`, "", []byte(alertDoc("hikvision.com", "ANPR", anpr(plateText, "blue"), extra)))
}

func tuning() Tuning {
	return Tuning{Silence: 300 * time.Millisecond, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AuthRetry: time.Hour, PictureWait: 50 * time.Millisecond}
}

// readSink collects the reads a pull client hands over.
type readSink struct {
	mu    sync.Mutex
	reads []plate.Read
}

func (s *readSink) take(r plate.Read) { s.mu.Lock(); s.reads = append(s.reads, r); s.mu.Unlock() }
func (s *readSink) all() []plate.Read {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]plate.Read(nil), s.reads...)
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runClient starts a pull client for cam with password and returns it, its sink and a stop
// function that cancels Run and checks it returned nil without leaving goroutines.
func runClient(t *testing.T, cam *camera, password string) (*Client, *readSink, func()) {
	t.Helper()
	before := runtime.NumGoroutine()
	sk := &readSink{}
	c, err := NewClient(plate.PullOptions{Camera: "front", Lane: "exit-1", URL: cam.srv.URL, Username: camUser, Password: password,
		Sink: sk.take, Logger: platetest.Quiet, Now: func() time.Time { return platetest.Received }}, tuning())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	return c, sk, func() {
		t.Helper()
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return")
		}
		cam.srv.CloseClientConnections()
		eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
	}
}

func TestPullStream(t *testing.T) {
	cam := newCamera(t,
		func(ctx context.Context, w *streamWriter) {
			w.heartbeat()
			w.anpr("浙F12345", "<UUID>r1</UUID><picNum>2</picNum>")
			w.part("image/jpeg", "licensePlatePicture.jpg", plateJPG)
			w.part("image/jpeg", "detectionPicture.jpg", sceneJPG)
			w.heartbeat()
			w.part("application/json", "", []byte(`{"eventType":"ANPR"}`)) // skipped
			w.anpr("蓝苏A8HK52", "<UUID>r2</UUID>")                          // no picNum: waits PictureWait
			w.part("image/jpeg", "", sceneJPG)
			w.anpr("HELLO", "")                                    // counted, no read
			w.part(`application/xml`, "", []byte("<EventNotific")) // malformed: counted
			w.heartbeat()
			// drop mid-part: the stream breaks and the client reconnects
			fmt.Fprintf(w.w, "--boundary\r\nContent-Type: application/xml\r\nContent-Length: 500\r\n\r\n<EventNotificationAlert>")
			w.f.Flush()
		},
		func(ctx context.Context, w *streamWriter) {
			w.anpr("京Q37MQ0", "<UUID>r3</UUID><picNum>0</picNum>")
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
					w.heartbeat()
				}
			}
		})
	c, sk, stop := runClient(t, cam, camPass)
	eventually(t, "three reads", func() bool { return len(sk.all()) == 3 })
	stop()
	reads := sk.all()
	if r := reads[0]; r.Plate != "浙F12345" || r.Key != "r1" || !sameJPEG(r.ImageJPEG, plateJPG) || !sameJPEG(r.SceneJPEG, sceneJPG) ||
		r.Lane != "exit-1" || r.Camera != "front" || r.Vendor != Vendor || r.Color != "blue" || r.Confidence != 0.97 {
		t.Errorf("read 1: %+v", r)
	}
	if r := reads[1]; r.Plate != "苏A8HK52" || r.Key != "r2" || !sameJPEG(r.ImageJPEG, sceneJPG) {
		t.Errorf("read 2: %+v", r)
	}
	if r := reads[2]; r.Plate != "京Q37MQ0" || r.Key != "r3" || r.ImageJPEG != nil {
		t.Errorf("read 3: %+v", r)
	}
	st := c.Status()
	if st.Reads != 3 || st.Rejected != 2 || st.Reconnects < 1 || st.State != plate.PullDown || st.Vendor != Vendor || st.Camera != "front" {
		t.Errorf("status %+v", st)
	}
	if !strings.Contains(st.LastError, "stream") {
		t.Errorf("last error %q does not say the stream broke", st.LastError)
	}
}

func sameJPEG(a, b []byte) bool { return string(a) == string(b) }

func TestPullSilence(t *testing.T) {
	cam := newCamera(t,
		func(ctx context.Context, w *streamWriter) {
			w.heartbeat()
			<-ctx.Done() // then nothing: the client must give up on it
		},
		func(ctx context.Context, w *streamWriter) {
			w.anpr("浙F12345", "<picNum>0</picNum>")
			<-ctx.Done()
		})
	c, sk, stop := runClient(t, cam, camPass)
	eventually(t, "the read after the silent stream", func() bool { return len(sk.all()) == 1 })
	st := c.Status()
	stop()
	if st.Reconnects < 1 || !strings.Contains(st.LastError, "silent") || st.State != plate.PullStreaming {
		t.Errorf("status %+v", st)
	}
}

func TestPullWrongPassword(t *testing.T) {
	cam := newCamera(t, func(ctx context.Context, w *streamWriter) { t.Error("stream opened with a wrong password") })
	c, _, stop := runClient(t, cam, "wrong-password")
	eventually(t, "the credentials error", func() bool { return c.Status().LastError != "" })
	// AuthRetry is an hour: no second attempt is made while the test runs.
	time.Sleep(50 * time.Millisecond)
	st := c.Status()
	stop()
	if !strings.Contains(st.LastError, "camera refused the credentials") || strings.Contains(st.LastError, "wrong-password") {
		t.Errorf("last error %q", st.LastError)
	}
	if n := cam.denied.Load(); n != 2 { // the challenge, then the digest answer refused
		t.Errorf("%d requests refused, want 2", n)
	}
	if st.State != plate.PullDown || st.Reconnects != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestPullRegistered(t *testing.T) {
	sk := &readSink{}
	c, err := plate.NewPull(Vendor, plate.PullOptions{Camera: "front", Lane: "exit-1", URL: "http://192.0.2.1", Sink: sk.take})
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.Vendor != Vendor || st.State != plate.PullConnecting {
		t.Errorf("status %+v", st)
	}
	if _, err := plate.NewPull(Vendor, plate.PullOptions{Camera: "front", URL: "ftp://x", Sink: sk.take}); err == nil {
		t.Error("ftp:// URL accepted")
	}
}

// bufResponse is an http.ResponseWriter that writes to a buffer, for framing streams offline.
type bufResponse struct{ *bytes.Buffer }

func (bufResponse) Header() http.Header { return http.Header{} }
func (bufResponse) WriteHeader(int)     {}

type nopFlusher struct{}

func (nopFlusher) Flush() {}
