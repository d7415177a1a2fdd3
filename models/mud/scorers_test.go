package mud

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"sitegate/models/vision"
)

func TestScorersRegistered(t *testing.T) {
	if got := Scorers.Names(); !slices.Equal(got, []string{Classic, ONNX}) {
		t.Errorf("Scorers.Names() = %v", got)
	}
	if got := vision.Scorers("mud"); !slices.Equal(got, []string{Classic, ONNX}) {
		t.Errorf(`vision.Scorers("mud") = %v`, got)
	}
	for name, needs := range map[string]bool{Classic: false, ONNX: true} {
		if info, ok := vision.About("mud", name); !ok || info.NeedsModel != needs {
			t.Errorf("About(mud, %s) = %+v, %v", name, info, ok)
		}
	}
}

func TestNewByName(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		name string // the scorer built, where this build has vision
		err  string // part of the error, else ""
	}{
		{Config{Scorer: Classic}, Classic, ""},
		{Config{}, Classic, ""},
		{Config{Scorer: ONNX, Model: "model/mud-cnn.yaml"}, ONNX, ""},
		{Config{Scorer: "magic"}, "", `mud: unknown scorer "magic"`},
	} {
		s, err := New(tc.cfg)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("New(%+v) err = %v, want %q", tc.cfg, err, tc.err)
			}
		case errors.Is(err, ErrNoVision): // -tags nocv: every scorer is named, none can be built
		case err != nil:
			t.Errorf("New(%+v): %v", tc.cfg, err)
		default:
			if s.Name() != tc.name {
				t.Errorf("New(%+v) built %q", tc.cfg, s.Name())
			}
			s.Close()
		}
	}
}
