package platecam

import (
	"bytes"
	"context"
	"image/jpeg"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/drivers/plate"
	_ "sitegate/drivers/plate/generic"
)

func TestPush(t *testing.T) {
	var (
		mu    sync.Mutex
		reads []plate.Read
	)
	srv := plate.NewServer(plate.Options{
		Lanes:  map[string]func(plate.Read) error{"exit-1": func(r plate.Read) error { mu.Lock(); reads = append(reads, r); mu.Unlock(); return nil }},
		Logger: slog.New(slog.DiscardHandler),
	})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	at := time.Date(2026, 11, 27, 21, 14, 3, 120e6, time.FixedZone("CST", 8*3600))

	cases := []struct {
		name   string
		target string
		req    PushRequest
		errHas string // "" for success
		check  func(t *testing.T, r plate.Read)
	}{
		{name: "full read with image", target: ts.URL,
			req: PushRequest{Lane: "exit-1", Plate: "浙F12345", Color: "yellow", Confidence: 0.97, Time: at, Image: true, Extra: map[string]any{"vendor": "x"}},
			check: func(t *testing.T, r plate.Read) {
				if r.Plate != "浙F12345" || r.Color != "yellow" || r.Confidence != 0.97 || !r.Time.Equal(at) {
					t.Errorf("read %+v", r)
				}
				img, err := jpeg.Decode(bytes.NewReader(r.ImageJPEG))
				if err != nil {
					t.Fatalf("image: %v", err)
				}
				if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 48 {
					t.Errorf("image is %v", b)
				}
			}},
		{name: "full URL, minimal", target: ts.URL + "/v1/plate", req: PushRequest{Lane: "exit-1", Plate: "京AD12345"},
			check: func(t *testing.T, r plate.Read) {
				if r.Plate != "京AD12345" || r.Color != "" || r.ImageJPEG != nil {
					t.Errorf("read %+v", r)
				}
			}},
		{name: "invalid plate", target: ts.URL, req: PushRequest{Lane: "exit-1", Plate: "ABC"}, errHas: "400 Bad Request: {\"error\":\"invalid plate"},
		{name: "unknown lane", target: ts.URL, req: PushRequest{Lane: "exit-2", Plate: "浙F12345"}, errHas: `unknown lane \"exit-2\"`},
		{name: "not a JPEG", target: ts.URL, req: PushRequest{Lane: "exit-1", Plate: "浙F12345", ImageJPEG: []byte("GIF89a")}, errHas: "not a JPEG"},
		{name: "wrong path", target: ts.URL + "/v2/plate", req: PushRequest{Lane: "exit-1", Plate: "浙F12345"}, errHas: "404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			reads = nil
			mu.Unlock()
			err := Push(context.Background(), tc.target, tc.req)
			mu.Lock()
			got := append([]plate.Read(nil), reads...)
			mu.Unlock()
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("Push = %v, want an error containing %q", err, tc.errHas)
				}
				if len(got) != 0 {
					t.Errorf("rejected push reached the lane")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("lane got %d reads", len(got))
			}
			tc.check(t, got[0])
		})
	}
}

func TestPushUnreachable(t *testing.T) {
	ts := httptest.NewServer(nil)
	url := ts.URL
	ts.Close()
	err := Push(context.Background(), url, PushRequest{Lane: "exit-1", Plate: "浙F12345"})
	if err == nil || !strings.Contains(err.Error(), url) {
		t.Fatalf("Push = %v, want an error naming %s", err, url)
	}
}

func TestPlateJPEGSizes(t *testing.T) {
	cases := []struct {
		w, h int
		ok   bool
	}{{160, 48, true}, {8, 8, true}, {4, 48, false}, {160, 5000, false}}
	for _, tc := range cases {
		b, err := PlateJPEG(tc.w, tc.h)
		if (err == nil) != tc.ok {
			t.Errorf("PlateJPEG(%d, %d) err = %v", tc.w, tc.h, err)
			continue
		}
		if tc.ok && (len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8) {
			t.Errorf("PlateJPEG(%d, %d) is not a JPEG", tc.w, tc.h)
		}
	}
}
