// Package remote is the gateway's side of the control plane (CONTRACT 6): desired configs
// validated, applied with rollback and reported; the site registry taken, persisted and
// reported; commands dispatched to their handlers. Messages come in on the uplink and are
// handled on a worker of its own, so an MQTT callback never waits for an apply.
//
// It takes what it needs as functions and small interfaces (a Runner that runs a config, a
// publish function, the current registry): it knows no lane, camera or broker client. The
// rules of each message are in agent/control; the payloads in agent/wire.
package remote

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"sitegate/agent/clock"
	"sitegate/agent/control"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models/manifest"
	"sitegate/models/registry"
)

// Runner runs a config: it restarts what changed and waits up to timeout for what it started
// to come up, returning why not when it did not.
type Runner interface {
	Run(ctx context.Context, cfg *config.Config, timeout time.Duration) error
}

// Publish sends one message now (not through the outbox): reports and replies.
type Publish func(topic string, qos byte, retained bool, payload []byte) error

// Options are what the control plane works with.
type Options struct {
	Local    *config.Config // the local file's config
	Runner   Runner
	Publish  Publish
	Registry *registry.Current
	// OnRegistry is called after a newer registry is taken (the gateway republishes its status).
	OnRegistry func()
	// Manifests are the site's manifests in use (CONTRACT 10), taken like the registry; nil
	// ignores the manifests topic. OnManifests is called after newer ones are taken.
	Manifests   *manifest.Current
	OnManifests func()
	Logger      *slog.Logger
	// Clock says whether the system clock is synchronised, so that a signature refused
	// for its expiry names a wrong clock; nil judges the clock by its year alone.
	Clock clock.Source
}

// Counts are the desired configs handled, by outcome.
type Counts struct {
	Version                       int64 // running desired version (0: the local file)
	Applied, Rejected, RolledBack uint64
}

// Plane is a running control plane.
type Plane struct {
	o      Options
	t      wire.Gateway
	log    *slog.Logger
	store  control.Store
	trust  *control.Trust
	cmds   *control.Commands
	runCfg atomic.Pointer[config.Config]

	desired chan []byte // latest wins
	docs    []*siteDoc

	mu       sync.Mutex
	applied  control.AppliedState // the running desired config (version 0: the local file)
	handled  int64                // the floor: highest desired version applied or rolled back
	reported *wire.Reported
	// rejected is the digest of the last payload rejected since the last apply or rollback, so
	// that the retained message arriving again on a reconnect is reported, not counted, again.
	rejected [sha256.Size]byte

	applies, rollbacks, rejects atomic.Uint64
}

// New prepares the control plane before any lane starts: it loads the registry taken in the
// last sync (when newer than the file's), discards a candidate left by an interrupted apply, and
// returns the config to run, which is the last applied desired config when one still fits the
// local file.
func New(o Options) (*Plane, *config.Config, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	tr, err := control.NewTrust(o.Local.Control.TrustedKeys, nil)
	if err != nil {
		return nil, nil, err
	}
	tr.WithClock(o.Clock)
	p := &Plane{o: o, t: wire.Topics(o.Local.Site, o.Local.Gateway), log: o.Logger,
		store: control.Store{Dir: filepath.Join(o.Local.Store.Dir, "control")}, trust: tr,
		desired: make(chan []byte, 1)}
	p.docs = p.siteDocs()
	// Signed command ids are kept in the control store until they expire: a command captured
	// before a restart is refused after it too.
	replay, err := control.OpenReplay(p.store, control.DefaultReplayMax, time.Now())
	if err != nil {
		p.log.Error("replay cache not read: signed commands run before this start are not recognised as replays", "err", err)
	}
	p.cmds = &control.Commands{Verify: tr.Verify, Logger: o.Logger, Replay: replay, Reply: func(name string, b []byte) {
		if err := o.Publish(p.t.CmdReply(name), 1, false, b); err != nil {
			o.Logger.Warn("command reply not sent", "cmd", name, "err", err)
		}
	}}
	p.runCfg.Store(o.Local)
	// A candidate left behind was interrupted mid-apply: the last applied config runs.
	if err := p.store.Remove(control.CandidateFile); err != nil {
		p.log.Warn("control store", "err", err)
	}
	for _, d := range p.docs {
		p.loadStored(d)
	}
	a, err := p.store.LoadApplied()
	if err != nil {
		p.log.Warn("last applied config not read; running the local file", "err", err)
		return p, o.Local, nil
	}
	if a.Version == 0 {
		return p, o.Local, nil
	}
	if !p.remoteConfigOn() {
		p.log.Warn("last applied config not run: remote config is off", "version", a.Version, "reason", ErrUnsignedOff)
		return p, o.Local, nil
	}
	cfg, err := control.Candidate(o.Local, a.Config)
	if err != nil {
		p.log.Error("last applied config no longer fits the local file; running the local file", "version", a.Version, "err", err)
		return p, o.Local, nil
	}
	p.applied, p.handled = a, a.Version
	p.runCfg.Store(cfg)
	p.log.Info("running the last applied config", "version", a.Version)
	return p, cfg, nil
}

