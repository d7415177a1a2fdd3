package config

import (
	"errors"
	"strings"
	"testing"
)

// TestSiteTimezone: site_timezone defaults to Asia/Shanghai, takes an IANA zone, and refuses
// anything else with its path.
func TestSiteTimezone(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "/srv")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SiteTimezone != "Asia/Shanghai" || cfg.Location().String() != "Asia/Shanghai" {
		t.Fatalf("default site_timezone %q, Location %v", cfg.SiteTimezone, cfg.Location())
	}
	cfg, err = Parse([]byte(minimal+"site_timezone: Asia/Urumqi\n"), "/srv")
	if err != nil || cfg.Location().String() != "Asia/Urumqi" {
		t.Fatalf("Asia/Urumqi: %v %v", cfg, err)
	}
	for _, bad := range []string{"Mars/Olympus", "+08:00", "Local", `""`} {
		_, err := Parse([]byte(minimal+"site_timezone: "+bad+"\n"), "/srv")
		var ps Problems
		if !errors.As(err, &ps) || !strings.Contains(err.Error(), "site_timezone: ") {
			t.Errorf("site_timezone %s: %v, want a site_timezone problem", bad, err)
		}
	}
}
