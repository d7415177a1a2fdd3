//go:build !nocv

package scene

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

func TestRenderDeterministic(t *testing.T) {
	for _, c := range Conditions {
		t.Run(string(c), func(t *testing.T) {
			s := Spec{Seed: 42, Condition: c, Severity: Heavy, Shape: Mixer, Cab: "brown", Body: "white", Blur: 3, JPEGQuality: 60}
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
			if a.Cols() != 320 || a.Rows() != 180 || a.Type() != gocv.MatTypeCV8UC3 || !bytes.Equal(a.ToBytes(), b.ToBytes()) {
				t.Fatal("the same spec drew different pictures")
			}
			s.Severity = Clean
			c, err := Frame(s, 320, 180)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if bytes.Equal(a.ToBytes(), c.ToBytes()) {
				t.Error("mud changed nothing")
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	cases := []struct {
		name string
		s    Spec
		w, h int
	}{
		{"tiny", Spec{Condition: Day, Cab: "red", Body: "red"}, 10, 10},
		{"paint", Spec{Condition: Day, Cab: "pink", Body: "red"}, 320, 180},
		{"condition", Spec{Condition: "fog", Cab: "red", Body: "red"}, 320, 180},
	}
	for _, tc := range cases {
		m, err := Render(tc.s, tc.w, tc.h)
		m.Close()
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func TestWriteSetAndClip(t *testing.T) {
	dir := t.TempDir()
	labels, err := WriteSet(dir, SetOptions{Seed: 3, PerCell: 1, Width: 320, Height: 180})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(labels)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows[1:] {
		count[r[1]]++
		m := gocv.IMRead(filepath.Join(dir, r[0]), gocv.IMReadColor)
		if m.Empty() || m.Cols() != 320 {
			t.Errorf("%s does not decode", r[0])
		}
		m.Close()
	}
	if len(rows) != 1+2*len(Conditions) || count["clean"] != len(Conditions) || count["muddy"] != len(Conditions) {
		t.Fatalf("labels %v", count)
	}
	clip := filepath.Join(dir, "gate.avi")
	if err := WriteClip(clip, ClipOptions{Width: 320, Height: 180, FPS: 5, PerTruck: 1, Trucks: []Spec{{Seed: 1, Condition: Rain, Severity: Light, Shape: Tipper2, Cab: "red", Body: "grey"}}}); err != nil {
		t.Fatal(err)
	}
	vc, err := gocv.VideoCaptureFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	n := 0
	for vc.Read(&m) && !m.Empty() {
		n++
	}
	if n != 5 {
		t.Errorf("clip has %d frames, want 5", n)
	}
	if err := WriteClip(clip, ClipOptions{}); err == nil {
		t.Error("a clip without trucks was written")
	}
}
