package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sitegate/testbench/bench"
)

const benchUsage = `  bench run SCENARIO.yaml... [--junit F] [--html F] [--json F] [--target URL ...]
                             hardware-in-loop scenarios: emulated devices, a broker and the
                             agent, a timeline of trucks and faults, checked from the platform's
                             side; exits 0 only when every check passed (docs/bench.md)
  bench commission --config FILE [--truck-kg KG --plate P] [--html F]
                             a gate's commissioning, guided: indicators, cameras, plate cameras,
                             broker, TLS and ACL, clock, disk, then a test truck end to end
`

func init() {
	register(command{name: "bench", usage: benchUsage, run: runBench})
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return benchRun(ctx, args[1:], stdout, stderr)
		case "commission":
			return benchCommission(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, "usage:\n"+benchUsage)
	return ExitUsage
}

// agentExec is the command that runs this binary as the agent: os.Executable, behind the
// emulator $SITEGATE_TEST_EXEC names when set (an arm64 binary under qemu on an amd64 host).
func agentExec() ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return append(strings.Fields(os.Getenv("SITEGATE_TEST_EXEC")), self), nil
}

type reportFlags struct{ junit, html, json *string }

func (r reportFlags) write(rep *bench.Report, stderr io.Writer) bool {
	ok := true
	for _, w := range []struct {
		path  string
		write func(string) error
	}{{*r.junit, rep.WriteJUnit}, {*r.html, rep.WriteHTML}, {*r.json, rep.WriteJSON}} {
		if w.path == "" {
			continue
		}
		if err := w.write(w.path); err != nil {
			fmt.Fprintf(stderr, "sitegate bench: %s: %v\n", w.path, err)
			ok = false
		}
	}
	return ok
}

func addReportFlags(fs interface {
	String(name, value, usage string) *string
}) reportFlags {
	return reportFlags{
		junit: fs.String("junit", "", "write a JUnit XML report here (one test case per check)"),
		html:  fs.String("html", "", "write a self-contained HTML report here"),
		json:  fs.String("json", "", "write the results as JSON here"),
	}
}

func benchRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench run", stderr)
	rf := addReportFlags(fs)
	dir := fs.String("dir", "", "keep each scenario's config, store and agent log under this folder")
	agentCmd := fs.String("agent", "", "run this binary as the agent (default: this one)")
	target := fs.String("target", "", "a running gateway's broker URL: play against it instead of starting the agent")
	site := fs.String("site", "", "with --target: the gateway's site")
	gateway := fs.String("gateway", "", "with --target: the gateway's id")
	username := fs.String("username", "", "with --target: the broker user of the platform's side")
	passwordFile := fs.String("password-file", "", "with --target: a file holding that user's password")
	plateURL := fs.String("plate-url", "", "with --target: where emulated plate reads are pushed (the gateway's plate.listen)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up a scenario after this long")
	quiet := fs.Bool("q", false, "print only the summary")
	parallel := fs.Int("parallel", 1, "run this many scenarios at once (each has its own broker, devices and agent)")
	files, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(files) == 0 {
		fmt.Fprint(stderr, "usage:\n"+benchUsage)
		return ExitUsage
	}
	var scenarios []*bench.Scenario
	bad := false
	for _, f := range files {
		s, err := bench.Load(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
			continue
		}
		scenarios = append(scenarios, s)
	}
	if bad {
		return ExitUsage
	}
	out := &syncWriter{w: stdout}
	o := bench.Options{OpenCV: !strings.HasPrefix(openCVVersion(), "none"), Dir: *dir, Progress: out}
	if *quiet {
		o.Progress = io.Discard
	}
	if *agentCmd != "" {
		abs, _ := filepath.Abs(*agentCmd)
		o.Exec = append(strings.Fields(os.Getenv("SITEGATE_TEST_EXEC")), abs)
	} else if o.Exec, err = agentExec(); err != nil {
		fmt.Fprintln(stderr, "sitegate bench run:", err)
		return ExitRuntime
	}
	if *target != "" {
		if *site == "" || *gateway == "" {
			fmt.Fprintln(stderr, "sitegate bench run: --target needs --site and --gateway")
			return ExitUsage
		}
		t := &bench.Target{URL: *target, Site: *site, Gateway: *gateway, Username: *username, PlateURL: *plateURL}
		if *passwordFile != "" {
			pw, err := os.ReadFile(*passwordFile)
			if err != nil {
				fmt.Fprintln(stderr, "sitegate bench run:", err)
				return ExitUsage
			}
			t.Password = strings.TrimSpace(string(pw))
		}
		o.Target = t
	}
	started := time.Now()
	results := make([]*bench.Result, len(scenarios))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, *parallel) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := scenarios[i]
				sctx, cancel := context.WithTimeout(ctx, *timeout)
				res := bench.Run(sctx, s, o)
				cancel()
				results[i] = res
				status := "passed"
				switch {
				case res.Skipped != "":
					status = "skipped: " + res.Skipped
				case !res.Passed():
					status = "FAILED"
				}
				var b strings.Builder
				fmt.Fprintf(&b, "%-28s %-8s %3d checks  %6.1fs\n", s.Name, status, len(res.Checks), res.Wall.D().Seconds())
				for _, c := range res.Failed() {
					fmt.Fprintf(&b, "    FAIL %s: %s\n", c.Name, c.Detail)
				}
				io.WriteString(out, b.String())
			}
		}()
	}
	for i := range scenarios {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	var done []*bench.Result
	for _, r := range results {
		if r != nil {
			done = append(done, r)
		}
	}
	rep := bench.NewReport("sitegate bench run", started, done)
	written := rf.write(rep, stderr)
	fmt.Fprintf(out, "%d scenarios, %d checks, %d failed, wall time %.1fs\n", len(done), rep.Tests, rep.Failures, rep.Wall.D().Seconds())
	if !rep.Passed || !written || len(done) < len(scenarios) {
		return ExitRuntime
	}
	return ExitOK
}

