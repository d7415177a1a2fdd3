package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/gateway"
	"sitegate/agent/lane"
	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
	"sitegate/models/deck"
	"sitegate/testbench/broker"
	"sitegate/testbench/clip"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/platecam"
	"sitegate/testbench/pty"
)

// quickTruck is a short visit, so that a benchmark can run many of them.
func quickTruck(kg float64) indicatoremu.Profile {
	return indicatoremu.Profile{
		{From: 0, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: kg, For: 500 * time.Millisecond},
		{From: kg, To: kg, For: 1200 * time.Millisecond, NoiseKg: 5},
		{From: kg, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: 0, For: 900 * time.Millisecond},
	}
}

// BenchmarkOffDeckToDelivery measures, per passage, the time from the deck's off-deck decision
// (the Departed event) to the passage's arrival at a subscriber of a real mosquitto on loopback,
// through the outbox (synced Badger write) and the uplink. The broker sends its PUBACK to the
// agent when it takes the message, before or as it forwards it, so this bounds the PUBACK time
// from above. Reports the median and the maximum over b.N passages (use -benchtime=20x).
func BenchmarkOffDeckToDelivery(b *testing.B) {
	mq := broker.StartMosquitto(b)
	dir := b.TempDir()
	master, port := pty.Pair(b)
	clipFile := filepath.Join(dir, "wheels.avi")
	if err := clip.Generate(clipFile, clip.Options{Seconds: 2}); err != nil {
		b.Fatal(err)
	}
	plateAddr := fmt.Sprintf("127.0.0.1:%d", must(broker.FreePort()))
	yaml := fmt.Sprintf(`site: bench
gateway: gw-01
mqtt: {url: %q}
store: {dir: %q}
lanes:
  - id: exit-1
    scale: {port: %s, off_deck_hold: 500ms, stable_window: 800ms, stable_band_kg: 40}
    plate: {listen: %q}
    cameras: [{id: wheels, url: %q}]
`, mq.URL(), filepath.Join(dir, "data"), port, plateAddr, clipFile)
	cfg, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	departed := map[int]time.Time{} // visit number → off-deck decision
	stored := map[uint64]time.Time{}
	visits := 0
	g, err := gateway.New(cfg, gateway.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnStored: func(p lane.Passage) {
			mu.Lock()
			stored[p.Seq] = time.Now()
			mu.Unlock()
		},
		OnDeck: func(_ string, e deck.Event) {
			if e.Kind == deck.Departed {
				mu.Lock()
				visits++
				departed[visits] = time.Now()
				mu.Unlock()
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	sub := broker.Subscribe(b, mq.URL(), "sitegate/v1/bench/gw-01/passage")
	type arrival struct {
		m  broker.Msg
		at time.Time
	}
	msgs := make(chan arrival, 64)
	go func() { // stamp each passage as it arrives, not when the loop below gets to it
		for m := range sub {
			msgs <- arrival{m, time.Now()}
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() { cancel(); <-done }()
	emu := indicatoremu.New(master, 50*time.Millisecond, indicatoremu.Options{})
	go emu.Run(ctx)

	var lat, storeLat []time.Duration
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		for platecam.Push(ctx, "http://"+plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: "浙F12345"}) != nil {
			time.Sleep(20 * time.Millisecond) // the listener is still starting
		}
		if err := emu.Play(ctx, quickTruck(20000)); err != nil {
			b.Fatal(err)
		}
		select {
		case a := <-msgs:
			got := a.at
			var p lane.Passage
			if err := json.Unmarshal(a.m.Payload, &p); err != nil || p.Seq != uint64(i) {
				b.Fatalf("passage %d: %v %s", i, err, a.m.Payload)
			}
			mu.Lock()
			at, ok := departed[i]
			mu.Unlock()
			if !ok {
				b.Fatalf("passage %d arrived before its off-deck decision", i)
			}
			lat = append(lat, got.Sub(at))
			storeLat = append(storeLat, stored[p.Seq].Sub(at))
		case <-time.After(20 * time.Second):
			b.Fatalf("passage %d never arrived", i)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	sort.Slice(storeLat, func(i, j int) bool { return storeLat[i] < storeLat[j] })
	b.ReportMetric(float64(storeLat[len(storeLat)/2].Microseconds())/1000, "stored-median-ms")
	if os.Getenv("SITEGATE_BENCH_VERBOSE") != "" {
		var s []string
		for _, l := range lat {
			s = append(s, l.Round(100*time.Microsecond).String())
		}
		b.Logf("latencies: %s", strings.Join(s, " "))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
