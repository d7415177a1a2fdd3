package all_test

import (
	"slices"
	"testing"

	"sitegate/drivers/plate"
	_ "sitegate/drivers/plate/all"
)

func TestEveryVendorRegistered(t *testing.T) {
	for _, name := range []string{plate.Generic} {
		if _, ok := plate.LookupPush(name); !ok {
			t.Errorf("push format %q is not registered; registered: %v", name, plate.PushVendors())
		}
	}
	if !slices.IsSorted(plate.PushVendors()) {
		t.Errorf("PushVendors() = %v, not sorted", plate.PushVendors())
	}
}
