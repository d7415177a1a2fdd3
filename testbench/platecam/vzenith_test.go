package platecam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// vzServer is the receiving side, written for the tests: it decodes AlarmInfoPlate pushes and
// heartbeats and answers with what answer returns.
type vzServer struct {
	mu         sync.Mutex
	pushes     []map[string]any // PlateResult objects
	heartbeats []map[string]string
	answer     func(kind string, plateid int, offline bool) string
}

func (s *vzServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var doc struct {
			A struct {
				SerialNo string `json:"serialno"`
				IPAddr   string `json:"ipaddr"`
				Result   struct {
					P map[string]any `json:"PlateResult"`
				} `json:"result"`
			} `json:"AlarmInfoPlate"`
		}
		if err := json.NewDecoder(r.Body).Decode(&doc); err != nil || doc.A.SerialNo == "" || doc.A.IPAddr == "" {
			http.Error(w, "bad", 400)
			return
		}
		p := doc.A.Result.P
		s.mu.Lock()
		s.pushes = append(s.pushes, p)
		s.mu.Unlock()
		io.WriteString(w, s.answer("push", int(p["plateid"].(float64)), p["isoffline"].(float64) == 1))
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		f := map[string]string{}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			f[p.FormName()] = string(b)
		}
		s.mu.Lock()
		s.heartbeats = append(s.heartbeats, f)
		s.mu.Unlock()
		io.WriteString(w, s.answer("heartbeat", 0, false))
	default:
		http.Error(w, "what", 415)
	}
}

func newVz(t *testing.T, answer func(kind string, plateid int, offline bool) string) (*vzServer, *VzenithCamera) {
	s := &vzServer{answer: answer}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, &VzenithCamera{URL: ts.URL + "/v1/plate/vzenith/exit-1", User: "admin", Password: "cam-secret"}
}

