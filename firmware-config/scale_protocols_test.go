package config

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all"
	"sitegate/drivers/indicator/ascii"
)

// TestProtocolBlocksDecode checks every registered protocol block the way the loader uses it:
// its key is free among the scale's keys, its default is a struct the strict decoder can fill,
// and a lane that leaves the block out gets the default.
func TestProtocolBlocksDecode(t *testing.T) {
	scaleKeys := fieldsByKey(reflect.TypeOf(Scale{}))
	cfg, err := parseScale(t, "      port: /dev/ttyS0\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range indicator.Protocols() {
		if p.ProfileKey == "" {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			if _, clash := scaleKeys[p.ProfileKey]; clash {
				t.Fatalf("profile key %q is already a key of scale", p.ProfileKey)
			}
			if k := reflect.TypeOf(p.DefaultProfile).Kind(); k != reflect.Struct {
				t.Fatalf("DefaultProfile is a %s, want a struct value", k)
			}
			var ps problems
			decodeProfile(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, p.DefaultProfile, "x", &ps)
			if len(ps.list) > 0 {
				t.Errorf("the decoder cannot fill DefaultProfile: %v", ps.list)
			}
			if got := cfg.Lanes[0].Scale.ProtocolProfiles[p.ProfileKey]; !reflect.DeepEqual(got, p.DefaultProfile) {
				t.Errorf("a lane without the block got %#v, want the default %#v", got, p.DefaultProfile)
			}
		})
	}
}

func TestASCIIBlock(t *testing.T) {
	for _, c := range []struct {
		name, scale string
		want        ascii.Profile
	}{
		{"defaults", "      port: /dev/ttyS0\n", ascii.Profile{Scale: 1, Unit: "kg", Terminator: "\r\n"}},
		{"empty block", "      port: /dev/ttyS0\n      ascii:\n", ascii.Profile{Scale: 1, Unit: "kg", Terminator: "\r\n"}},
		{"some keys", "      port: /dev/ttyS0\n      protocol: ascii\n      ascii: {pattern: '^(?P<w>[0-9]+)$', unit: t}\n",
			ascii.Profile{Pattern: "^(?P<w>[0-9]+)$", Scale: 1, Unit: "t", Terminator: "\r\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseScale(t, c.scale)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Lanes[0].Scale.ProtocolProfiles["ascii"]; got != c.want {
				t.Errorf("ascii block %#v, want %#v", got, c.want)
			}
		})
	}
	if _, err := parseScale(t, "      port: /dev/ttyS0\n      asci: {}\n"); err == nil || err.Error() != `lanes[0].scale.asci: unknown key (did you mean "ascii"?)` {
		t.Errorf("a misspelt block: %v", err)
	}
}

// TestMarshalRoundTrip checks that a loaded config written back as YAML (as a desired config
// is laid over the local one) loads again to the same config, protocol blocks included.
func TestMarshalRoundTrip(t *testing.T) {
	for _, in := range []string{string(ExampleYAML()), laneBase + "      port: /dev/ttyS0\n      indicator: xk3118t1\n"} {
		cfg, err := Parse([]byte(in), "/srv")
		if err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out, "/srv")
		if err != nil {
			t.Fatalf("%v in\n%s", err, out)
		}
		if !reflect.DeepEqual(cfg.Lanes, again.Lanes) {
			t.Errorf("lanes differ after a round trip:\n%+v\n%+v", cfg.Lanes, again.Lanes)
		}
	}
}
