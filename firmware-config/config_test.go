package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all"
	_ "sitegate/models/mud" // registers the mud scorers that cameras[].mud.scorer names
)

const minimal = `
site: demo-site
gateway: gw-01
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
    cameras:
      - id: wheels
        url: clip.avi
`

func TestExampleIsValid(t *testing.T) {
	cfg, err := Parse(ExampleYAML(), "/etc/sitegate")
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	if cfg.Registry.File != "/etc/sitegate/registry.json" || cfg.Store.Dir != "/etc/sitegate/data" {
		t.Errorf("relative paths not resolved: %q %q", cfg.Registry.File, cfg.Store.Dir)
	}
	if cfg.Lanes[0].Cameras[0].URL != "rtsp://192.168.1.64:554/Streaming/Channels/101" {
		t.Errorf("a url with a scheme must be left alone, got %q", cfg.Lanes[0].Cameras[0].URL)
	}
}

func TestDefaultsFillEveryLaneAndCamera(t *testing.T) {
	cfg, err := Parse([]byte(minimal+`
  - id: exit-2
    direction: entry
    scale: {port: /dev/ttyUSB1, on_deck_kg: 800}
    plate: {listen: 127.0.0.1:8089}
`), "/srv")
	if err != nil {
		t.Fatal(err)
	}
	l0, l1 := cfg.Lanes[0], cfg.Lanes[1]
	if l0.Scale.Baud != 9600 || l0.Scale.Protocol != "yaohua-tf0" || l0.Scale.OnDeckKg != 500 ||
		l0.Scale.StableWindow.D() != 2*time.Second || l0.PlateWindow.D() != 30*time.Second {
		t.Errorf("lane 0 defaults not applied: %+v", l0)
	}
	if l1.Scale.OnDeckKg != 800 || l1.Scale.OffDeckKg != 200 || l1.Direction != "entry" || l1.Plate.Listen != "127.0.0.1:8089" {
		t.Errorf("lane 1 override or defaults wrong: %+v", l1)
	}
	if l0.Cameras[0].Mud.Scorer != "classic" || l0.Cameras[0].Mud.Threshold != 0.5 || l0.Cameras[0].URL != "/srv/clip.avi" {
		t.Errorf("camera defaults wrong: %+v", l0.Cameras[0])
	}
	if len(l1.Cameras) != 0 {
		t.Errorf("a lane without cameras must get none, got %+v", l1.Cameras)
	}
	if cfg.Store.MaxBytes != 1<<30 || cfg.MQTT.URL != "tcp://127.0.0.1:1883" {
		t.Errorf("top-level defaults wrong: %+v %+v", cfg.Store, cfg.MQTT)
	}
}

