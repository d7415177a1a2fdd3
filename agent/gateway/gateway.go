// Package gateway wires a whole sitegate agent from its config and runs it: the outbox, the
// uplink, the lanes with their cameras and checks (agent/parts), the control plane
// (agent/remote), the status and metrics (agent/status), and the commands. Each of those takes
// what it needs from here as functions or small interfaces; none points back at the gateway.
//
// It is the only package that knows every other one; nothing but the CLI and the demo imports
// it.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sitegate/agent/checks"
	"sync"
	"sync/atomic"
	"time"

	"sitegate/agent/archive"
	_ "sitegate/agent/checks/all" // every passage check
	"sitegate/agent/clock"
	"sitegate/agent/console"
	"sitegate/agent/mqttconn"
	"sitegate/agent/outbox"
	"sitegate/agent/parts"
	"sitegate/agent/remote"
	"sitegate/agent/seal"
	"sitegate/agent/status"
	"sitegate/agent/systemd"
	"sitegate/agent/trips"
	"sitegate/agent/uplink"
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/drivers/indicator"
	"sitegate/drivers/plate"
	_ "sitegate/drivers/plate/all" // every plate-camera format the listeners take
	config "sitegate/firmware-config"
	"sitegate/models/deck"
	"sitegate/models/manifest"
	"sitegate/models/registry"
)

// Version is the agent's version, set at build time.
var (
	Version = "dev"
	Commit  = "unknown"
)

// ErrRestartRequested is returned by Run after a clean stop asked for by the restart command:
// the process exits for its supervisor to start it again.
var ErrRestartRequested = errors.New("restart requested by command")

// ReportSocket is the unix socket, in store.dir, on which a running agent answers
// `sitegate outbox`.
const ReportSocket = "outbox.sock"

// Options are what the caller adds to the config.
type Options struct {
	Logger *slog.Logger
	// OnStored is called after each passage is stored (demo view, tests, measurements).
	OnStored func(p wire.Passage)
	// OnDeck is called with each lane's deck events.
	OnDeck func(laneID string, e deck.Event)
	// Ready is closed once every part is started.
	Ready chan<- struct{}
	// Notifier is told of readiness, liveness (watchdog pings while every lane and the uplink
	// make progress) and stopping; nil means the service manager $NOTIFY_SOCKET names, if any.
	Notifier *systemd.Notifier
	// LogLevel, if set, is the level the logger obeys; the set_log_level command changes it.
	LogLevel *slog.LevelVar
	// Clock says whether the system clock is synchronised; nil means the kernel's state
	// (clock.System).
	Clock clock.Source
}

// Gateway is one agent, built from its config.
type Gateway struct {
	cfg    *config.Config
	o      Options
	log    *slog.Logger
	topics wire.Gateway

	reg   registry.Current
	man   manifest.Current
	used  *trips.Ledger // which manifests exits used
	box   outbox.Outbox
	room  func(n int64) bool // whether n bytes fit beside the store
	up    *uplink.Uplink
	parts *parts.Parts[*laneUnit, *plateUnit]
	ctl   *remote.Plane
	rep   *status.Reporter
	con   *console.Server // nil when console.listen is off

	seal    *seal.Signer
	signer  atomic.Pointer[seal.Signer]     // seal, for the status's readers
	archive atomic.Pointer[archive.Archive] // nil until open, or when it could not be

	sight *sight // judged frames, equipment alarms, reviews (learning.go)

	restart     chan struct{}
	restartOnce sync.Once
}

// New checks what the config refers to (protocols, files) without opening any device.
func New(cfg *config.Config, o Options) (*Gateway, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.System()
	}
	for i, l := range cfg.Lanes {
		if _, ok := indicator.Lookup(l.Scale.Protocol); !ok {
			return nil, fmt.Errorf("lanes[%d].scale.protocol: %q is not in this build", i, l.Scale.Protocol)
		}
	}
	g := &Gateway{cfg: cfg, o: o, log: o.Logger, topics: wire.Topics(cfg.Site, cfg.Gateway), restart: make(chan struct{})}
	g.parts = parts.New[*laneUnit, *plateUnit](builder{g}, g.log)
	g.rep = status.New(g.sources(), g.log)
	return g, nil
}

// Root is the gateway's MQTT topic root.
func Root(site, gw string) string { return wire.Topics(site, gw).Root() }

