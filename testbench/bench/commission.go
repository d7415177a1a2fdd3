package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/sys/unix"

	"sitegate/agent/clock"
	"sitegate/agent/mqttconn"
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/drivers/indicator"
	"sitegate/drivers/serialport"
	config "sitegate/firmware-config"
)

// CommissionOptions configure the commissioning of a gate.
type CommissionOptions struct {
	Config string // the gateway's config file
	// TruckKg and Plate are the test truck's known weight and plate; without them the end-to-end
	// passage is not checked.
	TruckKg     float64
	Plate       string
	ToleranceKg float64 // default 50
	// Exec runs the agent for the test truck (as for Options.Exec).
	Exec []string
	// Out is the technician's terminal.
	Out io.Writer
	// PreviewDir receives each camera's live frame with its regions drawn; default the config's
	// folder.
	PreviewDir string
	// Listen is how long each indicator is read; default 5s. PlateWait is how long a plate
	// camera has to be heard from; default 30s. TruckWait is how long the test truck has to
	// cross; default 3m.
	Listen, PlateWait, TruckWait time.Duration
	// ObserverUsername and ObserverPassword, if set, are a broker user who may read every
	// gateway's topics: the ACL checks then see what was delivered, not only what was refused.
	ObserverUsername, ObserverPassword string
	// OnStep is told when a step that needs the technician begins ("plate:<lane>/<camera>",
	// "truck"), after its prompt is printed.
	OnStep func(step string)
}

// commissioning is one commissioning run.
type commissioning struct {
	o   CommissionOptions
	cfg *config.Config
	res *Result
	log *agentLog
}

// Commission checks a gate, step by step, and returns the result for the reports.
func Commission(ctx context.Context, o CommissionOptions) *Result {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.ToleranceKg == 0 {
		o.ToleranceKg = 50
	}
	if o.Listen == 0 {
		o.Listen = 5 * time.Second
	}
	if o.PlateWait == 0 {
		o.PlateWait = 30 * time.Second
	}
	if o.TruckWait == 0 {
		o.TruckWait = 3 * time.Minute
	}
	c := &commissioning{o: o, res: &Result{Scenario: "commission", File: o.Config, Started: time.Now(),
		Description: "Commissioning of the gate described by " + o.Config}, log: &agentLog{}}
	defer func() { c.res.Wall = Duration(time.Since(c.res.Started)); c.res.Log = c.log.all() }()
	cfg, err := config.Load(o.Config)
	if err != nil {
		c.check("config valid", false, err.Error())
		return c.res
	}
	c.cfg = cfg
	c.check("config valid", true, cfg.Summary())
	if o.PreviewDir == "" {
		c.o.PreviewDir = filepath.Dir(o.Config)
	}
	for _, l := range cfg.Lanes {
		c.indicator(ctx, l)
		for _, cam := range l.Cameras {
			c.camera(ctx, l, cam)
		}
		c.plateCameras(ctx, l)
	}
	c.broker(ctx)
	c.clock()
	c.disk()
	if o.TruckKg > 0 && o.Plate != "" {
		c.truck(ctx)
	} else {
		c.say("no test truck given (--truck-kg and --plate): the end-to-end passage is not checked")
	}
	return c.res
}

func (c *commissioning) say(format string, args ...any) {
	fmt.Fprintf(c.o.Out, format+"\n", args...)
}

func (c *commissioning) check(name string, ok bool, detail string) {
	mark := "ok  "
	if !ok {
		mark = "FAIL"
	}
	c.say("  [%s] %s: %s", mark, name, detail)
	c.res.Checks = append(c.res.Checks, Check{Name: name, OK: ok, Detail: detail, At: time.Now()})
	if !ok && len(c.log.all()) > 0 {
		c.res.Checks[len(c.res.Checks)-1].Log = c.log.around(time.Now(), 10*time.Second)
	}
}

