//go:build measure

package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sitegate/testbench/broker"
)

// cpuSeconds is the user and system CPU time the process pid has used.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// TestMeasureConsoleCPU measures the CPU the built agent uses over a window, idle (no truck)
// with its camera streaming: with the console off, with it on and nobody watching, and with
// one headless Chromium logged in on the live page (default poll_interval 1s).
//
//	go test -tags measure -run TestMeasureConsoleCPU -v ./agent/cli/
func TestMeasureConsoleCPU(t *testing.T) {
	ctx := browser(t)
	window := 30 * time.Second
	if w, err := time.ParseDuration(os.Getenv("SITEGATE_MEASURE_WINDOW")); err == nil {
		window = w
	}
	bin := buildAgent(t)
	b := broker.StartMosquitto(t)
	measure := func(name, poll string, watch bool) float64 {
		s, base := consoleSiteEvery(t, b.URL(), poll)
		cmd := agentCommand(bin, "run", "--config", s.config, "--log-level", "warn")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
		if poll != "" {
			waitHTTP(t, base+"/login")
		}
		if watch {
			if err := within(ctx, 30*time.Second, chromedp.Navigate(base+"/login"),
				chromedp.SendKeys(chromedp.ID("user"), "tech"), chromedp.SendKeys(chromedp.ID("password"), consolePW),
				chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("kg-exit-1"))); err != nil {
				t.Fatalf("log in: %v", err)
			}
		}
		time.Sleep(5 * time.Second) // settle: camera open, first frames
		c0 := cpuSeconds(t, cmd.Process.Pid)
		t0 := time.Now()
		time.Sleep(window)
		used := cpuSeconds(t, cmd.Process.Pid) - c0
		pct := 100 * used / time.Since(t0).Seconds()
		renders, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.sitegateConsole ? window.sitegateConsole.renders : 0`))
		t.Logf("%s: %.2f s CPU in %v = %.1f%% of one core (page renders so far %.0f)", name, used, window, pct, renders)
		if watch {
			_ = within(ctx, 10*time.Second, chromedp.Navigate("about:blank"))
		}
		return pct
	}
	off := measure("console off", "", false)
	idle := measure("console on, nobody watching", "1s", false)
	watched := measure("console on, one browser on the live page", "1s", true)
	t.Logf("the console adds %.1f points of one core unwatched and %.1f watched (%.1f%% -> %.1f%% -> %.1f%%)", idle-off, watched-off, off, idle, watched)
}
