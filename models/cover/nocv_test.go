//go:build nocv

package cover

import (
	"errors"
	"testing"

	"sitegate/models/mud"
)

// TestNoVision: a build without OpenCV registers the same scorer names, and building one fails
// with mud.ErrNoVision.
func TestNoVision(t *testing.T) {
	if _, ok := Scorers.Lookup(Classic); !ok {
		t.Fatal("classic is not registered")
	}
	for _, name := range []string{"", Classic} {
		if _, err := New(mud.Config{Scorer: name}); !errors.Is(err, mud.ErrNoVision) {
			t.Errorf("New(%q) = %v, want ErrNoVision", name, err)
		}
	}
}