// Run starts everything and runs until ctx is done, then stops in order: lanes first (what is in
// progress becomes passages in the outbox), then listeners and cameras, then the uplink, and
// finally the outbox is closed (flushed to disk).
func (g *Gateway) Run(ctx context.Context) error {
	g.rep.Started(time.Now())
	if c := g.o.Clock.State(); !c.Synced {
		g.log.Warn("the system clock is not synchronised: passages are marked clock unsynced until it is", "time", c.Now, "source", c.Source)
	}
	cfg := g.cfg
	g.loadRegistry()
	g.loadManifests()

	if err := os.MkdirAll(cfg.Store.Dir, 0o750); err != nil {
		return fmt.Errorf("store %s: %w", cfg.Store.Dir, err)
	}
	var err error
	if g.seal, err = seal.Open(cfg.Store.Dir); err != nil {
		return err
	}
	g.signer.Store(g.seal)
	boxDir := filepath.Join(cfg.Store.Dir, "outbox")
	box, err := outbox.OpenBadger(boxDir, outbox.BadgerOptions{
		Logger:   g.log,
		Limits:   outbox.Limits{MaxBytes: int64(cfg.Store.MaxBytes), MaxAge: cfg.Store.MaxAge.D(), ReserveBytes: int64(cfg.Store.ReserveBytes)},
		Announce: outbox.DropsAnnouncer(g.topics),
		Yield:    g.yieldArchive,
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := g.openArchive(box.Reserve()); err != nil {
		box.Close()
		return err
	}
	g.box = box
	g.room = box.Room
	if err := g.newConsole(); err != nil {
		return err
	}
	defer func() {
		if err := box.Close(); err != nil {
			g.log.Error("outbox close", "err", err)
		}
	}()
	if err := g.openSight(box); err != nil {
		return err
	}
	// `sitegate outbox` reads the live outbox through this socket.
	if stopReports, err := outbox.ServeReports(filepath.Join(cfg.Store.Dir, ReportSocket), boxDir, box, g.log); err != nil {
		g.log.Warn("outbox report socket not available", "err", err)
	} else {
		defer stopReports()
	}

	runCfg, err := g.initControl()
	if err != nil {
		return err
	}
	up, err := g.newUplink()
	if err != nil {
		return err
	}
	g.up = up
	g.ctl.Subscribe(up)
	up.Subscribe(g.topics.Review(), 1, g.onReview)

	// Start every lane before the uplink, so the status (read by the uplink from its first
	// connect) never sees a half-built gateway.
	g.parts.Start(runCfg)
	var uplinkWG, ctlWG sync.WaitGroup
	upCtx, stopUplink := context.WithCancel(context.Background())
	ctlCtx, stopControl := context.WithCancel(context.Background())
	defer stopUplink()
	defer stopControl()
	uplinkWG.Go(func() {
		if err := up.Run(upCtx); err != nil {
			g.log.Error("uplink stopped", "err", err)
		}
	})
	ctlWG.Go(func() { g.ctl.Run(ctlCtx) })
	g.runConsole(ctlCtx, &ctlWG)
	ctlWG.Go(func() { g.sight.alarms.Run(ctlCtx) })
	ctlWG.Go(func() { g.watchEquipment(ctlCtx) })
	if addr := cfg.Control.MetricsListen; addr != "" {
		ctlWG.Go(func() {
			if err := g.rep.Serve(ctlCtx, addr); err != nil {
				g.log.Error("metrics port not served", "err", err)
			}
		})
	}

	statusTick := time.NewTicker(cfg.Status.Interval.D())
	defer statusTick.Stop()
	archiveTick := time.NewTicker(10 * time.Minute)
	defer archiveTick.Stop()
	g.log.Info("sitegate running", "site", cfg.Site, "gateway", cfg.Gateway, "lanes", len(cfg.Lanes), "broker", config.RedactURL(cfg.MQTT.URL))
	if g.o.Ready != nil {
		close(g.o.Ready)
	}
	stopNotify := g.rep.Notify(g.notifier(), len(g.parts.Units()))
	restart := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-g.restart:
			restart = true
			break loop
		case <-statusTick.C:
			up.PublishStatus(g.rep.Payload(wire.Online))
		case <-archiveTick.C:
			if a := g.archive.Load(); a != nil {
				a.Maintain()
			}
		}
	}
	g.log.Info("stopping")
	stopNotify()
	stopControl()
	ctlWG.Wait()
	g.parts.Stop()
	stopUplink()
	uplinkWG.Wait()
	if restart {
		return ErrRestartRequested
	}
	return nil
}

