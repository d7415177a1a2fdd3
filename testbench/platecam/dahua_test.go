package platecam

import (
	"bytes"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const dahuaAttach = "/cgi-bin/snapManager.cgi?action=attachFileProc&Flags[0]=Event&Events=[TrafficJunction]&heartbeat=5"

func newDahua(t *testing.T, o CameraOptions) (*DahuaCamera, *httptest.Server) {
	t.Helper()
	c, err := NewDahuaCamera(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(c.Handler())
	t.Cleanup(ts.Close)
	return c, ts
}

// dahuaFields parses a text part the way a receiver would: Key=Value lines.
func dahuaFields(b []byte) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimRight(l, "\r"), "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestDahuaStream(t *testing.T) {
	cam, ts := newDahua(t, CameraOptions{User: "admin", Password: "pw", Heartbeat: 20 * time.Millisecond})
	resp, err := http.Get(ts.URL + dahuaAttach)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no auth: %s", resp.Status)
	}
	resp = digestDo(t, "GET", ts.URL+dahuaAttach, "admin", "nope", "")
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong password: %s", resp.Status)
	}
	resp = digestDo(t, "GET", ts.URL+dahuaAttach, "admin", "pw", "")
	defer resp.Body.Close()
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != 200 || mt != "multipart/x-mixed-replace" || params["boundary"] != "myboundary" {
		t.Fatalf("stream: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	next := partReader(t, mr)
	if p, b := next(); string(b) != "Heartbeat" || p.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("first part %q %q", p.Header.Get("Content-Type"), b)
	}
	at := time.Date(2026, 11, 27, 21, 14, 3, 120e6, time.UTC)
	waitFor(t, "the stream", func() bool { return cam.Streams() == 1 })
	cam.Emit(DahuaEvent{Plate: "鄂A06654", Color: "yellow", PlateType: "Yellow", Confidence: 91, Time: at, Lane: 2})
	var f map[string]string
	for f == nil {
		if _, b := next(); string(b) != "Heartbeat" {
			f = dahuaFields(b)
		}
	}
	want := map[string]string{
		"Events[0].Code": "TrafficJunction", "Events[0].TrafficCar.PlateNumber": "鄂A06654",
		"Events[0].TrafficCar.PlateColor": "Yellow", "Events[0].TrafficCar.PlateType": "Yellow",
		"Events[0].Object.Text": "鄂A06654", "Events[0].Object.Confidence": "91",
		"Events[0].UTC": strconv.FormatInt(at.Unix(), 10), "Events[0].UTCMS": "120", "Events[0].Lane": "2",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
	p, b := next()
	if p.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("after the text: %q", p.Header.Get("Content-Type"))
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Error(err)
	}
	cam.Drop()
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			t.Fatal("clean end; want a broken part")
		}
		if err != nil {
			break
		}
		if _, err := io.ReadAll(p); err != nil {
			break
		}
	}
}

func TestDahuaRequests(t *testing.T) {
	cam, ts := newDahua(t, CameraOptions{})
	cases := []struct {
		path   string
		status int
		ctype  string
	}{
		{"/cgi-bin/snapshot.cgi?channel=1", 200, "image/jpeg"},
		{"/cgi-bin/snapshot.cgi?channel=7", 400, "text/plain;charset=utf-8"},
		{"/cgi-bin/trafficSnap.cgi?action=openStrobe&channel=1&info.openType=Normal", 200, "text/plain;charset=utf-8"},
		{"/cgi-bin/trafficSnap.cgi?action=closeStrobe&channel=1", 400, "text/plain;charset=utf-8"},
		{"/cgi-bin/snapManager.cgi?action=attachFileProc&Flags[0]=Event&Events=[TrafficJunction]&heartbeat=61", 400, "text/plain;charset=utf-8"},
		{"/cgi-bin/snapManager.cgi?action=attach", 400, "text/plain;charset=utf-8"},
		{"/cgi-bin/nothing.cgi", 404, "text/plain;charset=utf-8"},
	}
	for _, tc := range cases {
		resp := digestDo(t, "GET", ts.URL+tc.path, "admin", DefaultPassword, "")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %s %q %q", tc.path, resp.Status, resp.Header.Get("Content-Type"), b[:min(len(b), 40)])
		}
	}
	l := cam.Barriers()
	if len(l) != 1 || l[0].Action != "open" || l[0].Vendor != "dahua" || !strings.Contains(l[0].Raw, "info.openType=Normal") {
		t.Errorf("Barriers() = %+v", l)
	}
}

func TestDahuaSilentAndNoHeartbeat(t *testing.T) {
	cam, ts := newDahua(t, CameraOptions{})
	// Without heartbeat=N there are no heartbeats; a silent camera sends no events either.
	resp := digestDo(t, "GET", ts.URL+"/cgi-bin/snapManager.cgi?action=attachFileProc&Flags[0]=Event&Events=[TrafficJunction]", "admin", DefaultPassword, "")
	defer resp.Body.Close()
	waitFor(t, "the stream", func() bool { return cam.Streams() == 1 })
	cam.SetSilent(true)
	if n := cam.Emit(DahuaEvent{Plate: "浙F12345"}); n != 0 {
		t.Fatalf("silent camera emitted to %d", n)
	}
	cam.SetSilent(false)
	if n := cam.Emit(DahuaEvent{Plate: "浙F12345", Picture: []byte{}}); n != 1 {
		t.Fatalf("emitted to %d", n)
	}
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	p, err := multipart.NewReader(resp.Body, params["boundary"]).NextPart()
	if err != nil {
		t.Fatal(err)
	}
	// The stream stays open, so the part is read by its Content-Length, not to the next boundary.
	n, _ := strconv.Atoi(p.Header.Get("Content-Length"))
	b := make([]byte, n)
	if _, err := io.ReadFull(p, b); err != nil {
		t.Fatal(err)
	}
	if f := dahuaFields(b); f["Events[0].TrafficCar.PlateNumber"] != "浙F12345" || f["Events[0].TrafficCar.PlateColor"] != "Unknown" {
		t.Errorf("first part after silence: %s", b)
	}
}
