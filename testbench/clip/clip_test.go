//go:build !nocv

package clip

import (
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

func TestGenerateDecodes(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		w, h int
	}{
		{"defaults", Options{}, 640, 360},
		{"small", Options{Width: 160, Height: 96, FPS: 5, Seconds: 2}, 160, 96},
		{"1080p", Options{Width: 1920, Height: 1080, FPS: 5, Seconds: 1}, 1920, 1080},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clip.avi")
			if err := Generate(path, tc.opts); err != nil {
				t.Fatal(err)
			}
			vc, err := gocv.VideoCaptureFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer vc.Close()
			m := gocv.NewMat()
			defer m.Close()
			frames := 0
			for vc.Read(&m) {
				if m.Empty() {
					break
				}
				if m.Cols() != tc.w || m.Rows() != tc.h {
					t.Fatalf("frame %d is %dx%d, want %dx%d", frames, m.Cols(), m.Rows(), tc.w, tc.h)
				}
				frames++
			}
			want := tc.opts.Frames()
			if frames < want-1 || frames > want+1 {
				t.Errorf("decoded %d frames, want %d±1", frames, want)
			}
		})
	}
}

func TestGenerateRejectsBadSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clip.avi")
	if err := Generate(path, Options{Width: 8, Height: 8}); err == nil {
		t.Fatal("Generate accepted an 8x8 clip")
	}
}

func TestGenerateBadPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "clip.avi")
	if err := Generate(path, Options{}); err == nil {
		t.Fatal("Generate succeeded in a missing directory")
	}
}
