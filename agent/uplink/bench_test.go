package uplink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"gopkg.in/yaml.v3"

	"sitegate/agent/outbox"
	config "sitegate/firmware-config"
	"sitegate/testbench/broker"
)

const backlog = 100_000

// benchPayload is a passage-sized JSON payload (about 900 bytes), distinct per i.
func benchPayload(i int) []byte {
	return []byte(fmt.Sprintf(`{"schema":"sitegate.passage/v1","id":"0192f1c2-0000-7000-8000-%012d","seq":%d,"pad":"%s"}`, i, i+1, strings.Repeat("x", 800)))
}

// fillBacklog appends n passages in batches of 500 (the fill is not what is measured).
func fillBacklog(tb testing.TB, box outbox.Outbox, n int) {
	tb.Helper()
	for i := 0; i < n; {
		k := min(500, n-i)
		if _, err := box.AppendBatch(func(uint64) ([]outbox.Message, error) {
			ms := make([]outbox.Message, k)
			for j := range ms {
				ms[j] = outbox.Message{Topic: root + "/passage", Payload: benchPayload(i + j), QoS: 1}
			}
			return ms, nil
		}); err != nil {
			tb.Fatal(err)
		}
		i += k
	}
}

// agentMemoryLimit is the soft memory limit the agent runs with by default
// (process.memory_limit, applied by sitegate run).
func agentMemoryLimit(tb testing.TB) int64 {
	var d struct {
		Process struct {
			MemoryLimit string `yaml:"memory_limit"`
		} `yaml:"process"`
	}
	if err := yaml.Unmarshal(config.DefaultsYAML(), &d); err != nil {
		tb.Fatal(err)
	}
	n, err := config.ParseSize(d.Process.MemoryLimit)
	if err != nil || n <= 0 {
		tb.Fatalf("process.memory_limit %q: %v", d.Process.MemoryLimit, err)
	}
	return int64(n)
}

// drainBacklog runs an uplink on box until it is empty and returns how long that took. It runs
// under the agent's default memory limit, as the agent would.
func drainBacklog(tb testing.TB, url string, box outbox.Outbox) time.Duration {
	tb.Helper()
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(agentMemoryLimit(tb)))
	opts := testOptions(url)
	opts.Window = 0 // the default
	u := New(opts, box)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- u.Run(ctx) }()
	for box.Stats().Depth > 0 {
		time.Sleep(2 * time.Millisecond)
	}
	d := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	return d
}

