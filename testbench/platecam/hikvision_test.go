package platecam

import (
	"bytes"
	"context"
	"encoding/xml"
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

// anprDoc is the receiving side's view of an ANPR alert, matched on local names only.
type anprDoc struct {
	XMLName   xml.Name
	EventType string `xml:"eventType"`
	State     string `xml:"eventState"`
	DateTime  string `xml:"dateTime"`
	Retrans   bool   `xml:"isDataRetransmission"`
	PicNum    int    `xml:"picNum"`
	ANPR      struct {
		LicensePlate  string `xml:"licensePlate"`
		Original      string `xml:"originalLicensePlate"`
		PlateColor    string `xml:"plateColor"`
		PlateType     string `xml:"plateType"`
		Confidence    int    `xml:"confidenceLevel"`
		AlarmDataType int    `xml:"alarmDataType"`
		Pictures      []struct {
			FileName string `xml:"fileName"`
		} `xml:"pictureInfoList>pictureInfo"`
	} `xml:"ANPR"`
}

func TestPictureExactSize(t *testing.T) {
	for _, size := range []int{0, 5000, 20000, 78280, MaxPictureBytes} {
		b, err := Picture(320, 240, size, 7)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if size != 0 && len(b) != size {
			t.Errorf("size %d: got %d bytes", size, len(b))
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() != 320 {
			t.Errorf("size %d: not a 320-wide JPEG: %v", size, err)
		}
	}
	if _, err := Picture(320, 240, MaxPictureBytes+1, 1); err == nil {
		t.Error("a picture over the limit was made")
	}
	if _, err := Picture(320, 240, 100, 1); err == nil {
		t.Error("a 320x240 picture fitted in 100 bytes")
	}
}

func TestHikvisionPush(t *testing.T) {
	at := time.Date(2026, 11, 27, 21, 14, 3, 120e6, time.FixedZone("CST", 8*3600))
	plate, scene, err := pictures(78280, 3)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		contentType string
		body        []byte
	}
	reqs := make(chan got, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/plate/hikvision/exit-1" || r.Header.Get("Authorization") != "" {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		reqs <- got{r.Header.Get("Content-Type"), b}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("OK"))
	}))
	defer ts.Close()
	url := ts.URL + "/v1/plate/hikvision/exit-1"

	cases := []struct {
		name       string
		alert      HikvisionAlert
		opts       HikvisionPushOptions
		multipart  bool
		parts      []string // part names in order
		plate      string   // licensePlate as sent
		ns, color  string
		retrans    bool
		xmlPart    string
		sceneBytes int
	}{
		{name: "xml alone", alert: HikvisionAlert{Plate: "浙F12345", Color: "yellow", Time: at},
			plate: "浙F12345", ns: HikNamespaceISAPI, color: "yellow"},
		{name: "capture framing", alert: HikvisionAlert{Plate: "苏A8HK52", Color: "blue", ColorWord: true, Time: at, PlatePicture: plate, ScenePicture: scene},
			multipart: true, parts: []string{"anpr.xml", "licensePlatePicture.jpg", "detectionPicture.jpg"}, plate: "蓝苏A8HK52", ns: HikNamespaceISAPI, color: "blue", sceneBytes: 78280},
		{name: "guide variant", alert: HikvisionAlert{Plate: "京Q37MQ0", Color: "green", Namespace: HikNamespaceStdCGI, Retransmission: true, SceneName: "vehiclePicture.jpg", Time: at, ScenePicture: scene},
			opts: HikvisionPushOptions{XMLName: "ANPR.xml", Boundary: "AaB03x"}, multipart: true, parts: []string{"ANPR.xml", "vehiclePicture.jpg"}, plate: "京Q37MQ0", ns: HikNamespaceStdCGI, color: "newEnergyGreen", retrans: true, sceneBytes: 78280},
		{name: "xml only with pictures", alert: HikvisionAlert{Plate: "皖A7XG66", PlateColor: "yellow", PlateType: "yellowTwoLine", Namespace: HikNamespaceHikvision, Time: at, PlatePicture: plate},
			opts: HikvisionPushOptions{XMLOnly: true}, plate: "皖A7XG66", ns: HikNamespaceHikvision, color: "yellow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := HikvisionPush(context.Background(), url, tc.alert, tc.opts); err != nil {
				t.Fatal(err)
			}
			g := <-reqs
			mt, params, err := mime.ParseMediaType(g.contentType)
			if err != nil {
				t.Fatal(err)
			}
			doc := g.body
			if tc.multipart {
				if mt != "multipart/form-data" {
					t.Fatalf("content type %s", g.contentType)
				}
				if tc.opts.Boundary == "" && !bytes.HasPrefix(g.body, []byte("-----------------------------7e13971310878\r\nContent-Disposition: form-data; name=\"anpr.xml\";filename=\"anpr.xml\"\r\n")) {
					t.Errorf("body starts %q", g.body[:120])
				}
				mr := multipart.NewReader(bytes.NewReader(g.body), params["boundary"])
				var names []string
				for i := 0; ; i++ {
					p, err := mr.NextPart()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					data, _ := io.ReadAll(p)
					names = append(names, p.FormName())
					if n, _ := strconv.Atoi(p.Header.Get("Content-Length")); n != len(data) {
						t.Errorf("part %s: Content-Length %s, %d bytes", p.FormName(), p.Header.Get("Content-Length"), len(data))
					}
					if i == 0 {
						doc = data
						continue
					}
					if p.Header.Get("Content-Type") != "image/jpeg" {
						t.Errorf("part %s is %s", p.FormName(), p.Header.Get("Content-Type"))
					}
					if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
						t.Errorf("part %s: %v", p.FormName(), err)
					}
					if strings.HasSuffix(p.FormName(), "Picture.jpg") && p.FormName() != "licensePlatePicture.jpg" && len(data) != tc.sceneBytes {
						t.Errorf("scene is %d bytes", len(data))
					}
				}
				if strings.Join(names, ",") != strings.Join(tc.parts, ",") {
					t.Errorf("parts %v, want %v", names, tc.parts)
				}
			} else if mt != "application/xml" {
				t.Fatalf("content type %s", g.contentType)
			}
			var a anprDoc
			if err := xml.Unmarshal(doc, &a); err != nil {
				t.Fatalf("%v in %s", err, doc)
			}
			if a.XMLName.Space != tc.ns || a.EventType != "ANPR" || a.State != "active" || a.ANPR.LicensePlate != tc.plate ||
				a.ANPR.Original != tc.alert.Plate || a.ANPR.PlateColor != tc.color || a.Retrans != tc.retrans || a.DateTime != "2026-11-27T21:14:03+08:00" {
				t.Errorf("alert %+v", a)
			}
			if tc.retrans != (a.ANPR.AlarmDataType == 1) {
				t.Errorf("alarmDataType %d", a.ANPR.AlarmDataType)
			}
			if tc.alert.PlateType != "" && a.ANPR.PlateType != tc.alert.PlateType {
				t.Errorf("plateType %s", a.ANPR.PlateType)
			}
		})
	}
}