// initControl builds the control plane before any lane starts and returns the config to run.
func (g *Gateway) initControl() (*config.Config, error) {
	cp, runCfg, err := remote.New(remote.Options{
		Local:  g.cfg,
		Runner: runner{g.parts},
		Publish: func(topic string, qos byte, retained bool, b []byte) error {
			return g.up.Publish(topic, qos, retained, b)
		},
		Registry:    &g.reg,
		OnRegistry:  func() { g.up.PublishStatus(g.rep.Payload(wire.Online)) },
		Manifests:   &g.man,
		OnManifests: func() { g.up.PublishStatus(g.rep.Payload(wire.Online)) },
		Logger:      g.log,
		Clock:       g.o.Clock,
	})
	if err != nil {
		return nil, err
	}
	g.ctl = cp
	g.registerCommands()
	return runCfg, nil
}

// runner runs a config on the parts (remote.Runner).
type runner struct {
	p *parts.Parts[*laneUnit, *plateUnit]
}

func (r runner) Run(ctx context.Context, cfg *config.Config, timeout time.Duration) error {
	started := r.p.Swap(cfg)
	if timeout <= 0 {
		return nil
	}
	return parts.WaitUp(ctx, started, timeout)
}

// loadRegistry reads registry.file. A missing or broken file leaves the registry unloaded (the
// registry check says unknown, never a false alarm for every truck) and is reported in status.
func (g *Gateway) loadRegistry() {
	if g.cfg.Registry.File == "" {
		g.reg.Set(registry.Empty())
		return
	}
	r, err := registry.Load(g.cfg.Registry.File)
	if err != nil {
		g.reg.Fail(err)
		g.log.Error("registry not loaded: the registry check is unknown until it is fixed", "err", err)
		return
	}
	g.reg.Set(r)
	g.log.Info("registry loaded", "version", r.Version, "vehicles", r.Len())
}

// ledger is the manifest ledger as the checks take it: nil when none was opened.
func (g *Gateway) ledger() checks.ManifestLedger {
	if g.used == nil {
		return nil
	}
	return g.used
}

// loadManifests reads manifests.file, if set, and the ledger of manifests used. A broken file
// leaves the manifests unloaded (checks say unknown with manifests.check on) and is reported in
// status; manifests synced on the site's topic later replace it.
func (g *Gateway) loadManifests() {
	var err error
	if g.used, err = trips.OpenLedger(filepath.Join(g.cfg.Store.Dir, "control")); err != nil {
		g.log.Error("manifest ledger", "err", err)
	}
	if g.cfg.Manifests.File == "" {
		return
	}
	s, err := manifest.Load(g.cfg.Manifests.File)
	if err != nil {
		g.man.Fail(err)
		g.log.Error("manifests not loaded", "err", err)
		return
	}
	g.man.Set(s)
	g.log.Info("manifests loaded", "version", s.Version, "manifests", s.Len())
}

func (g *Gateway) newUplink() (*uplink.Uplink, error) {
	m := g.cfg.MQTT
	opts := uplink.Options{
		URL:            m.URL,
		ClientID:       "sitegate-" + g.cfg.Site + "-" + g.cfg.Gateway,
		Username:       m.Username,
		StatusTopic:    g.topics.Status(),
		OfflinePayload: g.rep.Payload(wire.Offline),
		Online:         func() []byte { return g.rep.Payload(wire.Online) },
		KeepAlive:      m.KeepAlive.D(),
		AllowInsecure:  m.AllowInsecure,
		Logger:         g.log,
	}
	if m.PasswordFile != "" {
		pw, err := mqttconn.ReadPasswordFile(m.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.password_file: %w", err)
		}
		opts.Password = pw
	}
	if u, err := url.Parse(m.URL); err == nil && u.Scheme == "ssl" {
		tc, err := mqttconn.LoadTLS(m.TLS.CAFile, m.TLS.CertFile, m.TLS.KeyFile, u.Hostname())
		if err != nil {
			return nil, err
		}
		opts.TLS = tc
	}
	return uplink.New(opts, g.box), nil
}

// onStored counts a stored passage's alarms and hands it to Options.OnStored.
func (g *Gateway) onStored(p wire.Passage) {
	g.rep.CountAlarms(p.Alarms)
	if g.con != nil {
		g.con.Passage(p)
	}
	if g.o.OnStored != nil {
		g.o.OnStored(p)
	}
}

