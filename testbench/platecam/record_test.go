package platecam

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordReplay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "capture.jsonl")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(f)
	ts := httptest.NewServer(rec)
	defer ts.Close()

	// A Hikvision push with pictures, a Vzenith push, an offline resend and a heartbeat.
	plate, scene, _ := pictures(20000, 5)
	alert := HikvisionAlert{Plate: "苏A8HK52", Color: "blue", ColorWord: true, PlatePicture: plate, ScenePicture: scene, UUID: "u1", Time: time.Unix(1796000000, 0)}
	if err := HikvisionPush(context.Background(), ts.URL+"/v1/plate/hikvision/exit-1", alert, HikvisionPushOptions{}); err != nil {
		t.Fatal(err)
	}
	vz := &VzenithCamera{URL: ts.URL + "/v1/plate/vzenith/exit-1", User: "admin", Password: "cam-secret"}
	if r, err := vz.Push(context.Background(), VzenithRead{Plate: "浙F12345", ColorType: 2}); err != nil || r.Info != "no" {
		t.Fatalf("push: %+v %v", r, err)
	}
	vz.Fail(VzenithRead{Plate: "浙F22222"}, VzenithRead{Plate: "浙F33333"})
	if sent, err := vz.SendOffline(context.Background()); sent != 2 || err != nil {
		t.Fatalf("the recorder's answers did not carry the backlog through: sent %d, %v", sent, err)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/v1/plate/vzenith/exit-1", nil)
	req.SetBasicAuth("admin", "basic-secret")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if _, err := vz.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(vz.Barriers()) != 0 {
		t.Errorf("the recorder opened the barrier: %v", vz.Barriers())
	}
	f.Close()
	if rec.Count() != 6 || rec.Err() != nil {
		t.Fatalf("recorded %d, %v", rec.Count(), rec.Err())
	}
	raw, _ := os.ReadFile(file)
	for _, secret := range []string{"cam-secret", "basic-secret", "YWRtaW46YmFzaWMtc2VjcmV0"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the recording holds %q", secret)
		}
	}
	reqs, err := ReadRecording(file)
	if err != nil {
		t.Fatal(err)
	}
	ct, body := HikvisionPushBody(alert, HikvisionPushOptions{})
	if r := reqs[0]; r.Method != "POST" || r.Path != "/v1/plate/hikvision/exit-1" || r.Header["Content-Type"][0] != ct || r.BodyBase64 == nil || r.Time.IsZero() {
		t.Errorf("first request %s %s %v", r.Method, r.Path, r.Header)
	} else if len(r.Bytes()) != len(body) {
		t.Errorf("body %d bytes, sent %d", len(r.Bytes()), len(body))
	}
	if r := reqs[1]; !strings.Contains(r.Body, `"license":"浙F12345"`) {
		t.Errorf("vzenith push body %.100s", r.Body)
	}
	hb := reqs[5]
	if !strings.Contains(hb.Body, "name=\"pass_wd\"\r\n\r\n\r\n--") || !strings.Contains(hb.Body, "name=\"serialno\"\r\n\r\nfe71e106-57263272\r\n") {
		t.Errorf("heartbeat %q", hb.Body)
	}

	// Replay to a listener elsewhere: the same requests arrive there.
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r)
		bodies = append(bodies, b)
		mu.Unlock()
		if strings.Contains(r.URL.Path, "vzenith") {
			w.WriteHeader(400)
		}
	}))
	defer target.Close()
	answers, err := Replay(file, target.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 6 || len(got) != 6 || answers[0].Status != 200 || answers[1].Status != 400 {
		t.Fatalf("%d answers, %d requests", len(answers), len(got))
	}
	for i, r := range got {
		if r.URL.RequestURI() != reqs[i].Path || r.Header.Get("Content-Type") != http.Header(reqs[i].Header).Get("Content-Type") || !bytes.Equal(bodies[i], reqs[i].Bytes()) {
			t.Errorf("request %d: %s %s", i, r.Method, r.URL)
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("request %d carries Authorization", i)
		}
	}
	if !bytes.Equal(bodies[0], body) {
		t.Error("the Hikvision push did not replay byte for byte")
	}
	// A target with a path takes every request.
	got = nil
	if _, err := Replay(file, target.URL+"/v1/plate/hikvision/exit-2"); err != nil {
		t.Fatal(err)
	}
	if got[0].URL.Path != "/v1/plate/hikvision/exit-2" {
		t.Errorf("replayed to %s", got[0].URL.Path)
	}
}

func TestScrubBody(t *testing.T) {
	cases := []struct{ ct, in, want string }{
		{"multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"user_name\"\r\n\r\nadmin\r\n--X\r\nContent-Disposition: form-data; name=\"port\"\r\n\r\n80\r\n--X--\r\n",
			"--X\r\nContent-Disposition: form-data; name=\"user_name\"\r\n\r\n\r\n--X\r\nContent-Disposition: form-data; name=\"port\"\r\n\r\n80\r\n--X--\r\n"},
		{"application/x-www-form-urlencoded", "pass_wd=s3cret&serialno=1", "pass_wd=&serialno=1"},
		{"application/json", `{"pass_wd":"x"}`, `{"pass_wd":"x"}`},
		{"", "raw", "raw"},
	}
	for _, tc := range cases {
		if got := string(scrubBody(tc.ct, []byte(tc.in))); got != tc.want {
			t.Errorf("%s %q: got %q", tc.ct, tc.in, got)
		}
	}
}
