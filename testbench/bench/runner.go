package bench

import (
	"context"
	"encoding/json"
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

	"golang.org/x/sys/unix"
	"gopkg.in/yaml.v3"

	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/testbench/broker"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/mjpegcam"
	"sitegate/testbench/platecam"
)

// Options configure a run of scenarios.
type Options struct {
	// Exec is the command that runs the agent, before its "run --config FILE" arguments: the
	// sitegate binary, behind an emulator such as qemu-aarch64 if needed.
	Exec []string
	// OpenCV says whether the agent reads cameras (not a -tags nocv build).
	OpenCV bool
	// Target, if set, runs the scenario against a running gateway over MQTT instead of
	// starting the agent, a broker and the emulated indicators.
	Target *Target
	// Dir keeps each scenario's files (config, store, agent log); default a temporary folder,
	// removed after the run.
	Dir string
	// Progress receives a line per step.
	Progress io.Writer
}

// Target is a running gateway reached over MQTT, with its real devices.
type Target struct {
	URL, Username, Password string
	Site, Gateway           string
	// PlateURL is where emulated plate reads are pushed (the gateway's plate.listen).
	PlateURL string
}

const (
	benchSite    = "bench"
	benchGateway = "gw-bench"
)

// run is one scenario being played.
type run struct {
	s     *Scenario
	o     Options
	res   *Result
	dir   string
	start time.Time

	broker     *broker.Process
	plat       *platform
	agent      *agentProc
	log        *agentLog
	indicators map[string]*emuIndicator
	cameras    map[string]*mjpegcam.Camera
	plateURL   map[string]string // lane → push URL
	tmpfs      string
	clockStep  time.Duration
	stepsWG    sync.WaitGroup
	asyncErr   chan error
	deckParams map[string]config.Scale
}

// Run plays one scenario and returns its result; it never panics on a failing device, the
// failure is a check of the result.
func Run(ctx context.Context, s *Scenario, o Options) *Result {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	r := &run{s: s, o: o, res: newResult(s), log: &agentLog{}, indicators: map[string]*emuIndicator{},
		cameras: map[string]*mjpegcam.Camera{}, plateURL: map[string]string{}, asyncErr: make(chan error, 16),
		deckParams: map[string]config.Scale{}}
	if why := r.unmet(); why != "" {
		r.res.Skipped = why
		fmt.Fprintf(o.Progress, "%s: skipped (%s)\n", s.Name, why)
		return r.res
	}
	r.start = time.Now()
	r.res.Started = r.start
	err := r.play(ctx)
	r.res.Wall = Duration(time.Since(r.start))
	if err != nil {
		r.res.fail("run", err.Error(), time.Now())
	}
	r.res.Log = r.log.all()
	return r.res
}

func (r *run) unmet() string {
	for _, req := range r.s.Requires {
		switch {
		case req == "opencv" && !r.o.OpenCV:
			return "needs an agent with OpenCV (this one is a -tags nocv build)"
		case req == "root" && os.Geteuid() != 0:
			return "needs root (a tmpfs for the store)"
		case req == "root" && r.o.Target != nil:
			return "a fault of the store is not played against a running gateway"
		}
	}
	return ""
}

