package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"sitegate/agent/cli"
	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/indicatoremu"
)

const consolePW = "a technician's password"

// consoleSite is an e2e site with the console on (and, with OpenCV, a camera with a region),
// and a technician made with `sitegate console adduser`.
func consoleSite(t *testing.T, brokerURL string) (*site, string) {
	return consoleSiteEvery(t, brokerURL, "250ms")
}

// consoleSiteEvery is consoleSite with the live page polling every poll ("": the console off).
func consoleSiteEvery(t *testing.T, brokerURL, poll string) (*site, string) {
	t.Helper()
	s := newSite(t, brokerURL)
	b, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "        url: wheels.avi\n", "        url: wheels.avi\n        rois:\n          - name: wheels\n            polygon: [[0.1, 0.6], [0.9, 0.6], [0.9, 0.9], [0.1, 0.9]]\n", 1)
	addr := freeAddr(t)
	if poll != "" {
		cfg += fmt.Sprintf("console: {listen: %q, users_file: users, poll_interval: %s}\n", addr, poll)
	}
	if err := os.WriteFile(s.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addUser(t, filepath.Join(s.dir, "users"), "tech", "technician", consolePW)
	return s, "http://" + addr
}

// addUser runs `sitegate console adduser`, the password on stdin.
func addUser(t *testing.T, file, name, role, pw string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { io.WriteString(w, pw+"\n"); w.Close() }()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old; r.Close() }()
	var out, errb syncBuffer
	if code := cli.Run(context.Background(), []string{"console", "adduser", "--users-file", file, "--role", role, name}, &out, &errb); code != 0 {
		t.Fatalf("console adduser: exit %d: %s", code, errb.String())
	}
}

func TestConsoleAddUserRefusals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users")
	for _, args := range [][]string{
		{"console"},
		{"console", "adduser", "--users-file", file, "x"},
		{"console", "adduser", "--users-file", file, "--role", "admin", "x"},
	} {
		var out, errb syncBuffer
		if code := cli.Run(context.Background(), args, &out, &errb); code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, cli.ExitUsage)
		}
	}
}

// waitHTTP polls url until it answers.
func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := http.Get(url)
		if err == nil {
			r.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not answering: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// artifactDir is where the screenshot goes: $SITEGATE_ARTIFACTS, or the test's temp folder.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("SITEGATE_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser starts headless Chromium with a fresh profile, or skips the test without it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the console's browser test needs it")
	}
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("the browser test runs natively only (the host's chromium, not under an emulator)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1600),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chromium did not start: %v", err)
	}
	return ctx
}

