//go:build faults

package faults

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/testbench/broker"
	"sitegate/testbench/platecam"
	"sitegate/testbench/pty"
)

const root = "sitegate/v1/fault-site/gw-01"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// sitegate builds the agent once per test binary, as `make build` does.
func sitegate(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sitegate-faults-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sitegate")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "sitegate/agent/cmd/sitegate").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// site is one gateway's config and the agent process running it.
type site struct {
	t         *testing.T
	bin       string
	dir       string
	config    string
	plateAddr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	logs   strings.Builder
	stored map[uint64]string // seq -> id, from the agent's log
}

type siteOptions struct {
	url      string
	storeDir string // default dir/data
	extra    string // more YAML under store:
	mqtt     string // more YAML under mqtt:
}

func newSite(t *testing.T, o siteOptions) *site {
	t.Helper()
	dir := t.TempDir()
	_, port := pty.Pair(t) // an indicator that never speaks: passages come from plates alone
	p, err := broker.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	plateAddr := fmt.Sprintf("127.0.0.1:%d", p)
	if o.storeDir == "" {
		o.storeDir = filepath.Join(dir, "data")
	}
	cfg := fmt.Sprintf(`site: fault-site
gateway: gw-01
mqtt:
  url: %q
%s
store:
  dir: %q
%s
log: {level: info}
status: {interval: 1s}
lanes:
  - id: exit-1
    plate_only_timeout: 1s
    scale: {port: %s}
    plate: {listen: %q}
`, o.url, o.mqtt, o.storeDir, o.extra, port, plateAddr)
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, bin: sitegate(t), dir: dir, config: path, plateAddr: plateAddr, stored: map[uint64]string{}}
	t.Cleanup(func() { s.stop() })
	return s
}

// start runs the agent; its log is kept and scanned for stored passages.
func (s *site) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "run", "--config", s.config)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			var seq uint64
			var id string
			if i := strings.Index(line, "msg=passage "); i >= 0 {
				for _, f := range strings.Fields(line[i:]) {
					if v, ok := strings.CutPrefix(f, "seq="); ok {
						fmt.Sscan(v, &seq)
					}
					if v, ok := strings.CutPrefix(f, "id="); ok {
						id = v
					}
				}
				if seq > 0 {
					s.stored[seq] = id
				}
			}
			s.mu.Unlock()
		}
		cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
}

func (s *site) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		s.t.Errorf("agent did not stop within 30 s of %v", sig)
	}
}

func (s *site) kill() { s.signal(syscall.SIGKILL) }
func (s *site) stop() { s.signal(syscall.SIGTERM) }

func (s *site) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *site) storedSeqs() map[uint64]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint64]string, len(s.stored))
	for k, v := range s.stored {
		out[k] = v
	}
	return out
}

func (s *site) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// push sends plate number i (浙F1xxxx) with an optional fake JPEG of jpegBytes; it reports
// whether the agent accepted it.
func (s *site) push(i, jpegBytes int) bool {
	req := platecam.PushRequest{Lane: "exit-1", Plate: fmt.Sprintf("浙F%05d", 10000+i), Color: "yellow", Confidence: 0.9}
	if jpegBytes > 0 {
		req.ImageJPEG = fakeJPEG(i, jpegBytes)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return platecam.Push(ctx, "http://"+s.plateAddr+"/v1/plate", req) == nil
}

// fakeJPEG is a JPEG of about n bytes, different for each i: a tiny picture whose size comes
// from comment segments of patterned bytes, so that it passes the agent's JPEG check (start,
// end and a decodable header) without encoding a large picture.
func fakeJPEG(i, n int) []byte {
	var pic bytes.Buffer
	if err := jpeg.Encode(&pic, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		panic(err)
	}
	tiny := pic.Bytes()
	img := []byte{0xFF, 0xD8}
	for k := 0; len(img)+len(tiny) < n; {
		seg := min(n-len(img)-len(tiny), 65533)
		img = append(img, 0xFF, 0xFE, byte((seg+2)>>8), byte(seg+2))
		for range seg {
			img = append(img, byte(i+k*31))
			k++
		}
	}
	return append(img, tiny[2:]...)
}

// TestFakeJPEG: the pushed images pass the agent's check and differ by plate.
func TestFakeJPEG(t *testing.T) {
	for _, n := range []int{1 << 10, 8 << 10, 300 << 10} {
		a, b := fakeJPEG(1, n), fakeJPEG(2, n)
		if !plate.ValidJPEG(a) || len(a) < n || len(a) > n+1024 || bytes.Equal(a, b) {
			t.Errorf("fakeJPEG(_, %d): %d bytes, valid %v", n, len(a), plate.ValidJPEG(a))
		}
	}
}

// pushUntil pushes plate i until the agent accepts it, failing after a deadline.
func (s *site) pushUntil(i, jpegBytes int) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !s.push(i, jpegBytes) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the agent never accepted plate %d\n%s", i, tail(s.log()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string) string {
	if len(s) > 6000 {
		return s[len(s)-6000:]
	}
	return s
}

