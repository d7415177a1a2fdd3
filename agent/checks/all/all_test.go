package all

import (
	"slices"
	"testing"

	"sitegate/agent/checks"
)

// The contract's checks are registered, in the order their alarms are listed.
func TestEveryContractCheckIsRegistered(t *testing.T) {
	want := []string{"overload", "registry", "permit", "mud", "cover", "manifest", "wash"}
	if got := checks.Names(); !slices.Equal(got, want) {
		t.Fatalf("checks %v, want %v", got, want)
	}
	for i, c := range checks.Build(checks.Deps{}) {
		if c.Name() != want[i] {
			t.Errorf("check %d is %q, want %q", i, c.Name(), want[i])
		}
	}
}