// loadStored takes the copy of a site document kept at the last sync, when it is newer than
// the one in use (from the local file).
func (p *Plane) loadStored(d *siteDoc) {
	b, err := p.store.Load(d.file)
	if err != nil {
		p.log.Warn("stored "+d.name+" not read", "err", err)
		return
	}
	if b == nil {
		return
	}
	v, take, err := d.parse(b)
	if err != nil {
		p.log.Warn("stored "+d.name+" not valid", "err", err)
		return
	}
	if cur, ok := d.held(); !ok || v > cur {
		take()
		p.log.Info(d.name+" from the last sync", "version", v)
	}
}

// ErrUnsignedOff is why a desired config is refused by a gateway with no trusted keys whose
// local file does not allow unsigned ones.
var ErrUnsignedOff = errors.New("unsigned desired configs are refused: the local file sets no control.trusted_keys and not control.allow_unsigned: true")

// remoteConfigOn reports whether desired configs are taken at all: signed (trusted keys set)
// or, where the local file opts in, unsigned.
func (p *Plane) remoteConfigOn() bool {
	return p.trust.Required() || p.o.Local.Control.AllowUnsigned
}

// Commands is where the gateway registers its command handlers.
func (p *Plane) Commands() *control.Commands { return p.cmds }

// Running is the config the lanes run now: the local file's, or the last applied desired one.
func (p *Plane) Running() *config.Config { return p.runCfg.Load() }

// Counts reports the desired configs handled.
func (p *Plane) Counts() Counts {
	p.mu.Lock()
	v := p.applied.Version
	p.mu.Unlock()
	return Counts{Version: v, Applied: p.applies.Load(), Rejected: p.rejects.Load(), RolledBack: p.rollbacks.Load()}
}

// Subscriber is the part of the uplink the control plane subscribes through.
type Subscriber interface {
	Subscribe(topic string, qos byte, h func(topic string, payload []byte))
}

// Subscribe registers the control topics; handlers only queue work.
func (p *Plane) Subscribe(s Subscriber) {
	s.Subscribe(p.t.ConfigDesired(), 1, func(_ string, b []byte) { latest(p.desired, b) })
	for _, d := range p.docs {
		s.Subscribe(d.topic, 1, func(_ string, b []byte) { latest(d.in, b) })
	}
	prefix := p.t.CmdPrefix()
	s.Subscribe(prefix+"+", 1, func(topic string, b []byte) {
		t, err := wire.Parse(topic)
		if err != nil || len(t.Rest) != 1 {
			return
		}
		p.cmds.Deliver(t.Rest[0], topic, b)
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

// Run handles desired configs and registries until ctx is done; commands run on their own
// worker.
func (p *Plane) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { p.cmds.Run(ctx) })
	for _, d := range p.docs {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case b := <-d.in:
					p.onSiteDoc(d, b)
				}
			}
		})
	}
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-p.desired:
			p.OnDesired(ctx, b)
		}
	}
}

func now() string { return time.Now().Format(wire.TimeLayout) }

