package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sitegate/agent/control"
	"sitegate/agent/lane"
	"sitegate/agent/uplink"
	config "sitegate/firmware-config"
	"sitegate/models/registry"
)

// ErrRestartRequested is returned by Run after a clean stop asked for by the restart command:
// the process exits for its supervisor to start it again.
var ErrRestartRequested = errors.New("restart requested by command")

// RegistryReported is the {root}/registry/reported message: what became of the latest site
// registry this gateway received.
type RegistryReported struct {
	Schema  string `json:"schema"` // sitegate.registry_reported/v1
	Version int64  `json:"version"`
	Status  string `json:"status"` // applied | rejected
	Error   string `json:"error,omitempty"`
	// RunningVersion is the registry version in use now.
	RunningVersion int64  `json:"running_version"`
	Time           string `json:"time"`
}

// controlPlane connects the control package to the running gateway: desired configs, the site
// registry and commands come in on the uplink and are handled on a worker of their own.
type controlPlane struct {
	g     *Gateway
	store control.Store
	trust *control.Trust
	cmds  *control.Commands

	desired  chan []byte // latest wins
	registry chan []byte // latest wins

	mu       sync.Mutex
	applied  control.AppliedState // the running desired config (version 0: the local file)
	handled  int64                // highest desired version applied, rejected or rolled back
	reported *control.Reported
	regRep   *RegistryReported

	applies, rollbacks, rejects atomic.Uint64
}

func (g *Gateway) root() string { return Root(g.cfg.Site, g.cfg.Gateway) }

// running is the config the lanes run now: the local file's, or the last applied desired one.
func (g *Gateway) running() *config.Config {
	if c := g.runCfg.Load(); c != nil {
		return c
	}
	return g.cfg
}

func (g *Gateway) tolerance() float64 { return g.running().Rules.Overload.ToleranceKg }

// initControl prepares the control plane before any lane starts: it returns the config to run,
// which is the last applied desired config when there is one that still fits the local file.
func (g *Gateway) initControl() (*config.Config, error) {
	tr, err := control.NewTrust(g.cfg.Control.TrustedKeys, nil)
	if err != nil {
		return nil, err
	}
	cp := &controlPlane{g: g, store: control.Store{Dir: filepath.Join(g.cfg.Store.Dir, "control")}, trust: tr,
		desired: make(chan []byte, 1), registry: make(chan []byte, 1)}
	cp.cmds = &control.Commands{Verify: tr.Verify, Logger: g.log, Reply: func(name string, b []byte) {
		if err := g.up.Publish(g.root()+"/cmd/"+name+"/reply", 1, false, b); err != nil {
			g.log.Warn("command reply not sent", "cmd", name, "err", err)
		}
	}}
	g.ctl = cp
	g.registerCommands()
	// A candidate left behind was interrupted mid-apply: the last applied config runs.
	if err := cp.store.Remove(control.CandidateFile); err != nil {
		g.log.Warn("control store", "err", err)
	}
	if b, err := cp.store.Load(control.RegistryFile); err != nil {
		g.log.Warn("stored registry not read", "err", err)
	} else if b != nil {
		if r, err := registry.Parse(b); err != nil {
			g.log.Warn("stored registry not valid", "err", err)
		} else if cur := g.reg.Load(); cur == nil || r.Version > cur.Version {
			g.reg.Store(r)
			g.regErr.Store(nil)
			g.log.Info("registry from the last sync", "version", r.Version, "vehicles", r.Len())
		}
	}
	a, err := cp.store.LoadApplied()
	if err != nil {
		g.log.Warn("last applied config not read; running the local file", "err", err)
		return g.cfg, nil
	}
	if a.Version == 0 {
		return g.cfg, nil
	}
	cfg, err := control.Candidate(g.cfg, a.Config)
	if err != nil {
		g.log.Error("last applied config no longer fits the local file; running the local file", "version", a.Version, "err", err)
		return g.cfg, nil
	}
	cp.applied, cp.handled = a, a.Version
	g.log.Info("running the last applied config", "version", a.Version)
	return cfg, nil
}