func TestHikvisionPushError(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad xml", http.StatusBadRequest)
	}))
	defer ts.Close()
	err := HikvisionPush(context.Background(), ts.URL, HikvisionAlert{Plate: "浙F12345"}, HikvisionPushOptions{})
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: bad xml") {
		t.Fatalf("err = %v", err)
	}
}

func newHikvision(t *testing.T, o CameraOptions) (*HikvisionCamera, *httptest.Server) {
	t.Helper()
	c, err := NewHikvisionCamera(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(c.Handler())
	t.Cleanup(ts.Close)
	return c, ts
}

func TestHikvisionDigest(t *testing.T) {
	_, ts := newHikvision(t, CameraOptions{Password: "right"})
	for _, path := range []string{"/ISAPI/Event/notification/alertStream", "/ISAPI/Streaming/channels/101/picture", "/ISAPI/Parking/channels/1/barrierGate"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Digest ") {
			t.Errorf("%s without auth: %s %q", path, resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		resp = digestDo(t, "GET", ts.URL+path, "admin", "wrong", "")
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %s", path, resp.Status)
		}
	}
	resp := digestDo(t, "GET", ts.URL+"/ISAPI/Streaming/channels/101/picture", "admin", "right", "")
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("snapshot: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("snapshot: %v", err)
	}
	resp = digestDo(t, "GET", ts.URL+"/ISAPI/Streaming/channels/9/picture", "admin", "right", "")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "<statusCode>6</statusCode>") {
		t.Errorf("bad channel: %s %s", resp.Status, b)
	}
}

