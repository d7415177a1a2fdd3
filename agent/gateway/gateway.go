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
	return &Gateway{cfg: cfg, o: o, log: o.Logger}, nil
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
	box, err := outbox.OpenBadger(filepath.Join(cfg.Store.Dir, "outbox"), outbox.BadgerOptions{Logger: g.log})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	g.box = box
	defer func() {
		if err := box.Close(); err != nil {
			g.log.Error("outbox close", "err", err)
		}
	}()

	up, err := g.newUplink()
	if err != nil {
		return err
	}
	g.up = up

	// Build every part before starting any, so the status (read by the uplink from its first
	// connect) never sees a half-built gateway.
	byListen := map[string]map[string]func(plate.Read){}
	var order []string
	for _, lc := range cfg.Lanes {
		var cams []lane.Camera
		for _, cc := range lc.Cameras {
			cam := camera.New(camera.Options{ID: cc.ID, URL: cc.URL, Logger: g.log})
			g.cameras = append(g.cameras, cam)
			cams = append(cams, lane.Camera{ID: cc.ID, Snapshot: func() ([]byte, time.Time, error) { return cam.Snapshot(85) }})
		}
		l := g.newLane(lc, cams)
		g.lanes = append(g.lanes, l)
		if lc.Plate.Listen != "" {
			if byListen[lc.Plate.Listen] == nil {
				byListen[lc.Plate.Listen] = map[string]func(plate.Read){}
				order = append(order, lc.Plate.Listen)
			}
			byListen[lc.Plate.Listen][lc.ID] = l.Plate
		}
	}
	for _, addr := range order {
		var maxBody int64
		for _, lc := range cfg.Lanes {
			if lc.Plate.Listen == addr {
				maxBody = max(maxBody, int64(lc.Plate.MaxBody))
			}
		}
		g.plates = append(g.plates, &plateListener{addr: addr,
			srv: plate.NewServer(plate.Options{Addr: addr, MaxBody: maxBody, Lanes: byListen[addr], Logger: g.log})})
	}

	var devices, lanes, uplinkWG sync.WaitGroup
	devCtx, stopDevices := context.WithCancel(context.Background())
	laneCtx, stopLanes := context.WithCancel(context.Background())
	upCtx, stopUplink := context.WithCancel(context.Background())
	defer stopDevices()
	defer stopLanes()
	defer stopUplink()
	uplinkWG.Add(1)
	go func() {
		defer uplinkWG.Done()
		if err := up.Run(upCtx); err != nil {
			g.log.Error("uplink stopped", "err", err)
		}
	}()
	for _, cam := range g.cameras {
		devices.Add(1)
		go func() { defer devices.Done(); cam.Run(devCtx) }()
	}
	for _, pl := range g.plates {
		devices.Add(1)
		go func() { defer devices.Done(); g.servePlates(devCtx, pl) }()
	}
	for _, l := range g.lanes {
		lanes.Add(1)
		go func() {
			defer lanes.Done()
			if err := l.Run(laneCtx); err != nil {
				g.log.Error("lane stopped", "lane", l.ID(), "err", err)
			}
		}()
	}

	statusTick := time.NewTicker(cfg.Status.Interval.D())
	defer statusTick.Stop()
	g.log.Info("sitegate running", "site", cfg.Site, "gateway", cfg.Gateway, "lanes", len(cfg.Lanes), "broker", cfg.MQTT.URL)
	if g.o.Ready != nil {
		close(g.o.Ready)
	}
	for {
		select {
		case <-ctx.Done():
			g.log.Info("stopping")
			stopLanes()
			lanes.Wait()
			stopDevices()
			devices.Wait()
			stopUplink()
			uplinkWG.Wait()
			return nil
		case <-statusTick.C:
			up.PublishStatus(g.statusPayload("online"))
		}
	}
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
	link := serialport.NewLink("scale "+lc.ID, lc.Scale.Port, mode, serialport.OpenBugst, serialport.LinkOptions{
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
		Link:        link, Decoder: dec, Cameras: cams,
		Registry: g.reg.Load, Box: g.box, Logger: g.log,
		OnStored: g.o.OnStored,
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
	Registry  *RegistryStatus `json:"registry,omitempty"`
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
	for _, l := range g.lanes {
		s.Lanes = append(s.Lanes, l.Status())
	}
	for _, c := range g.cameras {
		s.Cameras = append(s.Cameras, c.Status())
	}
	for _, p := range g.plates {
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
