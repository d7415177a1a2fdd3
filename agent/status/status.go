// Package status reports a running gateway: the retained status message (CONTRACT 6), the
// Prometheus metrics and /healthz, the service watchdog's liveness, and the selftest command's
// checks. It reads the gateway's parts through the functions in Sources, called at each report,
// and holds no pointer back to the gateway.
//
// It imports agent/wire, agent/systemd and the libraries it exposes; never the lanes, the uplink
// or the gateway.
package status

import (
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sitegate/agent/systemd"
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/drivers/plate"
)

// Sources are where the reports read the gateway's state. Every function may be nil (that part
// is left out of the reports) and must be safe to call from any goroutine.
type Sources struct {
	Site, Gateway, Version string
	Lanes                  func() []wire.LaneStatus
	Cameras                func() []camera.Status
	Plates                 func() []wire.PlateStatus
	PlateCameras           func() []plate.PullStatus
	Uplink                 func() wire.UplinkStatus
	Outbox                 func() wire.OutboxStats
	Registry               func() wire.RegistryStatus
	Manifests              func() wire.ManifestsStatus
	// Clock is whether the system clock is synchronised.
	Clock func() wire.ClockStatus
	// Config is the running desired config's version and the outcomes of desired configs.
	Config func() ConfigCounts
	// Loops are the loops whose progress the watchdog checks (each lane and the uplink).
	Loops func() []systemd.Loop
	// URL is the broker's address (credentials redacted), for the selftest.
	URL string
	// ScaleDownFor is how long a lane's scale may be down before /healthz fails; default
	// ScaleDownWithin.
	ScaleDownFor time.Duration
}

// ConfigCounts are the running desired config's version and the desired configs handled.
type ConfigCounts struct {
	Version                       int64
	Applied, Rejected, RolledBack uint64
}

// Reporter builds every report of one gateway.
type Reporter struct {
	s       Sources
	log     *slog.Logger
	started atomic.Pointer[time.Time]
	alarms  *prometheus.CounterVec
	reg     *prometheus.Registry
	addr    atomic.Pointer[string]
}

// New returns the reporter of the gateway s describes.
func New(s Sources, log *slog.Logger) *Reporter {
	if log == nil {
		log = slog.Default()
	}
	r := &Reporter{s: s, log: log}
	r.alarms = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sitegate_alarms_total",
		Help: "Alarms in stored passages, by kind."}, []string{"kind"})
	r.reg = prometheus.NewRegistry()
	r.reg.MustRegister(r.alarms, collector{r}, prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return r
}

// Started records when the gateway started running.
func (r *Reporter) Started(at time.Time) { r.started.Store(&at) }

// CountAlarms counts a stored passage's alarms.
func (r *Reporter) CountAlarms(kinds []string) {
	for _, k := range kinds {
		r.alarms.WithLabelValues(k).Inc()
	}
}

// Status reports the whole gateway in state (wire.Online or wire.Offline); an offline status,
// the Last Will, carries only the identity.
func (r *Reporter) Status(state string) wire.Status {
	s := wire.Status{Schema: wire.StatusSchema, State: state, Site: r.s.Site, Gateway: r.s.Gateway,
		Version: r.s.Version, Time: time.Now().Format(wire.TimeLayout)}
	if state == wire.Offline {
		return s
	}
	if t := r.started.Load(); t != nil {
		s.StartedAt = t.Format(wire.TimeLayout)
	}
	if r.s.Lanes != nil {
		s.Lanes = r.s.Lanes()
	}
	if r.s.Cameras != nil {
		s.Cameras = r.s.Cameras()
	}
	if r.s.Plates != nil {
		s.Plates = r.s.Plates()
	}
	if r.s.PlateCameras != nil {
		s.PlateCameras = r.s.PlateCameras()
	}
	if r.s.Uplink != nil {
		us := r.s.Uplink()
		s.Uplink = &us
	}
	if r.s.Outbox != nil {
		bs := r.s.Outbox()
		s.Outbox = &bs
		s.OutboxOldestAgeS = bs.OldestAge(time.Now()).Seconds()
	}
	if r.s.Registry != nil {
		rs := r.s.Registry()
		s.Registry = &rs
	}
	if r.s.Manifests != nil {
		ms := r.s.Manifests()
		s.Manifests = &ms
	}
	if r.s.Clock != nil {
		cs := r.s.Clock()
		s.Clock = &cs
	}
	return s
}

// Payload is the status message's JSON.
func (r *Reporter) Payload(state string) []byte {
	b, err := json.Marshal(r.Status(state))
	if err != nil {
		r.log.Error("status", "err", err)
		return []byte(`{"schema":"` + wire.StatusSchema + `","state":"` + state + `"}`)
	}
	return b
}