func TestVzenithPush(t *testing.T) {
	s, cam := newVz(t, func(string, int, bool) string { return `{"Response_AlarmInfoPlate":{"info":"no"}}` })
	at := time.Date(2026, 11, 27, 21, 14, 3, 687772000, time.FixedZone("CST", 8*3600))
	reply, err := cam.Push(context.Background(), VzenithRead{Plate: "粤Z9065澳", ColorType: 4, Type: 4, Confidence: 91, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	if !reply.HasResult || reply.Info != "no" || len(cam.Barriers()) != 0 {
		t.Errorf("reply %+v, barriers %v", reply, cam.Barriers())
	}
	p := s.pushes[0]
	if p["license"] != "粤Z9065澳" || p["colorType"] != 4.0 || p["type"] != 4.0 || p["confidence"] != 91.0 || p["isoffline"] != 0.0 || p["plateid"] != 21085.0 {
		t.Errorf("PlateResult %v", p)
	}
	tv := p["timeStamp"].(map[string]any)["Timeval"].(map[string]any)
	if tv["sec"] != float64(at.Unix()) || tv["usec"] != 687772.0 {
		t.Errorf("Timeval %v", tv)
	}
	for _, k := range []string{"imageFile", "imageFragmentFile"} {
		b, err := base64.StdEncoding.DecodeString(p[k].(string))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		if p[k+"Len"] != float64(len(b)) {
			t.Errorf("%sLen = %v, %d bytes", k, p[k+"Len"], len(b))
		}
	}
	// The next read gets the next plate id; the body keeps the document's field order.
	body, _ := cam.Body(VzenithRead{Plate: "浙F12345"})
	if !bytes.HasPrefix(body, []byte(`{"AlarmInfoPlate":{"channel":0,"deviceName":"R5-V1.0","ipaddr":"192.168.55.131","serialno":"fe71e106-57263272"`)) ||
		!bytes.Contains(body, []byte(`"PlateResult":{"license":"浙F12345","colorType":0,"type":1,"confidence":96`)) || !bytes.Contains(body, []byte(`"plateid":21086`)) {
		t.Errorf("body %.300s", body)
	}
}

func TestVzenithReplies(t *testing.T) {
	cases := []struct {
		answer  string
		actions []string
		err     bool
	}{
		{`{"Response_AlarmInfoPlate":{"info":"ok","content":"retransfer_stop","is_pay":"true"}}`, []string{"open"}, false},
		{`{"Response_AlarmInfoPlate":{"info":"no","ivs_ioctrl":{"io":0,"value":2,"delay":500}}}`, []string{"io"}, false},
		{`{"Response_AlarmInfoPlate":{"ivs_ioctrl":{"io":"1","value":"2","delay":"500"}}}`, []string{"io"}, false},
		{`{"status":"ok"}`, nil, false},
		{``, nil, false},
		{`<html>`, nil, true},
	}
	for _, tc := range cases {
		var got []BarrierCommand
		_, cam := newVz(t, func(string, int, bool) string { return tc.answer })
		cam.OnBarrier = func(c BarrierCommand) { got = append(got, c) }
		_, err := cam.Push(context.Background(), VzenithRead{Plate: "浙F12345", Image: []byte{}, Fragment: []byte{}})
		if (err != nil) != tc.err {
			t.Errorf("%s: err %v", tc.answer, err)
		}
		var actions []string
		for _, c := range cam.Barriers() {
			actions = append(actions, c.Action)
			if c.Vendor != "vzenith" || c.Raw != tc.answer || c.Time.IsZero() {
				t.Errorf("%s: %+v", tc.answer, c)
			}
		}
		if strings.Join(actions, ",") != strings.Join(tc.actions, ",") || len(got) != len(tc.actions) {
			t.Errorf("%s: barrier commands %v (OnBarrier %d)", tc.answer, actions, len(got))
		}
	}
	r, _ := ParseVzenithReply([]byte(`{"Response_AlarmInfoPlate":{"info":"no","ivs_ioctrl":{"io":"1","value":"2","delay":"500"},"ContinuePushOffline":{"plateid":"7","continue":1}}}`))
	if *r.IOCtrl != (VzenithIOCtrl{IO: 1, Value: 2, Delay: 500}) || *r.Continue != (VzenithContinue{PlateID: 7, Continue: 1}) {
		t.Errorf("reply %+v", r)
	}
}

func TestVzenithHeartbeat(t *testing.T) {
	s, cam := newVz(t, func(kind string, _ int, _ bool) string {
		return `{"Response_AlarmInfoPlate":{"info":"ok"}}` // a guard opened the barrier from the server
	})
	cam.Channel = 1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	n := 0
	go func() {
		cam.RunHeartbeats(ctx, 0, func(VzenithReply, error) {
			if n++; n == 3 {
				cancel()
			}
		})
		close(done)
	}()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.heartbeats) < 3 {
		t.Fatalf("%d heartbeats", len(s.heartbeats))
	}
	want := map[string]string{"device_name": "R5-V1.0", "ipaddr": "192.168.55.131", "port": "80", "user_name": "admin",
		"pass_wd": "cam-secret", "serialno": "fe71e106-57263272", "channel_num": "1"}
	for k, v := range want {
		if s.heartbeats[0][k] != v {
			t.Errorf("heartbeat %s = %q, want %q", k, s.heartbeats[0][k], v)
		}
	}
	if len(cam.Barriers()) < 3 {
		t.Errorf("barriers %v", cam.Barriers())
	}
}

func TestVzenithOffline(t *testing.T) {
	for _, twice := range []bool{false, true} {
		stopAt := 3 // the server stops the resend after the third record
		s, cam := newVz(t, func(_ string, id int, offline bool) string {
			if !offline {
				return `{"Response_AlarmInfoPlate":{"info":"no"}}`
			}
			cont := 1
			if id == 21085+stopAt-1 {
				cont = 0
			}
			b, _ := json.Marshal(map[string]any{"Response_AlarmInfoPlate": map[string]any{"info": "no",
				"ContinuePushOffline": map[string]any{"plateid": id, "continue": cont}}})
			return string(b)
		})
		cam.SendTwice = twice
		for i := 0; i < 5; i++ {
			if err := cam.Fail(VzenithRead{Plate: "浙F1234" + string(rune('0'+i)), Image: []byte{}, Fragment: []byte{}}); err != nil {
				t.Fatal(err)
			}
		}
		sent, err := cam.SendOffline(context.Background())
		if err != nil || sent != 3 || cam.Backlog() != 2 {
			t.Fatalf("twice %v: sent %d, backlog %d, err %v", twice, sent, cam.Backlog(), err)
		}
		per := 1
		if twice {
			per = 2
		}
		if len(s.pushes) != 3*per {
			t.Fatalf("twice %v: %d pushes", twice, len(s.pushes))
		}
		for i, p := range s.pushes {
			if p["isoffline"] != 1.0 || p["plateid"] != float64(21085+i/per) {
				t.Errorf("push %d: isoffline %v plateid %v", i, p["isoffline"], p["plateid"])
			}
		}
		// A reply naming another plateid stops the resend too.
		stopAt = 100
		s.answer = func(string, int, bool) string {
			return `{"Response_AlarmInfoPlate":{"info":"no","ContinuePushOffline":{"plateid":1,"continue":1}}}`
		}
		if sent, _ := cam.SendOffline(context.Background()); sent != 1 || cam.Backlog() != 1 {
			t.Errorf("wrong plateid: sent %d, backlog %d", sent, cam.Backlog())
		}
	}
}