// indicator reads the lane's indicator for a while: it must speak its protocol and show a
// stable zero on the empty deck.
func (c *commissioning) indicator(ctx context.Context, l config.Lane) {
	s := l.Scale
	c.say("lane %s: indicator on %s (%s), keep the deck empty", l.ID, s.Port, s.Protocol)
	p, ok := indicator.Get(s.Protocol)
	if !ok {
		c.check("indicator "+l.ID+" reading", false, "unknown protocol "+s.Protocol)
		return
	}
	bits, par, stop, _ := serialport.ParseFraming(s.Framing)
	mode := serialport.Mode{Baud: s.Baud, DataBits: bits, Parity: par, StopBits: stop}
	b, err := serialport.Backend(s.Backend)
	if err != nil {
		c.check("indicator "+l.ID+" reading", false, err.Error())
		return
	}
	rctx, cancel := context.WithTimeout(ctx, c.o.Listen)
	defer cancel()
	var mu sync.Mutex
	var readings []indicator.Reading
	var stats indicator.Stats
	var lastErr error
	link := serialport.NewLink("commission "+l.ID, s.Port, mode, serialport.WithUSB(b, nil),
		serialport.LinkOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	link.Run(rctx, func(sctx context.Context, r io.Reader, w io.Writer) error {
		opts := s.IndicatorOptions()
		opts.Writer = w
		d := p.New(r, opts)
		defer d.Close()
		for {
			rd, err := d.Next()
			mu.Lock()
			stats = d.Stats()
			if err != nil {
				lastErr = err
				mu.Unlock()
				return err
			}
			readings = append(readings, rd)
			mu.Unlock()
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if len(readings) == 0 {
		why := "no reading"
		if lastErr != nil && !errors.Is(lastErr, context.DeadlineExceeded) && !errors.Is(lastErr, context.Canceled) {
			why += ": " + lastErr.Error()
		}
		c.check("indicator "+l.ID+" reading", false, fmt.Sprintf("%s in %s on %s (frames %d, bad %d, discarded bytes %d); is it the right port, baud and protocol? `sitegate scale detect %s` tells",
			why, c.o.Listen, s.Port, stats.Frames, stats.BadFrames, stats.DiscardedBytes, s.Port))
		return
	}
	c.check("indicator "+l.ID+" reading", true, fmt.Sprintf("%d readings in %s (%s at %s), %d bad frames", len(readings), c.o.Listen, s.Protocol, mode, stats.BadFrames))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range readings {
		lo, hi = math.Min(lo, r.Kg), math.Max(hi, r.Kg)
	}
	span := readings[len(readings)-1].Time.Sub(readings[0].Time)
	zero := math.Abs(lo) <= s.StableBandKg && math.Abs(hi) <= s.StableBandKg && span >= time.Duration(s.StableWindow)
	c.check("indicator "+l.ID+" zero stable", zero, fmt.Sprintf("readings between %.0f and %.0f kg over %s (band ±%.0f kg, window %s)", lo, hi, span.Round(time.Millisecond), s.StableBandKg, time.Duration(s.StableWindow)))
	samples := make([]sample, len(readings))
	for i, r := range readings {
		samples[i] = sample{At: r.Time, Kg: r.Kg}
	}
	c.res.Traces = append(c.res.Traces, trace(l.ID, samples, s))
}

// camera takes a live frame from the camera, judges its quality and draws its regions on it.
func (c *commissioning) camera(ctx context.Context, l config.Lane, cc config.Camera) {
	name := "camera " + l.ID + "/" + cc.ID
	c.say("lane %s: camera %s", l.ID, cc.ID)
	url := cc.URL
	if cc.Username != "" {
		pw := ""
		if cc.PasswordFile != "" {
			pw, _ = mqttconn.ReadPasswordFile(cc.PasswordFile)
		}
		url = withLogin(cc.URL, cc.Username, pw)
	}
	cam := camera.New(camera.Options{ID: cc.ID, URL: url, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); cam.Run(cctx) }()
	defer func() { cancel(); <-done }()
	var frame []byte
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if frame, _, err = cam.Snapshot(90); err == nil || errors.Is(err, camera.ErrNoCV) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	st := cam.Status()
	if err != nil {
		c.check(name+" streaming", false, fmt.Sprintf("no frame within 20 s: %v (state %s)", err, st.State))
		return
	}
	c.check(name+" streaming", true, fmt.Sprintf("state %s", st.State))
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		c.check(name+" frame quality", false, "the frame is not a JPEG: "+err.Error())
		return
	}
	q := frameQuality(img)
	c.check(name+" frame quality", q.ok(), q.String())
	preview := drawRegions(img, cc.ROIs)
	var b bytes.Buffer
	_ = jpeg.Encode(&b, preview, &jpeg.Options{Quality: 85})
	file := filepath.Join(c.o.PreviewDir, "preview-"+l.ID+"-"+cc.ID+".jpg")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		c.check(name+" regions preview", false, err.Error())
		return
	}
	var names []string
	for _, r := range cc.ROIs {
		names = append(names, r.Name)
	}
	c.res.Previews = append(c.res.Previews, Preview{Name: name, File: file, JPEG: b.Bytes()})
	c.check(name+" regions preview", true, fmt.Sprintf("%d regions (%s) drawn on a live frame: %s", len(cc.ROIs), strings.Join(names, ", "), file))
}

func withLogin(raw, user, pw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	return raw[:i+3] + user + ":" + pw + "@" + raw[i+3:]
}

// quality is a frame's exposure, contrast and sharpness.
type quality struct {
	W, H                      int
	Mean, Contrast, Sharpness float64
}

func (q quality) ok() bool {
	return q.Mean >= 40 && q.Mean <= 220 && q.Contrast >= 15 && q.Sharpness >= 20
}

func (q quality) String() string {
	verdict := "good"
	switch {
	case q.Mean < 40:
		verdict = "too dark"
	case q.Mean > 220:
		verdict = "overexposed"
	case q.Contrast < 15:
		verdict = "flat (fog, a covered lens?)"
	case q.Sharpness < 20:
		verdict = "blurred (focus, a dirty lens?)"
	}
	return fmt.Sprintf("%s: %dx%d, brightness %.0f (40..220), contrast %.0f (>= 15), sharpness %.0f (>= 20)", verdict, q.W, q.H, q.Mean, q.Contrast, q.Sharpness)
}

// frameQuality measures the grey level's mean and spread and the variance of its Laplacian.
func frameQuality(img image.Image) quality {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	g := make([]float64, w*h)
	var sum float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			v := (0.299*float64(r) + 0.587*float64(gg) + 0.114*float64(bb)) / 257
			g[y*w+x] = v
			sum += v
		}
	}
	n := float64(w * h)
	mean := sum / n
	var dev float64
	for _, v := range g {
		dev += (v - mean) * (v - mean)
	}
	var lsum, lsq float64
	var ln float64
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := g[i-1] + g[i+1] + g[i-w] + g[i+w] - 4*g[i]
			lsum += l
			lsq += l * l
			ln++
		}
	}
	sharp := 0.0
	if ln > 0 {
		m := lsum / ln
		sharp = lsq/ln - m*m
	}
	return quality{W: w, H: h, Mean: mean, Contrast: math.Sqrt(dev / n), Sharpness: sharp}
}

