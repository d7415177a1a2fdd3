//go:build nocv

package camera

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNoCV(t *testing.T) {
	c := New(Options{ID: "wheels", URL: "clip.avi"})
	if _, _, err := c.Snapshot(85); !errors.Is(err, ErrNoCV) {
		t.Fatalf("Snapshot err = %v, want ErrNoCV", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Run(ctx)
	st := c.Status()
	if st.State != StateDown || !strings.Contains(st.LastError, "-tags nocv") {
		t.Fatalf("status = %+v", st)
	}
}