func (r *run) say(format string, args ...any) {
	fmt.Fprintf(r.o.Progress, "%s: %6.1fs  %s\n", r.s.Name, time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
}

func (r *run) play(ctx context.Context) error {
	var err error
	if r.o.Dir != "" {
		r.dir = filepath.Join(r.o.Dir, r.s.Name)
		err = os.MkdirAll(r.dir, 0o755)
	} else {
		r.dir, err = os.MkdirTemp("", "sitegate-bench-")
		defer os.RemoveAll(r.dir)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	defer r.stepsWG.Wait()

	url, user, pass, site, gw := "", "", "", benchSite, benchGateway
	if t := r.o.Target; t != nil {
		url, user, pass, site, gw = t.URL, t.Username, t.Password, t.Site, t.Gateway
	} else {
		b, err := broker.Mosquitto(ctx, broker.MosquittoOptions{PersistDir: filepath.Join(r.dir, "broker")})
		if err != nil {
			return fmt.Errorf("broker: %w", err)
		}
		r.broker = b
		defer b.Stop()
		url = b.URL()
	}
	r.plat = newPlatform()
	if err := r.plat.connect(url, user, pass, wire.Topics(site, gw).All()); err != nil {
		return err
	}
	defer r.plat.close()

	if r.o.Target == nil {
		if err := r.startDevices(ctx, &wg); err != nil {
			return err
		}
		defer r.stopDevices()
		cfg, err := r.writeConfig(url)
		if err != nil {
			return err
		}
		lf, err := os.Create(filepath.Join(r.dir, "agent.log"))
		if err == nil {
			defer lf.Close()
			r.log.file = lf
		}
		r.agent = &agentProc{exec: r.o.Exec, config: cfg, log: r.log}
		if err := r.agent.start(); err != nil {
			return err
		}
		defer r.agent.stop(syscall.SIGTERM, 20*time.Second)
	} else {
		for _, l := range r.s.lanes() {
			r.plateURL[l] = r.o.Target.PlateURL
		}
	}
	if !r.waitUntil(ctx, 30*time.Second, r.plat.isOnline) {
		r.res.fail("gateway online", "no online status from the gateway within 30 s", time.Now())
		return nil
	}
	r.res.pass("gateway online", "retained status online", time.Now())
	r.say("gateway online")

	for i, st := range r.s.Timeline {
		if err := ctx.Err(); err != nil {
			return err
		}
		at := time.Now()
		what, err := r.step(ctx, st)
		r.res.Events = append(r.res.Events, Event{At: at, Step: i, What: what})
		r.say("step %d: %s", i, what)
		if err != nil {
			r.res.fail(fmt.Sprintf("timeline[%d] %s", i, what), err.Error(), time.Now())
		}
	}
	r.stepsWG.Wait()
	close(r.asyncErr)
	for err := range r.asyncErr {
		r.res.fail("timeline (a truck driving)", err.Error(), time.Now())
	}
	r.settle(ctx)
	for lane, ind := range r.indicators {
		r.res.Traces = append(r.res.Traces, trace(lane, ind.samples(), r.deckParams[lane]))
	}
	r.evaluate()
	return nil
}

func (r *run) waitUntil(ctx context.Context, within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		select {
		case <-r.plat.changed:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	return true
}

// settle waits until every expected passage has arrived, or Settle passes.
func (r *run) settle(ctx context.Context) {
	want := 0
	for _, p := range r.s.Expect.Passages {
		want += max(1, p.Count)
	}
	if c := r.s.Expect.PassagesTotal; c != nil && c.Min != nil {
		want = max(want, *c.Min)
	}
	r.waitUntil(ctx, r.s.Settle.D(), func() bool { return r.plat.distinct() >= want && r.plat.decisionCount() >= len(r.s.Expect.Decisions) })
	// A moment more, so that a duplicate or an extra passage has the chance to show.
	select {
	case <-time.After(1500 * time.Millisecond):
	case <-ctx.Done():
	}
}

func (r *run) startDevices(ctx context.Context, wg *sync.WaitGroup) error {
	if size := r.s.Devices.StoreTmpfs; size > 0 {
		mnt := filepath.Join(r.dir, "store")
		if err := os.MkdirAll(mnt, 0o755); err != nil {
			return err
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(int64(size), 10), "tmpfs", mnt).CombinedOutput(); err != nil {
			return fmt.Errorf("mount a tmpfs for the store: %v: %s", err, out)
		}
		r.tmpfs = mnt
	}
	for _, d := range r.s.Devices.Indicators {
		if d.Emulate == nil {
			continue
		}
		ind, err := startIndicator(ctx, r.dir, d, wg)
		if err != nil {
			return err
		}
		r.indicators[d.Lane] = ind
	}
	for _, d := range r.s.Devices.Cameras {
		if !d.Emulate {
			continue
		}
		c, err := startCamera()
		if err != nil {
			return fmt.Errorf("camera %s: %w", d.ID, err)
		}
		r.cameras[d.ID] = c
	}
	return nil
}

func (r *run) stopDevices() {
	for _, ind := range r.indicators {
		ind.line.close()
	}
	for _, c := range r.cameras {
		c.Close()
	}
	if r.tmpfs != "" {
		if r.agent != nil {
			r.agent.stop(syscall.SIGKILL, time.Second)
		}
		_ = os.RemoveAll(filepath.Join(r.tmpfs, "ballast"))
		_ = exec.Command("umount", "-l", r.tmpfs).Run()
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// writeConfig writes the agent's config for the scenario's devices, with the scenario's own
// keys laid over it, and checks it with the agent's own validation.
func (r *run) writeConfig(brokerURL string) (string, error) {
	storeDir := filepath.Join(r.dir, "data")
	if r.tmpfs != "" {
		storeDir = filepath.Join(r.tmpfs, "data")
	}
	reg := struct {
		Version  int       `json:"version"`
		Vehicles []Vehicle `json:"vehicles"`
	}{1, r.s.Agent.Registry}
	if reg.Vehicles == nil {
		reg.Vehicles = []Vehicle{}
	}
	regJSON, _ := json.Marshal(reg)
	if err := os.WriteFile(filepath.Join(r.dir, "registry.json"), regJSON, 0o644); err != nil {
		return "", err
	}
	var lanes []any
	for _, l := range r.s.lanes() {
		addr, err := freeAddr()
		if err != nil {
			return "", err
		}
		r.plateURL[l] = "http://" + addr + "/v1/plate"
		lane := map[string]any{
			"id": l, "direction": "exit", "plate_window": "10s", "plate_only_timeout": "3s",
			"plate": map[string]any{"listen": addr},
		}
		if d := r.s.indicator(l); d != nil {
			port := d.Port
			if ind := r.indicators[l]; ind != nil {
				port = ind.line.link
			}
			lane["scale"] = map[string]any{"port": port, "protocol": d.Protocol, "on_deck_kg": 500,
				"off_deck_kg": 200, "off_deck_hold": "1s", "stable_window": "1s", "stable_band_kg": 40,
				"silence_timeout": "5s"}
		}
		var cams []any
		for _, c := range r.s.Devices.Cameras {
			if c.Lane != l {
				continue
			}
			u := c.URL
			if ec := r.cameras[c.ID]; ec != nil {
				u = ec.URL()
			}
			cams = append(cams, map[string]any{"id": c.ID, "url": u})
		}
		if cams != nil {
			lane["cameras"] = cams
		}
		var plates []any
		for _, c := range r.s.Devices.PlateCameras {
			if c.Lane == l && c.Emulate && c.Vendor != "generic" {
				plates = append(plates, map[string]any{"id": c.ID, "vendor": c.Vendor, "mode": "push"})
			}
		}
		if plates != nil {
			lane["plate"] = map[string]any{"listen": addr, "cameras": plates}
		}
		lanes = append(lanes, lane)
	}
	base := map[string]any{
		"site": benchSite, "gateway": benchGateway,
		"mqtt":     map[string]any{"url": brokerURL, "keep_alive": "5s"},
		"store":    map[string]any{"dir": storeDir, "max_bytes": "64MiB", "reserve_bytes": "1MiB"},
		"registry": map[string]any{"file": "registry.json"},
		"log":      map[string]any{"level": "debug"},
		"status":   map[string]any{"interval": "5s"},
		"lanes":    lanes,
	}
	var node yaml.Node
	if err := node.Encode(base); err != nil {
		return "", err
	}
	if r.s.Agent.Config.Kind == yaml.MappingNode {
		mergeNode(&node, &r.s.Agent.Config)
	}
	if ls := lookupNode(&node, "lanes"); ls != nil {
		for _, ln := range ls.Content {
			id := lookupNode(ln, "id")
			if id == nil {
				continue
			}
			if over, ok := r.s.Agent.Lanes[id.Value]; ok && over.Kind == yaml.MappingNode {
				mergeNode(ln, &over)
			}
		}
	}
	out, err := yaml.Marshal(&node)
	if err != nil {
		return "", err
	}
	path := filepath.Join(r.dir, "sitegate.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return "", err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return "", fmt.Errorf("the agent's config (%s):\n%v", path, err)
	}
	for _, l := range cfg.Lanes {
		r.deckParams[l.ID] = l.Scale
	}
	return path, nil
}

// mergeNode lays over onto dst: mappings key by key, anything else replaces.
func mergeNode(dst, over *yaml.Node) {
	if dst.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		*dst = *over
		return
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		if cur := lookupNode(dst, k.Value); cur != nil {
			mergeNode(cur, v)
			continue
		}
		dst.Content = append(dst.Content, k, v)
	}
}

func lookupNode(m *yaml.Node, key string) *yaml.Node {
	if m.Kind == yaml.DocumentNode && len(m.Content) > 0 {
		m = m.Content[0]
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// step plays one timeline step and says what it did.
func (r *run) step(ctx context.Context, st Step) (string, error) {
	target := r.o.Target != nil
	switch {
	case st.Truck != nil:
		t := st.Truck
		what := fmt.Sprintf("truck of %.0f kg (%s) on %s", t.GrossKg, t.Shape, t.Lane)
		ind := r.indicators[t.Lane]
		if ind == nil {
			prof := truckProfile(*t)
			r.say("at the gate: drive a truck of %.0f kg across %s now (%s)", t.GrossKg, t.Lane, prof.Duration())
			return what + " (a real truck: waited for it)", sleep(ctx, prof.Duration())
		}
		play := func() error {
			if t.Shape == "tail_to_tail" && t.Second != nil {
				first, second := tailProfiles(*t)
				if err := ind.em.Play(ctx, first); err != nil {
					return err
				}
				if err := r.push(ctx, PlateStep{Lane: t.Lane, Text: t.Second.Text, Confidence: t.Second.Confidence}); err != nil {
					return err
				}
				return ind.em.Play(ctx, second)
			}
			return ind.em.Play(ctx, truckProfile(*t))
		}
		if t.Async {
			r.stepsWG.Add(1)
			go func() {
				defer r.stepsWG.Done()
				if err := play(); err != nil && ctx.Err() == nil {
					r.asyncErr <- err
				}
			}()
			return what + ", driving while the next steps play", nil
		}
		return what, play()
	case st.Plate != nil:
		p := *st.Plate
		what := fmt.Sprintf("plate %s read by %s", p.Text, p.Camera)
		return what, r.push(ctx, p)
	case st.Wait != nil:
		return "wait " + st.Wait.D().String(), sleep(ctx, st.Wait.D())
	case st.WaitFor != nil:
		w := st.WaitFor
		within := w.Within.D()
		if within <= 0 {
			within = 20 * time.Second
		}
		what := fmt.Sprintf("wait for %d passage(s), %d decision(s)", w.Passages, w.Decisions)
		if !r.waitUntil(ctx, within, func() bool {
			return r.plat.distinct() >= w.Passages && r.plat.decisionCount() >= w.Decisions && (!w.Online || r.plat.isOnline())
		}) {
			return what, fmt.Errorf("not seen within %s (passages %d, decisions %d)", within, r.plat.distinct(), r.plat.decisionCount())
		}
		return what, nil
	case st.BrokerDown != nil:
		what := "broker down for " + st.BrokerDown.D().String()
		if target {
			return what + " (not played against a running gateway)", nil
		}
		if err := r.broker.Stop(); err != nil {
			return what, err
		}
		if err := sleep(ctx, st.BrokerDown.D()); err != nil {
			return what, err
		}
		return what, r.broker.Restart(ctx)
	case st.Broker != nil:
		what := "broker " + *st.Broker
		if target {
			return what + " (not played against a running gateway)", nil
		}
		if *st.Broker == "down" {
			return what, r.broker.Stop()
		}
		return what, r.broker.Restart(ctx)
	case st.PowerCut != nil:
		what := "power cut (SIGKILL), restart after " + st.PowerCut.RestartAfter.D().String()
		if target {
			return what + " (not played against a running gateway)", nil
		}
		r.agent.stop(syscall.SIGKILL, 5*time.Second)
		if err := sleep(ctx, st.PowerCut.RestartAfter.D()); err != nil {
			return what, err
		}
		return what, r.agent.start()
	case st.Restart != nil:
		if target {
			return "restart (not played against a running gateway)", nil
		}
		r.agent.stop(syscall.SIGTERM, 20*time.Second)
		return "restart (SIGTERM, start)", r.agent.start()
	case st.FillDisk != nil:
		free, err := fillDisk(r.tmpfs, int64(st.FillDisk.Leave))
		return fmt.Sprintf("the store's disk fills (%d bytes left)", free), err
	case st.FreeDisk != nil:
		if r.tmpfs == "" {
			return "free disk (no tmpfs: nothing to free)", nil
		}
		return "the store's disk freed", os.RemoveAll(filepath.Join(r.tmpfs, "ballast"))
	case st.Unplug != nil:
		u := st.Unplug
		what := fmt.Sprintf("serial unplug of %s for %s", u.Lane, u.For.D())
		ind := r.indicators[u.Lane]
		ind.line.unplug()
		if err := sleep(ctx, u.For.D()); err != nil {
			return what, err
		}
		return what, ind.line.replug()
	case st.CameraBlind != nil:
		b := st.CameraBlind
		c := r.cameras[b.Camera]
		what := "camera " + b.Camera + " blind"
		if c == nil {
			return what + " (a real camera: not played)", nil
		}
		c.SetDown(true)
		if b.For <= 0 {
			return what + " until the end", nil
		}
		what += " for " + b.For.D().String()
		err := sleep(ctx, b.For.D())
		c.SetDown(false)
		return what, err
	case st.ClockStep != nil:
		r.clockStep += st.ClockStep.By.D()
		return fmt.Sprintf("the plate cameras' clocks step by %s (now %s off)", st.ClockStep.By.D(), r.clockStep), nil
	}
	return "nothing", errors.New("a step without an action")
}

func (r *run) push(ctx context.Context, p PlateStep) error {
	u := r.plateURL[p.Lane]
	if u == "" {
		return fmt.Errorf("lane %s: no plate listener to push to", p.Lane)
	}
	vendor := "generic"
	for _, c := range r.s.Devices.PlateCameras {
		if c.ID == p.Camera && !c.Emulate {
			r.say("at the gate: plate camera %s should now read %s", c.ID, p.Text)
			return nil
		}
		if c.ID == p.Camera {
			vendor = c.Vendor
		}
	}
	conf := p.Confidence
	if conf == 0 {
		conf = 0.95
	}
	req := platecam.PushRequest{Lane: p.Lane, Plate: p.Text, Color: p.Color, Confidence: conf, Image: p.Image == nil || *p.Image}
	if p.PictureKB > 0 && req.Image {
		req.ImageJPEG = noiseJPEG(p.PictureKB << 10)
	}
	if r.clockStep != 0 || p.TakenAgo != 0 {
		req.Time = time.Now().Add(r.clockStep - p.TakenAgo.D())
	}
	send := func() error { return platecam.Push(ctx, u, req) }
	if vendor == "hikvision" {
		a := platecam.HikvisionAlert{Plate: p.Text, Color: p.Color, Confidence: int(conf * 100), Time: req.Time}
		if req.Image {
			a.PlatePicture = req.ImageJPEG
			if a.PlatePicture == nil {
				a.PlatePicture, _ = platecam.PlateJPEG(160, 48)
			}
		}
		hu := strings.TrimSuffix(u, "/v1/plate") + "/v1/plate/hikvision/" + p.Lane
		send = func() error { return platecam.HikvisionPush(ctx, hu, a, platecam.HikvisionPushOptions{}) }
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := send()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return err
		}
		_ = sleep(ctx, 100*time.Millisecond)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fillDisk writes a ballast file into the tmpfs until leave bytes are free.
func fillDisk(dir string, leave int64) (int64, error) {
	if dir == "" {
		return 0, errors.New("no tmpfs of the bench's own to fill")
	}
	f, err := os.OpenFile(filepath.Join(dir, "ballast"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i) // tmpfs stores zeros too, but keep it honest for any file system
	}
	for {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err != nil {
			return 0, err
		}
		free := int64(st.Bavail) * int64(st.Bsize)
		if free <= leave {
			return free, f.Sync()
		}
		n := min(int64(len(buf)), free-leave)
		if _, err := f.Write(buf[:n]); err != nil {
			return free, nil // full: as full as it gets
		}
	}
}

// truckProfile is the weight a truck step sends.
func truckProfile(t TruckStep) indicatoremu.Profile {
	if len(t.Profile) > 0 {
		var p indicatoremu.Profile
		from := 0.0
		for _, r := range t.Profile {
			p = append(p, indicatoremu.Step{From: from, To: r.To, For: r.For.D(), NoiseKg: r.NoiseKg})
			from = r.To
		}
		return p
	}
	g := t.GrossKg
	stand := t.Stand.D()
	if stand <= 0 {
		stand = 2500 * time.Millisecond
	}
	if t.Shape == "backoff" {
		return indicatoremu.Profile{
			{From: 0, To: 0, For: 500 * time.Millisecond},
			{From: 0, To: g, For: 1200 * time.Millisecond, NoiseKg: g * 0.01},
			{From: g, To: g * 0.9, For: 400 * time.Millisecond, NoiseKg: 150},
			{From: g * 0.9, To: 0, For: 1200 * time.Millisecond},
			{From: 0, To: 0, For: 500 * time.Millisecond},
		}
	}
	if t.Shape == "tail_to_tail" {
		a, b := tailProfiles(t)
		return append(a, b...)
	}
	return indicatoremu.Profile{
		{From: 0, To: 0, For: 500 * time.Millisecond},
		{From: 0, To: g * 1.01, For: 1500 * time.Millisecond, NoiseKg: g * 0.01},
		{From: g * 1.01, To: g, For: 400 * time.Millisecond, NoiseKg: 20},
		{From: g, To: g, For: stand, NoiseKg: t.NoiseKg},
		{From: g, To: 0, For: 1 * time.Second},
		{From: 0, To: 0, For: 500 * time.Millisecond},
	}
}

// tailProfiles are the two halves of a tail_to_tail step: the first truck on and standing, then
// the second driving on as the first drives off (the weight never falls to the off threshold),
// standing, and leaving.
func tailProfiles(t TruckStep) (indicatoremu.Profile, indicatoremu.Profile) {
	g, h := t.GrossKg, t.SecondKg
	stand := t.Stand.D()
	if stand <= 0 {
		stand = 2500 * time.Millisecond
	}
	first := indicatoremu.Profile{
		{From: 0, To: 0, For: 500 * time.Millisecond},
		{From: 0, To: g, For: 1500 * time.Millisecond, NoiseKg: g * 0.01},
		{From: g, To: g, For: stand},
	}
	mid := (g + h) / 3
	second := indicatoremu.Profile{
		{From: g, To: mid, For: 1200 * time.Millisecond, NoiseKg: 100},
		{From: mid, To: h, For: 1200 * time.Millisecond, NoiseKg: 100},
		{From: h, To: h, For: stand},
		{From: h, To: 0, For: time.Second},
		{From: 0, To: 0, For: 500 * time.Millisecond},
	}
	return first, second
}