// received is what the platform got.
type received struct {
	order      []uint64            // passage seqs in order of first arrival
	seen       map[uint64]string   // seq -> id
	copies     int                 // passage messages, duplicates included
	evidence   map[string][32]byte // topic -> sha256 of the last copy
	passages   map[uint64]passage
	drops      []drops
	outOfOrder int
}

type passage struct {
	Seq      uint64 `json:"seq"`
	ID       string `json:"id"`
	Evidence []struct {
		Name   string `json:"name"`
		Bytes  int    `json:"bytes"`
		SHA256 string `json:"sha256"`
	} `json:"evidence"`
}

type drops struct {
	Schema    string      `json:"schema"`
	Reason    string      `json:"reason"`
	Passages  int         `json:"passages"`
	Evidence  int         `json:"evidence"`
	SeqRanges [][2]uint64 `json:"seq_ranges"`
	Dropped   []struct {
		Kind  string `json:"kind"`
		ID    string `json:"id"`
		Topic string `json:"topic"`
	} `json:"dropped"`
}

func newReceived() *received {
	return &received{seen: map[uint64]string{}, evidence: map[string][32]byte{}, passages: map[uint64]passage{}}
}

func (r *received) add(t *testing.T, m broker.Msg) {
	t.Helper()
	switch {
	case strings.HasSuffix(m.Topic, "/passage"):
		var p passage
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatalf("passage: %v", err)
		}
		r.copies++
		if _, dup := r.seen[p.Seq]; dup {
			return
		}
		if n := len(r.order); n > 0 && p.Seq < r.order[n-1] {
			r.outOfOrder++
		}
		r.seen[p.Seq] = p.ID
		r.order = append(r.order, p.Seq)
		r.passages[p.Seq] = p
	case strings.Contains(m.Topic, "/evidence/"):
		r.evidence[m.Topic] = sha256.Sum256(m.Payload)
	case strings.HasSuffix(m.Topic, "/drops"):
		var d drops
		if err := json.Unmarshal(m.Payload, &d); err != nil {
			t.Fatalf("drops: %v", err)
		}
		r.drops = append(r.drops, d)
	}
}

// until reads msgs until cond holds, failing after within.
func (r *received) until(t *testing.T, msgs <-chan broker.Msg, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(within)
	for !cond() {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("subscription closed waiting for %s", what)
			}
			r.add(t, m)
		case <-deadline:
			t.Fatalf("timed out waiting for %s: %d passages received, last %v", what, len(r.seen), r.order[max(0, len(r.order)-5):])
		}
	}
}

// checkGapFree checks seqs 1..n all arrived, in order of first arrival, each with its evidence.
func (r *received) checkGapFree(t *testing.T, n uint64) {
	t.Helper()
	for s := uint64(1); s <= n; s++ {
		if _, ok := r.seen[s]; !ok {
			t.Errorf("passage seq %d never arrived", s)
		}
	}
	if r.outOfOrder > 0 {
		t.Errorf("%d passages first arrived after a later one", r.outOfOrder)
	}
	r.checkEvidence(t)
}

// checkEvidence: every evidence a passage lists arrived, with the bytes it names.
func (r *received) checkEvidence(t *testing.T) {
	t.Helper()
	for _, p := range r.passages {
		for _, e := range p.Evidence {
			sum, ok := r.evidence[root+"/evidence/"+p.ID+"/"+e.Name]
			if !ok {
				t.Errorf("passage %d lists %s, which never arrived", p.Seq, e.Name)
			} else if hex.EncodeToString(sum[:]) != e.SHA256 {
				t.Errorf("passage %d: %s arrived with other bytes", p.Seq, e.Name)
			}
		}
	}
}

func startMosquitto(t *testing.T, persist string) *broker.Process {
	t.Helper()
	b, err := broker.Mosquitto(context.Background(), broker.MosquittoOptions{PersistDir: persist})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop() })
	return b
}

