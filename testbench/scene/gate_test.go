//go:build !nocv

package scene

import (
	"bytes"
	"testing"
)

func TestGateRegions(t *testing.T) {
	if got := (Gate{}).Regions(); len(got) != len(Regions) || got[0].Polygon[0][1] != Regions[0].Polygon[0][1] {
		t.Fatalf("the reference gate's regions moved: %v", got)
	}
	for _, g := range Gates(3, 20, "t") {
		rs := g.Regions()
		if len(rs) != 2 {
			t.Fatalf("%s: %d regions", g, len(rs))
		}
		for _, r := range rs {
			if len(r.Polygon) < 3 {
				t.Fatalf("%s: region %s has %d points", g, r.Name, len(r.Polygon))
			}
			for _, p := range r.Polygon {
				if p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1 {
					t.Fatalf("%s: region %s point %v outside the picture", g, r.Name, p)
				}
			}
		}
		if a := polyArea(rs[0].Polygon); a < 0.1 {
			t.Errorf("%s: wheels region covers %.3f of the picture", g, a)
		}
	}
}

func TestGateFrames(t *testing.T) {
	g := Gates(4, 1, "t")[0]
	s := Spec{Seed: 8, Condition: Rain, Severity: Clean, Shape: Tanker, Cab: "sand", Body: "rust", Blur: 2, JPEGQuality: 70, Gate: g}
	a, err := Frame(s, 320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Frame(s, 320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !bytes.Equal(a.ToBytes(), b.ToBytes()) {
		t.Fatal("the same gate spec drew different pictures")
	}
	ref := s
	ref.Gate = Gate{}
	c, err := Frame(ref, 320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if bytes.Equal(a.ToBytes(), c.ToBytes()) {
		t.Error("the gate changed nothing")
	}
	for _, hz := range []Hazards{{Wet: true}, {RoadMud: true}, {WheelShadow: true}, {LensSpots: 2}, {Barrier: true}, {Person: true}, {Scale: 0.9}} {
		h := s
		h.Hazards = hz
		m, err := Frame(h, 320, 180)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a.ToBytes(), m.ToBytes()) {
			t.Errorf("hazard %s changed nothing", hz.Names())
		}
		m.Close()
	}
}

func TestGateSet(t *testing.T) {
	gates := Gates(1, 2, "t")
	specs := SetOptions{Seed: 5, PerCell: 2, Gates: gates}.Specs()
	if len(specs) != 2*len(Conditions)*4 {
		t.Fatalf("%d specs", len(specs))
	}
	muddy := 0
	for _, s := range specs {
		if s.Gate.Name != gates[0].Name && s.Gate.Name != gates[1].Name {
			t.Fatalf("spec at gate %q", s.Gate.Name)
		}
		if s.Severity != Clean {
			muddy++
		}
	}
	if muddy != len(specs)/2 {
		t.Errorf("%d muddy of %d", muddy, len(specs))
	}
}
