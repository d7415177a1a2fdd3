//go:build !nocv

package frames

import (
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

func TestBGR(t *testing.T) {
	mat := func(rows, cols int, typ gocv.MatType) gocv.Mat {
		m := gocv.NewMatWithSize(rows, cols, typ)
		t.Cleanup(func() { m.Close() })
		return m
	}
	empty := gocv.NewMat()
	defer empty.Close()
	cases := []struct {
		name   string
		m      gocv.Mat
		copied bool   // BGR made a converted copy
		err    string // part of the error
	}{
		{"bgr", mat(36, 64, gocv.MatTypeCV8UC3), false, ""},
		{"grey", mat(36, 64, gocv.MatTypeCV8UC1), true, ""},
		{"bgra", mat(36, 64, gocv.MatTypeCV8UC4), true, ""},
		{"smallest", mat(MinSide, MinSide, gocv.MatTypeCV8UC3), false, ""},
		{"empty", empty, false, "empty frame"},
		{"too narrow", mat(36, MinSide-1, gocv.MatTypeCV8UC3), false, "size 7x36 out of range"},
		{"too tall", mat(MaxSide+1, 8, gocv.MatTypeCV8UC1), false, "size 8x16385 out of range"},
		{"float", mat(36, 64, gocv.MatTypeCV32F), false, "unsupported frame type"},
		{"16-bit grey", mat(36, 64, gocv.MatTypeCV16UC1), false, "unsupported frame type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bgr, release, err := BGR(tc.m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || release != nil {
					t.Fatalf("BGR = %v (release %v), want an error mentioning %q", err, release != nil, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			if bgr.Type() != gocv.MatTypeCV8UC3 || bgr.Cols() != tc.m.Cols() || bgr.Rows() != tc.m.Rows() {
				t.Errorf("BGR gave a %dx%d %v", bgr.Cols(), bgr.Rows(), bgr.Type())
			}
			if copied := bgr.Ptr() != tc.m.Ptr(); copied != tc.copied {
				t.Errorf("copied = %v, want %v", copied, tc.copied)
			}
		})
	}
}
