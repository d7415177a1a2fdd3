//go:build !nocv

package quality

import (
	"testing"

	"gocv.io/x/gocv"
)

func TestGreyOf(t *testing.T) {
	for _, tc := range []struct {
		w, h, wantW int
		typ         gocv.MatType
	}{{1920, 1080, WorkWidth, gocv.MatTypeCV8UC3}, {320, 180, 320, gocv.MatTypeCV8UC1}, {640, 360, 640, gocv.MatTypeCV8UC4}, {1280, 720, 426, gocv.MatTypeCV8UC3}} {
		m := gocv.NewMatWithSize(tc.h, tc.w, tc.typ)
		g, err := GreyOf(m)
		m.Close()
		if err != nil || g.W != tc.wantW || len(g.Pix) != g.W*g.H {
			t.Errorf("%dx%d: %dx%d, %v", tc.w, tc.h, g.W, g.H, err)
		}
	}
	empty := gocv.NewMat()
	defer empty.Close()
	if _, err := GreyOf(empty); err == nil {
		t.Error("an empty frame was judged")
	}
}

// BenchmarkJudge1080p is the cost of judging one 1920x1080 frame, beside the bare colour
// conversion it starts with.
func BenchmarkJudge1080p(b *testing.B) {
	m := gocv.NewMatWithSize(1080, 1920, gocv.MatTypeCV8UC3)
	defer m.Close()
	gocv.RandU(&m, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(255, 255, 255, 0))
	boxes := []Box{{0.03, 0.69, 0.98, 0.93}, {0.03, 0.52, 0.98, 0.69}}
	b.Run("baseline-grey", func(b *testing.B) {
		g := gocv.NewMat()
		defer g.Close()
		for b.Loop() {
			gocv.CvtColor(m, &g, gocv.ColorBGRToGray)
		}
	})
	b.Run("judge", func(b *testing.B) {
		for b.Loop() {
			if _, err := Judge(m, boxes, nil, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAssess is the pure-Go part of Judge, on the working-size copy.
func BenchmarkAssess(b *testing.B) {
	g := textured(WorkWidth, 270, 1)
	boxes := []Box{{0.03, 0.69, 0.98, 0.93}, {0.03, 0.52, 0.98, 0.69}}
	for b.Loop() {
		Assess(g, boxes, nil, Limits{})
	}
}
