package packaging

import (
	"os"
	"strings"
	"testing"
)

// TestUnitWaitsForTimeSync: the agent starts after the clock is synchronised where the system
// has a time-sync service, and may read the kernel's clock state (adjtimex, modes 0), which
// ProtectClock= and @system-service alone refuse; the empty capability bounding set still
// keeps it from setting the clock.
func TestUnitWaitsForTimeSync(t *testing.T) {
	b, err := os.ReadFile("sitegate.service")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && !strings.HasPrefix(k, "#") {
			lines[k] = append(lines[k], strings.Fields(v)...)
		}
	}
	has := func(key, word string) bool {
		for _, w := range lines[key] {
			if w == word {
				return true
			}
		}
		return false
	}
	for _, kv := range [][2]string{{"Wants", "time-sync.target"}, {"After", "time-sync.target"}, {"SystemCallFilter", "adjtimex"}} {
		if !has(kv[0], kv[1]) {
			t.Errorf("sitegate.service: no %s=%s", kv[0], kv[1])
		}
	}
	if has("ProtectClock", "yes") {
		t.Error("sitegate.service: ProtectClock=yes refuses even reading the clock's state (adjtimex)")
	}
	if v := lines["CapabilityBoundingSet"]; len(v) != 0 {
		t.Errorf("sitegate.service: CapabilityBoundingSet=%v, want empty (no CAP_SYS_TIME)", v)
	}
}
