package status

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// collector turns the status into metrics at each scrape, so the metrics and the status
// message never disagree.
type collector struct{ r *Reporter }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	framesDesc      = desc("sitegate_frames_total", "Indicator frames decoded, by lane.", "lane")
	badFramesDesc   = desc("sitegate_bad_frames_total", "Indicator frames dropped for a bad checksum or layout, by lane.", "lane")
	passagesDesc    = desc("sitegate_passages_total", "Passages stored, by lane (since the lane started).", "lane")
	scaleUpDesc     = desc("sitegate_scale_up", "1 when the lane's indicator port is open.", "lane")
	depthDesc       = desc("sitegate_outbox_depth", "Messages waiting in the outbox.")
	bytesDesc       = desc("sitegate_outbox_bytes", "Bytes waiting in the outbox.")
	droppedDesc     = desc("sitegate_outbox_dropped_total", "Messages a bound of the outbox dropped, by kind.", "kind")
	connectedDesc   = desc("sitegate_uplink_connected", "1 when connected to the broker.")
	reconnectsDesc  = desc("sitegate_uplink_reconnects_total", "Connections made after the first.")
	publishedDesc   = desc("sitegate_uplink_published_total", "Outbox messages acknowledged by the broker.")
	fpsDesc         = desc("sitegate_camera_fps", "Frame rate measured over the last seconds, by camera.", "camera")
	decodedDesc     = desc("sitegate_camera_decoded_fps", "Pictures decoded per second over the last seconds, by camera and capture mode.", "camera", "capture")
	camBytesDesc    = desc("sitegate_camera_bytes_per_second", "Coded bytes received per second (on_demand, snapshot), by camera.", "camera")
	registryDesc    = desc("sitegate_registry_version", "Version of the registry in use.")
	configDesc      = desc("sitegate_config_version", "Version of the desired config running (0: the local file).")
	configApplyDesc = desc("sitegate_config_applies_total", "Desired configs, by outcome.", "status")
	clockSyncedDesc = desc("sitegate_clock_synced", "1 when the system clock is synchronised.")
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{framesDesc, badFramesDesc, passagesDesc, scaleUpDesc, depthDesc, bytesDesc,
		droppedDesc, connectedDesc, reconnectsDesc, publishedDesc, fpsDesc, registryDesc, configDesc, configApplyDesc,
		clockSyncedDesc, decodedDesc, camBytesDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.Status("online")
	m := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
	}
	for _, l := range s.Lanes {
		m(framesDesc, prometheus.CounterValue, float64(l.Decoder.Frames), l.ID)
		m(badFramesDesc, prometheus.CounterValue, float64(l.Decoder.BadFrames), l.ID)
		m(passagesDesc, prometheus.CounterValue, float64(l.Passages), l.ID)
		m(scaleUpDesc, prometheus.GaugeValue, b2f(l.Scale.State == "open"), l.ID)
	}
	if o := s.Outbox; o != nil {
		m(depthDesc, prometheus.GaugeValue, float64(o.Depth))
		m(bytesDesc, prometheus.GaugeValue, float64(o.Bytes))
		m(droppedDesc, prometheus.CounterValue, float64(o.Drops.Evidence), "evidence")
		m(droppedDesc, prometheus.CounterValue, float64(o.Drops.Passages), "passage")
		m(droppedDesc, prometheus.CounterValue, float64(o.Drops.Announcements), "announcement")
	}
	if u := s.Uplink; u != nil {
		m(connectedDesc, prometheus.GaugeValue, b2f(u.Connected))
		m(reconnectsDesc, prometheus.CounterValue, float64(u.Reconnects))
		m(publishedDesc, prometheus.CounterValue, float64(u.Published))
	}
	for _, cam := range s.Cameras {
		m(fpsDesc, prometheus.GaugeValue, cam.FPS, cam.ID)
		m(decodedDesc, prometheus.GaugeValue, cam.DecodedFPS, cam.ID, string(cam.Capture))
		m(camBytesDesc, prometheus.GaugeValue, cam.BytesPerS, cam.ID)
	}
	if s.Registry != nil {
		m(registryDesc, prometheus.GaugeValue, float64(s.Registry.Version))
	}
	if s.Clock != nil {
		m(clockSyncedDesc, prometheus.GaugeValue, b2f(s.Clock.Synced))
	}
	if c.r.s.Config != nil {
		cc := c.r.s.Config()
		m(configDesc, prometheus.GaugeValue, float64(cc.Version))
		m(configApplyDesc, prometheus.CounterValue, float64(cc.Applied), "applied")
		m(configApplyDesc, prometheus.CounterValue, float64(cc.Rejected), "rejected")
		m(configApplyDesc, prometheus.CounterValue, float64(cc.RolledBack), "rolled_back")
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler serves /metrics (the gateway's metrics, with the Go runtime's and the process's) and
// /healthz (200 while every loop makes progress and no lane's scale has been down longer than
// ScaleDownFor, else 503 with the stuck loop or the lane).
func (r *Reporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorLog: nil}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		err := r.Healthy()
		if err == nil {
			err = r.ScalesUp(time.Now())
		}
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// Serve serves Handler on addr until ctx is done.
func (r *Reporter) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics %s: %w", addr, err)
	}
	r.addr.Store(new(ln.Addr().String()))
	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics %s: %w", addr, err)
	}
	return nil
}

// Addr is the bound address of the metrics port, or "" when it is not served.
func (r *Reporter) Addr() string {
	if a := r.addr.Load(); a != nil {
		return *a
	}
	return ""
}
