//go:build measure

package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/control"
	"sitegate/agent/lane"
	config "sitegate/firmware-config"
	"sitegate/testbench/broker"
	"sitegate/testbench/platecam"
)

// TestMeasureApply measures the time from a desired config's publish to its applied report
// (median of 20), then applies 50 configs under passage load (a plate push every 100 ms, each
// becoming a plate-only passage) and checks that every pushed plate gives exactly one passage.
// Half of the 50 change the rules (no lane restarts), half the lane itself (the lane restarts).
//
//	go test -tags measure -run TestMeasureApply -v ./agent/cli/
func TestMeasureApply(t *testing.T) {
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	withControl(t, s, "control: {apply_timeout: 5s, allow_unsigned: true}\n")
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/gw-07/#")
	runAgent(t, s)
	await(t, msgs, 20*time.Second, "online status", func(m broker.Msg) bool { return strings.HasSuffix(m.Topic, "/status") })

	var mu sync.Mutex
	reports := map[int64]chan control.Reported{}
	passages := map[string]int{}
	go func() {
		for m := range msgs {
			switch {
			case strings.HasSuffix(m.Topic, "/config/reported"):
				var r control.Reported
				if json.Unmarshal(m.Payload, &r) == nil {
					mu.Lock()
					if ch := reports[r.Version]; ch != nil {
						select {
						case ch <- r:
						default:
						}
					}
					mu.Unlock()
				}
			case isPassage(m):
				var p lane.Passage
				if json.Unmarshal(m.Payload, &p) == nil && p.Plate != nil {
					mu.Lock()
					passages[p.Plate.Text]++
					mu.Unlock()
				}
			}
		}
	}()
	apply := func(version int64, edit func(c *config.Config)) time.Duration {
		cfg, err := config.Load(s.config)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Lanes[0].PlateOnlyTimeout = config.Duration(time.Second)
		edit(cfg)
		rp, _ := control.RemotePart(cfg)
		body, _ := json.Marshal(map[string]any{"version": version, "config": rp})
		ch := make(chan control.Reported, 1)
		mu.Lock()
		reports[version] = ch
		mu.Unlock()
		start := time.Now()
		broker.Publish(t, b.URL(), "sitegate/v1/e2e-site/gw-07/config/desired", body, true)
		select {
		case r := <-ch:
			if r.Status != control.Applied {
				t.Fatalf("version %d: %+v", version, r)
			}
			return time.Since(start)
		case <-time.After(30 * time.Second):
			t.Fatalf("version %d: no report", version)
		}
		return 0
	}
	var lat []time.Duration
	for v := int64(1); v <= 20; v++ {
		lat = append(lat, apply(v, func(c *config.Config) { c.Rules.Overload.ToleranceKg = float64(v) }))
	}
	slices.Sort(lat)
	t.Logf("publish -> applied report, rules change, 20 applies: median %v, min %v, max %v", lat[10], lat[0], lat[19])

	// Passage load: unique plates pushed every 100 ms while 50 configs are applied.
	ctx, cancel := context.WithCancel(context.Background())
	var pushed []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			text := fmt.Sprintf("浙A%05d", i)
			if err := platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: text, Color: "blue", Confidence: 0.9}); err != nil {
				if ctx.Err() == nil {
					t.Errorf("push %s: %v", text, err)
				}
				return
			}
			pushed = append(pushed, text)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	var restartLat []time.Duration
	for v := int64(21); v <= 70; v++ {
		if v%2 == 0 {
			apply(v, func(c *config.Config) { c.Rules.Overload.ToleranceKg = float64(v) })
		} else {
			restartLat = append(restartLat, apply(v, func(c *config.Config) { c.Lanes[0].Scale.StableBandKg = float64(20 + v) }))
		}
	}
	cancel()
	wg.Wait()
	slices.Sort(restartLat)
	t.Logf("publish -> applied report, lane restarted, 25 applies: median %v", restartLat[len(restartLat)/2])
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(passages)
		mu.Unlock()
		if n >= len(pushed) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // any duplicate would follow within plate_only_timeout
	mu.Lock()
	defer mu.Unlock()
	lost, dup := 0, 0
	for _, p := range pushed {
		switch passages[p] {
		case 0:
			lost++
		case 1:
		default:
			dup++
		}
	}
	t.Logf("50 applies under load: %d plates pushed, %d passages, %d lost, %d duplicated", len(pushed), len(passages), lost, dup)
	if lost != 0 || dup != 0 || len(passages) != len(pushed) {
		t.Fatalf("lost %d, duplicated %d, %d passages for %d plates", lost, dup, len(passages), len(pushed))
	}
}
