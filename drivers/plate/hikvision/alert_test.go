package hikvision

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitegate/drivers/plate"
)

func TestParseAlertNamespaces(t *testing.T) {
	for _, ns := range []string{"isapi.org", "hikvision.com", "std-cgi.com"} {
		a, err := ParseAlert([]byte(alertDoc(ns, "ANPR", anpr("浙F12345", "yellow"), "<UUID>x</UUID><picNum>2</picNum>")))
		if err != nil {
			t.Fatal(ns, err)
		}
		if !a.IsANPR() || a.LicensePlate != "浙F12345" || a.PlateColor != "yellow" || a.UUID != "x" || a.Pictures() != 2 {
			t.Errorf("%s: %+v", ns, a)
		}
	}
	// A prefixed namespace, as an NVR forwards it.
	a, err := ParseAlert([]byte(`<ns1:EventNotificationAlert xmlns:ns1="http://www.hikvision.com/ver20/XMLSchema"><ns1:eventType>ANPR</ns1:eventType><ns1:ANPR><ns1:licensePlate>浙F12345</ns1:licensePlate></ns1:ANPR></ns1:EventNotificationAlert>`))
	if err != nil || a.LicensePlate != "浙F12345" {
		t.Errorf("prefixed: %+v %v", a, err)
	}
	if _, err := ParseAlert([]byte(`<ResponseStatus/>`)); !errors.Is(err, ErrNotAlert) {
		t.Errorf("ResponseStatus: %v", err)
	}
	if _, err := ParseAlert([]byte(`<?xml version="1.0" encoding="GB2312"?><EventNotificationAlert/>`)); err == nil {
		t.Error("GB2312 accepted as UTF-8")
	}
}

func TestAlertTimeWithoutOffset(t *testing.T) {
	a := Alert{EventType: "ANPR", LicensePlate: "浙F12345", DateTime: "2026-11-27T21:14:03.120"}
	rd, ok, err := a.Read(time.Date(2026, 1, 1, 0, 0, 0, 0, cst))
	if err != nil || !ok || !rd.Time.Equal(time.Date(2026, 11, 27, 21, 14, 3, 120e6, cst)) {
		t.Errorf("read %+v ok %v err %v", rd, ok, err)
	}
}

// alertSeeds are the XML documents of the push table and of the captures.
func alertSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range pushCases {
		if strings.Contains(c.ctype, "xml") {
			seeds = append(seeds, c.body)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "captures", "*.xml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func FuzzAlert(f *testing.F) {
	for _, s := range alertSeeds(f) {
		f.Add(s)
	}
	received := time.Date(2026, 11, 27, 21, 14, 5, 0, cst)
	f.Fuzz(func(t *testing.T, doc []byte) {
		a, err := ParseAlert(doc)
		if err != nil {
			return
		}
		rd, ok, err := a.Read(received)
		if err != nil {
			if rej := (*plate.Rejection)(nil); !errors.As(err, &rej) || rej.Status != 400 {
				t.Fatalf("error %v is not a 400 rejection", err)
			}
			return
		}
		if !ok {
			if rd.Plate != "" {
				t.Fatalf("no read but plate %q", rd.Plate)
			}
			return
		}
		if !a.IsANPR() {
			t.Fatalf("read from event %q", a.EventType)
		}
		if p, err := plate.NormalizePlate(rd.Plate); err != nil || p != rd.Plate {
			t.Fatalf("plate %q: %v", rd.Plate, err)
		}
		if rd.Confidence < 0 || rd.Confidence > 1 || rd.Time.IsZero() {
			t.Fatalf("read %+v", rd)
		}
	})
}

// FuzzStream feeds the alertStream part reader: it must neither hang nor take a part over the
// limit, whatever the camera sends.
func FuzzStream(f *testing.F) {
	var b bytes.Buffer
	w := &streamWriter{w: &bufResponse{Buffer: &b}, f: nopFlusher{}}
	w.heartbeat()
	w.anpr("浙F12345", "<picNum>1</picNum>")
	w.part("image/jpeg", "licensePlatePicture.jpg", plateJPG)
	f.Add(b.Bytes())
	f.Add([]byte("--boundary\r\nContent-Type: application/xml\r\n\r\n<EventNotificationAlert/>\r\n--boundary\r\n\r\nx\r\n--boundary--\r\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		pr := newPartReader(bytes.NewReader(stream), "boundary")
		for i := 0; ; i++ {
			p, err := pr.next()
			if err != nil {
				return
			}
			if len(p.body) > maxPart || i > len(stream) {
				t.Fatalf("part %d of %d bytes from a %d-byte stream", i, len(p.body), len(stream))
			}
		}
	})
}