var regionColours = []color.RGBA{{255, 64, 64, 255}, {64, 255, 64, 255}, {64, 160, 255, 255}, {255, 220, 0, 255}}

// drawRegions draws each region's polygon (relative coordinates) on a copy of img.
func drawRegions(img image.Image, rois []config.ROI) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	w, h := float64(b.Dx()), float64(b.Dy())
	for i, r := range rois {
		col := regionColours[i%len(regionColours)]
		for k := range r.Polygon {
			p, q := r.Polygon[k], r.Polygon[(k+1)%len(r.Polygon)]
			if len(p) < 2 || len(q) < 2 {
				continue
			}
			line(out, p[0]*w, p[1]*h, q[0]*w, q[1]*h, col)
		}
	}
	return out
}

// line draws a 3-pixel-wide segment.
func line(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	steps := int(math.Max(math.Abs(x1-x0), math.Abs(y1-y0))) + 1
	for i := 0; i <= steps; i++ {
		t := float64(i) / float64(steps)
		x, y := int(x0+(x1-x0)*t), int(y0+(y1-y0)*t)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if image.Pt(x+dx, y+dy).In(img.Rect) {
					img.SetRGBA(x+dx, y+dy, c)
				}
			}
		}
	}
}

// plateCameras waits to hear from each of the lane's plate cameras: a pushing camera must
// post to plate.listen (a read or a heartbeat), a pulled one must answer over HTTP.
func (c *commissioning) plateCameras(ctx context.Context, l config.Lane) {
	var push []config.PlateCamera
	for _, pc := range l.Plate.Cameras {
		if pc.Mode == "pull" || (pc.URL != "" && pc.Mode != "push") {
			c.pullCamera(ctx, l, pc)
			continue
		}
		push = append(push, pc)
	}
	if len(push) == 0 && len(l.Plate.Cameras) > 0 {
		return
	}
	name := "plate camera " + l.ID
	if len(push) == 1 && push[0].ID != "" {
		name += "/" + push[0].ID
	}
	ln, err := net.Listen("tcp", l.Plate.Listen)
	if err != nil {
		c.check(name+" heard from", false, fmt.Sprintf("cannot listen on plate.listen %s: %v (is the agent running? stop it for the commissioning)", l.Plate.Listen, err))
		return
	}
	heard := make(chan string, 1)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
		select {
		case heard <- fmt.Sprintf("%s %s from %s, %d bytes", r.Method, r.URL.Path, r.RemoteAddr, len(body)):
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	c.say("lane %s: plate camera - let it read a plate (drive a car past, or use the camera's trigger); waiting %s on %s", l.ID, c.o.PlateWait, l.Plate.Listen)
	if c.o.OnStep != nil {
		c.o.OnStep("plate:" + l.ID)
	}
	select {
	case what := <-heard:
		c.check(name+" heard from", true, what)
	case <-time.After(c.o.PlateWait):
		c.check(name+" heard from", false, fmt.Sprintf("nothing posted to %s within %s: check the camera's push address (http://%s/v1/plate...) and its network", l.Plate.Listen, c.o.PlateWait, l.Plate.Listen))
	case <-ctx.Done():
		c.check(name+" heard from", false, ctx.Err().Error())
	}
}

func (c *commissioning) pullCamera(ctx context.Context, l config.Lane, pc config.PlateCamera) {
	name := "plate camera " + l.ID + "/" + pc.ID
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(pc.URL, "/")+"/", nil)
	if err != nil {
		c.check(name+" heard from", false, err.Error())
		return
	}
	cl := &http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		c.check(name+" heard from", false, fmt.Sprintf("%s (%s) does not answer: %v", pc.URL, pc.Vendor, err))
		return
	}
	resp.Body.Close()
	c.check(name+" heard from", true, fmt.Sprintf("%s (%s) answers HTTP: %s", pc.URL, pc.Vendor, resp.Status))
}

