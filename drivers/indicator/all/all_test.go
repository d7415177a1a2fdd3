package all_test

import (
	"slices"
	"testing"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all"
)

func TestEveryProtocolRegistered(t *testing.T) {
	for _, name := range []string{"yaohua-tf0", "yaohua-eq", "yaohua-eq-fwd", "yaohua-a12e", "yaohua-cmd", "toledo-cont", "mt-sics", "ascii"} {
		if _, ok := indicator.Lookup(name); !ok {
			t.Errorf("protocol %q is not registered; registered: %v", name, indicator.Names())
		}
	}
	if !slices.IsSorted(indicator.Names()) {
		t.Errorf("Names() = %v, not sorted", indicator.Names())
	}
}