func benchCommission(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench commission", stderr)
	rf := addReportFlags(fs)
	cfgPath := fs.String("config", "", "the gateway's config file")
	truckKg := fs.Float64("truck-kg", 0, "the test truck's known gross weight in kg")
	plate := fs.String("plate", "", "the test truck's plate")
	tolerance := fs.Float64("tolerance-kg", 50, "how far the weighed test truck may be from --truck-kg")
	previews := fs.String("preview-dir", "", "where each camera's frame with its regions drawn is written (default: the config's folder)")
	listen := fs.Duration("listen", 5*time.Second, "how long each indicator is read")
	plateWait := fs.Duration("plate-wait", 30*time.Second, "how long each plate camera has to be heard from")
	truckWait := fs.Duration("truck-wait", 3*time.Minute, "how long the test truck has to cross")
	obsUser := fs.String("observer-username", "", "a broker user who may read every gateway's topics, to see what the ACL delivered")
	obsPwFile := fs.String("observer-password-file", "", "a file holding that user's password")
	if _, err := parseArgs(fs, args); err != nil {
		return ExitUsage
	}
	if *cfgPath == "" || (*truckKg > 0) != (*plate != "") {
		fmt.Fprintln(stderr, "usage: sitegate bench commission --config FILE [--truck-kg KG --plate P] [--html F] [--junit F] [--json F]")
		return ExitUsage
	}
	o := bench.CommissionOptions{Config: *cfgPath, TruckKg: *truckKg, Plate: *plate, ToleranceKg: *tolerance,
		Out: stdout, PreviewDir: *previews, Listen: *listen, PlateWait: *plateWait, TruckWait: *truckWait,
		ObserverUsername: *obsUser}
	if *obsPwFile != "" {
		pw, err := os.ReadFile(*obsPwFile)
		if err != nil {
			fmt.Fprintln(stderr, "sitegate bench commission:", err)
			return ExitUsage
		}
		o.ObserverPassword = strings.TrimSpace(string(pw))
	}
	var err error
	if o.Exec, err = agentExec(); err != nil {
		fmt.Fprintln(stderr, "sitegate bench commission:", err)
		return ExitRuntime
	}
	started := time.Now()
	fmt.Fprintf(stdout, "commissioning the gate of %s\n", *cfgPath)
	res := bench.Commission(ctx, o)
	rep := bench.NewReport("sitegate bench commission", started, []*bench.Result{res})
	written := rf.write(rep, stderr)
	fmt.Fprintf(stdout, "%d checks, %d failed\n", rep.Tests, rep.Failures)
	if !rep.Passed || !written {
		return ExitRuntime
	}
	return ExitOK
}
