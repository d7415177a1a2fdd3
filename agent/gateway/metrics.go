package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"sitegate/agent/lane"
)

// alarmCounts counts stored passages' alarms by kind, for /metrics.
type alarmCounts struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (a *alarmCounts) add(kinds []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[string]uint64{}
	}
	for _, k := range kinds {
		a.n[k]++
	}
}

func (a *alarmCounts) snapshot() map[string]uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]uint64, len(a.n))
	for k, v := range a.n {
		out[k] = v
	}
	return out
}

// onStored counts a stored passage and hands it to Options.OnStored.
func (g *Gateway) onStored(p lane.Passage) {
	g.alarms.add(p.Alarms)
	if g.o.OnStored != nil {
		g.o.OnStored(p)
	}
}

// WriteMetrics writes the Prometheus text exposition of the gateway's counters.
func (g *Gateway) WriteMetrics(w io.Writer) {
	s := g.Status("online")
	metric := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	q := strconv.Quote
	metric("sitegate_frames_total", "counter", "Indicator frames decoded, by lane.")
	for _, l := range s.Lanes {
		fmt.Fprintf(w, "sitegate_frames_total{lane=%s} %d\n", q(l.ID), l.Decoder.Frames)
	}
	metric("sitegate_bad_frames_total", "counter", "Indicator frames dropped for a bad checksum or layout, by lane.")
	for _, l := range s.Lanes {
		fmt.Fprintf(w, "sitegate_bad_frames_total{lane=%s} %d\n", q(l.ID), l.Decoder.BadFrames)
	}
	metric("sitegate_passages_total", "counter", "Passages stored, by lane (since the lane started).")
	for _, l := range s.Lanes {
		fmt.Fprintf(w, "sitegate_passages_total{lane=%s} %d\n", q(l.ID), l.Passages)
	}
	metric("sitegate_scale_up", "gauge", "1 when the lane's indicator port is open.")
	for _, l := range s.Lanes {
		fmt.Fprintf(w, "sitegate_scale_up{lane=%s} %d\n", q(l.ID), b2i(l.Scale.State == "open"))
	}
	metric("sitegate_alarms_total", "counter", "Alarms in stored passages, by kind.")
	al := g.alarms.snapshot()
	kinds := make([]string, 0, len(al))
	for k := range al {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "sitegate_alarms_total{kind=%s} %d\n", q(k), al[k])
	}
	if s.Outbox != nil {
		metric("sitegate_outbox_depth", "gauge", "Messages waiting in the outbox.")
		fmt.Fprintf(w, "sitegate_outbox_depth %d\n", s.Outbox.Depth)
		metric("sitegate_outbox_bytes", "gauge", "Bytes waiting in the outbox.")
		fmt.Fprintf(w, "sitegate_outbox_bytes %d\n", s.Outbox.Bytes)
		metric("sitegate_outbox_dropped_total", "counter", "Messages a bound of the outbox dropped, by kind.")
		fmt.Fprintf(w, "sitegate_outbox_dropped_total{kind=\"evidence\"} %d\n", s.Outbox.Drops.Evidence)
		fmt.Fprintf(w, "sitegate_outbox_dropped_total{kind=\"passage\"} %d\n", s.Outbox.Drops.Passages)
		fmt.Fprintf(w, "sitegate_outbox_dropped_total{kind=\"announcement\"} %d\n", s.Outbox.Drops.Announcements)
	}
	if s.Uplink != nil {
		metric("sitegate_uplink_connected", "gauge", "1 when connected to the broker.")
		fmt.Fprintf(w, "sitegate_uplink_connected %d\n", b2i(s.Uplink.Connected))
		metric("sitegate_uplink_reconnects_total", "counter", "Connections made after the first.")
		fmt.Fprintf(w, "sitegate_uplink_reconnects_total %d\n", s.Uplink.Reconnects)
		metric("sitegate_uplink_published_total", "counter", "Outbox messages acknowledged by the broker.")
		fmt.Fprintf(w, "sitegate_uplink_published_total %d\n", s.Uplink.Published)
	}
	metric("sitegate_camera_fps", "gauge", "Frame rate measured over the last seconds, by camera.")
	for _, c := range s.Cameras {
		fmt.Fprintf(w, "sitegate_camera_fps{camera=%s} %g\n", q(c.ID), c.FPS)
	}
	if s.Registry != nil {
		metric("sitegate_registry_version", "gauge", "Version of the registry in use.")
		fmt.Fprintf(w, "sitegate_registry_version %d\n", s.Registry.Version)
	}
	if cp := g.ctl; cp != nil {
		cp.mu.Lock()
		v := cp.applied.Version
		cp.mu.Unlock()
		metric("sitegate_config_version", "gauge", "Version of the desired config running (0: the local file).")
		fmt.Fprintf(w, "sitegate_config_version %d\n", v)
		metric("sitegate_config_applies_total", "counter", "Desired configs, by outcome.")
		fmt.Fprintf(w, "sitegate_config_applies_total{status=\"applied\"} %d\n", cp.applies.Load())
		fmt.Fprintf(w, "sitegate_config_applies_total{status=\"rejected\"} %d\n", cp.rejects.Load())
		fmt.Fprintf(w, "sitegate_config_applies_total{status=\"rolled_back\"} %d\n", cp.rollbacks.Load())
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// serveMetrics serves /metrics and /healthz on addr until ctx is done.
func (g *Gateway) serveMetrics(ctx context.Context, addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		g.WriteMetrics(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := g.healthy(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics %s: %w", addr, err)
	}
	g.metricsAddr.Store(new(ln.Addr().String()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
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

// MetricsAddr is the bound address of the metrics port, or "" when it is off.
func (g *Gateway) MetricsAddr() string {
	if a := g.metricsAddr.Load(); a != nil {
		return *a
	}
	return ""
}
