// Package gateway wires a whole sitegate agent from its config: the outbox, the uplink, the
// cameras, the plate listeners and the lanes, and the retained status that describes them.
//
// It is the only package that knows every other one; nothing but the CLI imports it.
package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sitegate/agent/lane"
	"sitegate/agent/outbox"
	"sitegate/agent/systemd"
	"sitegate/agent/uplink"
	"sitegate/drivers/camera"
	"sitegate/drivers/indicator"
	"sitegate/drivers/plate"
	"sitegate/drivers/serialport"
	config "sitegate/firmware-config"
	"sitegate/models/deck"
	"sitegate/models/registry"
)

// Version is the agent's version, set at build time.
var (
	Version = "dev"
	Commit  = "unknown"
)

// Options are what the caller adds to the config.
type Options struct {
	Logger *slog.Logger
	// OnStored is called after each passage is stored (demo view, tests, measurements).
	OnStored func(p lane.Passage)
	// OnDeck is called with each lane's deck events.
	OnDeck func(laneID string, e deck.Event)
	// Ready is closed once every part is started.
	Ready chan<- struct{}
	// Notifier is told of readiness, liveness (watchdog pings while every lane and the uplink
	// make progress) and stopping; nil means the service manager $NOTIFY_SOCKET names, if any.
	Notifier *systemd.Notifier
	// LogLevel, if set, is the level the logger obeys; the set_log_level command changes it.
	LogLevel *slog.LevelVar
}

// Gateway is one running agent.
type Gateway struct {
	cfg     *config.Config
	o       Options
	log     *slog.Logger
	started time.Time

	reg      atomic.Pointer[registry.Registry]
	regErr   atomic.Pointer[string]
	box      outbox.Outbox
	up       *uplink.Uplink
	lanes    []*lane.Lane
	cameras  []*camera.Camera
	plates   []*plateListener
	boxStats atomic.Pointer[outbox.Stats]

	// The running lanes and listeners (lanes.go); lanes, cameras and plates above are the
	// lists Status reads, replaced under partsMu when a config is applied.
	partsMu     sync.RWMutex
	parts       parts
	pending     map[string][]plate.Read       // plates for lanes being restarted, under partsMu
	runCfg      atomic.Pointer[config.Config] // the applied desired config; nil: cfg
	ctl         *controlPlane
	alarms      alarmCounts
	restart     chan struct{}
	restartOnce sync.Once
	metricsAddr atomic.Pointer[string]
}

type plateListener struct {
	addr   string
	srv    *plate.Server
	status atomic.Pointer[string]
}

// New checks what the config refers to (protocols, files) without opening any device.
func New(cfg *config.Config, o Options) (*Gateway, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for i, l := range cfg.Lanes {
		if _, ok := indicator.Lookup(l.Scale.Protocol); !ok {
			return nil, fmt.Errorf("lanes[%d].scale.protocol: %q is not in this build", i, l.Scale.Protocol)
		}
	}
	return &Gateway{cfg: cfg, o: o, log: o.Logger, restart: make(chan struct{})}, nil
}

// Root is the gateway's MQTT topic root.
func Root(site, gw string) string { return "sitegate/v1/" + site + "/" + gw }