// sources are where the status reads the running gateway.
func (g *Gateway) sources() status.Sources {
	return status.Sources{
		Site: g.cfg.Site, Gateway: g.cfg.Gateway, Version: Version, URL: g.cfg.MQTT.URL,
		Lanes: func() []wire.LaneStatus {
			var out []wire.LaneStatus
			for _, u := range g.parts.Units() {
				ls := u.lane.Status()
				if u.bay != nil {
					ws := u.bay.Status()
					ls.Wash = &ws
				}
				out = append(out, ls)
			}
			return out
		},
		Cameras: func() []camera.Status {
			var out []camera.Status
			for _, u := range g.parts.Units() {
				for _, c := range u.cams {
					st := c.Status()
					if w := u.cover[st.ID]; w != nil {
						st.Blind, st.BlindReason = w.Sight()
						st.CoverModel = w.Model()
					}
					if w := u.mud[st.ID]; w != nil { // the mud regions' sight is the camera's when it has both
						st.Blind, st.BlindReason = w.Sight()
						st.MudModel = w.Model()
					}
					out = append(out, st)
				}
			}
			return out
		},
		Alarms: func() []wire.Alarm {
			if g.sight == nil {
				return nil
			}
			return g.sight.alarms.Open()
		},
		Reviews: g.reviewStatus,
		Plates: func() []wire.PlateStatus {
			var out []wire.PlateStatus
			for _, p := range g.parts.Listeners() {
				out = append(out, p.wireStatus())
			}
			return out
		},
		PlateCameras: func() []plate.PullStatus {
			var out []plate.PullStatus
			for _, u := range g.parts.Units() {
				for _, c := range u.pulls {
					out = append(out, c.Status())
				}
			}
			return out
		},
		Uplink: optional(func() *uplink.Uplink { return g.up }, (*uplink.Uplink).Status),
		Outbox: func() wire.OutboxStats {
			if g.box == nil {
				return wire.OutboxStats{}
			}
			return g.box.Stats()
		},
		Registry: func() wire.RegistryStatus {
			rs := wire.RegistryStatus{Error: g.reg.Err()}
			if r := g.reg.Load(); r != nil {
				rs.Loaded, rs.Version, rs.Vehicles = true, r.Version, r.Len()
			}
			return rs
		},
		Manifests: func() wire.ManifestsStatus {
			ms := wire.ManifestsStatus{Check: g.cfg.Manifests.Check, Error: g.man.Err()}
			if g.ctl != nil {
				ms.Check = g.ctl.Running().Manifests.Check
			}
			if s := g.man.Load(); s != nil {
				ms.Loaded, ms.Version, ms.Manifests = true, s.Version, s.Len()
			}
			if g.used != nil {
				ms.Used = g.used.Len()
			}
			return ms
		},
		Config: func() status.ConfigCounts {
			if g.ctl == nil {
				return status.ConfigCounts{}
			}
			c := g.ctl.Counts()
			return status.ConfigCounts{Version: c.Version, Applied: c.Applied, Rejected: c.Rejected, RolledBack: c.RolledBack}
		},
		Loops: g.loops,
		Clock: func() wire.ClockStatus {
			c := g.o.Clock.State()
			return wire.ClockStatus{Synced: c.Synced, Source: c.Source, MaxErrorMs: float64(c.MaxError.Microseconds()) / 1000}
		},
		Archive: func() *wire.ArchiveStats {
			if a := g.archive.Load(); a != nil {
				s := a.Stats()
				return &s
			}
			return nil
		},
		PublicKey: func() string {
			if s := g.signer.Load(); s != nil {
				return s.PublicKey()
			}
			return ""
		},
	}
}

// optional returns a status source that reports the zero value until get returns non-nil.
func optional[T any, S any](get func() *T, f func(*T) S) func() S {
	return func() S {
		if t := get(); t != nil {
			return f(t)
		}
		var zero S
		return zero
	}
}

// loops are the loops whose progress the watchdog checks: each lane and the uplink.
func (g *Gateway) loops() []systemd.Loop {
	var ls []systemd.Loop
	for _, u := range g.parts.Units() {
		ls = append(ls, systemd.Loop{Name: "lane " + u.lane.ID(), Beat: u.lane.Heartbeat})
	}
	if g.up != nil {
		ls = append(ls, systemd.Loop{Name: "uplink", Beat: g.up.Heartbeat})
	}
	return ls
}

// notifier is the service manager to tell about readiness and liveness: Options.Notifier, or the
// one the environment names, or nil.
func (g *Gateway) notifier() *systemd.Notifier {
	if g.o.Notifier != nil {
		return g.o.Notifier
	}
	n, err := systemd.FromEnv()
	if err != nil {
		g.log.Warn("service watchdog not armed", "err", err)
	}
	return n
}

// Status reports the whole gateway; safe from any goroutine once Run has started.
func (g *Gateway) Status(state string) wire.Status { return g.rep.Status(state) }

// MetricsAddr is the bound address of the metrics port, or "" when it is off.
func (g *Gateway) MetricsAddr() string { return g.rep.Addr() }
