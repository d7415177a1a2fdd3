package outbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashDirEnv names the store TestCrashHelper fills before it is killed.
const crashDirEnv = "SITEGATE_OUTBOX_CRASH_DIR"

// TestCrashHelper is not a test: run by TestReadReportAfterSIGKILL in a child process, it
// fills the store in $SITEGATE_OUTBOX_CRASH_DIR, says "ready" and waits to be killed.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	box, err := OpenBadger(dir, BadgerOptions{Limits: Limits{ReserveBytes: 64 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		appendPassage(t, box, fmt.Sprintf("p%d", i), 0)
	}
	appendPassage(t, box, "img", 20<<10)
	fmt.Println("ready")
	time.Sleep(time.Minute)
}

// TestReadReportAfterSIGKILL: after the agent was killed (its memtable's log not truncated),
// the technician's report of the store, with no agent running, still works and gives the
// depth, and it changes nothing: the store still opens with the same backlog.
func TestReadReportAfterSIGKILL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	cmd := selfCommand("-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			t.Fatal("helper ended before filling the store")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("helper not ready")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	sizes := func() map[string]int64 {
		m := map[string]int64{}
		des, _ := os.ReadDir(dir)
		for _, de := range des {
			if fi, err := de.Info(); err == nil && fi.Mode().IsRegular() {
				m[de.Name()] = fi.Size()
			}
		}
		return m
	}
	before := sizes()

	r, err := ReadReport(dir, 1000)
	if err != nil {
		t.Fatalf("report after SIGKILL: %v", err)
	}
	if r.Source != "store" || r.Stats.Depth != 52 || r.Stats.Batches != 51 || len(r.Items) != 52 || r.Items[0].Ref != "p0" {
		t.Errorf("report %+v", r.Stats)
	}
	// Nothing was written: the killed store's memtable log is as the crash left it, and the
	// store still opens for writing with the whole backlog.
	if after := sizes(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the report changed the store's files: %v, then %v", before, after)
	}
	box, err := OpenBadger(dir, BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, box)
	if st := box.Stats(); st.Depth != 52 {
		t.Errorf("depth after the report: %d, want 52", st.Depth)
	}
}

// selfCommand runs this test binary again, through the emulator $SITEGATE_TEST_EXEC names if
// set (as `make test-arm64` does: an arm64 binary cannot be exec'd directly on an amd64 host).
func selfCommand(args ...string) *exec.Cmd {
	if w := strings.Fields(os.Getenv("SITEGATE_TEST_EXEC")); len(w) > 0 {
		return exec.Command(w[0], append(append(w[1:], os.Args[0]), args...)...)
	}
	return exec.Command(os.Args[0], args...)
}
