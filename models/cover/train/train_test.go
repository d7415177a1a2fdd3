//go:build !nocv

package main

import (
	"os"
	"testing"

	"sitegate/models/cover"
)

// TestRegionAlarm: the above-bed band is an alarm only for a heap.
func TestRegionAlarm(t *testing.T) {
	for _, c := range []struct {
		label, region string
		want          bool
	}{
		{"covered", "bed", false}, {"open", "bed", true}, {"torn", "bed", true}, {"heaped", "bed", true},
		{"covered", cover.AboveBed, false}, {"open", cover.AboveBed, false}, {"torn", cover.AboveBed, false}, {"heaped", cover.AboveBed, true},
	} {
		if got := regionAlarm(c.label, c.region); got != c.want {
			t.Errorf("regionAlarm(%s, %s) = %v", c.label, c.region, got)
		}
	}
}

// skipEmulated skips a compute-heavy test under an emulator ($SITEGATE_TEST_EXEC).
func skipEmulated(t *testing.T) {
	t.Helper()
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: run natively, not under an emulator")
	}
}
