package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"sitegate/agent/lane"
	"sitegate/testbench/broker"
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

// agentCommand runs the built agent, through the emulator $SITEGATE_TEST_EXEC names if set (as
// `make test-arm64` does: an arm64 binary cannot be exec'd directly on an amd64 host).
func agentCommand(bin string, args ...string) *exec.Cmd {
	if w := strings.Fields(os.Getenv("SITEGATE_TEST_EXEC")); len(w) > 0 {
		return exec.Command(w[0], append(append(w[1:], bin), args...)...)
	}
	return exec.Command(bin, args...)
}

var storedRe = regexp.MustCompile(`msg=passage .*seq=(\d+) id=([0-9a-f-]+)`)

// TestKilledAgentStillDelivers: a passage stored while the broker is down survives a SIGKILL
// and is delivered by the next run once the broker is up.
func TestKilledAgentStillDelivers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	bin := buildAgent(t)
	port, err := broker.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	url := "tcp://127.0.0.1:" + itoa(port)
	s := newSite(t, url) // nothing listens there yet: the broker is down
	cfg, _ := os.ReadFile(s.config)
	cfg = []byte(strings.Replace(string(cfg), "plate_only_timeout: 60s", "plate_only_timeout: 1s", 1))
	if err := os.WriteFile(s.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	agent := agentCommand(bin, "run", "--config", s.config)
	stderr, _ := agent.StderrPipe()
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer agent.Process.Kill()
	stored := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := storedRe.FindStringSubmatch(sc.Text()); m != nil {
				stored <- m
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pushPlate(t, s, "浙F12345")
	var id string
	select {
	case m := <-stored:
		id = m[2]
	case <-ctx.Done():
		t.Fatal("the agent never stored the passage")
	}
	if err := agent.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	agent.Wait()

	b, err := broker.Mosquitto(ctx, broker.MosquittoOptions{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	m := await(t, msgs, 30*time.Second, "the passage stored before the kill", func(m broker.Msg) bool {
		var p lane.Passage
		return isPassage(m) && json.Unmarshal(m.Payload, &p) == nil && p.ID == id
	})
	var p lane.Passage
	json.Unmarshal(m.Payload, &p)
	if p.Seq != 1 || p.Plate == nil || p.Plate.Text != "浙F12345" || strings.Join(p.Alarms, ",") != "no_weight" {
		t.Errorf("delivered passage %+v", p)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestPlateAnsweredIsKeptThroughAKill: a plate push answered 200 and then a SIGKILL at once,
// before the lane made anything of it (a plate waits 60 s for its truck): the next run takes
// the read again and it becomes its passage.
func TestPlateAnsweredIsKeptThroughAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	bin := buildAgent(t)
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	agent := agentCommand(bin, "run", "--config", s.config)
	agent.Stderr = io.Discard
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer agent.Process.Kill()
	pushPlate(t, s, "苏A99999") // answered 200: taken
	if err := agent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	agent.Wait()
	// The next run: with a short plate_only_timeout the read taken again becomes a passage soon.
	cfg, _ := os.ReadFile(s.config)
	cfg = []byte(strings.Replace(string(cfg), "plate_only_timeout: 60s", "plate_only_timeout: 1s", 1))
	if err := os.WriteFile(s.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	m := await(t, msgs, 30*time.Second, "the plate answered before the kill", func(m broker.Msg) bool {
		var p lane.Passage
		return isPassage(m) && json.Unmarshal(m.Payload, &p) == nil && p.Plate != nil && p.Plate.Text == "苏A99999"
	})
	var p lane.Passage
	json.Unmarshal(m.Payload, &p)
	if p.Seq != 1 || strings.Join(p.Alarms, ",") != "registry,no_weight" {
		t.Errorf("passage %+v", p)
	}
	// The read leaves the journal once its passage is in the outbox; the broker can deliver the
	// passage before that removal is done (slow under qemu), so give it a bounded while.
	var left []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left, _ = filepath.Glob(filepath.Join(s.dir, "data", "plates", "exit-1", "*.json"))
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) != 0 {
		t.Errorf("%d reads still waiting in the journal 20 s after their passage", len(left))
	}
}