// barePublish sends n payloads at QoS 1 with a plain paho client, as fast as it will take
// them, and waits for every PUBACK.
func barePublish(tb testing.TB, url string, n int) time.Duration {
	tb.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("bare-%d", time.Now().UnixNano())).
		SetAutoReconnect(false).SetOrderMatters(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		tb.Fatalf("bare connect: %v", tok.Error())
	}
	defer c.Disconnect(250)
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = benchPayload(i)
	}
	start := time.Now()
	toks := make([]paho.Token, n)
	for i, p := range payloads {
		toks[i] = c.Publish(root+"/passage", 1, false, p)
	}
	for _, tok := range toks {
		tok.Wait()
		if err := tok.Error(); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkDrain100k drains a 100,000-passage Badger backlog to mosquitto and, in the same run,
// sends the same payloads with a bare paho QoS 1 publisher; it reports both rates and their
// ratio (target >= 0.8). The agent's side runs under its default memory limit, the bare
// publisher (which holds all its tokens at once) without one.
func BenchmarkDrain100k(b *testing.B) {
	p := broker.StartMosquitto(b)
	for b.Loop() {
		b.StopTimer()
		box, err := outbox.OpenBadger(b.TempDir(), outbox.BadgerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		fillBacklog(b, box, backlog)
		// The bare publisher runs half before and half after the drain, so a change in the
		// machine's load during the run weighs on both sides alike.
		c0 := cpuTime(b)
		bare := barePublish(b, p.URL(), backlog/2)
		c1 := cpuTime(b)
		b.StartTimer()
		agent := drainBacklog(b, p.URL(), box)
		b.StopTimer()
		c2 := cpuTime(b)
		box.Close()
		c3 := cpuTime(b)
		bare += barePublish(b, p.URL(), backlog/2)
		c4 := cpuTime(b)
		b.StartTimer()
		ar, br := backlog/agent.Seconds(), backlog/bare.Seconds()
		b.ReportMetric(ar, "agent-msg/s")
		b.ReportMetric(br, "bare-msg/s")
		b.ReportMetric(ar/br, "ratio")
		// This process's CPU time per message (the broker's is not counted): what the outbox
		// costs, independent of what else the machine is doing.
		b.ReportMetric(float64((c2-c1).Microseconds())/backlog, "agent-cpu-us/msg")
		b.ReportMetric(float64((c1-c0+c4-c3).Microseconds())/backlog, "bare-cpu-us/msg")
	}
}

// rssReported are the child's figures BenchmarkPeakRSS100k reports, in MiB, and their units.
var rssReported = []struct{ key, unit string }{
	{"held", "peak-MiB-holding"},
	{"drained", "peak-MiB-draining"},
	{"anon-held", "peak-anon-MiB-holding"},
	{"anon-drained", "peak-anon-MiB-draining"},
	{"file-drained", "peak-file-MiB-draining"},
	{"lib-file", "libs-file-MiB"},
	{"lib-anon", "libs-anon-MiB"},
	{"c-heap", "c-heap-MiB"},
	{"exe", "exe-MiB"},
	{"store", "store-MiB"},
	{"other-anon", "go-anon-MiB"},
}

// BenchmarkPeakRSS100k measures, in a child process of its own, the peak resident memory while
// a 100,000-passage backlog (filled here, beforehand) is held in the outbox and drained to
// mosquitto (target < 64 MiB), under the agent's default memory limit. The child is this test
// binary, so it maps what the build links: in the default build, OpenCV and everything
// Debian's OpenCV libraries load, as the agent on a gateway does; with -tags nocv, none of it.
//
// It reports the peak RSS, the peaks of its anonymous and file-backed parts, and, at the end of
// the drain, where the resident pages are (smapsSplit): shared libraries' file pages and their
// anonymous (relocated, copy-on-write) pages, the C heap (what the libraries' initialisers
// allocated), the binary's own pages, Badger's files, and the rest of the anonymous memory
// (the Go heap and stacks), and how many shared libraries are mapped.
func BenchmarkPeakRSS100k(b *testing.B) {
	p := broker.StartMosquitto(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for b.Loop() {
		dir := b.TempDir()
		box, err := outbox.OpenBadger(dir, outbox.BadgerOptions{Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		fillBacklog(b, box, backlog)
		if err := box.Close(); err != nil {
			b.Fatal(err)
		}
		args := []string{"-test.run=^TestRSSChild$", "-test.count=1"}
		if prof := os.Getenv("SITEGATE_DRAIN_CPUPROFILE"); prof != "" {
			// The drain alone, without the fill and the bare publisher of Drain100k.
			args = append(args, "-test.cpuprofile="+prof)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "SITEGATE_RSS_CHILD="+p.URL(), "SITEGATE_RSS_DIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		got := map[string]float64{}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "RSS" {
				v, _ := strconv.ParseInt(f[2], 10, 64)
				got[f[1]] = float64(v) / (1 << 20)
			}
		}
		for _, k := range rssReported {
			if _, ok := got[k.key]; !ok {
				b.Fatalf("child reported no %s (%v):\n%s", k.key, got, out)
			}
			b.ReportMetric(got[k.key], k.unit)
		}
		b.ReportMetric(got["libs"], "shared-libs")
	}
}

// TestRSSChild is BenchmarkPeakRSS100k's child; it does nothing unless started by it. It opens
// the filled store (holding), drains it, and prints the peak RSS (VmHWM) and the peak anonymous
// RSS (sampled every 20 ms) after each phase.
func TestRSSChild(t *testing.T) {
	url := os.Getenv("SITEGATE_RSS_CHILD")
	if url == "" {
		t.Skip("only run as BenchmarkPeakRSS100k's child")
	}
	var mu sync.Mutex
	var anon, file int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			a, f := procStatus(t, "RssAnon:"), procStatus(t, "RssFile:")
			mu.Lock()
			anon, file = max(anon, a), max(file, f)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	peakAnon := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return max(anon, procStatus(t, "RssAnon:"))
	}
	peakFile := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return max(file, procStatus(t, "RssFile:"))
	}
	box, err := outbox.OpenBadger(os.Getenv("SITEGATE_RSS_DIR"), outbox.BadgerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	if d := box.Stats().Depth; d != backlog {
		t.Fatalf("depth %d after reopen", d)
	}
	fmt.Printf("RSS held %d\nRSS anon-held %d\n", procStatus(t, "VmHWM:"), peakAnon())
	drainBacklog(t, url, box)
	close(stop)
	wg.Wait()
	fmt.Printf("RSS drained %d\nRSS anon-drained %d\nRSS file-drained %d\n", procStatus(t, "VmHWM:"), peakAnon(), peakFile())
	split, err := smapsSplit("/proc/self/smaps", os.Getenv("SITEGATE_RSS_DIR"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range split {
		fmt.Printf("RSS %s %d\n", k, v)
	}
}

// smapsSplit sums the resident bytes of an smaps file by where they are: "lib-file" and
// "lib-anon" (shared libraries' file-backed pages and their anonymous, copy-on-write ones),
// "c-heap" (the brk heap, which only C code uses), "exe" (the binary itself), "store" (files
// under storeDir), "other-anon" (anonymous mappings: the Go heap and stacks, and C's mmapped
// allocations) and "other"; and "libs", the number of shared libraries mapped (in bytes' place,
// as a count in units of MiB, so that the caller's division gives the count).
func smapsSplit(path, storeDir string) (map[string]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	out := map[string]int64{"lib-file": 0, "lib-anon": 0, "c-heap": 0, "exe": 0, "store": 0, "other-anon": 0, "other": 0}
	libs := map[string]bool{}
	var name string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if !strings.HasSuffix(f[0], ":") { // a mapping's header: range perms offset dev inode [name]
			name = ""
			if len(f) >= 6 {
				name = f[5]
			}
			if strings.Contains(name, ".so") {
				libs[name] = true
			}
			continue
		}
		if len(f) < 2 || (f[0] != "Rss:" && f[0] != "Anonymous:") {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, line, err)
		}
		v := kb << 10
		lib := strings.Contains(name, ".so")
		switch {
		case f[0] == "Anonymous:" && lib:
			out["lib-anon"] += v
		case f[0] == "Anonymous:":
		case lib:
			out["lib-file"] += v // less its anonymous part, below
		case name == "[heap]":
			out["c-heap"] += v
		case name == exe:
			out["exe"] += v
		case storeDir != "" && strings.HasPrefix(name, storeDir):
			out["store"] += v
		case name == "" || strings.HasPrefix(name, "[anon"):
			out["other-anon"] += v
		default:
			out["other"] += v
		}
	}
	out["lib-file"] -= out["lib-anon"]
	out["libs"] = int64(len(libs)) << 20
	return out, nil
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestSmapsSplit checks BenchmarkPeakRSS100k's split of an smaps file on a sample of the
// mappings it sorts.
func TestSmapsSplit(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	smaps := `00400000-00c00000 r-xp 00000000 08:01 100 ` + exe + `
Rss:                1024 kB
Anonymous:             0 kB
Referenced:          512 kB
7f0000000000-7f0000100000 r-xp 00000000 08:01 200 /usr/lib/x86_64-linux-gnu/libgdal.so.32
Rss:                 800 kB
Anonymous:             0 kB
Referenced:            4 kB
7f0000100000-7f0000200000 rw-p 00100000 08:01 200 /usr/lib/x86_64-linux-gnu/libgdal.so.32
Rss:                 200 kB
Anonymous:           150 kB
Referenced:            0 kB
01000000-02000000 rw-p 00000000 00:00 0 [heap]
Rss:                 300 kB
Anonymous:           300 kB
Referenced:            8 kB
c000000000-c004000000 rw-p 00000000 00:00 0
Rss:                4096 kB
Anonymous:          4096 kB
Referenced:         4096 kB
VmFlags: rd wr mr mw me ac
7f0000300000-7f0000400000 r--s 00000000 08:01 300 /store/outbox/000001.sst
Rss:                 64 kB
Anonymous:             0 kB
Referenced:           64 kB
`
	path := filepath.Join(t.TempDir(), "smaps")
	if err := os.WriteFile(path, []byte(smaps), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := smapsSplit(path, "/store")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"exe": 1024 << 10, "lib-file": 850 << 10, "lib-anon": 150 << 10, "c-heap": 300 << 10,
		"other-anon": 4096 << 10, "store": 64 << 10, "other": 0, "libs": 1 << 20}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("keys %v, want those of %v", got, want)
	}
}
