//go:build !nocv

package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/testbench/broker"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/pty"
	"sitegate/testbench/rtspserver"
)

// procCPU is a process's user+system CPU time so far, from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)             // utime, field 14
	st, _ := strconv.ParseInt(f[12], 10, 64)             // stime, field 15
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// procAnon is a process's anonymous resident memory (RssAnon), in MiB.
func procAnon(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "RssAnon:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// coreShare runs fn (which waits) and reports pid's CPU over it as a share of one core.
func coreShare(pid int, fn func()) float64 {
	c0, _ := procCPU(pid)
	t0 := time.Now()
	fn()
	c1, _ := procCPU(pid)
	return (c1 - c0).Seconds() / time.Since(t0).Seconds()
}

// camera1080p encodes a 1080p25 H.264 file the way a site camera streams (main profile, 4 Mbit/s,
// a key frame every 2 s); nothing in it is re-encoded while it is served.
func camera1080p(b *testing.B, dir string) string {
	b.Helper()
	out := filepath.Join(dir, "cam1080.mp4")
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
		"-t", "12", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-b:v", "4M", "-maxrate", "4M",
		"-bufsize", "8M", "-g", "50", "-pix_fmt", "yuv420p", out)
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("ffmpeg cannot make the 1080p stream: %v %s", err, o)
	}
	return out
}

var firstFrameRe = regexp.MustCompile(`msg="camera frame on demand".* after=(\S+)`)

// BenchmarkCameraCapture runs the built agent with one 1080p25 H.264 RTSP camera in each capture
// mode (and with none), and reports, per mode: the agent's CPU with the lane empty (idle-%core)
// and with a truck standing on the deck (active-%core), each against ffmpeg decoding the same
// stream on one thread in the same window (floor-%core, and idle-of-floor the ratio), the
// agent's anonymous RSS (idle-anon-MiB, active-anon-MiB) and the time from the truck's arrival
// to the camera's first frame (first-frame-ms, from the agent's log). Use -benchtime=1x.
func BenchmarkCameraCapture(b *testing.B) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg is not installed")
	}
	dir := b.TempDir()
	src := camera1080p(b, dir)
	url := rtspserver.Serve(b, src, 0)
	// The snapshot camera's JPEG: one 1080p frame of the same stream.
	jpeg := filepath.Join(dir, "snap.jpg")
	if o, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", src, "-frames:v", "1", "-q:v", "3", jpeg).CombinedOutput(); err != nil {
		b.Fatalf("snapshot jpeg: %v %s", err, o)
	}
	snap, _ := os.ReadFile(jpeg)
	snapSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(snap)
	}))
	defer snapSrv.Close()
	mq := broker.StartMosquitto(b)
	bin := buildAgent(b)
	idle := 15 * time.Second
	if s := os.Getenv("SITEGATE_BENCH_IDLE"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			idle = d
		}
	}
	// A wash-bay camera watches the bay while the deck is empty (docs/wash.md).
	const bay = ", wash: {rois: [{name: bay, polygon: [[0.1, 0.3], [0.9, 0.3], [0.9, 0.95], [0.1, 0.95]]}]}"
	modes := []struct{ name, camera string }{
		{"none", ""},
		{"on_demand", "capture: on_demand"},
		{"on_demand-noclip", "capture: on_demand, clip: {before: 0s, after: 0s}"},
		{"continuous", "capture: continuous"},
		{"snapshot", "capture: snapshot, snapshot_url: " + strconv.Quote(snapSrv.URL+"/snap.jpg")},
		{"wash-on_demand", "capture: on_demand" + bay},
		{"wash-snapshot", "capture: snapshot, snapshot_url: " + strconv.Quote(snapSrv.URL+"/snap.jpg") + bay},
	}
	base := -1.0 // the agent's idle CPU without a camera, from the first mode
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			for b.Loop() {
				idle, floor := runCaptureMode(b, bin, mq.URL(), url, m.camera, idle)
				if m.camera == "" {
					base = idle
				} else if base >= 0 {
					// What the camera adds to the agent's idle cost, as a share of the floor.
					b.ReportMetric((idle-base)/floor, "camera-idle-of-floor")
				}
			}
		})
	}
}