// OnDesired validates, applies and reports one desired config.
//
// Only a version that was applied or rolled back raises the floor that later versions must be
// above. A rejected one (malformed, out of range, badly signed or invalid) changes nothing, so
// it cannot block the valid configs that follow it, whatever its number: anyone able to
// publish on the topic could otherwise stop remote configuration with one unsigned message.
func (p *Plane) OnDesired(ctx context.Context, payload []byte) {
	if len(payload) == 0 { // a cleared retained message
		return
	}
	sum := sha256.Sum256(payload)
	p.mu.Lock()
	if last := p.reported; last != nil && last.Status == wire.Rejected && sum == p.rejected {
		rep := *last
		p.mu.Unlock()
		p.report(rep)
		return
	}
	p.mu.Unlock()
	d, err := control.ParseDesired(payload)
	if err != nil {
		p.reject(sum, wire.Reported{Version: peekVersion(payload), Status: wire.Rejected, Errors: control.DesiredProblems(p.o.Local, payload, err)})
		return
	}
	p.mu.Lock()
	handled := p.handled
	last := p.reported
	p.mu.Unlock()
	if d.Version <= handled {
		// Replays and the retained message on every reconnect: ignored, and the current state
		// reported again.
		rep := wire.Reported{Version: handled, Status: wire.Applied}
		if last != nil {
			rep = *last
		}
		if d.Version < handled {
			rep.Ignored = &wire.Ignored{Version: d.Version, Reason: fmt.Sprintf("version %d is not above %d", d.Version, handled)}
		} else {
			rep.Ignored = nil
		}
		p.report(rep)
		return
	}
	if !p.remoteConfigOn() {
		p.reject(sum, wire.Reported{Version: d.Version, Status: wire.Rejected,
			Errors: config.Problems{{Path: control.SigField, Msg: ErrUnsignedOff.Error()}}})
		return
	}
	if _, err := p.trust.Verify(p.t.ConfigDesired(), payload); err != nil {
		p.reject(sum, wire.Reported{Version: d.Version, Status: wire.Rejected,
			Errors: config.Problems{{Path: control.SigField, Msg: err.Error()}}})
		return
	}
	next, err := control.Candidate(p.o.Local, d.Config)
	if err != nil {
		p.reject(sum, wire.Reported{Version: d.Version, Status: wire.Rejected, Errors: problems(err)})
		return
	}
	if err := p.store.Save(control.CandidateFile, payload); err != nil {
		p.log.Warn("candidate not persisted", "err", err)
	}
	cur := p.Running()
	p.log.Info("applying desired config", "version", d.Version)
	p.runCfg.Store(next)
	if err := p.o.Runner.Run(ctx, next, p.o.Local.Control.ApplyTimeout.D()); err != nil {
		p.log.Error("desired config did not come up; rolling back", "version", d.Version, "err", err)
		_ = p.o.Runner.Run(ctx, cur, 0)
		p.runCfg.Store(cur)
		_ = p.store.Remove(control.CandidateFile)
		p.rollbacks.Add(1)
		p.finish(d.Version, wire.Reported{Version: d.Version, Status: wire.RolledBack, Reason: err.Error()})
		return
	}
	a := control.AppliedState{Version: d.Version, Config: d.Config, Time: now()}
	if err := p.store.SaveApplied(a); err != nil {
		p.log.Error("applied config not persisted: a reboot runs the previous one", "err", err)
	}
	_ = p.store.Remove(control.CandidateFile)
	p.mu.Lock()
	p.applied = a
	p.mu.Unlock()
	p.applies.Add(1)
	p.log.Info("desired config applied", "version", d.Version)
	p.finish(d.Version, wire.Reported{Version: d.Version, Status: wire.Applied})
}

// finish raises the floor to an applied or rolled-back version and reports it.
func (p *Plane) finish(version int64, rep wire.Reported) {
	p.mu.Lock()
	p.handled = max(p.handled, version)
	p.rejected = [sha256.Size]byte{}
	p.mu.Unlock()
	p.report(rep)
}