// subscribe registers the control topics on the uplink; handlers only queue work.
func (cp *controlPlane) subscribe(up *uplink.Uplink) {
	g := cp.g
	up.Subscribe(g.root()+"/config/desired", 1, func(_ string, b []byte) { latest(cp.desired, b) })
	up.Subscribe("sitegate/v1/"+g.cfg.Site+"/registry", 1, func(_ string, b []byte) { latest(cp.registry, b) })
	prefix := g.root() + "/cmd/"
	up.Subscribe(prefix+"+", 1, func(topic string, b []byte) {
		name := strings.TrimPrefix(topic, prefix)
		cp.cmds.Deliver(name, topic, b)
	})
}

// latest puts b in a one-slot channel, replacing what waits there: only the newest desired
// config or registry matters.
func latest(ch chan []byte, b []byte) {
	for {
		select {
		case ch <- b:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// run handles desired configs and registries until ctx is done; commands run on their own worker.
func (cp *controlPlane) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { cp.cmds.Run(ctx) })
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-cp.desired:
			cp.onDesired(ctx, b)
		case b := <-cp.registry:
			cp.onRegistry(b)
		}
	}
}

func now() string { return time.Now().Format(lane.TimeLayout) }

// onDesired validates, applies and reports one desired config.
func (cp *controlPlane) onDesired(ctx context.Context, payload []byte) {
	g := cp.g
	topic := g.root() + "/config/desired"
	if len(payload) == 0 { // a cleared retained message
		return
	}
	d, err := control.ParseDesired(payload)
	if err != nil {
		cp.rejects.Add(1)
		cp.report(control.Reported{Version: peekVersion(payload), Status: control.Rejected, Errors: problems(err)})
		return
	}
	cp.mu.Lock()
	handled := cp.handled
	last := cp.reported
	cp.mu.Unlock()
	if d.Version <= handled {
		// Replays and the retained message on every reconnect: ignored, and the current state
		// reported again.
		rep := control.Reported{Version: handled, Status: control.Applied}
		if last != nil {
			rep = *last
		}
		if d.Version < handled {
			rep.Ignored = &control.Ignored{Version: d.Version, Reason: fmt.Sprintf("version %d is not above %d", d.Version, handled)}
		} else {
			rep.Ignored = nil
		}
		cp.report(rep)
		return
	}
	if _, err := cp.trust.Verify(topic, payload); err != nil {
		cp.rejects.Add(1)
		cp.finish(d.Version, control.Reported{Version: d.Version, Status: control.Rejected,
			Errors: control.Problems{{Path: control.SigField, Msg: err.Error()}}})
		return
	}
	next, err := control.Candidate(g.cfg, d.Config)
	if err != nil {
		cp.rejects.Add(1)
		cp.finish(d.Version, control.Reported{Version: d.Version, Status: control.Rejected, Errors: problems(err)})
		return
	}
	if err := cp.store.Save(control.CandidateFile, payload); err != nil {
		g.log.Warn("candidate not persisted", "err", err)
	}
	cur := g.running()
	g.log.Info("applying desired config", "version", d.Version)
	started := g.swap(cur, next)
	g.runCfg.Store(next)
	if err := waitUp(ctx, started, g.cfg.Control.ApplyTimeout.D()); err != nil {
		g.log.Error("desired config did not come up; rolling back", "version", d.Version, "err", err)
		g.swap(next, cur)
		g.runCfg.Store(cur)
		_ = cp.store.Remove(control.CandidateFile)
		cp.rollbacks.Add(1)
		cp.finish(d.Version, control.Reported{Version: d.Version, Status: control.RolledBack, Reason: err.Error()})
		return
	}
	a := control.AppliedState{Version: d.Version, Config: d.Config, Time: now()}
	if err := cp.store.SaveApplied(a); err != nil {
		g.log.Error("applied config not persisted: a reboot runs the previous one", "err", err)
	}
	_ = cp.store.Remove(control.CandidateFile)
	cp.mu.Lock()
	cp.applied = a
	cp.mu.Unlock()
	cp.applies.Add(1)
	g.log.Info("desired config applied", "version", d.Version, "lanes_restarted", len(started))
	cp.finish(d.Version, control.Reported{Version: d.Version, Status: control.Applied})
}

