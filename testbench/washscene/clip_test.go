//go:build !nocv

package washscene

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

func TestWriteClip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bay.avi")
	if err := WriteClip(path, Script{Seconds: 2, Trucks: []Truck{{Enter: 0.5, StandS: 1}}}, 160, 90, 10); err != nil {
		t.Fatal(err)
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Close()
	m := gocv.NewMat()
	defer m.Close()
	n := 0
	for vc.Read(&m) && !m.Empty() {
		if m.Cols() != 160 || m.Rows() != 90 {
			t.Fatalf("frame %dx%d", m.Cols(), m.Rows())
		}
		n++
	}
	if n != 20 {
		t.Errorf("%d frames, want 20", n)
	}
	if err := WriteClip(path, Script{}, 160, 90, 10); err == nil {
		t.Error("an empty scene was written")
	}
}
