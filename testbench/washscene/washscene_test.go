package washscene

import (
	"bytes"
	"testing"
)

func TestTruth(t *testing.T) {
	sc := Script{Seconds: 60, Trucks: []Truck{{Enter: 10, StandS: 20, DriveS: 2}}}
	tr := sc.Truth()
	if len(tr) != 1 {
		t.Fatalf("truth %v", tr)
	}
	// The stay covers the standing time and part of the driving in and out.
	if d := tr[0].End - tr[0].Start; d < 20 || d > 24 || tr[0].Start < 10 || tr[0].End > 34 {
		t.Errorf("stay %+v (%.1f s) for a 20 s stand with 2 s drives", tr[0], d)
	}
	if got := tr[0].Duration().Seconds(); got < 20 || got > 24 {
		t.Errorf("Duration %.1f s", got)
	}
	r := Random(3, 5, true)
	if len(r.Trucks) != 5 || len(r.Truth()) != 5 || !r.Rain || r.Seconds <= r.Trucks[4].Enter {
		t.Errorf("random scene %+v", r)
	}
}

func TestFrames(t *testing.T) {
	sc := Script{Seconds: 40, Seed: 1, Trucks: []Truck{{Enter: 5, StandS: 10, Tone: 200}}}
	r := NewRenderer(sc, 160, 90)
	a, b := r.Frame(2), r.Frame(2)
	if !bytes.Equal(a.Pix, b.Pix) || a.Rect.Dx() != 160 || a.Rect.Dy() != 90 {
		t.Fatal("frames are not repeatable or of the wrong size")
	}
	// A truck standing in the bay changes its middle.
	empty, truck := r.Frame(2), r.Frame(12)
	diff := 0
	for y := 40; y < 70; y++ {
		for x := 50; x < 110; x++ {
			if d := int(empty.Pix[y*160+x]) - int(truck.Pix[y*160+x]); d > 40 || d < -40 {
				diff++
			}
		}
	}
	if diff < 900 {
		t.Errorf("only %d of 1800 pixels in the bay's middle changed with a truck there", diff)
	}
}
