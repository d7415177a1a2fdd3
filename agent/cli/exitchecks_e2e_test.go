//go:build !nocv

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sitegate/agent/lane"
	"sitegate/drivers/modbus"
	"sitegate/models"
	"sitegate/models/mud"
	"sitegate/testbench/broker"
	"sitegate/testbench/coverscene"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/mjpegcam"
	"sitegate/testbench/modbusemu"
	"sitegate/testbench/pty"
	"sitegate/testbench/scene"
)

// TestExitChecksEachInTurn is issue 14's acceptance at the exit: every check a site exit runs
// at once (overload, registry, permit, mud from the wheel camera, cover from the bed camera,
// wash from the wash controller, manifest from the site's manifests file), with real mosquitto,
// an indicator on a pty, an emulated Modbus wash controller and two MJPEG cameras showing
// generated frames. A clean, covered, washed truck with a valid manifest passes with every check
// ok; the same truck uncovered, then unwashed (it bypasses the bay), then a registered truck with
// no manifest, each has exactly that check in alarm; a blind bed camera makes the cover check
// unknown with its reason.
func TestExitChecksEachInTurn(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: frames drawn by the cover generator")
	}
	dev, err := modbusemu.Start(1)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	b := broker.StartMosquitto(t)

	// The wheel camera sees a clean truck throughout; the bed camera a covered or an open load.
	clean, err := sceneJPEG(scene.Clean)
	if err != nil {
		t.Fatal(err)
	}
	gate := coverscene.ReferenceGate(coverscene.Above)
	covered := coverJPEG(t, gate, coverscene.Covered, "tarp-blue")
	open := coverJPEG(t, gate, coverscene.Open, "")
	wheels, err := mjpegcam.Start(clean, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer wheels.Close()
	bed, err := mjpegcam.Start(covered, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()

	dir := t.TempDir()
	master, port := pty.Pair(t)
	reg := `{"version": 4, "vehicles": [{"plate": "浙F12345", "axles": 3, "max_gross_kg": 30000}, {"plate": "浙F54321", "axles": 3, "max_gross_kg": 30000}]}`
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	var ms []string
	for i := 1; i <= 4; i++ { // one trip each
		ms = append(ms, fmt.Sprintf(`{"id":"ZJ-000%d","plate":"浙F12345","valid_from":%q,"valid_to":%q,"origin":"工地 A","destination":"消纳场 B","permit_no":"HZ-88"}`,
			i, now.Add(-time.Hour).Format(time.RFC3339), now.Add(2*time.Hour).Format(time.RFC3339)))
	}
	for name, body := range map[string]string{
		"registry.json":  reg,
		"manifests.json": `{"version": 4, "manifests": [` + strings.Join(ms, ",") + `]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plateAddr := freeAddr(t)
	cfg := fmt.Sprintf(`site: e2e-site
gateway: gw-07
mqtt: {url: %q}
store: {dir: data}
registry: {file: registry.json}
manifests: {file: manifests.json}
status: {interval: 1s}
log: {level: debug}
rules: {wash: {min_duration: 2s}}
lanes:
%s    wash: {source: modbus, poll: 100ms, modbus: {address: %q, unit: 1, table: discrete, index: 4}}
    cameras:
      - id: wheels
        url: %s
        rois:
%s        mud: {scorer: classic, threshold: 0.5, rate: 10}
      - id: bed
        url: %s
        cover:
          rois:
%s          scorer: classic
          threshold: 0.5
          rate: 10
`, b.URL(), exitLane(port, plateAddr), dev.Addr(), wheels.URL(), roisYAML(sceneRegions(), "          "), bed.URL(), roisYAML(gate.Regions(), "            "))
	config := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &site{dir: dir, config: config, plateAddr: plateAddr, master: master}
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	await(t, msgs, 30*time.Second, "a status with both cameras streaming and the wash bay read", func(m broker.Msg) bool {
		p := string(m.Payload)
		return strings.HasSuffix(m.Topic, "/status") && strings.Count(p, `"state":"streaming"`) >= 2 &&
			strings.Contains(p, `"wash":{"source":"modbus","state":"empty"`)
	})

	exit := func(plate string, bedJPEG []byte, washed bool) lane.Passage {
		t.Helper()
		bed.Show(bedJPEG)
		if washed {
			dev.Set(modbus.DiscreteInputs, 4, true)
			time.Sleep(3 * time.Second)
			dev.Set(modbus.DiscreteInputs, 4, false)
		}
		time.Sleep(time.Second) // the stay closes; the cameras' streams carry the new picture
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		emu := indicatoremu.New(lockedWriter{s}, 100*time.Millisecond, indicatoremu.Options{Seed: 1})
		go emu.Run(ctx)
		pushPlate(t, s, plate)
		if err := emu.Play(ctx, indicatoremu.Truck(25000)); err != nil {
			t.Fatal(err)
		}
		m := await(t, msgs, 60*time.Second, "the passage of "+plate, func(m broker.Msg) bool {
			var p lane.Passage
			return isPassage(m) && json.Unmarshal(m.Payload, &p) == nil && p.Plate != nil && p.Plate.Text == plate
		})
		checkPayload(t, m.Topic, m.Payload)
		var p lane.Passage
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// each checks that every check ran and only want (if any) is in alarm.
	each := func(what string, p lane.Passage, want string) {
		t.Helper()
		c := p.Checks
		if c.Cover == nil || c.Wash == nil || c.Manifest == nil {
			t.Fatalf("%s: a check is missing: cover %v wash %v manifest %v", what, c.Cover, c.Wash, c.Manifest)
		}
		verdicts := map[string]models.Verdict{"overload": c.Overload.Verdict, "registry": c.Registry.Verdict,
			"mud": c.Mud.Verdict, "cover": c.Cover.Verdict, "wash": c.Wash.Verdict, "manifest": c.Manifest.Verdict}
		for name, v := range verdicts {
			wantV := models.OK
			if name == want {
				wantV = models.Alarm
			}
			if v != wantV {
				t.Errorf("%s: %s is %s, want %s (cover %+v, wash %+v, manifest %+v, mud %+v)", what, name, v, wantV, *c.Cover, *c.Wash, *c.Manifest, c.Mud)
			}
		}
		t.Logf("%s: cover %s %s score %v, mud %s score %v, wash %s %s, manifest %s %s, alarms %v", what, c.Cover.Verdict, c.Cover.Kind,
			deref(c.Cover.Score), c.Mud.Verdict, deref(c.Mud.Score), c.Wash.Verdict, c.Wash.Kind, c.Manifest.Verdict, c.Manifest.Kind, p.Alarms)
		if c.Permit.Verdict == models.Alarm {
			t.Errorf("%s: permit in alarm: %+v", what, c.Permit)
		}
		var wantAlarms []string
		if want != "" {
			wantAlarms = []string{want}
		}
		if !slices.Equal(p.Alarms, wantAlarms) {
			t.Errorf("%s: alarms %v, want %v", what, p.Alarms, wantAlarms)
		}
	}

	ok := exit("浙F12345", covered, true)
	each("clean, covered, washed, with a manifest", ok, "")
	if k := ok.Checks.Cover.Kind; k != "covered" {
		t.Errorf("covered load's kind %q", k)
	}
	if ok.Checks.Manifest.ID != "ZJ-0001" || ok.Checks.Wash.Kind != "washed" {
		t.Errorf("manifest %+v, wash %+v", *ok.Checks.Manifest, *ok.Checks.Wash)
	}

	uncovered := exit("浙F12345", open, true)
	each("uncovered", uncovered, "cover")
	if k := uncovered.Checks.Cover.Kind; k == "covered" || k == "" {
		t.Errorf("open load's kind %q", k)
	}

	unwashed := exit("浙F12345", covered, false)
	each("unwashed (bypassed the bay)", unwashed, "wash")
	if k := unwashed.Checks.Wash.Kind; k != "bypass" {
		t.Errorf("unwashed truck's wash kind %q", k)
	}

	// The bed camera goes blind (a black picture: IR off at night): the cover check cannot see,
	// so it is unknown with the reason, never ok and never an alarm.
	var black bytes.Buffer
	if err := jpeg.Encode(&black, image.NewRGBA(image.Rect(0, 0, 640, 360)), nil); err != nil {
		t.Fatal(err)
	}
	blind := exit("浙F12345", black.Bytes(), true)
	if c := blind.Checks.Cover; c == nil || c.Verdict != models.Unknown || !strings.HasPrefix(c.Reason, "camera cannot see") || slices.Contains(blind.Alarms, "cover") {
		t.Errorf("blind bed camera: cover %+v, alarms %v", c, blind.Alarms)
	} else {
		t.Logf("blind bed camera: cover %s (%s), alarms %v", c.Verdict, c.Reason, blind.Alarms)
	}

	none := exit("浙F54321", covered, true)
	each("without a manifest", none, "manifest")
	if k := none.Checks.Manifest.Kind; k != "none" {
		t.Errorf("truck without a manifest: kind %q", k)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// roisYAML is regions as a config's rois list, each line indented by indent.
func roisYAML(regions []mud.Region, indent string) string {
	var b strings.Builder
	for _, r := range regions {
		b.WriteString(indent + "- name: " + r.Name + "\n" + indent + "  polygon: [")
		for i, p := range r.Polygon {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("[" + ftoa(p[0]) + ", " + ftoa(p[1]) + "]")
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// sceneJPEG is a daylight wheel-camera frame of the mud scene generator at severity sev.
func sceneJPEG(sev scene.Severity) ([]byte, error) {
	spec := scene.Random(rand.New(rand.NewPCG(1, 7)), scene.Day, sev)
	spec.Blur, spec.JPEGQuality, spec.OffsetX = 0, 85, 0
	return scene.JPEG(spec, 640, 360)
}

// coverJPEG is a daytime frame of the cover scene generator at gate g: a tipper of sand with
// the label, under cover (when one is named).
func coverJPEG(t *testing.T, g coverscene.Gate, label, cover string) []byte {
	t.Helper()
	spec := coverscene.RandomSpec(rand.New(rand.NewPCG(3, 7)), label)
	spec.Condition, spec.Load, spec.Truck = "day", "sand", "tipper"
	if cover != "" {
		spec.Cover = cover
	}
	img, lab := coverscene.Render(g, spec, 3, 640, 360)
	if lab.Label != label {
		t.Fatalf("rendered %q, asked for %q", lab.Label, label)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
