package generic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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

var (
	quiet    = platetest.Quiet
	received = platetest.Received
	jpegB64  = base64.StdEncoding.EncodeToString(tinyJPEG())
	pngB64   = base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n0000"))
)

func tinyJPEG() []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.Set(3, 3, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

type pushCase struct {
	name   string
	method string // default POST
	ctype  string // default application/json; "-" for none
	body   string
	status int
	reason string      // Stats.Rejected key, for rejections
	errHas string      // part of the error message
	want   *plate.Read // the read handed to the sink, for 200
}

var pushCases = []pushCase{
	{name: "contract example", body: `{"lane":"exit-1","plate":"浙F12345","color":"yellow","confidence":0.97,"time":"2026-11-27T21:14:03.120+08:00","image_jpeg_base64":"` + jpegB64 + `"}`,
		status: 200, want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Color: "yellow", Confidence: 0.97,
			Time: time.Date(2026, 11, 27, 21, 14, 3, 120e6, time.FixedZone("", 8*3600)), ImageJPEG: tinyJPEG()}},
	{name: "minimal", body: `{"lane":"exit-1","plate":"浙F12345"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received}},
	{name: "normalized plate and color", body: `{"lane":"entry-1","plate":"粤b·f1234 5","color":"Green"}`, status: 200,
		want: &plate.Read{Lane: "entry-1", Plate: "粤BF12345", Color: "green", Time: received}},
	{name: "vendor fields ignored", body: `{"lane":"exit-1","plate":"浙F12345","vendor":{"x":[1,2]},"speed_kmh":7}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received}},
	{name: "no content type", ctype: "-", body: `{"lane":"exit-1","plate":"浙F12345"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received}},
	{name: "json with charset", ctype: "application/json; charset=utf-8", body: `{"lane":"exit-1","plate":"浙F12345"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received}},
	{name: "confidence bounds", body: `{"lane":"exit-1","plate":"浙F12345","confidence":1}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Confidence: 1, Time: received}},
	{name: "unpadded base64", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"` + strings.TrimRight(jpegB64, "=") + `"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received, ImageJPEG: tinyJPEG()}},
	{name: "empty optional strings", body: `{"lane":"exit-1","plate":"浙F12345","color":"","time":"","image_jpeg_base64":""}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received}},

	{name: "GET", method: http.MethodGet, status: 405, reason: plate.ReasonMethod, errHas: "POST"},
	{name: "PUT", method: http.MethodPut, body: `{"lane":"exit-1","plate":"浙F12345"}`, status: 405, reason: plate.ReasonMethod, errHas: "PUT"},
	{name: "form content type", ctype: "application/x-www-form-urlencoded", body: `lane=exit-1`, status: 415, reason: plate.ReasonContentType, errHas: "application/json"},
	{name: "bad content type", ctype: "application/json; =", body: `{}`, status: 415, reason: plate.ReasonContentType, errHas: "content type"},
	{name: "too large", body: `{"lane":"exit-1","plate":"浙F12345","pad":"` + strings.Repeat("x", 2048) + `"}`, status: 413, reason: plate.ReasonTooLarge, errHas: "over"},
	{name: "malformed", body: `{"lane":"exit-1",`, status: 400, reason: plate.ReasonJSON, errHas: "malformed JSON"},
	{name: "not an object", body: `[1,2]`, status: 400, reason: plate.ReasonJSON, errHas: "malformed JSON"},
	{name: "trailing garbage", body: `{"lane":"exit-1","plate":"浙F12345"} x`, status: 400, reason: plate.ReasonJSON, errHas: "malformed JSON"},
	{name: "empty body", body: ``, status: 400, reason: plate.ReasonJSON, errHas: "malformed JSON"},
	{name: "wrong type", body: `{"lane":"exit-1","plate":"浙F12345","confidence":"high"}`, status: 400, reason: plate.ReasonJSON, errHas: "malformed JSON"},
	{name: "null", body: `null`, status: 400, reason: plate.ReasonLane, errHas: "lane is required"},
	{name: "missing lane", body: `{"plate":"浙F12345"}`, status: 400, reason: plate.ReasonLane, errHas: "lane is required"},
	{name: "unknown lane", body: `{"lane":"exit-9","plate":"浙F12345"}`, status: 400, reason: plate.ReasonLane, errHas: `unknown lane "exit-9"`},
	{name: "missing plate", body: `{"lane":"exit-1"}`, status: 400, reason: plate.ReasonPlate, errHas: "plate is required"},
	{name: "blank plate", body: `{"lane":"exit-1","plate":"  "}`, status: 400, reason: plate.ReasonPlate, errHas: "plate is required"},
	{name: "invalid plate", body: `{"lane":"exit-1","plate":"ABC123"}`, status: 400, reason: plate.ReasonPlate, errHas: "invalid plate"},
	{name: "bad color", body: `{"lane":"exit-1","plate":"浙F12345","color":"red"}`, status: 400, reason: plate.ReasonColor, errHas: `"red"`},
	{name: "negative confidence", body: `{"lane":"exit-1","plate":"浙F12345","confidence":-0.1}`, status: 400, reason: plate.ReasonConfidence, errHas: "0..1"},
	{name: "percent confidence", body: `{"lane":"exit-1","plate":"浙F12345","confidence":97}`, status: 400, reason: plate.ReasonConfidence, errHas: "0..1"},
	{name: "bad time", body: `{"lane":"exit-1","plate":"浙F12345","time":"2026-11-27 21:14:03"}`, status: 400, reason: plate.ReasonTime, errHas: "RFC 3339"},
	{name: "bad base64", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"!!!"}`, status: 400, reason: plate.ReasonImage, errHas: "base64"},
	{name: "png image", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"` + pngB64 + `"}`, status: 400, reason: plate.ReasonImage, errHas: "not a JPEG"},
	{name: "jpeg magic only", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"` + b64("\xff\xd8\xff\xe0garbage") + `"}`, status: 400, reason: plate.ReasonImage, errHas: "not a JPEG"},
	{name: "truncated jpeg", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"` + b64(string(tinyJPEG()[:len(tinyJPEG())/2])) + `"}`, status: 400, reason: plate.ReasonImage, errHas: "not a JPEG"},
	{name: "jpeg header, no image", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"` + b64("\xff\xd8\xff\xd9") + `"}`, status: 400, reason: plate.ReasonImage, errHas: "not a JPEG"},
	{name: "zero-padded jpeg", body: `{"lane":"exit-1","plate":"浙F12345","image_jpeg_base64":"` + b64(string(tinyJPEG())+"\x00\x00\x00\x00") + `"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: received, ImageJPEG: append(tinyJPEG(), 0, 0, 0, 0)}},
	{name: "year 1", body: `{"lane":"exit-1","plate":"浙F12345","time":"0001-01-01T00:00:00Z"}`, status: 400, reason: plate.ReasonTime, errHas: "time"},
	{name: "year 9999", body: `{"lane":"exit-1","plate":"浙F12345","time":"9999-12-31T23:59:59Z"}`, status: 400, reason: plate.ReasonTime, errHas: "time"},
	{name: "two days ahead", body: `{"lane":"exit-1","plate":"浙F12345","time":"2026-11-29T21:14:05+08:00"}`, status: 400, reason: plate.ReasonTime, errHas: "future"},
	{name: "two years old", body: `{"lane":"exit-1","plate":"浙F12345","time":"2024-11-27T21:14:05+08:00"}`, status: 400, reason: plate.ReasonTime, errHas: "past"},
	{name: "an hour ahead, a month old", body: `{"lane":"exit-1","plate":"浙F12345","time":"2026-11-27T22:14:05+08:00"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: time.Date(2026, 11, 27, 22, 14, 5, 0, time.FixedZone("", 8*3600))}},
	{name: "a month old", body: `{"lane":"exit-1","plate":"浙F12345","time":"2026-10-27T21:14:05+08:00"}`, status: 200,
		want: &plate.Read{Lane: "exit-1", Plate: "浙F12345", Time: time.Date(2026, 10, 27, 21, 14, 5, 0, time.FixedZone("", 8*3600))}},
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func do(h http.Handler, c pushCase) *httptest.ResponseRecorder {
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(method, plate.Path, strings.NewReader(c.body))
	switch c.ctype {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", c.ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	for _, c := range pushCases {
		t.Run(c.name, func(t *testing.T) {
			s, sk := platetest.NewServer(1024)
			rec := do(s.Handler(), c)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("answer Content-Type %q", ct)
			}
			var ans map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
				t.Fatalf("answer %q is not JSON: %v", rec.Body, err)
			}
			st := s.Stats()
			reads := sk.All()
			if c.status == 200 {
				if len(ans) != 1 || ans["ok"] != true {
					t.Errorf("answer %s, want {\"ok\":true}", rec.Body)
				}
				if st.Accepted != 1 || len(st.Rejected) != 0 {
					t.Errorf("stats %+v", st)
				}
				if len(reads) != 1 {
					t.Fatalf("sink got %d reads", len(reads))
				}
				got, want := reads[0], *c.want
				if got.Lane != want.Lane || got.Plate != want.Plate || got.Color != want.Color ||
					got.Confidence != want.Confidence || !got.Time.Equal(want.Time) || !bytes.Equal(got.ImageJPEG, want.ImageJPEG) {
					t.Errorf("read %+v, want %+v", got, want)
				}
				return
			}
			msg, _ := ans["error"].(string)
			if len(ans) != 1 || !strings.Contains(msg, c.errHas) {
				t.Errorf("answer %s, want an error mentioning %q", rec.Body, c.errHas)
			}
			if st.Accepted != 0 || st.Rejected[c.reason] != 1 {
				t.Errorf("stats %+v, want one rejection for %q", st, c.reason)
			}
			if len(reads) != 0 {
				t.Errorf("sink got %d reads from a rejected push", len(reads))
			}
			if c.status == 405 && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("405 without Allow: POST")
			}
		})
	}
}

func TestDefaultMaxBody(t *testing.T) {
	pad := strings.Repeat("x", plate.DefaultMaxBody)
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"just under", `{"lane":"exit-1","plate":"浙F12345","p":"` + pad[:plate.DefaultMaxBody-100] + `"}`, 200},
		{"over", `{"lane":"exit-1","plate":"浙F12345","p":"` + pad + `"}`, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := platetest.NewServer(0)
			if rec := do(s.Handler(), pushCase{body: tc.body}); rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
		})
	}
}

func TestStatsJSON(t *testing.T) {
	s, _ := platetest.NewServer(1024)
	h := s.Handler()
	want := plate.Stats{Rejected: map[string]uint64{}}
	for _, c := range pushCases {
		do(h, c)
		if c.status == 200 {
			want.Accepted++
		} else {
			want.Rejected[c.reason]++
		}
	}
	got, err := json.Marshal(s.Stats())
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("stats %s, want %s", got, wantJSON)
	}
	if !bytes.Contains(got, []byte(`"malformed_json":5`)) {
		t.Errorf("stats %s are not keyed by snake_case reason", got)
	}
}

func FuzzHandler(f *testing.F) {
	for _, c := range pushCases {
		f.Add(c.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s, sk := platetest.NewServer(4096)
		rec := do(s.Handler(), pushCase{body: body})
		switch rec.Code {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer %q is not JSON", rec.Body)
		}
		reads := sk.All()
		if rec.Code != 200 {
			if len(reads) != 0 {
				t.Fatalf("rejected push reached the sink: %q", body)
			}
			return
		}
		if !json.Valid([]byte(body)) || len(reads) != 1 {
			t.Fatalf("accepted %q (%d reads)", body, len(reads))
		}
		r := reads[0]
		if p, err := plate.NormalizePlate(r.Plate); err != nil || p != r.Plate {
			t.Fatalf("accepted plate %q: %v", r.Plate, err)
		}
		if r.Lane != "exit-1" && r.Lane != "entry-1" {
			t.Fatalf("accepted lane %q", r.Lane)
		}
		if r.Color != "" && !colors[r.Color] {
			t.Fatalf("accepted color %q", r.Color)
		}
		if r.Confidence < 0 || r.Confidence > 1 || r.Time.IsZero() {
			t.Fatalf("accepted confidence %v time %v", r.Confidence, r.Time)
		}
		if d := r.Time.Sub(received); d > plate.MaxAhead || d < -plate.MaxAge {
			t.Fatalf("accepted time %v, received %v", r.Time, received)
		}
		if r.ImageJPEG != nil && !plate.ValidJPEG(r.ImageJPEG) {
			t.Fatalf("accepted image % x", r.ImageJPEG[:min(4, len(r.ImageJPEG))])
		}
	})
}
