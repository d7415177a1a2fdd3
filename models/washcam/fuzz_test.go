package washcam

import (
	"testing"
	"time"

	"sitegate/models/vision/quality"
)

// FuzzObserve: frames of any size and content, in any order of sizes, never make the detector
// panic, and its share stays within 0..1.
func FuzzObserve(f *testing.F) {
	f.Add(uint16(320), uint16(180), []byte{0, 255, 17}, uint8(3))
	f.Add(uint16(8), uint16(8), []byte{9}, uint8(1))
	f.Add(uint16(17), uint16(300), []byte{}, uint8(7))
	f.Fuzz(func(t *testing.T, w, h uint16, seed []byte, frames uint8) {
		w, h = w%400, h%400
		d, err := New(Config{MinOn: time.Second, MinOff: time.Second}, [][]Point{{{0.1, 0.2}, {0.9, 0.2}, {0.5, 0.9}}})
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < int(frames%8)+1; k++ {
			g := quality.Grey{W: int(w), H: int(h), Pix: make([]uint8, int(w)*int(h))}
			for i := range g.Pix {
				if len(seed) > 0 {
					g.Pix[i] = seed[(i+k)%len(seed)] + uint8(i*k)
				}
			}
			if k%3 == 2 && len(g.Pix) > 0 {
				g.Pix = g.Pix[:len(g.Pix)/2] // a frame shorter than its size says
			}
			r, err := d.Observe(g, time.Unix(int64(k), 0))
			if err != nil {
				continue
			}
			if r.Share < 0 || r.Share > 1 {
				t.Fatalf("share %g", r.Share)
			}
		}
	})
}
