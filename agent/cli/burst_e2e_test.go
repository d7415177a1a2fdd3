package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/platecam"
)

// fastPlateOnly makes a test site's plate reads plate-only passages after 1 s.
func fastPlateOnly(t testing.TB, s *site) {
	t.Helper()
	cfg, _ := os.ReadFile(s.config)
	cfg = []byte(strings.Replace(string(cfg), "plate_only_timeout: 60s", "plate_only_timeout: 1s", 1))
	if err := os.WriteFile(s.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
}

// collectPlates counts passages by plate text until want distinct plates arrived (or the
// deadline), and reports any text seen twice.
func collectPlates(t *testing.T, msgs <-chan broker.Msg, want int, within time.Duration) map[string]int {
	t.Helper()
	seen := map[string]int{}
	deadline := time.After(within)
	for len(seen) < want {
		select {
		case m := <-msgs:
			if !isPassage(m) {
				continue
			}
			var p wire.Passage
			if json.Unmarshal(m.Payload, &p) != nil || p.Plate == nil {
				continue
			}
			seen[p.Plate.Text]++
		case <-deadline:
			return seen
		}
	}
	return seen
}

// TestBurstOfPushesLosesNothingAnswered: 16 senders push 4,000 plates at once; every push answered
// 200 becomes a passage, once. (Pushes answered 503 are a camera's to send again.)
func TestBurstOfPushesLosesNothingAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	n := 4000
	if v, err := strconv.Atoi(os.Getenv("SITEGATE_BURST")); err == nil {
		n = v
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	fastPlateOnly(t, s)
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/gw-07/passage")
	runAgent(t, s)
	pushPlate(t, s, "苏A00000") // the listener is up
	var accepted sync.Map
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	start := time.Now()
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				text := fmt.Sprintf("浙F%05d", i)
				err := platecam.Push(context.Background(), "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: text})
				if err != nil {
					refused.Add(1)
					continue
				}
				ok.Add(1)
				accepted.Store(text, true)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d pushes in %v (%.0f/s): %d answered 200, %d refused", n, took, float64(n)/took.Seconds(), ok.Load(), refused.Load())
	if ok.Load() == 0 {
		t.Fatal("no push was taken")
	}
	seen := collectPlates(t, msgs, int(ok.Load())+1, 3*time.Minute)
	lost, dup := 0, 0
	accepted.Range(func(k, _ any) bool {
		if seen[k.(string)] == 0 {
			lost++
		}
		return true
	})
	for text, c := range seen {
		if c > 1 {
			dup++
			t.Errorf("%s: %d passages", text, c)
		}
	}
	if lost > 0 {
		t.Errorf("%d plates answered 200 never became a passage", lost)
	}
	_ = dup
}

// TestOfflineBacklogOnce: a Vzenith camera's offline backlog, resent one record at a time and
// each record twice, becomes one late plate-only passage a record, with the camera's times.
func TestOfflineBacklogOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("SITEGATE_OFFLINE")); err == nil {
		n = v
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	withPlateCameras(t, s, "        - {id: front, vendor: vzenith, mode: push, url: \"http://127.0.0.1\"}\n", "{mode: off}")
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/gw-07/passage")
	runAgent(t, s)
	cam := &platecam.VzenithCamera{URL: "http://" + s.plateAddr + "/v1/plate/vzenith/exit-1", IPAddr: "127.0.0.1", SendTwice: true}
	retry(t, func() error { _, err := cam.Heartbeat(context.Background()); return err })
	camTime := time.Now().Add(-6 * time.Hour).Truncate(time.Second)
	var reads []platecam.VzenithRead
	for i := range n {
		reads = append(reads, platecam.VzenithRead{Plate: fmt.Sprintf("浙F%05d", i), ColorType: 2, Time: camTime.Add(time.Duration(i) * time.Second),
			Image: []byte{}, Fragment: []byte{}})
	}
	if err := cam.Fail(reads...); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for cam.Backlog() > 0 {
		if _, err := cam.SendOffline(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d offline records (each sent twice) taken in %v", n, time.Since(start))
	seen := map[string]int{}
	deadline := time.After(3 * time.Minute)
	for len(seen) < n {
		select {
		case m := <-msgs:
			var p wire.Passage
			if json.Unmarshal(m.Payload, &p) != nil || p.Plate == nil {
				continue
			}
			seen[p.Plate.Text]++
			if !p.Late || p.Plate.Vendor != "vzenith" {
				t.Fatalf("passage %s", m.Payload)
			}
		case <-deadline:
			t.Fatalf("%d of %d records became passages", len(seen), n)
		}
	}
	// Nothing more: no record twice.
	extra := collectPlates(t, msgs, 1, 3*time.Second)
	for text, c := range seen {
		if c > 1 || extra[text] > 0 {
			t.Errorf("%s: %d passages", text, c+extra[text])
		}
	}
}

// bigJPEG is a real JPEG of about 2 MB (noise does not compress).
func bigJPEG(b testing.TB) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.Uint32())
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkRSSBigPushes measures the built agent's peak resident memory (VmHWM) while 16
// senders push 300 plates with a 2 MB picture each (the pictures of waiting reads are on disk,
// not in memory). Use -benchtime=1x.
func BenchmarkRSSBigPushes(b *testing.B) {
	bin := buildAgent(b)
	mq := broker.StartMosquitto(b)
	s := newSite(b, mq.URL())
	pic := bigJPEG(b)
	b.Logf("picture %d bytes", len(pic))
	for b.Loop() {
		agent := agentCommand(bin, "run", "--config", s.config)
		agent.Stderr = io.Discard
		if err := agent.Start(); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		for platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: "苏A00000"}) != nil {
			time.Sleep(50 * time.Millisecond)
		}
		var wg sync.WaitGroup
		var ok atomic.Int64
		next := atomic.Int64{}
		start := time.Now()
		for range 16 {
			wg.Go(func() {
				for i := next.Add(1); i <= 300; i = next.Add(1) {
					if platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", platecam.PushRequest{Lane: "exit-1", Plate: fmt.Sprintf("浙F%05d", i), ImageJPEG: pic}) == nil {
						ok.Add(1)
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", agent.Process.Pid))
		agent.Process.Signal(syscall.SIGTERM)
		agent.Wait()
		cancel()
		var hwm float64
		for _, line := range strings.Split(string(st), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				hwm = kb / 1024
			}
		}
		if hwm == 0 {
			b.Fatalf("no VmHWM in %s", st)
		}
		b.Logf("%d of 300 pushes taken in %v", ok.Load(), took)
		b.ReportMetric(hwm, "peak-RSS-MiB")
		b.ReportMetric(float64(ok.Load()), "taken")
	}
}
