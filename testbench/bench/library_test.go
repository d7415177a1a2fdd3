package bench_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"sitegate/testbench/broker"
	"sitegate/testbench/pty"
)

// buildAgent builds bin/sitegate into a temporary folder, as `make build` does.
func buildAgent(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sitegate")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "sitegate/agent/cmd/sitegate")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// agentCommand runs the built binary, through the emulator $SITEGATE_TEST_EXEC names if set
// (an arm64 binary under qemu on an amd64 host); the bench passes the same variable on to the
// agents it starts.
func agentCommand(bin string, args ...string) *exec.Cmd {
	if w := strings.Fields(os.Getenv("SITEGATE_TEST_EXEC")); len(w) > 0 {
		return exec.Command(w[0], append(append(w[1:], bin), args...)...)
	}
	return exec.Command(bin, args...)
}

type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junit {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j junit
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("junit: %v", err)
	}
	return j
}

func needMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	if _, err := exec.LookPath("mosquitto"); err != nil {
		if _, err := os.Stat("/usr/sbin/mosquitto"); err != nil {
			t.Fatal("mosquitto is not installed (make deps installs it)")
		}
	}
}

// TestLibrary runs every shipped scenario through the built binary, as CI and a technician do:
// `sitegate bench run testbench/scenarios/*.yaml --junit --html --json`, and wants exit 0, a test
// case per check, every scenario passed or skipped for a stated reason, and a report with plots.
func TestLibrary(t *testing.T) {
	needMosquitto(t)
	bin := buildAgent(t)
	files, _ := filepath.Glob("../scenarios/*.yaml")
	dir := t.TempDir()
	junitFile, htmlFile, jsonFile := filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	args := append([]string{"bench", "run", "--junit", junitFile, "--html", htmlFile, "--json", jsonFile, "--parallel", "4", "--dir", filepath.Join(dir, "runs")}, files...)
	cmd := agentCommand(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("the library: %d scenarios, wall time %.1f s\n%s", len(files), time.Since(start).Seconds(), out)
	if err != nil {
		t.Fatalf("sitegate bench run: %v", err)
	}
	j := readJUnit(t, junitFile)
	if j.Tests < 12 || j.Failures != 0 || len(j.Suites) != len(files) {
		t.Errorf("junit: %d tests, %d failures, %d suites for %d scenarios", j.Tests, j.Failures, len(j.Suites), len(files))
	}
	ran := 0
	for _, s := range j.Suites {
		if len(s.Cases) > 0 && s.Cases[0].Skipped == nil {
			ran++
		}
	}
	if ran < 12 {
		t.Errorf("only %d scenarios ran (the others skipped)", ran)
	}
	page, _ := os.ReadFile(htmlFile)
	for _, want := range []string{"<svg", "<polyline", "data:image/jpeg;base64,", "Every check passed"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the HTML report has no %q", want)
		}
	}
	if strings.Contains(string(page), "<script") || strings.Contains(string(page), "http://") && strings.Contains(string(page), "<link") {
		t.Error("the HTML report is not self-contained")
	}
	var rep struct {
		Passed  bool `json:"passed"`
		Results []struct {
			Scenario string `json:"scenario"`
		} `json:"results"`
	}
	b, _ := os.ReadFile(jsonFile)
	if err := json.Unmarshal(b, &rep); err != nil || !rep.Passed || len(rep.Results) != len(files) {
		t.Errorf("json report: %v, passed %v, %d results", err, rep.Passed, len(rep.Results))
	}
}

// TestBrokenExpectation: a scenario whose expected weight is wrong makes the run exit non-zero,
// and every report says which check failed and why, with the agent's log around it.
func TestBrokenExpectation(t *testing.T) {
	needMosquitto(t)
	bin := buildAgent(t)
	src, err := os.ReadFile("../scenarios/overload.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "name: overload", "name: overload-broken", 1)
	broken = strings.Replace(broken, "      gross_kg: 31200\n", "      gross_kg: 30000\n", 1)
	if broken == string(src) {
		t.Fatal("the overload scenario changed: no expected weight to break")
	}
	dir := t.TempDir()
	scenario := filepath.Join(dir, "overload-broken.yaml")
	if err := os.WriteFile(scenario, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	junitFile, htmlFile := filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.html")
	out, err := agentCommand(bin, "bench", "run", scenario, "--junit", junitFile, "--html", htmlFile).CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !errorsAs(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, out)
	}
	why := "gross_kg: want 30000 ± 40, got 31200"
	if !strings.Contains(string(out), why) {
		t.Errorf("the output does not say %q:\n%s", why, out)
	}
	page, _ := os.ReadFile(htmlFile)
	for _, want := range []string{why, "FAILED", "log around", "msg=passage"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the HTML report has no %q", want)
		}
	}
	j := readJUnit(t, junitFile)
	if j.Failures != 1 {
		t.Errorf("junit: %d failures, want 1", j.Failures)
	}
}

func errorsAs(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*ee = e
	}
	return ok
}

// TestTargetGateway: `bench run --target` plays a scenario against a gateway that is already
// running, reached over MQTT, pushing the emulated plate reads to its listener; the faults it
// cannot play there are reported as not played.
func TestTargetGateway(t *testing.T) {
	needMosquitto(t)
	bin := buildAgent(t)
	b := broker.StartMosquitto(t)
	dir := t.TempDir()
	_, port := pty.Pair(t) // the gateway's indicator: a line where nothing is said
	plateAddr := freeAddr(t)
	cfg := fmt.Sprintf(`site: far-site
gateway: gw-9
mqtt: {url: %q}
store: {dir: data}
log: {level: debug}
lanes:
  - id: exit-1
    plate_only_timeout: 1s
    scale: {port: %s, protocol: yaohua-tf0}
    plate: {listen: %q}
`, b.URL(), port, plateAddr)
	cfgFile := filepath.Join(dir, "sitegate.yaml")
	os.WriteFile(cfgFile, []byte(cfg), 0o644)
	agent := agentCommand(bin, "run", "--config", cfgFile)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { agent.Process.Signal(syscall.SIGTERM); agent.Wait() }()
	scenario := filepath.Join(dir, "remote.yaml")
	os.WriteFile(scenario, []byte(`name: remote
description: a plate read pushed to a running gateway becomes a passage without weight
devices:
  indicators: [{lane: exit-1, port: `+port+`}]
  plate_cameras: [{id: p1, emulate: true}]
timeline:
  - broker_down: 1s
  - plate: {text: 浙F66666}
  - wait_for: {passages: 1, within: 20s}
expect:
  passages: [{plate: 浙F66666, no_weight: true, alarms: [registry, no_weight]}]
  passages_total: {min: 1, max: 1}
`), 0o644)
	jsonFile := filepath.Join(dir, "r.json")
	out, err := agentCommand(bin, "bench", "run", scenario, "--json", jsonFile, "--target", b.URL(), "--site", "far-site", "--gateway", "gw-9",
		"--plate-url", "http://"+plateAddr+"/v1/plate").CombinedOutput()
	if err != nil {
		t.Fatalf("bench run --target: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "broker down for 1s (not played against a running gateway)") {
		t.Errorf("the fault is not reported as not played:\n%s", out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	p, err := broker.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}
