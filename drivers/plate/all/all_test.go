package all_test

import (
	"slices"
	"testing"

	"sitegate/drivers/plate"
	_ "sitegate/drivers/plate/all"
)

func TestEveryVendorRegistered(t *testing.T) {
	for _, name := range []string{plate.Generic, "hikvision", "vzenith"} {
		if _, ok := plate.LookupPush(name); !ok {
			t.Errorf("push format %q is not registered; registered: %v", name, plate.PushVendors())
		}
	}
	if _, ok := plate.LookupPull("dahua"); !ok {
		t.Errorf("pull client dahua is not registered; registered: %v", plate.PullVendors())
	}
	if !slices.IsSorted(plate.PushVendors()) || !slices.IsSorted(plate.PullVendors()) {
		t.Errorf("vendors not sorted: push %v, pull %v", plate.PushVendors(), plate.PullVendors())
	}
}
