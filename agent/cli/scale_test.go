package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/cli"
	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
	"sitegate/drivers/indicator/toledo"
	"sitegate/drivers/serialport/capture"
	"sitegate/testbench/indicatoremu"
)

// lockedBuffer is an output a command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var ptyLine = regexp.MustCompile(`emulating \S+ on (/dev/pts/\d+)`)

// emulate starts `sitegate emulate scale` on a pty and returns the path to open; it stops when
// the test ends.
func emulate(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, append([]string{"emulate", "scale", "--pty"}, args...), out, out) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != cli.ExitOK {
			t.Errorf("emulate exited %d: %s", code, out)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := ptyLine.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func run(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(ctx, args, &out, &errb)
	return code, out.String() + errb.String()
}

// TestScaleDetectEveryProtocol emulates each protocol on a pty and detects it.
func TestScaleDetectEveryProtocol(t *testing.T) {
	want := map[string]string{"ascii": "yaohua-eq"} // the ascii example profile reads the same "=" frames
	for _, p := range indicatoremu.Protocols() {
		t.Run(p, func(t *testing.T) {
			path := emulate(t, "--protocol", p, "--weight", "31200", "--rate", "50ms")
			start := time.Now()
			code, out := run(t, context.Background(), "scale", "detect", path)
			took := time.Since(start)
			w := p
			if x, ok := want[p]; ok {
				w = x
			}
			if code != cli.ExitOK || !strings.Contains(out, "match: "+w+" at ") || !strings.Contains(out, "last reading 31200 kg") {
				t.Fatalf("exit %d, want a match of %s at 31200 kg:\n%s", code, w, out)
			}
			if p == "ascii" && !strings.Contains(out, "also decodes as: ascii") {
				t.Errorf("ascii not listed among the alternatives:\n%s", out)
			}
			t.Logf("scale detect %s: %v", p, took.Round(time.Millisecond))
		})
	}
}

func TestScaleDetectSilentLine(t *testing.T) {
	path := emulate(t, "--protocol", "yaohua-cmd", "--address", "Q") // answers only Q: silent to A
	code, out := run(t, context.Background(), "scale", "detect", path, "--timeout", "3s", "--window", "100ms")
	if code != cli.ExitRuntime || !strings.Contains(out, "no match") || !strings.Contains(out, "silent") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestScaleWatch(t *testing.T) {
	path := emulate(t, "--protocol", "mt-sics", "--weight", "18000")
	code, out := run(t, context.Background(), "scale", "watch", path, "--protocol", "mt-sics", "--count", "3", "--poll-interval", "30ms")
	if code != cli.ExitOK || strings.Count(out, "18000 kg stable gross") != 3 {
		t.Fatalf("exit %d, want 3 stable readings:\n%s", code, out)
	}

	path = emulate(t, "--protocol", "yaohua-a12e", "--weight", "4200")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sitegate.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("site: s\ngateway: g\nlanes:\n  - id: exit-2\n    scale: {port: %s, indicator: xk3190-a12e}\n", path)), 0o644)
	code, out = run(t, context.Background(), "scale", "watch", "--config", cfg, "--lane", "exit-2", "--count", "2")
	if code != cli.ExitOK || strings.Count(out, "4200 kg gross") != 2 || !strings.Contains(out, "yaohua-a12e") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if code, _ := run(t, context.Background(), "scale", "watch", "--config", cfg, "--lane", "nope"); code != cli.ExitUsage {
		t.Errorf("unknown lane: exit %d", code)
	}
}

// TestScaleRecordReplays records an emulated Toledo truck visit and replays the capture through
// the decoder: a field recording is a test case.
func TestScaleRecordReplays(t *testing.T) {
	path := emulate(t, "--protocol", "toledo-cont", "--weight", "25000", "--rate", "20ms", "--corrupt", "7")
	file := filepath.Join(t.TempDir(), "visit.cap")
	code, out := run(t, context.Background(), "scale", "record", path, "--out", file, "--duration", "700ms")
	if code != cli.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := capture.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	got, st, _ := indicatortest.Decode(toledo.New(c.Playback(), indicator.Options{}))
	if len(got) < 5 || st.BadFrames == 0 {
		t.Fatalf("replay gave %d readings, stats %+v; want several, and the corrupted frames counted", len(got), st)
	}
	for _, r := range got {
		if r.Kg != 25000 || !r.Has(indicator.MotionKnown) || r.Has(indicator.Motion) {
			t.Fatalf("replayed reading %v, want 25000 kg stable", r)
		}
	}
}

func TestScaleUsage(t *testing.T) {
	for _, args := range [][]string{
		{"scale"}, {"scale", "detect"}, {"scale", "watch", "/dev/null"}, {"scale", "record", "/dev/null"},
		{"emulate"}, {"emulate", "scale", "--protocol", "yaohua-tf0"}, {"emulate", "scale", "--protocol", "nope", "--pty"},
		{"emulate", "scale", "--protocol", "yaohua-tf0", "--pty", "--dropout", "3:5"},
	} {
		if code, out := run(t, context.Background(), args...); code != cli.ExitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, cli.ExitUsage, out)
		}
	}
	if code, out := run(t, context.Background(), "scale", "profiles"); code != cli.ExitOK || !strings.Contains(out, "xk3190-a9") {
		t.Errorf("scale profiles: exit %d\n%s", code, out)
	}
}
