package config

import (
	_ "embed"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

//go:embed indicators.yaml
var indicatorsYAML []byte

// IndicatorProfile is one entry of indicators.yaml.
type IndicatorProfile struct {
	Name     string
	About    string
	Protocol string
	Baud     int
	Framing  string
	node     *yaml.Node // the scale keys it sets, laid under a lane's own
}

var profiles = mustProfiles()

func mustProfiles() map[string]IndicatorProfile {
	var doc yaml.Node
	if err := yaml.Unmarshal(indicatorsYAML, &doc); err != nil {
		panic("config: built-in indicators.yaml is broken: " + err.Error())
	}
	out := map[string]IndicatorProfile{}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		name, body := m.Content[i].Value, m.Content[i+1]
		p := IndicatorProfile{Name: name}
		settings := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for j := 0; j+1 < len(body.Content); j += 2 {
			k, v := body.Content[j], body.Content[j+1]
			switch k.Value {
			case "about":
				p.About = v.Value
				continue
			case "protocol":
				p.Protocol = v.Value
			case "baud":
				fmt.Sscan(v.Value, &p.Baud)
			case "framing":
				p.Framing = v.Value
			}
			settings.Content = append(settings.Content, k, v)
		}
		p.node = settings
		out[name] = p
	}
	return out
}

// IndicatorProfiles lists the built-in device profiles, sorted by name.
func IndicatorProfiles() []IndicatorProfile {
	out := make([]IndicatorProfile, 0, len(profiles))
	for _, p := range profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupIndicator returns a device profile by name.
func LookupIndicator(name string) (IndicatorProfile, bool) {
	p, ok := profiles[name]
	return p, ok
}

// applyProfiles lays each lane's device profile (scale.indicator) under the lane's own scale
// keys, before the defaults are laid under everything.
func applyProfiles(root *yaml.Node, ps *problems) {
	lanes := lookup(root, "lanes")
	if lanes == nil || lanes.Kind != yaml.SequenceNode {
		return
	}
	for i, l := range lanes.Content {
		if l.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(l.Content); j += 2 {
			if l.Content[j].Value != "scale" || l.Content[j+1].Kind != yaml.MappingNode {
				continue
			}
			scale := l.Content[j+1]
			ind := lookup(scale, "indicator")
			if ind == nil || ind.Kind != yaml.ScalarNode || ind.Value == "" {
				continue
			}
			p, ok := profiles[ind.Value]
			if !ok {
				ps.add(fmt.Sprintf("lanes[%d].scale.indicator", i), "%q is not a known indicator (%s)", ind.Value, profileNames())
				continue
			}
			l.Content[j+1] = merge(p.node, scale)
		}
	}
}

func profileNames() string {
	var s string
	for i, p := range IndicatorProfiles() {
		if i > 0 {
			s += ", "
		}
		s += p.Name
	}
	return s
}