// Run starts everything and runs until ctx is done, then stops in order: lanes first (what is in
// progress becomes passages in the outbox), then listeners and cameras, then the uplink, and
// finally the outbox is closed (flushed to disk).
func (g *Gateway) Run(ctx context.Context) error {
	g.started = time.Now()
	cfg := g.cfg
	g.loadRegistry()

	if err := os.MkdirAll(cfg.Store.Dir, 0o750); err != nil {
		return fmt.Errorf("store %s: %w", cfg.Store.Dir, err)
	}
	boxDir := filepath.Join(cfg.Store.Dir, "outbox")
	box, err := outbox.OpenBadger(boxDir, outbox.BadgerOptions{
		Logger:   g.log,
		Limits:   outbox.Limits{MaxBytes: int64(cfg.Store.MaxBytes), MaxAge: cfg.Store.MaxAge.D(), ReserveBytes: int64(cfg.Store.ReserveBytes)},
		Announce: g.announceDrops,
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	g.box = box
	defer func() {
		if err := box.Close(); err != nil {
			g.log.Error("outbox close", "err", err)
		}
	}()
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
	if runCfg != cfg {
		g.runCfg.Store(runCfg)
	}

	up, err := g.newUplink()
	if err != nil {
		return err
	}
	g.up = up
	g.ctl.subscribe(up)

	// Start every lane before the uplink, so the status (read by the uplink from its first
	// connect) never sees a half-built gateway.
	g.startParts(runCfg)
	var uplinkWG, ctlWG sync.WaitGroup
	upCtx, stopUplink := context.WithCancel(context.Background())
	ctlCtx, stopControl := context.WithCancel(context.Background())
	defer stopUplink()
	defer stopControl()
	uplinkWG.Add(1)
	go func() {
		defer uplinkWG.Done()
		if err := up.Run(upCtx); err != nil {
			g.log.Error("uplink stopped", "err", err)
		}
	}()
	ctlWG.Go(func() { g.ctl.run(ctlCtx) })
	if addr := cfg.Control.MetricsListen; addr != "" {
		ctlWG.Go(func() {
			if err := g.serveMetrics(ctlCtx, addr); err != nil {
				g.log.Error("metrics port not served", "err", err)
			}
		})
	}

	statusTick := time.NewTicker(cfg.Status.Interval.D())
	defer statusTick.Stop()
	g.log.Info("sitegate running", "site", cfg.Site, "gateway", cfg.Gateway, "lanes", len(cfg.Lanes), "broker", cfg.MQTT.URL)
	if g.o.Ready != nil {
		close(g.o.Ready)
	}
	stopNotify := g.startNotify()
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
			up.PublishStatus(g.statusPayload("online"))
		}
	}
	g.log.Info("stopping")
	stopNotify()
	stopControl()
	ctlWG.Wait()
	g.stopParts()
	stopUplink()
	uplinkWG.Wait()
	if restart {
		return ErrRestartRequested
	}
	return nil
}

