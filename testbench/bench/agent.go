package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// logLine is one line of the agent's output with when the bench read it.
type logLine struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// agentLog keeps every line the agent wrote, across its restarts.
type agentLog struct {
	mu    sync.Mutex
	lines []logLine
	file  io.Writer
}

func (l *agentLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, logLine{At: time.Now(), Text: s})
	if l.file != nil {
		fmt.Fprintln(l.file, s)
	}
}

func (l *agentLog) all() []logLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logLine(nil), l.lines...)
}

// around returns the lines within d of t.
func (l *agentLog) around(t time.Time, d time.Duration) []logLine {
	var out []logLine
	for _, ln := range l.all() {
		if !ln.At.Before(t.Add(-d)) && !ln.At.After(t.Add(d)) {
			out = append(out, ln)
		}
	}
	return out
}

// agentProc is the agent as a child process: `sitegate run --config FILE`.
type agentProc struct {
	exec   []string // the command before "run": an emulator wrapper and the binary
	config string
	log    *agentLog

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	runs int
}

func (a *agentProc) start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd != nil {
		return fmt.Errorf("agent already running")
	}
	args := append(append([]string(nil), a.exec[1:]...), "run", "--config", a.config)
	cmd := exec.Command(a.exec[0], args...)
	cmd.Env = os.Environ()
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the agent: %w", err)
	}
	a.runs++
	a.log.add(fmt.Sprintf("--- bench: agent started (run %d, pid %d)", a.runs, cmd.Process.Pid))
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			a.log.add(sc.Text())
		}
		io.Copy(io.Discard, r)
	}()
	go func() {
		err := cmd.Wait()
		w.Close()
		a.log.add(fmt.Sprintf("--- bench: agent exited (%v)", errText(err)))
		close(done)
	}()
	a.cmd, a.done = cmd, done
	return nil
}

func errText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// stop signals the agent and waits for it; after within it is killed.
func (a *agentProc) stop(sig syscall.Signal, within time.Duration) {
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.cmd = nil
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	a.log.add(fmt.Sprintf("--- bench: %s to the agent", sig))
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(within):
		_ = cmd.Process.Kill()
		<-done
	}
}

// exited reports whether the agent stopped by itself.
func (a *agentProc) exited() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd == nil {
		return false
	}
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}
