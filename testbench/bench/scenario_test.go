package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const minimal = `
devices:
  indicators: [{lane: exit-1, emulate: {}}]
  plate_cameras: [{id: p1, emulate: true}]
timeline:
  - plate: {text: 浙F12345}
  - truck: {gross_kg: 20000}
expect:
  passages: [{plate: 浙F12345, gross_kg: 20000}]
`

// badScenarios are scenario files with mistakes, and a path each error must name.
var badScenarios = []struct {
	name, text, path string
}{
	{"unknown top key", minimal + "colour: red\n", "colour: unknown key"},
	{"unknown nested key", strings.Replace(minimal, "gross_kg: 20000}\n", "gross_kg: 20000, wheels: 6}\n", 1), "timeline[1].truck.wheels: unknown key"},
	{"unknown expect key", strings.Replace(minimal, "gross_kg: 20000}]", "gross_kg: 20000, colour: x}]", 1), "expect.passages[0].colour: unknown key"},
	{"bad duration", minimal + "settle: soon\n", "settle: \"soon\" is not a duration"},
	{"bad number", strings.Replace(minimal, "gross_kg: 20000}\n", "gross_kg: heavy}\n", 1), "timeline[1].truck.gross_kg: \"heavy\" is not a number"},
	{"two actions", strings.Replace(minimal, "  - truck: {gross_kg: 20000}\n", "  - {truck: {gross_kg: 1}, wait: 1s}\n", 1), "timeline[1]: want exactly one action"},
	{"no action", strings.Replace(minimal, "  - truck: {gross_kg: 20000}\n", "  - {note: hello}\n", 1), "timeline[1]: want exactly one action"},
	{"bad shape", strings.Replace(minimal, "gross_kg: 20000}\n", "gross_kg: 20000, shape: zigzag}\n", 1), "timeline[1].truck.shape: \"zigzag\""},
	{"tail without second", strings.Replace(minimal, "gross_kg: 20000}\n", "gross_kg: 20000, shape: tail_to_tail}\n", 1), "timeline[1].truck.second_kg"},
	{"unknown lane", strings.Replace(minimal, "  - truck: {gross_kg: 20000}\n", "  - truck: {gross_kg: 20000, lane: entry-9}\n", 1), "timeline[1].truck.lane: no device is on lane \"entry-9\""},
	{"unknown protocol", strings.Replace(minimal, "{lane: exit-1, emulate: {}}", "{lane: exit-1, protocol: morse, emulate: {}}", 1), "devices.indicators[0].protocol"},
	{"real and emulated", strings.Replace(minimal, "{lane: exit-1, emulate: {}}", "{lane: exit-1, port: /dev/ttyUSB0, emulate: {}}", 1), "devices.indicators[0]: give either port"},
	{"bad dropout", strings.Replace(minimal, "emulate: {}}", "emulate: {dropout: 3:5}}", 1), "devices.indicators[0].emulate.dropout"},
	{"camera without opencv", strings.Replace(minimal, "  plate_cameras:", "  cameras: [{id: c1, emulate: true}]\n  plate_cameras:", 1), "requires: a scenario with cameras requires opencv"},
	{"fill without tmpfs", strings.Replace(minimal, "  - truck: {gross_kg: 20000}\n", "  - fill_disk: {leave: 1MiB}\n", 1), "timeline[1].fill_disk: needs devices.store_tmpfs"},
	{"bad size", strings.Replace(minimal, "  - truck: {gross_kg: 20000}\n", "  - fill_disk: {leave: lots}\n", 1), "timeline[1].fill_disk.leave: \"lots\" is not a size"},
	{"bad verdict", strings.Replace(minimal, "gross_kg: 20000}]", "checks: {overload: maybe}}]", 1), "expect.passages[0].checks.overload: \"maybe\""},
	{"weight and no weight", strings.Replace(minimal, "gross_kg: 20000}]", "gross_kg: 20000, no_weight: true}]", 1), "expect.passages[0]: gross_kg and no_weight"},
	{"bad decision", minimal + "  decisions: [{plate: x, action: wave}]\n", "expect.decisions[0].action: \"wave\""},
	{"bad broker", strings.Replace(minimal, "  - truck: {gross_kg: 20000}\n", "  - broker: sideways\n", 1), "timeline[1].broker: \"sideways\""},
	{"empty timeline", "devices: {indicators: [{emulate: {}}]}\n", "timeline: empty"},
	{"agent lane unknown", minimal + "agent:\n  lanes:\n    entry-2: {plate_window: 5s}\n", "agent.lanes.entry-2: no device is on lane"},
	{"list for mapping", minimal + "agent: [1, 2]\n", "agent: want a mapping"},
	{"not yaml", "devices: [\n", "not YAML"},
}

func TestParseRejects(t *testing.T) {
	for _, c := range badScenarios {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.text)
			}
			if !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q does not name %q", err, c.path)
			}
		})
	}
}

func TestParseMinimal(t *testing.T) {
	s, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Devices.Indicators[0].Protocol; got != "yaohua-tf0" {
		t.Errorf("default protocol %q", got)
	}
	if s.Timeline[1].Truck.Shape != "truck" || s.Timeline[0].Plate.Camera != "p1" || s.Timeline[0].Plate.Lane != "exit-1" {
		t.Errorf("defaults not applied: %+v %+v", *s.Timeline[1].Truck, *s.Timeline[0].Plate)
	}
	if s.Settle.D().Seconds() != 20 {
		t.Errorf("settle %v", s.Settle.D())
	}
}

// TestLibraryLoads: every scenario that ships parses, and there are at least 12.
func TestLibraryLoads(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	if len(files) < 12 {
		t.Fatalf("%d scenarios ship, want at least 12", len(files))
	}
	names := map[string]string{}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if other, dup := names[s.Name]; dup {
			t.Errorf("%s and %s are both named %q", f, other, s.Name)
		}
		names[s.Name] = f
		if s.Description == "" {
			t.Errorf("%s: no description", f)
		}
		if len(s.Expect.Passages)+len(s.Expect.Decisions) == 0 && s.Expect.PassagesTotal == nil {
			t.Errorf("%s: expects nothing", f)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	for _, c := range badScenarios {
		f.Add([]byte(c.text))
	}
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err == nil && s == nil {
			t.Fatal("no scenario and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
	})
}