// TestBrokerDown60s: the broker is down for 60 s while 500 passages are produced; once it is
// back, all 500 arrive, in order.
func TestBrokerDown60s(t *testing.T) {
	b := startMosquitto(t, filepath.Join(t.TempDir(), "mosq"))
	msgs := broker.SubscribeSession(t, b.URL(), root+"/#", "platform-down60")
	s := newSite(t, siteOptions{url: b.URL()})
	s.start()
	r := newReceived()
	s.pushUntil(0, 8<<10)
	r.until(t, msgs, 30*time.Second, "the first passage", func() bool { return len(r.seen) == 1 })

	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	for i := 1; i < 500; i++ {
		s.pushUntil(i, 8<<10)
		time.Sleep(40 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(s.storedSeqs()) < 500 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(s.storedSeqs()); n != 500 {
		t.Fatalf("%d passages stored, want 500", n)
	}
	time.Sleep(time.Until(down.Add(60 * time.Second)))
	t.Logf("broker back after %v", time.Since(down).Round(time.Second))
	if err := b.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.until(t, msgs, 3*time.Minute, "500 passages", func() bool { return len(r.seen) >= 500 })
	r.checkGapFree(t, 500)
	t.Logf("500 passages, %d copies received (%d duplicates)", r.copies, r.copies-500)
}

// TestSIGKILL: the agent is killed with SIGKILL 20 times at random moments while plates keep
// coming and passages are published; every passage it stored arrives at least once.
func TestSIGKILL(t *testing.T) {
	b := startMosquitto(t, "")
	msgs := broker.Subscribe(t, b.URL(), root+"/#")
	s := newSite(t, siteOptions{url: b.URL()})
	s.start()
	r := newReceived()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			s.push(i, 6<<10) // refused while the agent is down: that plate was never produced
		}
	})
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for k := range 20 {
		time.Sleep(time.Duration(2000+rng.IntN(4000)) * time.Millisecond) // the agent takes about 2 s to start
		s.kill()
		t.Logf("kill %d: %d passages stored so far", k+1, len(s.storedSeqs()))
		s.start()
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	time.Sleep(1500 * time.Millisecond) // the last plates become passages
	stored := s.storedSeqs()
	var top uint64
	for seq := range stored {
		top = max(top, seq)
	}
	if top < 50 {
		t.Fatalf("only %d passages stored across the kills\n%s", top, tail(s.log()))
	}
	r.until(t, msgs, 2*time.Minute, fmt.Sprintf("every stored passage (up to seq %d)", top), func() bool {
		for seq := range stored {
			if _, ok := r.seen[seq]; !ok {
				return false
			}
		}
		return uint64(len(r.seen)) >= top
	})
	for seq, id := range stored {
		if got := r.seen[seq]; got != id {
			t.Errorf("seq %d arrived with id %q, stored as %q", seq, got, id)
		}
	}
	for s := uint64(1); s <= top; s++ {
		if _, ok := r.seen[s]; !ok {
			t.Errorf("seq %d never arrived (a gap)", s)
		}
	}
	r.checkEvidence(t)
	t.Logf("20 SIGKILLs: %d passages stored (seq 1..%d), %d copies received, %d duplicates", len(stored), top, r.copies, r.copies-len(r.seen))
}

// TestBrokerRestartsDuringDrain: a backlog drains while the broker is restarted five times.
func TestBrokerRestartsDuringDrain(t *testing.T) {
	b := startMosquitto(t, filepath.Join(t.TempDir(), "mosq"))
	msgs := broker.SubscribeSession(t, b.URL(), root+"/#", "platform-restarts")
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, siteOptions{url: b.URL()})
	s.start()
	const n = 300
	for i := range n {
		s.pushUntil(i, 20<<10)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(s.storedSeqs()) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	for k := range 5 {
		r.until(t, msgs, time.Minute, "some progress", func() bool { return len(r.seen) > k*n/8 })
		if err := b.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Logf("restart %d with %d of %d received", k+1, len(r.seen), n)
	}
	r.until(t, msgs, 3*time.Minute, "every passage", func() bool { return len(r.seen) >= n })
	r.checkGapFree(t, n)
	t.Logf("%d passages through 5 broker restarts, %d duplicates", n, r.copies-n)
}