func TestHikvisionAlertStream(t *testing.T) {
	cam, ts := newHikvision(t, CameraOptions{Heartbeat: 20 * time.Millisecond, PictureBytes: 30000})
	resp := digestDo(t, "GET", ts.URL+"/ISAPI/Event/notification/alertStream", "admin", DefaultPassword, "")
	defer resp.Body.Close()
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != 200 || mt != "multipart/mixed" {
		t.Fatalf("alertStream: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	next := partReader(t, mr)
	// Heartbeats first.
	for i := 0; i < 2; i++ {
		_, b := next()
		var a anprDoc
		if err := xml.Unmarshal(b, &a); err != nil || a.EventType != "videoloss" || a.State != "inactive" {
			t.Fatalf("heartbeat %d: %v %s", i, err, b)
		}
	}
	if n := cam.Emit(HikvisionAlert{Plate: "苏A8HK52", Color: "blue", ColorWord: true}); n != 1 {
		t.Fatalf("Emit reached %d streams", n)
	}
	var alert []byte
	for alert == nil {
		_, b := next()
		var a anprDoc
		xml.Unmarshal(b, &a)
		if a.EventType == "ANPR" {
			alert = b
			if a.ANPR.LicensePlate != "蓝苏A8HK52" || a.PicNum != 2 {
				t.Errorf("alert %+v", a)
			}
		}
	}
	for _, want := range []string{"licensePlatePicture.jpg", "detectionPicture.jpg"} {
		p, b := next()
		if p.FileName() != want || p.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("picture part %q %q", p.FileName(), p.Header.Get("Content-Type"))
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", want, err)
		}
		if want == "detectionPicture.jpg" && len(b) != 30000 {
			t.Errorf("scene is %d bytes", len(b))
		}
	}

	// Silent: nothing arrives while the connection stays open.
	cam.SetSilent(true)
	if n := cam.Emit(HikvisionAlert{Plate: "浙F12345"}); n != 0 {
		t.Errorf("a silent camera emitted to %d streams", n)
	}
	cam.SetSilent(false)

	// Dropped: the stream ends in the middle of a part.
	cam.Drop()
	for {
		p, err := mr.NextPart()
		if err != nil {
			if err == io.EOF {
				t.Fatal("the stream ended cleanly; want a broken part")
			}
			break
		}
		if _, err := io.ReadAll(p); err != nil {
			break
		}
	}
	waitFor(t, "the stream to close", func() bool { return cam.Streams() == 0 })
}

func TestHikvisionDropAfter(t *testing.T) {
	_, ts := newHikvision(t, CameraOptions{Heartbeat: 5 * time.Millisecond, DropAfter: 3})
	for conn := 0; conn < 2; conn++ {
		resp := digestDo(t, "GET", ts.URL+"/ISAPI/Event/notification/alertStream", "admin", DefaultPassword, "")
		_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		mr := multipart.NewReader(resp.Body, params["boundary"])
		whole := 0
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if _, err := io.ReadAll(p); err != nil {
				break
			}
			whole++
		}
		resp.Body.Close()
		if whole != 3 {
			t.Errorf("connection %d: %d whole parts before the drop, want 3", conn, whole)
		}
	}
}

func TestHikvisionBarrier(t *testing.T) {
	got := make(chan BarrierCommand, 4)
	cam, ts := newHikvision(t, CameraOptions{OnBarrier: func(c BarrierCommand) { got <- c }})
	url := ts.URL + "/ISAPI/Parking/channels/1/barrierGate"
	resp := digestDo(t, "PUT", url, "admin", DefaultPassword, "<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<statusCode>1</statusCode>") {
		t.Fatalf("barrier: %s %s", resp.Status, b)
	}
	for _, bad := range []string{"<BarrierGate><ctrlMode>fly</ctrlMode></BarrierGate>", "not xml"} {
		resp = digestDo(t, "PUT", url, "admin", DefaultPassword, bad)
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%q: %s", bad, resp.Status)
		}
	}
	if c := <-got; c.Action != "open" || c.Vendor != "hikvision" || c.Time.IsZero() {
		t.Errorf("OnBarrier got %+v", c)
	}
	if l := cam.Barriers(); len(l) != 1 || l[0].Action != "open" || !strings.Contains(l[0].Raw, "<ctrlMode>open</ctrlMode>") {
		t.Errorf("Barriers() = %+v", l)
	}
}