func nonce() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// gatewayClient connects to the broker as the gateway does: its URL, user, password and TLS.
func (c *commissioning) gatewayClient(id string) (paho.Client, error) {
	m := c.cfg.MQTT
	p := mqttconn.Params{URL: m.URL, ClientID: id, Username: m.Username, ConnectTimeout: 10 * time.Second}
	if m.PasswordFile != "" {
		pw, err := mqttconn.ReadPasswordFile(m.PasswordFile)
		if err != nil {
			return nil, err
		}
		p.Password = pw
	}
	if strings.HasPrefix(m.URL, "ssl://") || strings.HasPrefix(m.URL, "tls://") || strings.HasPrefix(m.URL, "mqtts://") {
		host := m.URL[strings.Index(m.URL, "://")+3:]
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		t, err := mqttconn.LoadTLS(m.TLS.CAFile, m.TLS.CertFile, m.TLS.KeyFile, host)
		if err != nil {
			return nil, err
		}
		p.TLS = t
	}
	cl := paho.NewClient(mqttconn.ClientOptions(p))
	t := cl.Connect()
	if !t.WaitTimeout(15 * time.Second) {
		return nil, errors.New("connect timed out")
	}
	return cl, t.Error()
}

func (c *commissioning) observer(topic string, got chan<- string) (paho.Client, error) {
	if c.o.ObserverUsername == "" {
		return nil, nil
	}
	p := mqttconn.Params{URL: c.cfg.MQTT.URL, ClientID: "sitegate-commission-observer-" + nonce(), Username: c.o.ObserverUsername, Password: c.o.ObserverPassword, ConnectTimeout: 10 * time.Second}
	if c.cfg.MQTT.TLS.CAFile != "" {
		t, err := mqttconn.LoadTLS(c.cfg.MQTT.TLS.CAFile, "", "", "")
		if err != nil {
			return nil, err
		}
		p.TLS = t
	}
	cl := paho.NewClient(mqttconn.ClientOptions(p))
	if t := cl.Connect(); !t.WaitTimeout(15*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("observer connect: %v", t.Error())
	}
	if t := cl.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Topic():
		default:
		}
	}); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		cl.Disconnect(0)
		return nil, fmt.Errorf("observer subscribe: %v", t.Error())
	}
	return cl, nil
}

