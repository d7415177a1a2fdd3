package remote

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"sitegate/agent/control"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
)

// localChange is a change of the running config made on the gateway itself (the console), by
// a logged-in user: it needs no signature, and takes the next version.
type localChange struct {
	lane, camera string
	rois         []config.ROI
	by           string
	done         chan wire.Reported
}

// SetRegions replaces the regions of interest of one camera of one lane in the running config,
// on behalf of by (who is logged in on the console): the result is a desired config of the
// next version, validated, applied, rolled back and reported on config/reported exactly as
// one from the platform, and kept as the last applied config (also when remote config is
// off: the change was made on the gateway). It waits for the outcome, or ctx.
func (p *Plane) SetRegions(ctx context.Context, laneID, cameraID string, rois []config.ROI, by string) (wire.Reported, error) {
	r := localChange{lane: laneID, camera: cameraID, rois: rois, by: by, done: make(chan wire.Reported, 1)}
	select {
	case p.local <- r:
	case <-ctx.Done():
		return wire.Reported{}, ctx.Err()
	}
	select {
	case rep := <-r.done:
		return rep, nil
	case <-ctx.Done():
		return wire.Reported{}, ctx.Err()
	}
}

// onLocal runs on the control plane's worker, so a local change and a desired config never
// apply at once.
func (p *Plane) onLocal(ctx context.Context, r localChange) wire.Reported {
	p.mu.Lock()
	version := p.handled + 1
	p.mu.Unlock()
	cur := p.Running()
	lanes := slices.Clone(cur.Lanes)
	found := false
	for i := range lanes {
		if lanes[i].ID != r.lane {
			continue
		}
		lanes[i].Cameras = slices.Clone(lanes[i].Cameras)
		for j := range lanes[i].Cameras {
			if lanes[i].Cameras[j].ID == r.camera {
				lanes[i].Cameras[j].ROIs = r.rois
				found = true
			}
		}
	}
	if !found {
		return wire.Reported{Schema: wire.ConfigReportedSchema, Version: version, Status: wire.Rejected,
			Errors: config.Problems{{Path: "lanes", Msg: fmt.Sprintf("no camera %q in lane %q", r.camera, r.lane)}}}
	}
	part, err := runningPart(lanes, cur.Rules)
	if err != nil {
		return wire.Reported{Schema: wire.ConfigReportedSchema, Version: version, Status: wire.Rejected,
			Errors: config.Problems{{Msg: err.Error()}}}
	}
	payload, err := json.Marshal(map[string]any{"version": version, "config": part})
	if err != nil {
		return wire.Reported{Schema: wire.ConfigReportedSchema, Version: version, Status: wire.Rejected,
			Errors: config.Problems{{Msg: err.Error()}}}
	}
	sum := sha256.Sum256(payload)
	d, err := control.ParseDesired(payload)
	if err != nil {
		return p.reject(sum, wire.Reported{Version: version, Status: wire.Rejected, Errors: problems(err)})
	}
	p.log.Info("config change from the console", "version", version, "by", r.by, "lane", r.lane, "camera", r.camera)
	return p.apply(ctx, sum, d, payload, r.by)
}

// runningPart is the remotely settable part of a running config, unredacted (the candidate is
// built from it: the cameras' URLs must stay whole).
func runningPart(lanes []config.Lane, rules config.Rules) (json.RawMessage, error) {
	b, err := yaml.Marshal(struct {
		Lanes []config.Lane `yaml:"lanes"`
		Rules config.Rules  `yaml:"rules"`
	}{lanes, rules})
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func byName(by string) string {
	if by == "" {
		return "platform"
	}
	return by
}
