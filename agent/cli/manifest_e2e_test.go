package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sitegate/agent/lane"
	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/platecam"
)

// TestManifestCheck: with the site's manifests retained on the broker, an exit with a valid
// manifest is ok and names it, a second exit on the same manifest is an alarm manifest_used, and a
// truck with no manifest is an alarm; the gateway reports the manifests it took.
func TestManifestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	cfg, _ := os.ReadFile(s.config)
	cfg = []byte(strings.Replace(string(cfg), "plate_only_timeout: 60s", "plate_only_timeout: 1s", 1))
	if err := os.WriteFile(s.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("CST", 8*3600)
	now := time.Now().In(loc)
	doc := fmt.Sprintf(`{"version":5,"manifests":[{"id":"ZJ-0001","plate":"浙F12345","valid_from":%q,"valid_to":%q,"origin":"工地 A","destination":"消纳场 B","permit_no":"HZ-88"}]}`,
		now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	broker.Publish(t, b.URL(), wire.SiteManifestsTopic("e2e-site"), []byte(doc), true)
	t.Cleanup(func() { broker.Publish(t, b.URL(), wire.SiteManifestsTopic("e2e-site"), nil, true) })

	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	await(t, msgs, 30*time.Second, "manifests applied", func(m broker.Msg) bool {
		var r wire.RegistryReported
		return strings.HasSuffix(m.Topic, "/manifests/reported") && json.Unmarshal(m.Payload, &r) == nil &&
			r.Status == wire.Applied && r.RunningVersion == 5
	})
	exit := func(plate string, at time.Time) lane.Passage {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: plate, Color: "yellow", Confidence: 0.97, Time: at}); err != nil {
			t.Fatal(err)
		}
		m := await(t, msgs, 30*time.Second, "the passage of "+plate, func(m broker.Msg) bool {
			var p lane.Passage
			return isPassage(m) && json.Unmarshal(m.Payload, &p) == nil && p.Plate != nil && p.Plate.Text == plate
		})
		checkPayload(t, m.Topic, m.Payload)
		var p lane.Passage
		json.Unmarshal(m.Payload, &p)
		if p.Checks.Manifest == nil {
			t.Fatalf("passage of %s has no manifest check: %s", plate, m.Payload)
		}
		return p
	}
	first := exit("浙F12345", now)
	if c := first.Checks.Manifest; c.Verdict != "ok" || c.ID != "ZJ-0001" || c.Destination != "消纳场 B" || c.PermitNo != "HZ-88" || slices.Contains(first.Alarms, "manifest") {
		t.Errorf("first exit: manifest %+v, alarms %v", c, first.Alarms)
	}
	second := exit("浙F12345", now.Add(5*time.Second))
	if c := second.Checks.Manifest; c.Verdict != "alarm" || c.Kind != "manifest_used" || c.ID != "ZJ-0001" || !slices.Contains(second.Alarms, "manifest") {
		t.Errorf("second exit on one manifest: manifest %+v, alarms %v", c, second.Alarms)
	}
	none := exit("苏A99999", now.Add(10*time.Second))
	if c := none.Checks.Manifest; c.Verdict != "alarm" || c.Kind != "none" || !slices.Contains(none.Alarms, "manifest") {
		t.Errorf("no manifest: manifest %+v, alarms %v", c, none.Alarms)
	}
}