// broker connects as the gateway and tries its ACL: it may publish its own topics, and may
// neither forge its own commands nor touch another gateway's topics.
func (c *commissioning) broker(ctx context.Context) {
	m := c.cfg.MQTT
	tlsOn := strings.HasPrefix(m.URL, "ssl://") || strings.HasPrefix(m.URL, "tls://") || strings.HasPrefix(m.URL, "mqtts://")
	c.say("broker %s (TLS %v, user %q)", m.URL, tlsOn, m.Username)
	cl, err := c.gatewayClient(c.cfg.Gateway + "-commission-" + nonce())
	if err != nil {
		c.check("broker reachable", false, fmt.Sprintf("%s: %v", m.URL, err))
		return
	}
	defer cl.Disconnect(250)
	detail := "connected to " + m.URL
	if tlsOn {
		detail += " over TLS (certificate checked against " + orDefault(m.TLS.CAFile, "the system roots") + ")"
		if m.TLS.CertFile != "" {
			detail += ", with the gateway's client certificate"
		}
	} else {
		detail += " without TLS"
	}
	c.check("broker reachable", true, detail)

	root := wire.Topics(c.cfg.Site, c.cfg.Gateway)
	own := root.Root() + "/cmd/commission-" + nonce() + "/reply"
	other := wire.Topics(c.cfg.Site, "commission-probe-"+nonce()).Root()
	seen := make(chan string, 8)
	obs, err := c.observer("sitegate/v1/"+c.cfg.Site+"/#", seen)
	if err != nil {
		c.check("ACL observer", false, err.Error())
	}
	if obs != nil {
		defer obs.Disconnect(250)
	}
	// 1. Its own topic: acknowledged, and delivered when an observer can tell.
	t := cl.Publish(own, 1, false, []byte(`{"schema":"sitegate.reply/v1","id":"commission","cmd":"commission","ok":true}`))
	okPub := t.WaitTimeout(10*time.Second) && t.Error() == nil
	switch {
	case !okPub:
		c.check("ACL: publishes its own topics", false, fmt.Sprintf("publish to %s not acknowledged: %v", own, t.Error()))
	case obs == nil:
		c.check("ACL: publishes its own topics", true, "publish to "+own+" acknowledged (give an observer user to see it delivered)")
	default:
		c.check("ACL: publishes its own topics", waitTopic(seen, own, 3*time.Second), "publish to "+own+" seen by the observer")
	}
	// 2. Another gateway's topic, and 3. its own command topic: neither may get through. The
	// gateway listens on both (it may read its own commands), so a forgery is seen.
	forged := make(chan string, 8)
	hear := func(_ paho.Client, m paho.Message) {
		select {
		case forged <- m.Topic():
		default:
		}
	}
	cl.Subscribe(other+"/#", 1, hear).WaitTimeout(5 * time.Second)
	cl.Subscribe(root.Root()+"/cmd/+", 1, hear).WaitTimeout(5 * time.Second)
	for _, probe := range []struct{ name, topic string }{
		{"ACL: cannot touch another gateway's topics", other + "/passage"},
		{"ACL: cannot forge its own commands", root.Root() + "/cmd/commission-probe"},
	} {
		cl.Publish(probe.topic, 1, false, []byte(`{"commission":"probe"}`)).WaitTimeout(5 * time.Second)
		delivered := waitTopic(forged, probe.topic, 2*time.Second)
		if obs != nil && !delivered {
			delivered = waitTopic(seen, probe.topic, time.Second)
		}
		if delivered {
			c.check(probe.name, false, "a publish to "+probe.topic+" was delivered: the broker's ACL lets this gateway's user write there")
		} else {
			c.check(probe.name, true, "a publish to "+probe.topic+" was refused or not delivered")
		}
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func waitTopic(ch <-chan string, topic string, within time.Duration) bool {
	deadline := time.After(within)
	for {
		select {
		case t := <-ch:
			if t == topic {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func (c *commissioning) clock() {
	st := clock.System().State()
	detail := fmt.Sprintf("source %s, max error %s, now %s", orDefault(st.Source, "unknown"), st.MaxError, st.Now.UTC().Format(time.RFC3339))
	if p := st.Problem(); p != "" {
		detail = p + "; " + detail
	}
	c.check("clock synchronised", st.Synced, detail)
}

// disk checks the store's file system has room for store.max_bytes and the reserve.
func (c *commissioning) disk() {
	dir := c.cfg.Store.Dir
	for {
		if _, err := os.Stat(dir); err == nil || dir == filepath.Dir(dir) {
			break
		}
		dir = filepath.Dir(dir)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		c.check("disk free", false, fmt.Sprintf("%s: %v", dir, err))
		return
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	need := int64(c.cfg.Store.MaxBytes) + int64(c.cfg.Store.ReserveBytes)
	c.check("disk free", free >= need, fmt.Sprintf("%s free on %s; store.max_bytes %s + store.reserve_bytes %s = %s",
		config.Size(free), dir, c.cfg.Store.MaxBytes, c.cfg.Store.ReserveBytes, config.Size(need)))
}

// truck runs the agent and waits for the test truck's passage, checked end to end from the
// broker's side.
func (c *commissioning) truck(ctx context.Context) {
	if len(c.o.Exec) == 0 {
		c.check("test truck passage", false, "no agent to run")
		return
	}
	plat := newPlatform()
	user, pw := c.o.ObserverUsername, c.o.ObserverPassword
	if user == "" {
		user = c.cfg.MQTT.Username
		if c.cfg.MQTT.PasswordFile != "" {
			pw, _ = mqttconn.ReadPasswordFile(c.cfg.MQTT.PasswordFile)
		}
	}
	if err := plat.connect(c.cfg.MQTT.URL, user, pw, wire.Topics(c.cfg.Site, c.cfg.Gateway).All()); err != nil {
		c.check("test truck passage", false, "cannot watch the gateway's topics: "+err.Error())
		return
	}
	defer plat.close()
	a := &agentProc{exec: c.o.Exec, config: c.o.Config, log: c.log}
	if err := a.start(); err != nil {
		c.check("agent started", false, err.Error())
		return
	}
	defer a.stop(syscall.SIGTERM, 20*time.Second)
	r := &run{plat: plat}
	if !r.waitUntil(ctx, 30*time.Second, plat.isOnline) {
		c.check("agent online", false, "no online status within 30 s")
		return
	}
	c.check("agent online", true, "the agent runs and its retained status is online")
	lane := c.cfg.Lanes[0].ID
	c.say("drive the test truck %s (%.0f kg) across lane %s now; waiting up to %s", c.o.Plate, c.o.TruckKg, lane, c.o.TruckWait)
	if c.o.OnStep != nil {
		c.o.OnStep("truck")
	}
	start := time.Now()
	var got *arrival
	r.waitUntil(ctx, c.o.TruckWait, func() bool {
		ps, _, _, _, _ := plat.snapshot()
		for i := range ps {
			if ps[i].At.After(start) && ps[i].Passage.Plate != nil && ps[i].Passage.Plate.Text == c.o.Plate {
				got = &ps[i]
				return true
			}
		}
		return false
	})
	if got == nil {
		ps, _, _, _, _ := plat.snapshot()
		var seen []string
		for _, a := range ps {
			seen = append(seen, describe(a.Passage))
		}
		c.check("test truck passage", false, fmt.Sprintf("no passage of %s within %s; received: %v", c.o.Plate, c.o.TruckWait, seen))
		return
	}
	time.Sleep(500 * time.Millisecond) // its evidence came first; let the subscriber finish
	_, _, _, evidence, _ := plat.snapshot()
	p := got.Passage
	seen := Seen{Passage: p, Arrived: got.At, Deliveries: 1, Evidence: map[string][]byte{}}
	for _, e := range p.Evidence {
		if b, ok := evidence[p.ID+"/"+e.Name]; ok {
			seen.Evidence[e.Name] = b
		}
	}
	if end, err := time.Parse(time.RFC3339Nano, p.EndedAt); err == nil {
		seen.LatencyMs = float64(got.At.Sub(end).Microseconds()) / 1000
	}
	c.res.Passages = append(c.res.Passages, seen)
	var bad []string
	if p.Weight == nil || !p.Weight.Stable {
		bad = append(bad, "no stable weight")
	} else if math.Abs(p.Weight.GrossKg-c.o.TruckKg) > c.o.ToleranceKg {
		bad = append(bad, fmt.Sprintf("weighed %.0f kg, the truck is %.0f ± %.0f kg", p.Weight.GrossKg, c.o.TruckKg, c.o.ToleranceKg))
	}
	if len(seen.Evidence) < len(p.Evidence) {
		bad = append(bad, fmt.Sprintf("%d evidence listed, %d received", len(p.Evidence), len(seen.Evidence)))
	}
	if len(bad) > 0 {
		c.check("test truck passage", false, strings.Join(bad, "; ")+" — "+describe(p))
		return
	}
	c.check("test truck passage", true, fmt.Sprintf("%s, %d evidence received, %.0f ms from leaving the deck to the broker", describe(p), len(seen.Evidence), seen.LatencyMs))
}