// runCaptureMode runs one mode and returns the agent's idle CPU and the floor's, shares of a core.
func runCaptureMode(b *testing.B, bin, mqURL, camURL, camera string, idle time.Duration) (float64, float64) {
	dir := b.TempDir()
	master, port := pty.Pair(b)
	cams := ""
	if camera != "" {
		cams = fmt.Sprintf("    cameras:\n      - {id: wheels, url: %q, %s}\n", camURL, camera)
		if strings.Contains(camera, "wash:") {
			cams = "    wash: {source: camera, camera: wheels}\n" + cams
		}
	}
	cfg := fmt.Sprintf(`site: bench
gateway: gw-01
mqtt: {url: %q}
store: {dir: data}
lanes:
  - id: exit-1
    scale: {port: %s, protocol: yaohua-tf0, off_deck_hold: 500ms, stable_window: 800ms, stable_band_kg: 40}
%s`, mqURL, port, cams)
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := agentCommand(bin, "run", "--config", path)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	var mu sync.Mutex
	var first []string
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := firstFrameRe.FindStringSubmatch(sc.Text()); m != nil {
				mu.Lock()
				first = append(first, m[1])
				mu.Unlock()
			}
		}
	}()
	pid := cmd.Process.Pid
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emu := indicatoremu.New(master, 50*time.Millisecond, indicatoremu.Options{})
	go emu.Run(ctx)
	time.Sleep(5 * time.Second) // connect, settle
	floor := startFloor(b, camURL)
	var idleCPU, floorCPU float64
	var wg sync.WaitGroup
	wg.Go(func() { floorCPU = coreShare(floor.Process.Pid, func() { time.Sleep(idle) }) })
	idleCPU = coreShare(pid, func() { time.Sleep(idle) })
	wg.Wait()
	idleAnon := procAnon(pid)
	floor.Process.Kill()
	floor.Wait()
	// A truck stands on the deck for 14 s; measure 10 s of it, after its first seconds.
	truck := indicatoremu.Profile{
		{From: 0, To: 0, For: 200 * time.Millisecond},
		{From: 0, To: 21000, For: 500 * time.Millisecond},
		{From: 21000, To: 21000, For: 14 * time.Second, NoiseKg: 5},
		{From: 21000, To: 0, For: 300 * time.Millisecond},
		{From: 0, To: 0, For: time.Second},
	}
	played := make(chan error, 1)
	go func() { played <- emu.Play(ctx, truck) }()
	time.Sleep(3 * time.Second)
	var activeAnon float64
	activeCPU := coreShare(pid, func() {
		for range 10 {
			time.Sleep(time.Second)
			activeAnon = max(activeAnon, procAnon(pid))
		}
	})
	<-played
	b.ReportMetric(100*idleCPU, "idle-%core")
	b.ReportMetric(100*floorCPU, "floor-%core")
	b.ReportMetric(idleCPU/floorCPU, "idle-of-floor")
	b.ReportMetric(100*activeCPU, "active-%core")
	b.ReportMetric(idleAnon, "idle-anon-MiB")
	b.ReportMetric(activeAnon, "active-anon-MiB")
	mu.Lock()
	defer mu.Unlock()
	if len(first) > 0 {
		if d, err := time.ParseDuration(first[0]); err == nil {
			b.ReportMetric(float64(d.Milliseconds()), "first-frame-ms")
		}
	}
	return idleCPU, floorCPU
}

// startFloor runs ffmpeg decoding the stream on one thread and discarding the frames: the least
// any decoding reader of it costs.
func startFloor(b *testing.B, url string) *exec.Cmd {
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-threads", "1", "-rtsp_transport", "tcp",
		"-i", url, "-f", "null", "-")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(2 * time.Second) // past its start
	return cmd
}
