package config

import "slices"

// Archive is the evidence archive on the gateway's disk (CONTRACT 11): every passage and its
// files, kept after delivery in store.dir/archive.
type Archive struct {
	// Keep is how long an archived passage is kept (days may be written 90d).
	Keep Duration `yaml:"keep"`
	// MaxBytes bounds the archive; the oldest passages go first. The outbox's bounds and the
	// disk reserve come first: the archive gives its space before the outbox drops anything.
	MaxBytes Size `yaml:"max_bytes"`
}

// Evidence says how evidence images are made.
type Evidence struct {
	// Language of the words drawn on annotated images: zh (default) or en.
	Language string `yaml:"language"`
}

// Evidence languages.
var EvidenceLanguages = []string{"zh", "en"}

func validateEvidence(c *Config, ps *problems) {
	if c.Archive.Keep.D() < 3600e9 {
		ps.add("archive.keep", "%s is too short (at least 1h; e.g. 90d)", c.Archive.Keep)
	}
	if c.Archive.MaxBytes < 16<<20 {
		ps.add("archive.max_bytes", "%s is too small (at least 16MiB)", c.Archive.MaxBytes)
	}
	if !slices.Contains(EvidenceLanguages, c.Evidence.Language) {
		ps.add("evidence.language", "%q is not one of zh, en", c.Evidence.Language)
	}
}
