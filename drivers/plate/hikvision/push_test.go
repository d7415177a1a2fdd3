package hikvision

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

var cst = time.FixedZone("", 8*3600)

// testJPEG is a small real JPEG whose grey level tells pictures apart.
func testJPEG(level uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.Gray{Y: level})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

var (
	plateJPG = testJPEG(10)
	sceneJPG = testJPEG(200)
)

// alertDoc is an EventNotificationAlert in namespace ns with the given ANPR elements (empty:
// no ANPR block) and top-level extra elements.
func alertDoc(ns, event, anpr, extra string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<EventNotificationAlert version="2.0" xmlns="http://www.%s/ver20/XMLSchema">`+"\n", ns)
	b.WriteString("<ipAddress>192.168.1.64</ipAddress>\n<portNo>80</portNo>\n<protocol>HTTP</protocol>\n<channelID>1</channelID>\n")
	b.WriteString("<dateTime>2026-11-27T21:14:03+08:00</dateTime>\n<activePostCount>1</activePostCount>\n")
	fmt.Fprintf(&b, "<eventType>%s</eventType>\n<eventState>active</eventState>\n", event)
	if anpr != "" {
		fmt.Fprintf(&b, "<ANPR>\n%s\n</ANPR>\n", anpr)
	}
	b.WriteString(extra)
	b.WriteString("</EventNotificationAlert>\n")
	return b.String()
}

// anpr is the ANPR block of a read of plate in colour c.
func anpr(plateText, c string) string {
	return fmt.Sprintf("<licensePlate>%s</licensePlate>\n<confidenceLevel>97</confidenceLevel>\n<plateType>92TypeCivil</plateType>\n<plateColor>%s</plateColor>\n<alarmDataType>0</alarmDataType>", plateText, c)
}

// mpart is one part of a hand-framed multipart body.
type mpart struct {
	disp   string // Content-Disposition value
	ctype  string
	body   []byte
	length bool // add Content-Length
}

// multipartBody frames parts with boundary the way the cameras do (CRLF lines).
func multipartBody(boundary string, parts ...mpart) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: %s\r\nContent-Type: %s\r\n", boundary, p.disp, p.ctype)
		if p.length {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(p.body))
		}
		b.WriteString("\r\n")
		b.Write(p.body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func xmlPart(name, doc string) mpart {
	return mpart{disp: fmt.Sprintf(`form-data; name="%s";filename="%s"`, name, name), ctype: `application/xml; charset="UTF-8"`, body: []byte(doc), length: true}
}

func jpgPart(name string, body []byte) mpart {
	return mpart{disp: fmt.Sprintf(`form-data;name="%s";filename="%s"`, name, name), ctype: "image/jpeg", body: body, length: true}
}

type pushCase struct {
	name   string
	ctype  string // "-" for none
	body   []byte
	status int
	reason string      // Stats.Rejected key, for rejections
	want   *plate.Read // the read, for a 200 with one; nil for a 200 with none
}

const dashBoundary = "---------------------------7e13971310878"

var blueRead = &plate.Read{Lane: "exit-1", Plate: "浙F12345", Color: "blue", Confidence: 0.97, Time: time.Date(2026, 11, 27, 21, 14, 3, 0, cst)}

func with(r *plate.Read, f func(*plate.Read)) *plate.Read {
	c := *r
	f(&c)
	return &c
}

var pushCases = []pushCase{
	{name: "xml alone", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), "<UUID>u-1</UUID>\n")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Key = "u-1" })},
	{name: "text/xml with charset", ctype: `text/xml; charset="UTF-8"`, body: []byte(alertDoc("hikvision.com", "ANPR", anpr("浙F12345", "blue"), "")), status: 200, want: blueRead},
	{name: "no content type", ctype: "-", body: []byte(alertDoc("std-cgi.com", "ANPR", anpr("浙F12345", "blue"), "")), status: 200, want: blueRead},
	{name: "multipart isapi.org", ctype: "multipart/form-data; boundary=" + dashBoundary,
		body: multipartBody(dashBoundary, xmlPart("anpr.xml", alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), "")),
			jpgPart("licensePlatePicture.jpg", plateJPG), jpgPart("detectionPicture.jpg", sceneJPG)), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.ImageJPEG, r.SceneJPEG = plateJPG, sceneJPG })},
	{name: "multipart hikvision.com ANPR.xml vehiclePicture", ctype: "multipart/form-data;boundary=AaB03x",
		body: multipartBody("AaB03x", xmlPart("ANPR.xml", alertDoc("hikvision.com", "ANPR", anpr("浙F12345", "blue"), "")),
			jpgPart("vehiclePicture.jpg", sceneJPG), jpgPart("licensePlatePicture.jpg", plateJPG)), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.ImageJPEG, r.SceneJPEG = plateJPG, sceneJPG })},
	{name: "multipart std-cgi.com quoted boundary no lengths", ctype: `multipart/form-data; boundary="--b0"`,
		body: multipartBody("--b0", mpart{disp: `form-data; name="anpr.xml"`, ctype: "text/xml", body: []byte(alertDoc("std-cgi.com", "ANPR", anpr("浙F12345", "blue"), ""))},
			mpart{disp: `form-data; name="LICENSEPLATEPICTURE.JPG"`, ctype: "image/jpeg", body: plateJPG}), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.ImageJPEG = plateJPG })},
	{name: "multipart xml only", ctype: "multipart/form-data; boundary=" + dashBoundary,
		body: multipartBody(dashBoundary, xmlPart("anpr.xml", alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), ""))), status: 200, want: blueRead},
	{name: "colour word", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("蓝苏A8HK52", "unknown"), "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Plate = "苏A8HK52" })},
	{name: "newEnergyGreen", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("粤BD12345", "newEnergyGreen"), "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Plate, r.Color, r.Type = "粤BD12345", "green", "new-energy" })},
	{name: "green", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("粤BD12345", "green"), "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Plate, r.Color = "粤BD12345", "green" })},
	{name: "newEnergyYellowGreen", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("粤B12345D", "newEnergyYellowGreen"), "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Plate, r.Color, r.Type = "粤B12345D", "yellow-green", "new-energy" })},
	{name: "yellowTwoLine", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR",
		"<licensePlate>冀B7Z623</licensePlate><confidenceLevel>88</confidenceLevel><plateType>yellowTwoLine</plateType><plateColor>yellow</plateColor>", "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Plate, r.Color, r.Type, r.Confidence = "冀B7Z623", "yellow", "double", 0.88 })},
	{name: "retransmission", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), "<isDataRetransmission>true</isDataRetransmission>\n")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Late = true })},
	{name: "historical alarmDataType", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", strings.Replace(anpr("浙F12345", "blue"), "<alarmDataType>0", "<alarmDataType>1", 1), "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Late = true })},
	{name: "original plate only", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", "<originalLicensePlate>浙F12345</originalLicensePlate>", "")), status: 200,
		want: with(blueRead, func(r *plate.Read) { r.Color, r.Confidence = "", 0 })},
	{name: "videoloss", ctype: "application/xml", body: []byte(strings.Replace(alertDoc("isapi.org", "videoloss", "", ""), ">active<", ">inactive<", 1)), status: 200},
	{name: "no plate placeholder", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("无车牌", "unknown"), "")), status: 200},
	{name: "empty plate", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("", "unknown"), "")), status: 200},

	{name: "non-plate text", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", anpr("HELLO", "blue"), "")), status: 400, reason: plate.ReasonPlate},
	{name: "malformed xml", ctype: "application/xml", body: []byte(`<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>浙F12345`), status: 400, reason: plate.ReasonMalformed},
	{name: "not an alert", ctype: "application/xml", body: []byte(`<ResponseStatus><statusCode>1</statusCode></ResponseStatus>`), status: 400, reason: plate.ReasonMalformed},
	{name: "empty body", ctype: "application/xml", body: nil, status: 400, reason: plate.ReasonMalformed},
	{name: "bad confidence", ctype: "application/xml", body: []byte(alertDoc("isapi.org", "ANPR", strings.Replace(anpr("浙F12345", "blue"), ">97<", ">170<", 1), "")), status: 400, reason: plate.ReasonConfidence},
	{name: "bad time", ctype: "application/xml", body: []byte(strings.Replace(alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), ""), "2026-11-27T21:14:03+08:00", "yesterday", 1)), status: 400, reason: plate.ReasonTime},
	{name: "multipart without xml", ctype: "multipart/form-data; boundary=AaB03x", body: multipartBody("AaB03x", jpgPart("licensePlatePicture.jpg", plateJPG)), status: 400, reason: plate.ReasonMalformed},
	{name: "multipart truncated", ctype: "multipart/form-data; boundary=AaB03x",
		body: multipartBody("AaB03x", xmlPart("anpr.xml", alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), "")))[:200], status: 400, reason: plate.ReasonMalformed},
	{name: "multipart without boundary", ctype: "multipart/form-data", body: []byte("x"), status: 400, reason: plate.ReasonMalformed},
	{name: "picture not a jpeg", ctype: "multipart/form-data; boundary=AaB03x",
		body: multipartBody("AaB03x", xmlPart("anpr.xml", alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), "")), jpgPart("licensePlatePicture.jpg", []byte("efwefwefwef"))), status: 400, reason: plate.ReasonImage},
	{name: "json", ctype: "application/json", body: []byte(`{"eventType":"ANPR"}`), status: 415, reason: plate.ReasonContentType},
	{name: "form", ctype: "application/x-www-form-urlencoded", body: []byte(`a=b`), status: 415, reason: plate.ReasonContentType},
	{name: "oversize", ctype: "multipart/form-data; boundary=AaB03x",
		body: multipartBody("AaB03x", xmlPart("anpr.xml", alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), "")), jpgPart("detectionPicture.jpg", append(bytes.Clone(sceneJPG), make([]byte, 70<<10)...))), status: 413, reason: plate.ReasonTooLarge},
}

// testMaxBody is the body limit of the test servers: the oversize case is above it.
const testMaxBody = 64 << 10

func push(h http.Handler, lane, ctype string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, plate.Path+"/hikvision/"+lane, bytes.NewReader(body))
	if ctype != "-" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func sameRead(got, want plate.Read) bool {
	return got.Lane == want.Lane && got.Plate == want.Plate && got.Color == want.Color && got.Confidence == want.Confidence &&
		got.Time.Equal(want.Time) && got.Type == want.Type && got.Late == want.Late && got.Key == want.Key &&
		bytes.Equal(got.ImageJPEG, want.ImageJPEG) && bytes.Equal(got.SceneJPEG, want.SceneJPEG)
}

func TestPush(t *testing.T) {
	for _, c := range pushCases {
		t.Run(c.name, func(t *testing.T) {
			s, sk := platetest.NewServer(testMaxBody)
			rec := push(s.Handler(), "exit-1", c.ctype, c.body)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %q", rec.Code, c.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("answer Content-Type %q, want text/plain", ct)
			}
			st, reads := s.Stats(), sk.All()
			if c.status != 200 {
				if st.Rejected[c.reason] != 1 || st.Accepted != 0 {
					t.Errorf("stats %+v, want one rejection for %q", st, c.reason)
				}
				if len(reads) != 0 {
					t.Errorf("a rejected push gave %d reads", len(reads))
				}
				return
			}
			if strings.TrimSpace(rec.Body.String()) != "OK" || st.Accepted != 1 {
				t.Errorf("answer %q, stats %+v", rec.Body, st)
			}
			switch {
			case c.want == nil && len(reads) != 0:
				t.Fatalf("got reads %+v, want none", reads)
			case c.want != nil && len(reads) != 1:
				t.Fatalf("got %d reads, want 1", len(reads))
			case c.want != nil:
				if got := reads[0]; !sameRead(got, *c.want) || got.Vendor != Vendor {
					t.Errorf("read\n %+v\nwant\n %+v", got, *c.want)
				}
			}
		})
	}
}

// TestChineseFirmwarePush is the multipart push of Chinese firmware as research/plate-cameras.md
// section 1a describes it: a boundary that starts with dashes, anpr.xml with Content-Length, no
// space after some semicolons, and the colour word in front of the plate.
func TestChineseFirmwarePush(t *testing.T) {
	doc := `<?xml version="1.0" encoding="utf-8"?><EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.100.248</ipAddress><channelID>1</channelID><dateTime>2034-01-04T15:57:03+08:00</dateTime>
<eventType>ANPR</eventType><eventState>active</eventState>
<ANPR><licensePlate>蓝苏A8HK52</licensePlate><confidenceLevel>78</confidenceLevel><plateType>92TypeCivil</plateType><plateColor>blue</plateColor><alarmDataType>0</alarmDataType></ANPR>
<UUID>46dd0716-1dd2-11b2-821f-8ba17e6f56b7</UUID><picNum>2</picNum></EventNotificationAlert>`
	body := multipartBody(dashBoundary, xmlPart("anpr.xml", doc), jpgPart("licensePlatePicture.jpg", plateJPG), jpgPart("detectionPicture.jpg", sceneJPG))
	if !bytes.HasPrefix(body, []byte("-----------------------------7e13971310878\r\n")) {
		t.Fatalf("framing: %q", body[:50])
	}
	s, sk := platetest.NewServer(0)
	rec := push(s.Handler(), "exit-1", "multipart/form-data; boundary="+dashBoundary, body)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := plate.Read{Lane: "exit-1", Plate: "苏A8HK52", Color: "blue", Confidence: 0.78, Time: time.Date(2034, 1, 4, 15, 57, 3, 0, cst),
		Key: "46dd0716-1dd2-11b2-821f-8ba17e6f56b7", ImageJPEG: plateJPG, SceneJPEG: sceneJPG}
	if reads := sk.All(); len(reads) != 1 || !sameRead(reads[0], want) {
		t.Fatalf("reads %+v, want %+v", reads, want)
	}
}

func TestPushLaneAndMethod(t *testing.T) {
	s, sk := platetest.NewServer(0)
	body := []byte(alertDoc("isapi.org", "ANPR", anpr("浙F12345", "blue"), ""))
	if rec := push(s.Handler(), "exit-9", "application/xml", body); rec.Code != 400 {
		t.Errorf("unknown lane: status %d", rec.Code)
	}
	req := httptest.NewRequest(http.MethodGet, plate.Path+"/hikvision/exit-1", nil)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 405 {
		t.Errorf("GET: status %d", rec.Code)
	}
	if rec := push(s.Handler(), "entry-1", "application/xml", body); rec.Code != 200 || len(sk.All()) != 1 || sk.All()[0].Lane != "entry-1" {
		t.Errorf("entry-1: status %d, reads %+v", rec.Code, sk.All())
	}
}

func FuzzPush(f *testing.F) {
	for _, c := range pushCases {
		f.Add(c.ctype, c.body)
	}
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		s, sk := platetest.NewServer(testMaxBody)
		rec := push(s.Handler(), "exit-1", ctype, body)
		reads := sk.All()
		switch rec.Code {
		case 200:
		case 400, 413, 415:
			if len(reads) != 0 {
				t.Fatalf("status %d with %d reads", rec.Code, len(reads))
			}
			return
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if len(reads) > 1 {
			t.Fatalf("%d reads from one push", len(reads))
		}
		for _, r := range reads {
			if p, err := plate.NormalizePlate(r.Plate); err != nil || p != r.Plate {
				t.Fatalf("accepted plate %q: %v", r.Plate, err)
			}
			switch r.Color {
			case "", "blue", "yellow", "green", "white", "black", "yellow-green":
			default:
				t.Fatalf("accepted colour %q", r.Color)
			}
			if r.Confidence < 0 || r.Confidence > 1 || r.Time.IsZero() || r.Lane != "exit-1" {
				t.Fatalf("accepted %+v", r)
			}
			for _, img := range [][]byte{r.ImageJPEG, r.SceneJPEG} {
				if img != nil && !isJPEG(img) {
					t.Fatalf("accepted a picture that is not a JPEG")
				}
			}
		}
	})
}
