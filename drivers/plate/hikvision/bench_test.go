package hikvision

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

// jpeg50k is a 50 KB body that starts like a JPEG (the decoder only checks the marker).
func jpeg50k(seed uint64) []byte {
	b := make([]byte, 50<<10)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0], b[1], b[2] = 0xFF, 0xD8, 0xFF
	return b
}

// BenchmarkPush is the reads per second the listener takes for a push, through the server's
// handler: the multipart push with two 50 KB pictures, and the XML alone. Run with -cpu 1.
func BenchmarkPush(b *testing.B) {
	doc := alertDoc("isapi.org", "ANPR", anpr("蓝苏A8HK52", "blue"), "<UUID>u</UUID><picNum>2</picNum>")
	cases := []struct {
		name, ctype string
		body        []byte
	}{
		{"multipart-2x50KB", "multipart/form-data; boundary=" + dashBoundary,
			multipartBody(dashBoundary, xmlPart("anpr.xml", doc), jpgPart("licensePlatePicture.jpg", jpeg50k(1)), jpgPart("detectionPicture.jpg", jpeg50k(2)))},
		{"xml", "application/xml", []byte(doc)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := plate.NewServer(plate.Options{Lanes: map[string]func(plate.Read) error{"exit-1": func(plate.Read) error { return nil }}, Logger: platetest.Quiet})
			h := s.Handler()
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			rd := bytes.NewReader(c.body)
			for b.Loop() {
				rd.Reset(c.body)
				req := httptest.NewRequest(http.MethodPost, "/v1/plate/hikvision/exit-1", rd)
				req.Header.Set("Content-Type", c.ctype)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}
