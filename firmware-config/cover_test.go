package config

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision"
)

// Scorers of this test only: the real ones register from models/cover's own files.
func init() {
	none := func(mud.Config) (mud.Scorer, error) { return nil, mud.ErrNoVision }
	cover.Scorers.Register("cfgtest", vision.Info{}, none)
	cover.Scorers.Register("cfgtest-net", vision.Info{NeedsModel: true}, none)
}

const coverCamera = "site: s1\ngateway: g1\nlanes:\n  - id: exit-1\n    scale: {port: /dev/ttyUSB0}\n    cameras:\n      - id: bed\n        url: /tmp/x.avi\n"

const bedROI = "rois: [{name: bed, polygon: [[0.21, 0.30], [0.80, 0.30], [0.80, 0.75], [0.21, 0.75]]}]"

func TestCoverDefaultsMatchDefaultsYAML(t *testing.T) {
	var doc struct {
		Lanes []struct {
			Cameras []struct {
				Cover Cover `yaml:"cover"`
			} `yaml:"cameras"`
		} `yaml:"lanes"`
	}
	if err := yaml.Unmarshal(DefaultsYAML(), &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Lanes[0].Cameras[0].Cover
	if got.set() || got.Scorer != coverDefaults.Scorer || got.Threshold != coverDefaults.Threshold || got.Rate != coverDefaults.Rate {
		t.Fatalf("defaults.yaml cover %+v, coverDefaults %+v", got, coverDefaults)
	}
	c, err := Parse([]byte(coverCamera), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cc := c.Lanes[0].Cameras[0].Cover; cc.On() || cc.set() || cc.Threshold != 0.5 || cc.Rate != 2 || cc.Scorer != "classic" {
		t.Fatalf("a camera without a cover block: %+v", cc)
	}
}

var coverCases = []struct{ name, block, want string }{
	{"on", "cover: {" + bedROI + ", scorer: cfgtest, threshold: 0.6, rate: 3}", ""},
	{"net with its model", "cover: {" + bedROI + ", scorer: cfgtest-net, model: cover.yaml}", ""},
	{"threshold without regions", "cover: {scorer: cfgtest, threshold: 0.6}",
		"lanes[0].cameras[0].cover.rois: must be set when cover is"},
	{"empty block", "cover: {}", ""}, // says nothing: the defaults, off
	{"unknown scorer", "cover: {" + bedROI + ", scorer: magic}", `lanes[0].cameras[0].cover.scorer: "magic" is not `},
	{"model needed", "cover: {" + bedROI + ", scorer: cfgtest-net}", "lanes[0].cameras[0].cover.model: must be set for scorer cfgtest-net"},
	{"threshold", "cover: {" + bedROI + ", scorer: cfgtest, threshold: 1.5}", "lanes[0].cameras[0].cover.threshold: 1.5 is outside 0..1"},
	{"rate zero", "cover: {" + bedROI + ", scorer: cfgtest, rate: 0}", "lanes[0].cameras[0].cover.rate: 0 is outside"},
	{"rate negative", "cover: {" + bedROI + ", scorer: cfgtest, rate: -1}", "lanes[0].cameras[0].cover.rate: -1 is outside"},
	{"bad region", "cover: {rois: [{name: bed, polygon: [[0, 0], [1.5, 0], [1, 1]]}], scorer: cfgtest}",
		"lanes[0].cameras[0].cover.rois[0].polygon[1]: [1.5, 0] is outside 0..1"},
	{"region names", "cover: {rois: [{name: bed, polygon: [[0, 0], [1, 0], [1, 1]]}, {name: bed, polygon: [[0, 0], [1, 0], [1, 1]]}], scorer: cfgtest}",
		`lanes[0].cameras[0].cover.rois[1].name: "bed" is used by another region`},
	{"unknown key", "cover: {" + bedROI + ", scorer: cfgtest, treshold: 0.5}", `lanes[0].cameras[0].cover.treshold: unknown key (did you mean "threshold"?)`},
}

func TestCoverValidation(t *testing.T) {
	for _, tc := range coverCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(coverCamera+"        "+tc.block+"\n"), "/etc/sitegate")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q (config %+v)", err, tc.want, c)
			}
		})
	}
}

func TestCoverBlockDecodes(t *testing.T) {
	c, err := Parse([]byte(coverCamera+"        mud: {threshold: 0.7}\n        cover: {"+bedROI+", scorer: cfgtest-net, model: m/cover.yaml, calibration: cal.json, threshold: 0.4, rate: 1.5}\n"), "/etc/sitegate")
	if err != nil {
		t.Fatal(err)
	}
	cc := c.Lanes[0].Cameras[0]
	want := Cover{Scorer: "cfgtest-net", Model: "/etc/sitegate/m/cover.yaml", Calibration: "/etc/sitegate/cal.json", Threshold: 0.4, Rate: 1.5}
	cv := cc.Cover
	if !cv.On() || len(cv.ROIs) != 1 || cv.ROIs[0].Name != "bed" || len(cv.ROIs[0].Polygon) != 4 || cv.ROIs[0].Polygon[2][1] != 0.75 ||
		cv.Scorer != want.Scorer || cv.Model != want.Model || cv.Calibration != want.Calibration || cv.Threshold != want.Threshold || cv.Rate != want.Rate {
		t.Fatalf("cover %+v, want %+v with the bed region", cv, want)
	}
	if cc.Mud.Threshold != 0.7 || len(cc.ROIs) != 0 {
		t.Fatalf("the mud block is its own: %+v, rois %v", cc.Mud, cc.ROIs)
	}
	// A running config is marshalled and parsed again (desired configs): the same cover, and a
	// camera without one stays without.
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(b, "/etc/sitegate")
	if err != nil {
		t.Fatalf("round trip: %v\n%s", err, b)
	}
	if got := again.Lanes[0].Cameras[0].Cover; got.Model != want.Model || got.Threshold != want.Threshold || len(got.ROIs) != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	plain, err := Parse([]byte(coverCamera), "/etc/sitegate")
	if err != nil {
		t.Fatal(err)
	}
	if b, err = yaml.Marshal(plain); err != nil {
		t.Fatal(err)
	}
	if again, err = Parse(b, "/etc/sitegate"); err != nil || again.Lanes[0].Cameras[0].Cover.On() {
		t.Fatalf("round trip of a camera without cover: %v", err)
	}
}

// FuzzParseCover: any cover block gives a config or Problems, never both and never a panic.
func FuzzParseCover(f *testing.F) {
	for _, tc := range coverCases {
		f.Add(tc.block)
	}
	f.Fuzz(func(t *testing.T, block string) {
		cfg, err := Parse([]byte(coverCamera+"        "+block+"\n"), "/srv")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("exactly one of config and error: %v %v", cfg, err)
		}
		if err == nil {
			if c := cfg.Lanes[0].Cameras[0].Cover; c.set() && (!c.On() || c.Threshold < 0 || c.Threshold > 1 || c.Rate <= 0) {
				t.Fatalf("accepted cover %+v", c)
			}
		}
	})
}