// within runs steps with a time limit.
func within(ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// pageText is the page's location and text, for a failure's message.
func pageText(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return loc + "\n" + txt
}

// TestConsoleInBrowser drives the console in headless Chromium against the agent (real
// mosquitto, the indicator emulated over a pty): refused without a login, log in, see the
// weight rise as a truck drives on, drag a region's corner, save, and see the new config
// version on the page and the new region on config/reported.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := browser(t)
	b := broker.StartMosquitto(t)
	s, base := consoleSite(t, b.URL())
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/gw-07/#")
	var repMu sync.Mutex
	var reports []wire.Reported
	go func() {
		for m := range msgs {
			if strings.HasSuffix(m.Topic, "/config/reported") {
				var r wire.Reported
				if json.Unmarshal(m.Payload, &r) == nil {
					repMu.Lock()
					reports = append(reports, r)
					repMu.Unlock()
				}
			}
		}
	}()
	runAgent(t, s)
	waitHTTP(t, base+"/login")

	// Refused without a login: the API says 401, a page sends the browser to the login page.
	for _, p := range []string{"/api/state", "/api/frame?lane=exit-1&camera=wheels"} {
		r, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET %s without a login: %d, want 401", p, r.StatusCode)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("password"))); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/login") {
		t.Fatalf("the console without a login is at %s, want the login page", loc)
	}

	// Log in.
	start := time.Now()
	if err := within(ctx, 30*time.Second,
		chromedp.SendKeys(chromedp.ID("user"), "tech"),
		chromedp.SendKeys(chromedp.ID("password"), consolePW),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("kg-exit-1")),
	); err != nil {
		t.Fatalf("log in: %v; the page:\n%s", err, pageText(ctx))
	}
	firstRender, err := chromedp.Run(ctx, chromedp.Poll[float64](`window.sitegateConsole && window.sitegateConsole.firstRenderMs`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("first render: %v", err)
	}
	weight, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
		.filter((e) => !e.name.includes("/api/")).reduce((n, e) => n + e.encodedBodySize, 0)`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page weight in the browser: %.0f bytes (the page and its assets, without the polled state and frames)", weight)
	t.Logf("time to first render: %.0f ms from the live page's navigation start (the login's redirect) to the first live state drawn; %v from typing the login to it", firstRender, time.Since(start).Round(time.Millisecond))

	// A truck drives on: the page shows its weight.
	truckCtx, stopTruck := context.WithCancel(context.Background())
	defer stopTruck()
	emu := indicatoremu.New(lockedWriter{s}, 100*time.Millisecond, indicatoremu.Options{Seed: 1})
	go emu.Run(truckCtx)
	go func() { _ = emu.Play(truckCtx, indicatoremu.Truck(31200)) }()
	deadline := time.Now().Add(30 * time.Second)
	peak := 0
	for peak < 20000 {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("kg-exit-1")))
		if err != nil {
			t.Fatal(err)
		}
		if kg, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(text), " kg")); err == nil {
			peak = max(peak, kg)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed the truck's weight (last %q)", text)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the page showed %d kg while the truck was on the deck", peak)
	type sizes struct{ State, Frame float64 }
	if sz, err := chromedp.Run(ctx, chromedp.Evaluate[sizes](`(async () => {
		const st = await (await fetch("/api/state")).arrayBuffer();
		const fr = await fetch("/api/frame?lane=exit-1&camera=wheels");
		return {State: st.byteLength, Frame: fr.ok ? (await fr.arrayBuffer()).byteLength : 0};
	})()`, chromedp.EvalAwaitPromise)); err == nil {
		t.Logf("one poll: /api/state %.0f bytes, one frame %.0f bytes", sz.State, sz.Frame)
	} else {
		t.Errorf("poll sizes: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll("#trace-exit-1 polyline").length === 1`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("no weight trace drawn: %v", err)
	}

	shot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Errorf("screenshot: %v", err)
			return
		}
		p := filepath.Join(artifactDir(t), name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Error(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(png))
	}
	if !withCV {
		shot("console-nocv.png")
		t.Log("built without OpenCV: no camera, so no region to move")
		return
	}

	// Drag the first region's first corner (0.1, 0.6) to the right and down, and save.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("corner-exit-1-wheels-0-0"))); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("config-version")))
	if err != nil {
		t.Fatal(err)
	}
	type rect struct{ X, Y, W, H float64 }
	box, err := chromedp.Run(ctx, chromedp.Evaluate[rect](`(() => { const r = document.getElementById("corner-exit-1-wheels-0-0").getBoundingClientRect();
		const f = document.getElementById("rois-exit-1-wheels").getBoundingClientRect(); return {X: r.x + r.width/2, Y: r.y + r.height/2, W: f.width, H: f.height}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	dx, dy := 0.1*box.W, 0.1*box.H // to about (0.2, 0.7)
	held := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }
	drag := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, box.X, box.Y, chromedp.ButtonLeft, chromedp.ClickCount(1), held)}
	for i := 1; i <= 5; i++ {
		f := float64(i) / 5
		drag = append(drag, chromedp.MouseEvent(chromedp.MouseMoved, box.X+f*dx, box.Y+f*dy, chromedp.ButtonLeft, held))
	}
	drag = append(drag, chromedp.MouseEvent(chromedp.MouseReleased, box.X+dx, box.Y+dy, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.Click(chromedp.ID("save-exit-1-wheels")))
	if err := chromedp.Do(ctx, drag...); err != nil {
		t.Fatalf("drag and save: %v", err)
	}
	result, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("result-exit-1-wheels").textContent; return t.startsWith("applied") || t.includes(":") ? t : false; })()`, chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if !strings.HasPrefix(result, "applied as version ") {
		t.Fatalf("save: %q", result)
	}
	version := strings.TrimPrefix(result, "applied as version ")
	if version == before {
		t.Fatalf("the config version did not change (%s)", before)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("config-version").textContent === %q`, version), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the page never showed config version %s: %v", version, err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("config-version")))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("config version %s -> %s", before, shown)
	shot("console.png")

	// config/reported (retained, on the real broker) shows the moved corner.
	want, _ := strconv.ParseInt(version, 10, 64)
	deadline = time.Now().Add(20 * time.Second)
	for {
		repMu.Lock()
		var got *wire.Reported
		for i := range reports {
			if reports[i].Version == want && reports[i].Status == wire.Applied {
				got = &reports[i]
			}
		}
		repMu.Unlock()
		if got != nil {
			var part struct {
				Lanes []struct {
					Cameras []struct {
						ROIs []struct {
							Polygon [][]float64 `json:"polygon"`
						} `json:"rois"`
					} `json:"cameras"`
				} `json:"lanes"`
			}
			if err := json.Unmarshal(got.Config, &part); err != nil || len(part.Lanes) == 0 || len(part.Lanes[0].Cameras) == 0 || len(part.Lanes[0].Cameras[0].ROIs) == 0 {
				t.Fatalf("config/reported: %v %s", err, got.Config)
			}
			p := part.Lanes[0].Cameras[0].ROIs[0].Polygon[0]
			if p[0] < 0.15 || p[0] > 0.25 || p[1] < 0.65 || p[1] > 0.75 {
				t.Fatalf("config/reported shows the corner at %v, want about [0.2, 0.7]", p)
			}
			t.Logf("config/reported version %d: corner at %v", got.Version, p)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no config/reported of version %d applied; got %+v", want, reports)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Add a region with the button and save: the camera now has two, on the page.
	if err := within(ctx, 10*time.Second, chromedp.Click(chromedp.ID("add-exit-1-wheels")), chromedp.Click(chromedp.ID("save-exit-1-wheels"))); err != nil {
		t.Fatalf("add a region: %v", err)
	}
	result, err = chromedp.Run(ctx, chromedp.Poll[string](fmt.Sprintf(`(() => { const t = document.getElementById("result-exit-1-wheels").textContent; return t !== %q && (t.startsWith("applied") || t.includes(":")) ? t : false; })()`, result), chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil || result != fmt.Sprintf("applied as version %d", want+1) {
		t.Fatalf("save with an added region: %q %v", result, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll("#rois-exit-1-wheels polygon").length === 2`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the added region is not drawn after saving: %v", err)
	}

}