// reject counts and reports a rejected desired config, leaving the floor where it is.
func (p *Plane) reject(sum [sha256.Size]byte, rep wire.Reported) {
	p.rejects.Add(1)
	p.log.Warn("desired config rejected", "version", rep.Version, "errors", len(rep.Errors))
	p.mu.Lock()
	p.rejected = sum
	p.mu.Unlock()
	p.report(rep)
}

// report publishes config/reported (retained) and remembers it for the next reconnect.
func (p *Plane) report(rep wire.Reported) {
	rep.Schema = wire.ConfigReportedSchema
	rep.Time = now()
	if rep.Errors == nil {
		rep.Errors = config.Problems{}
	}
	p.mu.Lock()
	rep.RunningVersion = p.applied.Version
	p.mu.Unlock()
	if rp, err := control.RemotePart(p.Running()); err == nil {
		rep.Config = rp
	}
	if rep.Ignored == nil {
		p.mu.Lock()
		r := rep
		p.reported = &r
		p.mu.Unlock()
	}
	b, err := json.Marshal(rep)
	if err != nil {
		p.log.Error("config report", "err", err)
		return
	}
	if err := p.o.Publish(p.t.ConfigReported(), 1, true, b); err != nil {
		p.log.Warn("config report not sent now; it is sent again when the desired config is next received", "err", err)
	}
}

// OnRegistry takes a site registry: newer versions replace the registry atomically and are
// persisted; the outcome is reported on registry/reported.
func (p *Plane) OnRegistry(payload []byte) { p.onSiteDoc(p.docs[0], payload) }

// onSiteDoc takes a site document (the registry, the manifests): checked for size and, where
// control trust is on, its signature; newer versions replace the one in use atomically and are
// persisted; the outcome is reported, retained, on {root}/{name}/reported.
func (p *Plane) onSiteDoc(d *siteDoc, payload []byte) {
	if len(payload) == 0 {
		return
	}
	rep := wire.RegistryReported{Schema: d.schema, Status: wire.Rejected}
	defer func() {
		if rep.Status == wire.Rejected {
			p.log.Warn(d.name+" rejected", "version", rep.Version, "err", control.Cut(rep.Error, maxLoggedError))
			rep.Error = control.Cut(rep.Error, control.MaxReportError)
		}
		rep.Time = now()
		rep.RunningVersion, _ = d.held()
		b, _ := json.Marshal(rep)
		if err := p.o.Publish(d.reported, 1, true, b); err != nil {
			p.log.Warn(d.name+" report not sent", "err", err)
		}
	}()
	rep.Version = peekVersion(payload)
	if err := control.CheckSize(d.name, payload, d.max); err != nil {
		rep.Error = err.Error()
		return
	}
	if _, err := p.trust.Verify(d.topic, payload); err != nil {
		rep.Error = "refused: " + err.Error()
		return
	}
	body, err := stripSig(payload)
	if err != nil {
		rep.Error = err.Error()
		return
	}
	v, take, err := d.parse(body)
	if err != nil {
		rep.Error = err.Error()
		return
	}
	if cur, ok := d.held(); ok && v <= cur {
		if v == cur {
			rep.Status = wire.Applied
		} else {
			rep.Error = fmt.Sprintf("version %d is not above %d", v, cur)
		}
		return
	}
	if err := p.store.Save(d.file, body); err != nil {
		p.log.Warn(d.name+" not persisted", "err", err)
	}
	take()
	rep.Status = wire.Applied
	p.log.Info(d.name+" synced", "version", v)
	if d.taken != nil {
		d.taken()
	}
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

// maxLoggedError bounds the error text of a rejection in the local log.
const maxLoggedError = 64 << 10

// peekVersion is the version of a message that did not parse, for its report: 0 when it is
// missing or outside 1..MaxVersion, so that a report never carries a number JSON consumers
// cannot keep exact.
func peekVersion(payload []byte) int64 {
	var v struct {
		Version int64 `json:"version"`
	}
	_ = json.Unmarshal(payload, &v)
	if v.Version < 1 || v.Version > control.MaxVersion {
		return 0
	}
	return v.Version
}

func problems(err error) config.Problems {
	var ps config.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return config.Problems{{Msg: err.Error()}}
}
