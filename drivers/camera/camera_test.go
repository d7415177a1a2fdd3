package camera

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRateMeter(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		frames []time.Duration // offsets from base
		now    time.Duration
		want   float64
	}{
		{"none", nil, 0, 0},
		{"one", []time.Duration{0}, 0, 0},
		{"ten fps", []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}, 300 * time.Millisecond, 10},
		{"old frames ignored", []time.Duration{0, time.Second, 10 * time.Second, 10*time.Second + 500*time.Millisecond}, 11 * time.Second, 2},
		{"all stale", []time.Duration{0, time.Second}, time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r rateMeter
			for _, f := range tc.frames {
				r.add(base.Add(f))
			}
			got := r.rate(base.Add(tc.now), fpsWindow)
			if d := got - tc.want; d > 1e-9 || d < -1e-9 {
				t.Errorf("rate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRateMeterWraps(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var r rateMeter
	for i := 0; i < 200; i++ {
		r.add(base.Add(time.Duration(i) * 40 * time.Millisecond))
	}
	got := r.rate(base.Add(199*40*time.Millisecond), fpsWindow)
	if got < 24.9 || got > 25.1 {
		t.Errorf("rate = %v, want 25", got)
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"./clip.avi", "./clip.avi"},
		{"/dev/video0", "/dev/video0"},
		{"rtsp://10.0.0.5:554/stream1", "rtsp://10.0.0.5:554/stream1"},
		{"rtsp://admin:secret@10.0.0.5/stream1", "rtsp://admin:xxxxx@10.0.0.5/stream1"},
	}
	for _, tc := range cases {
		if got := redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStatusJSON(t *testing.T) {
	cases := []struct {
		name    string
		st      Status
		want    []string
		notWant []string
	}{
		{
			name: "streaming",
			st: Status{ID: "wheels", State: StateStreaming, URL: "x.avi", FPS: 10, LastFrameAge: 1500 * time.Millisecond,
				Width: 640, Height: 360, Frames: 7, Reopens: 1, LastError: "boom"},
			want: []string{`"id":"wheels"`, `"state":"streaming"`, `"fps":10`, `"last_frame_age_ms":1500`, `"width":640`,
				`"height":360`, `"frames":7`, `"reopens":1`, `"last_error":"boom"`},
		},
		{
			name:    "no frame yet",
			st:      Status{ID: "wheels", State: StateConnecting},
			want:    []string{`"state":"connecting"`},
			notWant: []string{"last_frame_age", "last_error", "LastFrameAge"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.st)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s lacks %s", b, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(string(b), w) {
					t.Errorf("%s has %s", b, w)
				}
			}
		})
	}
}
