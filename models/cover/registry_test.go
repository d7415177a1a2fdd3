package cover

import (
	"strings"
	"testing"

	"sitegate/models/mud"
	"sitegate/models/vision"
)

func TestIsAlarmLabel(t *testing.T) {
	for _, c := range []struct {
		label     string
		alarm, ok bool
	}{
		{"covered", false, true},
		{"open", true, true},
		{"torn", true, true},
		{"heaped", true, true},
		{" heaped ", true, true},
		{"uncovered", true, true},
		{"muddy", false, false},
		{"", false, false},
		{"Covered", false, false},
	} {
		alarm, ok := IsAlarmLabel(c.label)
		if alarm != c.alarm || ok != c.ok {
			t.Errorf("IsAlarmLabel(%q) = %v, %v; want %v, %v", c.label, alarm, ok, c.alarm, c.ok)
		}
	}
}

func TestNewUnknownScorer(t *testing.T) {
	_, err := New(mud.Config{Scorer: "no-such-scorer"})
	if err == nil || !strings.Contains(err.Error(), `unknown scorer "no-such-scorer"`) {
		t.Fatalf("New(no-such-scorer) = %v", err)
	}
}

func TestRegistryIsListedUnderCover(t *testing.T) {
	if Scorers.Check() != "cover" {
		t.Fatalf("registry check %q", Scorers.Check())
	}
	Scorers.Register("registry-test", vision.Info{NeedsModel: true}, func(mud.Config) (mud.Scorer, error) { return nil, mud.ErrNoVision })
	if info, ok := vision.About("cover", "registry-test"); !ok || !info.NeedsModel {
		t.Fatalf("vision.About(cover, registry-test) = %+v, %v", info, ok)
	}
	if _, err := New(mud.Config{Scorer: "registry-test"}); err != mud.ErrNoVision {
		t.Fatalf("New(registry-test) = %v, want the factory's error", err)
	}
}