func (cp *controlPlane) finish(version int64, rep control.Reported) {
	cp.mu.Lock()
	cp.handled = max(cp.handled, version)
	cp.mu.Unlock()
	cp.report(rep)
}

// report publishes config/reported (retained) and remembers it for the next reconnect.
func (cp *controlPlane) report(rep control.Reported) {
	g := cp.g
	rep.Schema = control.ReportedSchema
	rep.Time = now()
	if rep.Errors == nil {
		rep.Errors = control.Problems{}
	}
	cp.mu.Lock()
	rep.RunningVersion = cp.applied.Version
	cp.mu.Unlock()
	if rp, err := control.RemotePart(g.running()); err == nil {
		rep.Config = rp
	}
	if rep.Ignored == nil {
		cp.mu.Lock()
		r := rep
		cp.reported = &r
		cp.mu.Unlock()
	}
	b, err := json.Marshal(rep)
	if err != nil {
		g.log.Error("config report", "err", err)
		return
	}
	if err := g.up.Publish(g.root()+"/config/reported", 1, true, b); err != nil {
		g.log.Warn("config report not sent now; it is sent again when the desired config is next received", "err", err)
	}
}

// onRegistry takes a site registry: newer versions replace the registry atomically and are
// persisted; the outcome is reported on registry/reported.
func (cp *controlPlane) onRegistry(payload []byte) {
	g := cp.g
	if len(payload) == 0 {
		return
	}
	rep := RegistryReported{Schema: "sitegate.registry_reported/v1", Status: control.Rejected}
	defer func() {
		rep.Time = now()
		if r := g.reg.Load(); r != nil {
			rep.RunningVersion = r.Version
		}
		cp.mu.Lock()
		cp.regRep = &rep
		cp.mu.Unlock()
		b, _ := json.Marshal(rep)
		if err := g.up.Publish(g.root()+"/registry/reported", 1, true, b); err != nil {
			g.log.Warn("registry report not sent", "err", err)
		}
	}()
	rep.Version = peekVersion(payload)
	if err := control.CheckSize("registry", payload, control.MaxRegistryBytes); err != nil {
		rep.Error = err.Error()
		return
	}
	if _, err := cp.trust.Verify("sitegate/v1/"+g.cfg.Site+"/registry", payload); err != nil {
		rep.Error = "refused: " + err.Error()
		return
	}
	body, err := stripSig(payload)
	if err != nil {
		rep.Error = err.Error()
		return
	}
	r, err := registry.Parse(body)
	if err != nil {
		rep.Error = err.Error()
		return
	}
	if cur := g.reg.Load(); cur != nil && g.regErr.Load() == nil && r.Version <= cur.Version {
		if r.Version == cur.Version {
			rep.Status = control.Applied
		} else {
			rep.Error = fmt.Sprintf("version %d is not above %d", r.Version, cur.Version)
		}
		return
	}
	if err := cp.store.Save(control.RegistryFile, body); err != nil {
		g.log.Warn("registry not persisted", "err", err)
	}
	g.reg.Store(r)
	g.regErr.Store(nil)
	rep.Status = control.Applied
	g.log.Info("registry synced", "version", r.Version, "vehicles", r.Len())
	g.up.PublishStatus(g.statusPayload("online"))
}

// stripSig removes the signature fields from a JSON document, which the registry parser, being
// strict, would refuse.
func stripSig(payload []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil || m == nil {
		return payload, nil // YAML, or broken: the parser says what is wrong
	}
	if _, ok := m[control.SigField]; !ok {
		if _, ok := m[control.ExpiresField]; !ok {
			return payload, nil
		}
	}
	delete(m, control.SigField)
	delete(m, control.ExpiresField)
	return json.Marshal(m)
}

func peekVersion(payload []byte) int64 {
	var v struct {
		Version int64 `json:"version"`
	}
	_ = json.Unmarshal(payload, &v)
	return v.Version
}

func problems(err error) control.Problems {
	var ps control.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return control.Problems{{Msg: err.Error()}}
}