func (g *Gateway) servePlates(ctx context.Context, pl *plateListener) {
	backoff := time.Second
	for {
		err := pl.srv.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		msg := fmt.Sprintf("plate listener %s: %v", pl.addr, err)
		pl.status.Store(&msg)
		g.log.Error("plate listener failed, retrying", "addr", pl.addr, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (g *Gateway) newLane(lc config.Lane, cams []lane.Camera) *lane.Lane {
	bits, parity, stop, _ := serialport.ParseFraming(lc.Scale.Framing) // validated with the config
	mode := serialport.Mode{Baud: lc.Scale.Baud, DataBits: bits, Parity: parity, StopBits: stop}
	backend, _ := serialport.Backend(lc.Scale.Backend) // validated with the config
	// usb:VID:PID[:SERIAL] is looked up at every (re)open, so renumbering does not matter.
	link := serialport.NewLink("scale "+lc.ID, lc.Scale.Port, mode, serialport.WithUSB(backend, nil), serialport.LinkOptions{
		IdleReopen: lc.Scale.SilenceTimeout.D(),
		Logger:     g.log,
	})
	dec, _ := indicator.Lookup(lc.Scale.Protocol)
	laneID := lc.ID
	return lane.New(lane.Options{
		Site: g.cfg.Site, Gateway: g.cfg.Gateway, ID: lc.ID, Direction: lc.Direction,
		PlateWindow: lc.PlateWindow.D(), PlateOnlyTimeout: lc.PlateOnlyTimeout.D(),
		Deck: deck.Params{
			OnKg: lc.Scale.OnDeckKg, OffKg: lc.Scale.OffDeckKg, OffHold: lc.Scale.OffDeckHold.D(),
			StableWindow: lc.Scale.StableWindow.D(), StableBandKg: lc.Scale.StableBandKg, Silence: lc.Scale.SilenceTimeout.D(),
		},
		ToleranceKg: g.cfg.Rules.Overload.ToleranceKg,
		Tolerance:   g.tolerance,
		Link:        link, Decoder: dec, Indicator: lc.Scale.IndicatorOptions(), Cameras: cams,
		Registry: g.reg.Load, Box: g.box, Logger: g.log,
		OnStored: g.onStored,
		OnDeck: func(e deck.Event) {
			if g.o.OnDeck != nil {
				g.o.OnDeck(laneID, e)
			}
		},
	})
}

// loadRegistry reads registry.file. A missing or broken file leaves the registry unloaded (the
// registry check says unknown, never a false alarm for every truck) and is reported in status.
func (g *Gateway) loadRegistry() {
	if g.cfg.Registry.File == "" {
		g.reg.Store(registry.Empty())
		return
	}
	r, err := registry.Load(g.cfg.Registry.File)
	if err != nil {
		msg := err.Error()
		g.regErr.Store(&msg)
		g.log.Error("registry not loaded: the registry check is unknown until it is fixed", "err", err)
		return
	}
	g.reg.Store(r)
	g.log.Info("registry loaded", "version", r.Version, "vehicles", r.Len())
}

func (g *Gateway) newUplink() (*uplink.Uplink, error) {
	m := g.cfg.MQTT
	opts := uplink.Options{
		URL:            m.URL,
		ClientID:       "sitegate-" + g.cfg.Site + "-" + g.cfg.Gateway,
		Username:       m.Username,
		StatusTopic:    Root(g.cfg.Site, g.cfg.Gateway) + "/status",
		OfflinePayload: g.statusPayload("offline"),
		Online:         func() []byte { return g.statusPayload("online") },
		KeepAlive:      m.KeepAlive.D(),
		AllowInsecure:  m.AllowInsecure,
		Logger:         g.log,
	}
	if m.PasswordFile != "" {
		pw, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.password_file: %w", err)
		}
		opts.Password = strings.TrimRight(string(pw), "\r\n")
	}
	if u, err := url.Parse(m.URL); err == nil && u.Scheme == "ssl" {
		tc, err := tlsConfig(m.TLS, u.Hostname())
		if err != nil {
			return nil, err
		}
		opts.TLS = tc
	}
	return uplink.New(opts, g.box), nil
}

func tlsConfig(t config.TLS, host string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("mqtt.tls.ca_file: no PEM certificate in " + t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Status is the retained status message (topic status).
type Status struct {
	Schema    string          `json:"schema"`
	State     string          `json:"state"`
	Site      string          `json:"site"`
	Gateway   string          `json:"gateway"`
	Version   string          `json:"version"`
	Time      string          `json:"time"`
	StartedAt string          `json:"started_at,omitempty"`
	Lanes     []lane.Status   `json:"lanes,omitempty"`
	Cameras   []camera.Status `json:"cameras,omitempty"`
	Plates    []PlateStatus   `json:"plate_listeners,omitempty"`
	Uplink    *uplink.Status  `json:"uplink,omitempty"`
	Outbox    *outbox.Stats   `json:"outbox,omitempty"`
	// OutboxOldestAgeS is how long the oldest waiting message has waited, in seconds.
	OutboxOldestAgeS float64         `json:"outbox_oldest_age_s"`
	Registry         *RegistryStatus `json:"registry,omitempty"`
}

// PlateStatus describes one plate-push listener.
type PlateStatus struct {
	Listen string      `json:"listen"`
	Error  string      `json:"error,omitempty"`
	Stats  plate.Stats `json:"stats"`
}

// RegistryStatus describes the loaded registry.
type RegistryStatus struct {
	Loaded   bool   `json:"loaded"`
	Version  int64  `json:"version"`
	Vehicles int    `json:"vehicles"`
	Error    string `json:"error,omitempty"`
}

// Status reports the whole gateway; safe from any goroutine once Run has started.
func (g *Gateway) Status(state string) Status {
	s := Status{Schema: "sitegate.status/v1", State: state, Site: g.cfg.Site, Gateway: g.cfg.Gateway,
		Version: Version, Time: time.Now().Format(lane.TimeLayout)}
	if state == "offline" {
		return s
	}
	if !g.started.IsZero() {
		s.StartedAt = g.started.Format(lane.TimeLayout)
	}
	g.partsMu.RLock()
	lanes, cameras, plates := g.lanes, g.cameras, g.plates
	g.partsMu.RUnlock()
	for _, l := range lanes {
		s.Lanes = append(s.Lanes, l.Status())
	}
	for _, c := range cameras {
		s.Cameras = append(s.Cameras, c.Status())
	}
	for _, p := range plates {
		ps := PlateStatus{Listen: p.addr, Stats: p.srv.Stats()}
		if e := p.status.Load(); e != nil {
			ps.Error = *e
		}
		s.Plates = append(s.Plates, ps)
	}
	if g.up != nil {
		us := g.up.Status()
		s.Uplink = &us
	}
	if g.box != nil {
		bs := g.box.Stats()
		s.Outbox = &bs
		s.OutboxOldestAgeS = bs.OldestAge(time.Now()).Seconds()
	}
	rs := &RegistryStatus{}
	if r := g.reg.Load(); r != nil {
		rs.Loaded, rs.Version, rs.Vehicles = true, r.Version, r.Len()
	}
	if e := g.regErr.Load(); e != nil {
		rs.Error = *e
	}
	s.Registry = rs
	return s
}

func (g *Gateway) statusPayload(state string) []byte {
	b, err := json.Marshal(g.Status(state))
	if err != nil {
		g.log.Error("status", "err", err)
		return []byte(`{"schema":"sitegate.status/v1","state":"` + state + `"}`)
	}
	return b
}
