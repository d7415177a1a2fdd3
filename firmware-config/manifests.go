package config

import "slices"

// Manifest check modes (manifests.check).
const (
	// ManifestsAuto judges exits once the gateway holds manifests (from manifests.file or the
	// site's retained manifests topic): a site that does not use e-manifests is not alarmed.
	ManifestsAuto = "auto"
	// ManifestsOn always judges exits: unknown until manifests are held.
	ManifestsOn = "on"
	// ManifestsOff never judges them.
	ManifestsOff = "off"
)

// Manifests are the site's electronic transfer manifests (电子联单, CONTRACT section 10): taken
// from the retained sitegate/v1/{site}/manifests topic and, optionally, a local file.
type Manifests struct {
	File  string `yaml:"file"`
	Check string `yaml:"check"`
}

func validateManifests(m Manifests, ps *problems) {
	if !slices.Contains([]string{ManifestsAuto, ManifestsOn, ManifestsOff}, m.Check) {
		ps.add("manifests.check", "%q is not one of auto, on, off", m.Check)
	}
}
