package config

import (
	"strings"
	"testing"
	"time"
)

// TestArchiveAndEvidence: the defaults (90 days, 4 GiB, Chinese), durations in days, and each
// bad value refused with its path.
func TestArchiveAndEvidence(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "/srv")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Archive.Keep.D() != 90*24*time.Hour || cfg.Archive.MaxBytes != 4<<30 || cfg.Evidence.Language != "zh" {
		t.Fatalf("defaults %+v %+v", cfg.Archive, cfg.Evidence)
	}
	cfg, err = Parse([]byte(minimal+"archive: {keep: 365d, max_bytes: 64GiB}\nevidence: {language: en}\n"), "/srv")
	if err != nil || cfg.Archive.Keep.D() != 365*24*time.Hour || cfg.Archive.MaxBytes != 64<<30 || cfg.Evidence.Language != "en" {
		t.Fatalf("set: %+v %+v %v", cfg.Archive, cfg.Evidence, err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"archive: {keep: 10m}", "archive.keep: 10m0s is too short"},
		{"archive: {keep: 9x}", `archive.keep: "9x" is not a duration`},
		{"archive: {keep: d}", `archive.keep: "d" is not a duration`},
		{"archive: {max_bytes: 1MiB}", "archive.max_bytes: 1MiB is too small"},
		{"archive: {kept: 90d}", "archive.kept"},
		{"evidence: {language: fr}", `evidence.language: "fr" is not one of zh, en`},
	} {
		_, err := Parse([]byte(minimal+c.yaml+"\n"), "/srv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.yaml, err, c.want)
		}
	}
}
