package cli_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/cli"
	"sitegate/testbench/platecam"
)

// startCmd runs a command until the test ends (or until it exits by itself), and returns its
// output and a channel with its exit code.
func startCmd(t *testing.T, args ...string) (*lockedBuffer, <-chan int, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, args, out, out) }()
	t.Cleanup(cancel)
	return out, done, cancel
}

func waitOutput(t *testing.T, out *lockedBuffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in output:\n%s", re, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// digest answers a camera's digest challenge, as the agent's side would.
func digest(t *testing.T, method, url, user, password, body string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if method != "GET" {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		resp, err = http.DefaultClient.Do(req)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ch := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(resp.Header.Get("WWW-Authenticate"), -1) {
		ch[m[1]] = m[2]
	}
	h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	uri := req.URL.RequestURI()
	resp2 := h(h(user+":"+ch["realm"]+":"+password) + ":" + ch["nonce"] + ":00000001:c0ffee:auth:" + h(method+":"+uri))
	req.Header.Set("Authorization", fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=00000001, cnonce="c0ffee", response="%s"`, user, ch["realm"], ch["nonce"], uri, resp2))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestEmulatePlatecamPush(t *testing.T) {
	var mu sync.Mutex
	var paths, types []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		types = append(types, r.Header.Get("Content-Type"))
		mu.Unlock()
		if strings.Contains(r.URL.Path, "vzenith") {
			var doc struct {
				A struct {
					R struct {
						P struct {
							PlateID, IsOffline int
						} `json:"PlateResult"`
					} `json:"result"`
				} `json:"AlarmInfoPlate"`
			}
			json.Unmarshal(b, &doc)
			p := doc.A.R.P
			if p.IsOffline == 1 {
				fmt.Fprintf(w, `{"Response_AlarmInfoPlate":{"info":"no","ContinuePushOffline":{"plateid":%d,"continue":1}}}`, p.PlateID)
				return
			}
			fmt.Fprint(w, `{"Response_AlarmInfoPlate":{"info":"ok"}}`)
		}
	}))
	defer ts.Close()
	cases := []struct {
		args  []string
		paths []string
		out   []string
	}{
		{[]string{"--vendor", "hikvision", "--color-word", "--count", "2", "--every", "10ms"},
			[]string{"/v1/plate/hikvision/exit-1", "/v1/plate/hikvision/exit-1"}, []string{"hikvision ANPR 苏A8HK52 (multipart/form-data, 3 parts)"}},
		{[]string{"--vendor", "vzenith", "--offline", "2", "--lane", "exit-2"},
			[]string{"/v1/plate/vzenith/exit-2", "/v1/plate/vzenith/exit-2", "/v1/plate/vzenith/exit-2"},
			[]string{"offline backlog: 2 of 2 resent", "barrier command: ", "vzenith barrier open"}},
		{[]string{"--vendor", "generic"}, []string{"/v1/plate"}, []string{"generic read 苏A8HK52 blue"}},
	}
	for _, tc := range cases {
		mu.Lock()
		paths, types = nil, nil
		mu.Unlock()
		out, done, _ := startCmd(t, append([]string{"emulate", "platecam", "--mode", "push", "--target", ts.URL, "--plate", "苏A8HK52"}, tc.args...)...)
		if code := <-done; code != cli.ExitOK {
			t.Fatalf("%v: exit %d\n%s", tc.args, code, out)
		}
		mu.Lock()
		if strings.Join(paths, " ") != strings.Join(tc.paths, " ") {
			t.Errorf("%v: paths %v", tc.args, paths)
		}
		mu.Unlock()
		for _, s := range tc.out {
			if !strings.Contains(out.String(), s) {
				t.Errorf("%v: no %q in\n%s", tc.args, s, out)
			}
		}
	}
}

func TestEmulatePlatecamPull(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	out, done, cancel := startCmd(t, "emulate", "platecam", "--vendor", "hikvision", "--mode", "pull", "--listen", "127.0.0.1:0",
		"--plate", "浙F12345", "--color", "yellow", "--every", "20ms", "--heartbeat", "50ms", "--password-file", pw)
	addr := waitOutput(t, out, regexp.MustCompile(`listening on (\S+):`))[1]
	resp := digest(t, "GET", "http://"+addr+"/ISAPI/Event/notification/alertStream", "admin", "s3cret", "")
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if strings.Contains(string(b), "<eventType>ANPR</eventType>") {
			if !strings.Contains(string(b), "<licensePlate>浙F12345</licensePlate>") {
				t.Errorf("alert %s", b)
			}
			break
		}
	}
	resp.Body.Close()
	resp = digest(t, "PUT", "http://"+addr+"/ISAPI/Parking/channels/1/barrierGate", "admin", "s3cret", "<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("barrier: %s", resp.Status)
	}
	waitOutput(t, out, regexp.MustCompile(`barrier command: .* hikvision barrier open`))
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestPlatecamRecordReplay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "front.jsonl")
	out, done, cancel := startCmd(t, "platecam", "record", "--listen", "127.0.0.1:0", "--out", file)
	addr := waitOutput(t, out, regexp.MustCompile(`recording pushes to http://(\S+) `))[1]
	cam := &platecam.VzenithCamera{URL: "http://" + addr + "/devicemanagement/php/plateresult.php", User: "admin", Password: "cam-secret"}
	if _, err := cam.Push(context.Background(), platecam.VzenithRead{Plate: "浙F12345", ColorType: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := cam.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, out, regexp.MustCompile(`POST /devicemanagement/php/plateresult.php multipart/form-data`))
	cancel()
	if code := <-done; code != cli.ExitOK || !strings.Contains(out.String(), "recorded 2 requests") {
		t.Fatalf("record exit %d\n%s", code, out)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), "cam-secret") {
		t.Error("the recording holds the camera's password")
	}
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		fmt.Fprint(w, `{"Response_AlarmInfoPlate":{"info":"no"}}`)
	}))
	defer ts.Close()
	out2, done2, _ := startCmd(t, "platecam", "replay", file, "--target", ts.URL+"/v1/plate/vzenith/exit-1")
	if code := <-done2; code != cli.ExitOK || len(got) != 2 || got[0] != "POST /v1/plate/vzenith/exit-1" {
		t.Fatalf("replay exit %d, got %v\n%s", code, got, out2)
	}
}

func TestEmulatePlatecamUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--vendor", "hikvision", "--mode", "push"},
		{"--vendor", "dahua", "--mode", "push", "--target", "http://x", "--plate", "浙F12345"},
		{"--vendor", "vzenith", "--mode", "pull", "--listen", ":0", "--plate", "浙F12345"},
		{"--vendor", "hikvision", "--mode", "push", "--target", "http://x", "--plate", "浙F12345", "--color", "pink"},
		{"--vendor", "hikvision", "--mode", "push", "--target", "http://x", "--plate", "浙F12345", "--offline", "3"},
	} {
		var out lockedBuffer
		if code := cli.Run(context.Background(), append([]string{"emulate", "platecam"}, args...), &out, &out); code != cli.ExitUsage {
			t.Errorf("%v: exit %d: %s", args, code, out.String())
		}
	}
	var out lockedBuffer
	if code := cli.Run(context.Background(), []string{"platecam"}, &out, &out); code != cli.ExitUsage || !strings.Contains(out.String(), "platecam record --listen ADDR --out FILE") {
		t.Errorf("platecam: %d %s", code, out.String())
	}
}
