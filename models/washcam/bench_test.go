//go:build !nocv

package washcam

import (
	"testing"

	"gocv.io/x/gocv"

	"sitegate/models/vision/quality"
	"sitegate/testbench/washscene"
)

// BenchmarkObserve1080p is what the wash-bay camera costs the agent for one 1080p frame: the
// grey working copy (quality.GreyOf, as agent/washbay makes it) and the detector's pass over
// it. BenchmarkGrey1080p is the bare BGR-to-grey conversion of the same frame, the baseline.
func BenchmarkObserve1080p(b *testing.B) {
	m := bayFrame1080(b)
	defer m.Close()
	d, err := New(Config{}, bay())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := quality.GreyOf(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Observe(g, sec(float64(i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGrey1080p(b *testing.B) {
	m := bayFrame1080(b)
	defer m.Close()
	g := gocv.NewMat()
	defer g.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gocv.CvtColor(m, &g, gocv.ColorBGRToGray)
	}
}

// bayFrame1080 is a 1920x1080 BGR frame of the wash bay with a truck in it.
func bayFrame1080(b *testing.B) gocv.Mat {
	sc := washscene.Script{Seconds: 10, Seed: 3, Trucks: []washscene.Truck{{Enter: 0, DriveS: 1, StandS: 8}}}
	g, err := gocv.ImageGrayToMatGray(washscene.NewRenderer(sc, 1920, 1080).Frame(5))
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	m := gocv.NewMat()
	gocv.CvtColor(g, &m, gocv.ColorGrayToBGR)
	if m.Empty() || m.Cols() != 1920 || m.Channels() != 3 {
		b.Fatalf("frame %dx%d", m.Cols(), m.Rows())
	}
	return m
}
