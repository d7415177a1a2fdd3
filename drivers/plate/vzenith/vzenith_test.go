package vzenith

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

var received = platetest.Received

// testJPEG is a noisy w×h picture, so that its size is like a camera's.
func testJPEG(w, h int, seed uint64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(r.IntN(256)), uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

var (
	scene    = testJPEG(64, 48, 1)
	crop     = testJPEG(16, 8, 2)
	scene64  = base64.StdEncoding.EncodeToString(scene)
	crop64   = base64.StdEncoding.EncodeToString(crop)
	camClock = time.Unix(1686299994, 687772000).In(received.Location())
)

// alarmBody is an AlarmInfoPlate push; fields is the PlateResult's JSON members.
func alarmBody(fields string) string {
	return `{"AlarmInfoPlate":{"channel":0,"deviceName":"IVS","ipaddr":"192.168.1.100","serialno":"eff50e18-e3d3862b","result":{"PlateResult":{` + fields + `}}}}`
}

type pushCase struct {
	name   string
	ctype  string // default application/json
	body   string
	status int
	reason string      // Stats.Rejected key
	want   *plate.Read // the read taken, nil for none
	reply  []string    // in the reply
}

var pushCases = []pushCase{
	{name: "doc example", body: alarmBody(`"license":"浙F12345","colorType":2,"type":4,"confidence":96,"plateid":21085,"isoffline":0,"triggerType":4,` +
		`"timeStamp":{"Timeval":{"sec":1686299994,"usec":687772}},"imageFile":"` + scene64 + `","imageFragmentFile":"` + crop64 + `"`),
		status: 200, want: &plate.Read{Plate: "浙F12345", Color: "yellow", Type: "double", Confidence: 0.96, Time: camClock, Key: "21085", SceneJPEG: scene, ImageJPEG: crop},
		reply: []string{`"info":"no"`, `"plateid":21085`, `retransfer_stop`}},
	{name: "offline record", body: alarmBody(`"license":"苏A8HK52","colorType":1,"type":1,"plateid":7,"isoffline":1,"timeStamp":{"Timeval":{"sec":1686299994,"usec":687772}}`),
		status: 200, want: &plate.Read{Plate: "苏A8HK52", Color: "blue", Time: camClock, Key: "7", Late: true},
		reply: []string{`"ContinuePushOffline":{"plateid":7,"continue":1}`}},
	{name: "new energy", body: alarmBody(`"license":"粤BD12345","colorType":5,"type":19,"plateid":8`),
		status: 200, want: &plate.Read{Plate: "粤BD12345", Color: "green", Type: "new-energy", Time: received, Key: "8"}},
	{name: "large new energy", body: alarmBody(`"license":"粤BD12346","colorType":6,"type":20,"plateid":9`),
		status: 200, want: &plate.Read{Plate: "粤BD12346", Color: "yellow-green", Type: "new-energy", Time: received, Key: "9"}},
	{name: "colour word, strings for numbers", body: alarmBody(`"license":"黄浙F12346","colorType":"0","type":"3","confidence":"88","plateid":"10"`),
		status: 200, want: &plate.Read{Plate: "浙F12346", Color: "yellow", Confidence: 0.88, Time: received, Key: "10"}},
	{name: "base64 license", body: alarmBody(`"license":"6LWjR1o3UzEz","colorType":1`),
		status: 200, want: &plate.Read{Plate: "赣GZ7S13", Color: "blue", Time: received}},
	{name: "broken picture dropped", body: alarmBody(`"license":"浙F12347","imageFile":"/9j/4A==","imageFragmentFile":"not base64"`),
		status: 200, want: &plate.Read{Plate: "浙F12347", Time: received}},
	{name: "data URL picture", body: alarmBody(`"license":"浙F12348","imageFile":"data:image/jpeg;base64,` + scene64 + `"`),
		status: 200, want: &plate.Read{Plate: "浙F12348", Time: received, SceneJPEG: scene}},
	{name: "no plate", body: alarmBody(`"license":"_无_","plateid":123,"isoffline":1`),
		status: 200, reply: []string{`"info":"no"`, `"ContinuePushOffline":{"plateid":123,"continue":1}`}},
	{name: "not a plate", body: alarmBody(`"license":"ABC123","plateid":124,"isoffline":1`),
		status: 200, reason: plate.ReasonPlate, reply: []string{`"info":"no"`, `"continue":1`}},
	{name: "IO trigger", body: `{"AlarmGioIn":{"deviceName":"IVS","result":{"TriggerResult":{"source":3,"value":1}}}}`, status: 200, reply: []string{`"info":"no"`}},
	{name: "JSON as form", ctype: "application/x-www-form-urlencoded", body: alarmBody(`"license":"浙F12349"`),
		status: 200, want: &plate.Read{Plate: "浙F12349", Time: received}},
	{name: "urlencoded heartbeat", ctype: "application/x-www-form-urlencoded", body: "device_name=IVS&ipaddr=192.168.1.100&port=80&user_name=admin&pass_wd=Zq9-pw%21x&serialno=eff50e18&channel_num=1",
		status: 200, reply: []string{`"info":"no"`}},

	{name: "malformed JSON", body: `{"AlarmInfoPlate":{`, status: 400, reason: plate.ReasonJSON, reply: []string{`"info":"no"`, `"error":"malformed JSON`}},
	{name: "unknown message", body: `{"x":1}`, status: 400, reason: plate.ReasonMalformed, reply: []string{`"info":"no"`}},
	{name: "no PlateResult", body: `{"AlarmInfoPlate":{"result":{}}}`, status: 400, reason: plate.ReasonMalformed},
	{name: "wrong type", body: alarmBody(`"license":7`), status: 400, reason: plate.ReasonJSON},
	{name: "empty form", ctype: "application/x-www-form-urlencoded", body: ``, status: 400, reason: plate.ReasonBody},
	{name: "form without fields", ctype: "application/x-www-form-urlencoded", body: `a=b`, status: 400, reason: plate.ReasonMalformed},
	{name: "other content type", ctype: "image/png", body: `x`, status: 415, reason: plate.ReasonContentType},
}

// post sends body to the server's vzenith path of lane.
func post(t testing.TB, base, lane, ctype, body string) (int, string) {
	t.Helper()
	if ctype == "" {
		ctype = "application/json"
	}
	res, err := http.Post(base+plate.Path+"/vzenith/"+lane, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// serve runs a test server; it logs to log when given.
func serve(t *testing.T, log io.Writer) (string, *plate.Server, *platetest.Sink) {
	t.Helper()
	var s *plate.Server
	var sk *platetest.Sink
	if log == nil {
		s, sk = platetest.NewServer(0)
	} else {
		sk = &platetest.Sink{}
		s = plate.NewServer(plate.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Lanes: map[string]func(plate.Read) error{"exit-1": sk.Take, "entry-1": sk.Take}, Now: func() time.Time { return received }})
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, s, sk
}

func TestPushCases(t *testing.T) {
	for _, c := range pushCases {
		t.Run(c.name, func(t *testing.T) {
			base, s, sk := serve(t, nil)
			status, reply := post(t, base, "exit-1", c.ctype, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d; reply %s", status, c.status, reply)
			}
			if got := s.Stats().Rejected[c.reason]; c.reason != "" && got != 1 {
				t.Errorf("rejected[%s] = %d, want 1 (%v)", c.reason, got, s.Stats().Rejected)
			}
			if !strings.HasPrefix(reply, `{"Response_AlarmInfoPlate":{`) || strings.Contains(reply, `"info":"ok"`) {
				t.Errorf("reply %s", reply)
			}
			for _, w := range c.reply {
				if !strings.Contains(reply, w) {
					t.Errorf("reply %s lacks %s", reply, w)
				}
			}
			reads := sk.All()
			if c.want == nil {
				if len(reads) != 0 {
					t.Fatalf("reads %+v, want none", reads)
				}
				return
			}
			if len(reads) != 1 {
				t.Fatalf("%d reads, want 1", len(reads))
			}
			want := *c.want
			want.Lane, want.Vendor = "exit-1", Vendor
			if err := same(reads[0], want); err != nil {
				t.Error(err)
			}
		})
	}
}

func same(got, want plate.Read) error {
	if !bytes.Equal(got.SceneJPEG, want.SceneJPEG) || !bytes.Equal(got.ImageJPEG, want.ImageJPEG) {
		return fmt.Errorf("pictures: scene %d bytes, plate %d; want %d, %d", len(got.SceneJPEG), len(got.ImageJPEG), len(want.SceneJPEG), len(want.ImageJPEG))
	}
	got.SceneJPEG, got.ImageJPEG, want.SceneJPEG, want.ImageJPEG = nil, nil, nil, nil
	if !got.Time.Equal(want.Time) {
		return fmt.Errorf("time %v, want %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("read\n %+v\nwant\n %+v", got, want)
	}
	return nil
}

func TestGB18030(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(alarmBody(`"license":"浙F12345","colorType":2`))
	if err != nil {
		t.Fatal(err)
	}
	base, _, sk := serve(t, nil)
	if status, reply := post(t, base, "exit-1", "", gb); status != 200 {
		t.Fatalf("status %d: %s", status, reply)
	}
	if r := sk.All(); len(r) != 1 || r[0].Plate != "浙F12345" {
		t.Fatalf("reads %+v", r)
	}
}

// heartbeatForm is a multipart heartbeat as the camera sends it.
func heartbeatForm(t testing.TB, password, serial string) (string, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range [][2]string{{"device_name", "IVS"}, {"ipaddr", "192.168.1.100"}, {"port", "80"}, {"user_name", "admin"}, {"pass_wd", password}, {"serialno", serial}, {"channel_num", "1"}} {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	return mw.FormDataContentType(), b.String()
}

func TestHeartbeatPasswordNeverShown(t *testing.T) {
	const pw = "Zq9-pw!x"
	var log bytes.Buffer
	base, s, sk := serve(t, &log)
	ctype, form := heartbeatForm(t, pw, "fe71e106-57263272")
	bodies := []struct{ ctype, body string }{
		{ctype, form},
		{"application/x-www-form-urlencoded", "device_name=IVS&user_name=admin&pass_wd=" + pw + "&serialno=x1"},
		{ctype, form[:len(form)/2]}, // cut short: malformed
		{"application/x-www-form-urlencoded", "user_name=admin&pass_wd=" + pw + "%zz"}, // bad escape
		{"multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"pass_wd\"\r\n\r\n" + pw},
	}
	for _, b := range bodies {
		_, reply := post(t, base, "exit-1", b.ctype, b.body)
		if strings.Contains(reply, pw) || strings.Contains(reply, "admin") {
			t.Errorf("reply %s shows the login", reply)
		}
	}
	if strings.Contains(log.String(), pw) || strings.Contains(log.String(), "Zq9") {
		t.Errorf("log shows the password:\n%s", log.String())
	}
	if len(sk.All()) != 0 || s.Stats().Accepted < 2 {
		t.Errorf("reads %v, stats %+v", sk.All(), s.Stats())
	}
}

// control builds a Vzenith control for a camera of lane at url, on Default (the server's).
func control(t *testing.T, id, lane, url string) *Barrier {
	t.Helper()
	c, err := plate.NewControl(plate.ControlOptions{Camera: plate.Camera{ID: id, Lane: lane, Vendor: Vendor, URL: url}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Snapshot != nil {
		t.Error("a Vzenith control has no snapshot")
	}
	t.Cleanup(func() {
		Default.mu.Lock()
		defer Default.mu.Unlock()
		for i, m := range Default.boxes {
			if m == c.Barrier.(*Barrier).box {
				Default.boxes = append(Default.boxes[:i], Default.boxes[i+1:]...)
				break
			}
		}
	})
	return c.Barrier.(*Barrier)
}

// waiting waits until b has an open command queued.
func waiting(t *testing.T, b *Barrier) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b.box.mu.Lock()
		n := len(b.box.waiters)
		b.box.mu.Unlock()
		if n > 0 {
			return
		}
	}
	t.Fatal("the open command was never queued")
}

func TestBarrierOpensOnNextPoll(t *testing.T) {
	base, _, _ := serve(t, nil)
	b := control(t, "front", "entry-1", "http://127.0.0.1:80")
	ctype, form := heartbeatForm(t, "pw", "sn-1")
	if _, reply := post(t, base, "entry-1", ctype, form); !strings.Contains(reply, `"info":"no"`) {
		t.Fatalf("idle poll: %s", reply)
	}
	for _, next := range []struct{ ctype, body string }{{ctype, form}, {"", alarmBody(`"license":"浙F12345","plateid":5`)}} {
		done := make(chan error, 1)
		go func() { done <- b.Open(context.Background()) }()
		waiting(t, b)
		if _, reply := post(t, base, "entry-1", next.ctype, next.body); !strings.Contains(reply, `"info":"ok"`) {
			t.Fatalf("poll with an open waiting: %s", reply)
		}
		if err := <-done; err != nil {
			t.Fatalf("Open: %v", err)
		}
		if _, reply := post(t, base, "entry-1", ctype, form); strings.Contains(reply, `"info":"ok"`) {
			t.Fatalf("the command was given twice: %s", reply)
		}
	}
}

func TestBarrierTimesOutAndWithdraws(t *testing.T) {
	base, _, _ := serve(t, nil)
	b := control(t, "front", "entry-1", "http://127.0.0.1")
	other := control(t, "back", "entry-1", "http://192.0.2.7")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := b.Open(ctx); !errors.Is(err, ErrNoPoll) {
		t.Fatalf("Open without a poll: %v", err)
	}
	ctype, form := heartbeatForm(t, "pw", "sn-2")
	if _, reply := post(t, base, "entry-1", ctype, form); strings.Contains(reply, `"info":"ok"`) {
		t.Fatalf("a withdrawn command was given: %s", reply)
	}
	// Another camera's open is not given to this one.
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		done <- other.Open(ctx)
	}()
	waiting(t, other)
	if _, reply := post(t, base, "entry-1", ctype, form); strings.Contains(reply, `"info":"ok"`) {
		t.Fatalf("camera front was given back's open: %s", reply)
	}
	if _, reply := post(t, base, "exit-1", ctype, form); strings.Contains(reply, `"info":"ok"`) {
		t.Fatalf("another lane was given back's open: %s", reply)
	}
	if err := <-done; !errors.Is(err, ErrNoPoll) {
		t.Fatalf("back's Open: %v", err)
	}
}

func TestOfflineResendAndBusy(t *testing.T) {
	base, _, sk := serve(t, nil)
	rec := alarmBody(`"license":"浙F54321","plateid":9001,"isoffline":1,"timeStamp":{"Timeval":{"sec":1700000000,"usec":5}}`)
	sk.SetBusy(errors.New("full"))
	status, reply := post(t, base, "entry-1", "", rec)
	if status != 503 || strings.Contains(reply, "continue") || strings.Contains(reply, `"info":"ok"`) {
		t.Fatalf("busy: %d %s", status, reply)
	}
	sk.SetBusy(nil)
	for i := range 2 {
		status, reply := post(t, base, "entry-1", "", rec)
		if status != 200 || !strings.Contains(reply, `"ContinuePushOffline":{"plateid":9001,"continue":1}`) {
			t.Fatalf("send %d: %d %s", i, status, reply)
		}
	}
	if n := len(sk.All()); n != 1 {
		t.Fatalf("%d reads from a record sent twice, want 1", n)
	}
	// The same plateid with another time is a new record (a reset camera's counter).
	post(t, base, "entry-1", "", strings.Replace(rec, `"sec":1700000000`, `"sec":1700000100`, 1))
	if n := len(sk.All()); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}
}

func TestDedupeBounded(t *testing.T) {
	d := New(Options{Dedupe: 3})
	for i := range 5 {
		d.remember("sn:a", record{id: fmt.Sprint(i)})
	}
	for i, want := range []bool{false, false, true, true, true} {
		if got := d.taken("sn:a", record{id: fmt.Sprint(i)}); got != want {
			t.Errorf("record %d taken = %v, want %v", i, got, want)
		}
	}
	if d.taken("sn:b", record{id: "4"}) {
		t.Error("records are per camera")
	}
	if n := len(d.seen["sn:a"].set); n != 3 {
		t.Errorf("%d remembered, want 3", n)
	}
}

// TestStatesDoNotLeak checks that every Decode's state is taken by its Reply.
func TestStatesDoNotLeak(t *testing.T) {
	base, _, _ := serve(t, nil)
	var wg sync.WaitGroup
	for _, c := range pushCases {
		wg.Add(1)
		go func() { defer wg.Done(); post(t, base, "exit-1", c.ctype, c.body) }()
	}
	wg.Wait()
	if n := Default.live.Load(); n != 0 {
		t.Errorf("%d states left after every reply", n)
	}
}

// TestCaptures decodes the real pushes in testdata (see testdata/README.md).
func TestCaptures(t *testing.T) {
	want := map[string]string{"vzenith-doc-push.json": "粤Z9065澳"}
	for name, p := range want {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		base, _, sk := serve(t, nil)
		if status, reply := post(t, base, "exit-1", "", string(raw)); status != 200 {
			t.Fatalf("%s: %d %s", name, status, reply)
		}
		if r := sk.All(); len(r) != 1 || r[0].Plate != p {
			t.Errorf("%s: reads %+v, want %s", name, r, p)
		}
	}
}

func FuzzPush(f *testing.F) {
	for _, c := range pushCases {
		f.Add(c.ctype, []byte(c.body))
	}
	ctype, form := heartbeatForm(f, "pw", "sn")
	f.Add(ctype, []byte(form))
	d := New(Options{})
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/plate/vzenith/exit-1", bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		push := plate.Push{Request: r, Lane: "exit-1", Received: received, Serves: func(string) bool { return true }}
		reads, err := d.Decode(push)
		var rej *plate.Rejection
		if err != nil && !errors.As(err, &rej) {
			t.Fatalf("error %v is not a rejection", err)
		}
		for _, rd := range reads {
			if _, err := plate.NormalizePlate(rd.Plate); err != nil {
				t.Fatalf("read %q: %v", rd.Plate, err)
			}
			if rd.SceneJPEG != nil && !isJPEG(rd.SceneJPEG) || rd.ImageJPEG != nil && !isJPEG(rd.ImageJPEG) {
				t.Fatal("a picture that is not a JPEG")
			}
		}
		w := httptest.NewRecorder()
		d.ReplyPush(w, push, reads, rej)
		if strings.Contains(w.Body.String(), `"info":"ok"`) {
			t.Fatalf("reply opens the barrier: %s", w.Body.String())
		}
	})
}

// BenchmarkPush measures reads per second of a push with two ~50 KB pictures.
func BenchmarkPush(b *testing.B) {
	pic := testJPEG(400, 300, 3)
	b.Logf("picture %d bytes", len(pic))
	big := base64.StdEncoding.EncodeToString(pic)
	// No plateid: the same record decoded again would be a resend.
	body := []byte(alarmBody(`"license":"浙F12345","colorType":2,"type":4,"confidence":96,"isoffline":0,` +
		`"timeStamp":{"Timeval":{"sec":1686299994,"usec":687772}},"imageFile":"` + big + `","imageFragmentFile":"` + big + `"`))
	d := New(Options{})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/v1/plate/vzenith/exit-1", bytes.NewReader(body))
		push := plate.Push{Request: r, Lane: "exit-1", Received: received}
		reads, err := d.Decode(push)
		if err != nil || len(reads) != 1 || reads[0].SceneJPEG == nil {
			b.Fatalf("%v %v", reads, err)
		}
		d.ReplyPush(httptest.NewRecorder(), push, reads, nil)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