// TestFullDisk: a 16 MiB tmpfs as store.dir, filled by a long outage with 300 KiB evidence
// images. The agent keeps running, evidence goes first, the drops are counted and announced,
// and every passage is delivered once the broker is back.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("mounting a tmpfs needs root (CI runs as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	b := startMosquitto(t, filepath.Join(t.TempDir(), "mosq"))
	msgs := broker.SubscribeSession(t, b.URL(), root+"/#", "platform-fulldisk")
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, siteOptions{url: b.URL(), storeDir: mnt, extra: "  max_bytes: 16MiB\n  reserve_bytes: 4MiB"})
	t.Cleanup(func() {
		s.stop()
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	s.start()
	const n = 80
	for i := range n {
		s.pushUntil(i, 300<<10)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(s.storedSeqs()) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !s.running() {
		t.Fatalf("the agent died on the full disk\n%s", tail(s.log()))
	}
	if got := len(s.storedSeqs()); got != n {
		t.Errorf("%d passages stored, want %d\n%s", got, n, tail(s.log()))
	}
	out, err := exec.Command(s.bin, "outbox", "--config", s.config, "--json").Output()
	if err != nil {
		t.Fatalf("sitegate outbox: %v", err)
	}
	var rep struct {
		Source string `json:"source"`
		Stats  struct {
			Depth int `json:"depth"`
			Drops struct {
				Evidence, Passages, Events uint64
			} `json:"drops"`
		} `json:"stats"`
		DiskBytes int64 `json:"disk_bytes"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("outbox report %s: %v", out, err)
	}
	t.Logf("full disk: %s", out)
	if rep.Source != "agent" || rep.Stats.Drops.Evidence == 0 || rep.Stats.Drops.Passages != 0 || rep.Stats.Drops.Events == 0 {
		t.Errorf("report %+v: want live, evidence dropped, no passage dropped", rep)
	}
	if err := b.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	var announced int
	r.until(t, msgs, 3*time.Minute, "every passage and the drop announcements", func() bool {
		announced = 0
		for _, d := range r.drops {
			announced += d.Evidence
		}
		return len(r.seen) >= n && uint64(announced) >= rep.Stats.Drops.Evidence
	})
	for s := uint64(1); s <= n; s++ {
		if _, ok := r.seen[s]; !ok {
			t.Errorf("passage seq %d never arrived", s)
		}
	}
	// Every listed image either arrived or was announced as dropped.
	dropped := map[string]bool{}
	for _, d := range r.drops {
		for _, x := range d.Dropped {
			dropped[x.Topic] = true
		}
	}
	var delivered int
	for _, p := range r.passages {
		for _, e := range p.Evidence {
			topic := root + "/evidence/" + p.ID + "/" + e.Name
			_, got := r.evidence[topic]
			if got {
				delivered++
			}
			if !got && !dropped[topic] {
				t.Errorf("evidence %s neither delivered nor announced", topic)
			}
		}
	}
	if delivered == 0 {
		t.Error("no evidence delivered at all: the newest should have been kept")
	}
	t.Logf("full disk: %d passages delivered, %d images delivered, %d dropped and announced in %d messages", len(r.seen), delivered, announced, len(r.drops))
	// It resumes normally: a new passage goes straight out.
	s.pushUntil(n, 300<<10)
	r.until(t, msgs, time.Minute, "a passage after the outage", func() bool { return len(r.seen) > n })
}

// TestMutualTLSAgent: the binary connects with mutual TLS, certificates made here, and says so
// in its status.
func TestMutualTLSAgent(t *testing.T) {
	pki, err := broker.NewPKI("fault-site")
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.Mosquitto(context.Background(), broker.MosquittoOptions{
		TLS: &broker.TLSListener{CA: pki.CA, Cert: pki.ServerCert, Key: pki.ServerKey, RequireClientCert: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop() })
	files, err := pki.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	msgs := broker.Subscribe(t, b.URL(), root+"/#")
	s := newSite(t, siteOptions{url: b.TLSURL(), mqtt: fmt.Sprintf("  tls: {ca_file: %q, cert_file: %q, key_file: %q}",
		filepath.Join(files, "ca.pem"), filepath.Join(files, "client.pem"), filepath.Join(files, "client.key"))})
	s.start()
	s.pushUntil(1, 0)
	r := newReceived()
	var status struct {
		State  string `json:"state"`
		Uplink struct {
			TLS bool `json:"tls"`
		} `json:"uplink"`
	}
	r.until(t, msgs, time.Minute, "a passage over mutual TLS", func() bool { return len(r.seen) == 1 })
	deadline := time.After(20 * time.Second)
	for status.State != "online" {
		select {
		case m := <-msgs:
			if strings.HasSuffix(m.Topic, "/status") {
				json.Unmarshal(m.Payload, &status)
			}
		case <-deadline:
			t.Fatal("no online status")
		}
	}
	if !status.Uplink.TLS {
		t.Error("status says TLS is off on ssl://")
	}
}