func TestProblemsHavePaths(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // each must appear as a line prefix
	}{
		{"bad baud", strings.Replace(minimal, "scale: {port: /dev/ttyUSB0}", "scale: {port: /dev/ttyUSB0, baud: 9601}", 1),
			[]string{"lanes[0].scale.baud: 9601 is not a standard rate"}},
		{"unknown key with suggestion", strings.Replace(minimal, "scale: {port: /dev/ttyUSB0}", "scale: {port: /dev/ttyUSB0, on_dek_kg: 3}", 1),
			[]string{`lanes[0].scale.on_dek_kg: unknown key (did you mean "on_deck_kg"?)`}},
		{"key given twice", minimal + "    scale: {port: /dev/ttyUSB0}\n", []string{"lanes[0].scale: key given twice"}},
		{"unknown mud scorer", minimal + "        mud: {scorer: magic}\n",
			[]string{`lanes[0].cameras[0].mud.scorer: "magic" is not classic or onnx`}},
		{"onnx without a model", minimal + "        mud: {scorer: onnx}\n",
			[]string{"lanes[0].cameras[0].mud.model: must be set for scorer onnx"}},
		{"unknown top-level key", minimal + "sitee: x\n", []string{"sitee: unknown key"}},
		{"wrong types", strings.Replace(minimal, "scale: {port: /dev/ttyUSB0}", "scale: {port: /dev/ttyUSB0, baud: fast, off_deck_hold: 3 seconds, stable_band_kg: [1]}", 1),
			[]string{`lanes[0].scale.baud: "fast" is not a whole number`, `lanes[0].scale.off_deck_hold: "3 seconds" is not a duration`, "lanes[0].scale.stable_band_kg: expected a single value"}},
		{"many semantic mistakes at once", `
site: Demo Site
gateway: gw-01
mqtt: {url: "http://broker:1883"}
store: {max_bytes: 1MiB}
lanes:
  - id: exit-1
    direction: out
    scale: {port: /dev/ttyUSB0, protocol: nope, on_deck_kg: 100, off_deck_kg: 300, framing: 9X1}
    cameras:
      - id: wheels
        url: ./a.avi
        rois: [{name: wheels, polygon: [[0, 0], [1.5, 0], [1, 1]]}]
        mud: {scorer: magic, threshold: 2}
  - id: exit-1
    scale: {port: "usb:0403"}
`, []string{"site:", "mqtt.url: scheme \"http\"", "store.max_bytes:", "lanes[0].direction:", "lanes[0].scale.protocol:",
			"lanes[0].scale.off_deck_kg:", "lanes[0].scale.framing:", "lanes[0].cameras[0].rois[0].polygon[1]:",
			"lanes[0].cameras[0].mud.scorer:", "lanes[0].cameras[0].mud.threshold:", "lanes[1].id:", "lanes[1].scale.port:"}},
		{"unit lb", strings.Replace(minimal, "scale: {port: /dev/ttyUSB0}", "scale: {port: /dev/ttyUSB0, unit: lb}", 1),
			[]string{`lanes[0].scale.unit: "lb" is not kg or t`}},
		{"unit t where the frames say", strings.Replace(minimal, "scale: {port: /dev/ttyUSB0}", "scale: {port: /dev/ttyUSB0, protocol: yaohua-a12e, unit: t}", 1),
			[]string{"lanes[0].scale.unit: yaohua-a12e frames say their own unit; unit applies only to yaohua-cmd, yaohua-eq, yaohua-eq-fwd, yaohua-tf0"}},
		{"no lanes", "site: a\ngateway: b\n", []string{"lanes: at least one lane"}},
		{"not yaml", "site: [", []string{"not valid YAML"}},
		{"empty", "", []string{"the config is empty"}},
		{"top level list", "- a\n", []string{"expected a mapping"}},
		{"bad size", strings.Replace(minimal, "gateway: gw-01", "gateway: gw-01\nstore: {max_bytes: lots}", 1), []string{"store.max_bytes: \"lots\" is not a size"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "/srv")
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("want Problems, got %v", err)
			}
			lines := strings.Split(ps.Error(), "\n")
			for _, w := range c.want {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("no line starts with %q in:\n%s", w, ps.Error())
				}
			}
			if len(lines) != len(ps) {
				t.Errorf("one line per problem: %d lines for %d problems", len(lines), len(ps))
			}
		})
	}
}

func TestLoadResolvesAgainstFileFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "site.yaml")
	// Load checks that the registry file exists.
	if err := os.WriteFile(filepath.Join(dir, "reg.json"), []byte(`{"version": 1, "vehicles": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(minimal+"registry: {file: reg.json}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Registry.File != filepath.Join(dir, "reg.json") || cfg.Dir != dir {
		t.Errorf("got registry %q dir %q", cfg.Registry.File, cfg.Dir)
	}
}

func TestParseSize(t *testing.T) {
	cases := map[string]int64{"1GiB": 1 << 30, "64MiB": 64 << 20, "512KiB": 512 << 10, "100B": 100, "4096": 4096, " 2 MiB": 2 << 20}
	for in, want := range cases {
		got, err := ParseSize(in)
		if err != nil || int64(got) != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "1.5GiB", "-1", "1TB", "99999999999999999999"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if s := Size(64 << 20).String(); s != "64MiB" {
		t.Errorf("String = %q", s)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(ExampleYAML())
	f.Add([]byte(minimal))
	f.Add([]byte("site: [\n"))
	f.Add([]byte("lanes: {a: b}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "/srv")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("exactly one of config and error: %v %v", cfg, err)
		}
		if ps, ok := err.(Problems); ok && len(ps) == 0 {
			t.Fatal("empty Problems returned as an error")
		}
	})
}

// TestScaleUnit: unit defaults to kg, takes t, and reaches the decoder options only of the
// protocols whose frames carry no unit.
func TestScaleUnit(t *testing.T) {
	cfg, err := Parse([]byte(minimal), "/srv")
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Lanes[0].Scale; s.Unit != "kg" || s.IndicatorOptions().Unit != indicator.Kilogram {
		t.Errorf("default unit %q, options %q", s.Unit, s.IndicatorOptions().Unit)
	}
	cfg, err = Parse([]byte(strings.Replace(minimal, "scale: {port: /dev/ttyUSB0}", "scale: {port: /dev/ttyUSB0, unit: t}", 1)), "/srv")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Lanes[0].Scale
	if s.IndicatorOptions().Unit != indicator.Tonne {
		t.Errorf("unit t: options %q", s.IndicatorOptions().Unit)
	}
	s.Protocol = "toledo-cont"
	if u := s.IndicatorOptions().Unit; u != "" {
		t.Errorf("a protocol whose frames say their unit got unit %q", u)
	}
}
