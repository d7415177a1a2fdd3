package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultMosquitto is where Debian installs the broker.
const DefaultMosquitto = "/usr/sbin/mosquitto"

// ErrNoMosquitto is returned (wrapped) when the mosquitto binary cannot be found.
var ErrNoMosquitto = errors.New("mosquitto not installed")

// MosquittoOptions configures Mosquitto.
type MosquittoOptions struct {
	Binary string    // default DefaultMosquitto
	Port   int       // 0: a free loopback port is chosen
	Extra  []string  // extra mosquitto.conf lines, e.g. a TLS listener
	Log    io.Writer // also receives mosquitto's output; the last 8 KiB are always kept for errors
	// TLS, if set, adds an ssl:// listener on a second free loopback port (TLSURL).
	TLS *TLSListener
	// PersistDir, if set, turns persistence on there: sessions, subscriptions and queued
	// messages survive Restart (mosquitto saves them when stopped with SIGTERM), and queues are
	// unbounded, so a persistent subscriber misses nothing the broker acknowledged.
	PersistDir string
}

// TLSListener is a TLS listener's PEM material. With RequireClientCert, clients must present a
// certificate signed by CA (mutual TLS).
type TLSListener struct {
	CA, Cert, Key     []byte
	RequireClientCert bool
}

// Process is a running mosquitto listening on 127.0.0.1. It keeps its port across Restart.
type Process struct {
	bin     string
	port    int
	tlsPort int
	tls     *TLSListener
	conf    string
	extra   io.Writer

	mu   sync.Mutex
	cmd  *exec.Cmd
	dir  string
	done chan struct{} // closed when cmd has exited
	log  *tail
}

// Mosquitto writes a config into a fresh temporary directory and starts mosquitto with
// allow_anonymous and no persistence. It returns once the port accepts TCP connections. ctx
// bounds the start only; the broker runs until Stop.
func Mosquitto(ctx context.Context, opts MosquittoOptions) (*Process, error) {
	bin := opts.Binary
	if bin == "" {
		bin = DefaultMosquitto
	}
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("broker: %w: %s: %w", ErrNoMosquitto, bin, err)
	}
	port := opts.Port
	if port != 0 {
		// Fail fast: mosquitto would exit, but another listener would answer the readiness probe.
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("broker: mosquitto port %d: %w", port, err)
		}
		l.Close()
	}
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	persist := []string{"persistence false"}
	if opts.PersistDir != "" {
		// Writable by the unprivileged user mosquitto drops to when started as root.
		if err := os.MkdirAll(opts.PersistDir, 0o777); err != nil {
			return nil, fmt.Errorf("broker: mosquitto persistence: %w", err)
		}
		_ = os.Chmod(opts.PersistDir, 0o777)
		persist = []string{"persistence true", "persistence_location " + strings.TrimSuffix(opts.PersistDir, "/") + "/",
			"autosave_interval 0", "max_queued_messages 0", "max_inflight_messages 0"}
		if os.Geteuid() == 0 {
			// Started as root, mosquitto drops to its own user, which cannot reach a directory
			// under a test's private (0700) temporary directory: it would fail to save the
			// sessions at exit ("Permission denied") and a restart would forget them.
			persist = append(persist, "user root")
		}
	}
	conf := []string{
		"listener " + strconv.Itoa(port) + " 127.0.0.1",
		"allow_anonymous true",
		"log_dest stderr",
		"log_type error",
		"log_type warning",
		"log_type notice",
	}
	conf = append(conf, persist...)
	p := &Process{bin: bin, port: port, extra: opts.Log, tls: opts.TLS}
	if opts.TLS != nil {
		var err error
		if p.tlsPort, err = FreePort(); err != nil {
			return nil, err
		}
		conf = append(conf, "listener "+strconv.Itoa(p.tlsPort)+" 127.0.0.1",
			"cafile ca.pem", "certfile server.pem", "keyfile server.key",
			"require_certificate "+strconv.FormatBool(opts.TLS.RequireClientCert))
	}
	conf = append(conf, opts.Extra...)
	p.conf = strings.Join(conf, "\n") + "\n"
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("broker: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the broker's address for an MQTT client, tcp://127.0.0.1:PORT.
func (p *Process) URL() string { return "tcp://" + p.Addr() }

// TLSURL is the TLS listener's address, ssl://127.0.0.1:PORT; empty without one.
func (p *Process) TLSURL() string {
	if p.tls == nil {
		return ""
	}
	return "ssl://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(p.tlsPort))
}

// Addr is host:port.
func (p *Process) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// Log returns the last lines mosquitto printed.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log == nil {
		return ""
	}
	return p.log.String()
}

func (p *Process) start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("broker: mosquitto already running")
	}
	dir, err := os.MkdirTemp("", "sitegate-mosquitto-")
	if err != nil {
		return fmt.Errorf("broker: mosquitto config dir: %w", err)
	}
	confPath := filepath.Join(dir, "mosquitto.conf")
	// Relative file names in the config are the PEM files written beside it.
	conf := strings.NewReplacer("cafile ", "cafile "+dir+"/", "certfile ", "certfile "+dir+"/", "keyfile ", "keyfile "+dir+"/").Replace(p.conf)
	if p.tls != nil {
		for name, b := range map[string][]byte{"ca.pem": p.tls.CA, "server.pem": p.tls.Cert, "server.key": p.tls.Key} {
			// Readable by the unprivileged user mosquitto drops to when started as root.
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				os.RemoveAll(dir)
				return fmt.Errorf("broker: mosquitto %s: %w", name, err)
			}
		}
	}
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("broker: mosquitto config: %w", err)
	}
	// The config is readable by the unprivileged user mosquitto drops to when started as root.
	_ = os.Chmod(dir, 0o755)
	p.log = &tail{max: 8 << 10}
	var out io.Writer = p.log
	if p.extra != nil {
		out = io.MultiWriter(p.log, p.extra)
	}
	cmd := exec.Command(p.bin, "-c", confPath)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("broker: start mosquitto: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.cmd, p.dir, p.done = cmd, dir, done

	if err := waitTCP(ctx, p.Addr(), done); err != nil {
		p.stopLocked()
		return fmt.Errorf("broker: mosquitto on %s: %w\n%s", p.Addr(), err, p.log.String())
	}
	return nil
}

// waitTCP polls addr until it accepts a connection, the process exits, ctx ends or 10 s pass.
func waitTCP(ctx context.Context, addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		var d net.Dialer
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, "tcp", addr)
		dcancel()
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop ends mosquitto: SIGTERM, then SIGKILL after 5 s. Stopping a stopped broker does nothing.
func (p *Process) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked()
}

func (p *Process) stopLocked() error {
	if p.cmd == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	err := os.RemoveAll(p.dir)
	p.cmd, p.dir, p.done = nil, "", nil
	if err != nil {
		return fmt.Errorf("broker: remove mosquitto dir: %w", err)
	}
	return nil
}

// Restart stops mosquitto if it runs and starts it again on the same port. Sessions and
// retained messages are lost, as persistence is off.
func (p *Process) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil {
		return err
	}
	return p.start(ctx)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
