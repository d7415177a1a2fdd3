// Package demo runs the whole system on one machine: an embedded MQTT broker, an indicator
// emulator on a pty pair, a plate-camera emulator pushing over HTTP, a generated clip as the
// camera, the real agent started from a config file, and a live view of what it publishes.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/gateway"
	"sitegate/agent/mqttconn"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	mudmodel "sitegate/models/mud/model"
	"sitegate/testbench/broker"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/platecam"
	"sitegate/testbench/pty"
	"sitegate/testbench/scene"
)

// Options configure a demo run.
type Options struct {
	Dir     string    // data, config and received evidence live here
	Forever bool      // keep sending trucks until ctx is done
	Out     io.Writer // the live view
	Log     *slog.Logger
	// Trucks overrides the default three trucks.
	Trucks []Truck
	// OnPassage, if set, sees every passage the live view receives, after its evidence.
	OnPassage func(p wire.Passage, evidenceFiles map[string]string)
}

// Truck is one scripted truck.
type Truck struct {
	Plate   string
	Color   string
	GrossKg float64
	Mud     scene.Severity // how the camera sees its wheels and body
	Note    string         // what the demo expects of it
}

// DefaultTrucks are the demo's three trucks: one overloaded, one unregistered, one fine.
var DefaultTrucks = []Truck{
	{Plate: "浙F12345", Color: "yellow", GrossKg: 31200, Mud: scene.Clean, Note: "registered 3-axle, overloaded"},
	{Plate: "苏A99999", Color: "yellow", GrossKg: 18000, Mud: scene.Heavy, Note: "not in the registry, wheels caked in mud"},
	{Plate: "浙F66666", Color: "yellow", GrossKg: 15600, Mud: scene.Clean, Note: "registered 2-axle, clean, fine"},
}

const registryJSON = `{"version": 1, "vehicles": [
  {"plate": "浙F12345", "axles": 3, "max_gross_kg": 30000, "rated_load_kg": 16000},
  {"plate": "浙F66666", "axles": 2, "max_gross_kg": 18000, "rated_load_kg": 9000}
]}
`

// Run runs the demo until its trucks have passed (or ctx is done with Forever).
func Run(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	o.Out = &lockedWriter{w: o.Out} // the live view prints from the MQTT client's goroutine too
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	trucks := o.Trucks
	if trucks == nil {
		trucks = DefaultTrucks
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	b, err := broker.Mochi("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("embedded broker: %w", err)
	}
	defer b.Close()

	master, port, err := pty.Open()
	if err != nil {
		return fmt.Errorf("pty pair for the indicator: %w", err)
	}
	defer master.Close()

	cam, err := startGateCamera()
	if err != nil {
		return fmt.Errorf("gate camera: %w", err)
	}
	defer cam.Close()
	regFile := filepath.Join(o.Dir, "registry.json")
	if err := os.WriteFile(regFile, []byte(registryJSON), 0o644); err != nil {
		return err
	}
	plateAddr, err := freeAddr()
	if err != nil {
		return err
	}
	modelSpec, err := mudmodel.Write(filepath.Join(o.Dir, "model"))
	if err != nil {
		return err
	}
	cfgFile := filepath.Join(o.Dir, "sitegate.yaml")
	if err := writeConfig(cfgFile, map[string]string{
		"BrokerURL": b.URL(), "StoreDir": filepath.Join(o.Dir, "data"), "RegistryFile": regFile,
		"Port": port, "PlateListen": plateAddr, "CameraURL": cam.URL(), "MudModel": modelSpec, "LogLevel": "info",
	}); err != nil {
		return err
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}

	view := newViewer(o.Out, filepath.Join(o.Dir, "evidence"))
	view.onPassage = o.OnPassage
	sub, err := view.connect(b.URL(), wire.Topics(cfg.Site, cfg.Gateway).All())
	if err != nil {
		return err
	}
	defer sub.Disconnect(250)

	ready := make(chan struct{})
	g, err := gateway.New(cfg, gateway.Options{Logger: o.Log, Ready: ready})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	agentErr := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); agentErr <- g.Run(ctx) }()
	defer cancel()

	emu := indicatoremu.New(master, 100*time.Millisecond, indicatoremu.Options{GarbageEvery: 25, Seed: time.Now().UnixNano()})
	wg.Add(1)
	go func() { defer wg.Done(); _ = emu.Run(ctx) }()

	camLine := cam.URL() + " (MJPEG stream of generated gate scenes)"
	if cam.URL() == "" {
		camLine = "none: this build has no OpenCV (-tags nocv)"
	}
	fmt.Fprintf(o.Out, "sitegate demo\n  broker        %s (embedded)\n  indicator     yaohua-tf0 on %s (emulated, with line noise)\n  plate camera  POST http://%s/v1/plate (emulated)\n  camera        %s\n  config        %s\n  evidence to   %s\n\n",
		b.URL(), port, plateAddr, camLine, cfgFile, view.evidenceDir)
	select {
	case <-ready:
	case err := <-agentErr:
		return fmt.Errorf("agent: %w", err)
	case <-ctx.Done():
		return nil
	}

	for round := 0; ; round++ {
		for i, t := range trucks {
			fmt.Fprintf(o.Out, "truck %d: %s drives up (%s, %.0f kg)\n", round*len(trucks)+i+1, t.Plate, t.Note, t.GrossKg)
			if err := cam.show(t, round*len(trucks)+i); err != nil {
				o.Log.Warn("gate camera not updated", "err", err)
			}
			select { // let the new picture reach the agent through the stream
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
			if err := pushPlate(ctx, plateAddr, t); err != nil {
				return fmt.Errorf("plate push: %w", err)
			}
			if err := emu.Play(ctx, indicatoremu.Truck(t.GrossKg)); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			select {
			case <-view.passages:
			case <-time.After(30 * time.Second):
				return errors.New("no passage arrived within 30 s of the truck leaving")
			case <-ctx.Done():
				return nil
			case err := <-agentErr:
				return fmt.Errorf("agent stopped: %w", err)
			}
		}
		if !o.Forever {
			break
		}
	}
	fmt.Fprintf(o.Out, "\n%d passages received. Data, config and evidence are in %s\n", len(trucks), o.Dir)
	cancel()
	return nil
}

// pushPlate sends a truck's plate, waiting up to 10 s for the agent's listener to come up.
func pushPlate(ctx context.Context, addr string, t Truck) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := platecam.Push(ctx, "http://"+addr+"/v1/plate", platecam.PushRequest{
			Lane: "exit-1", Plate: t.Plate, Color: t.Color, Confidence: 0.96, Image: true,
		})
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func writeConfig(path string, fields map[string]string) error {
	t, err := template.New("demo.yaml").Option("missingkey=error").Parse(config.DemoTemplate())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, fields); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// lockedWriter serialises writes from the demo's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// viewer is the demo's platform side: it prints passages as they arrive and saves evidence.
type viewer struct {
	out         io.Writer
	evidenceDir string
	passages    chan wire.Passage
	mu          sync.Mutex
	saved       map[string]string // evidence topic suffix → file
	lastState   string
	onPassage   func(wire.Passage, map[string]string)
}

func newViewer(out io.Writer, dir string) *viewer {
	return &viewer{out: out, evidenceDir: dir, passages: make(chan wire.Passage, 16), saved: map[string]string{}}
}

func (v *viewer) connect(url, topic string) (mqtt.Client, error) {
	c := mqtt.NewClient(mqttconn.ClientOptions(mqttconn.Params{URL: url, ClientID: "sitegate-demo-view", Ordered: true, AutoReconnect: true}))
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("demo view: connect %s: %v", url, t.Error())
	}
	if t := c.Subscribe(topic, 1, v.handle); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		c.Disconnect(0)
		return nil, fmt.Errorf("demo view: subscribe: %v", t.Error())
	}
	return c, nil
}

func (v *viewer) handle(_ mqtt.Client, m mqtt.Message) {
	t, err := wire.Parse(m.Topic())
	if err != nil || t.Gateway == "" {
		return
	}
	switch kind := t.Kind; {
	case kind == wire.KindEvidence && len(t.Rest) == 2:
		id, name := t.Rest[0], t.Rest[1]
		dir := filepath.Join(v.evidenceDir, id)
		file := filepath.Join(dir, filepath.Base(name))
		if err := os.MkdirAll(dir, 0o755); err == nil {
			if err := os.WriteFile(file, m.Payload(), 0o644); err == nil {
				v.mu.Lock()
				v.saved[id+"/"+name] = file
				v.mu.Unlock()
			}
		}
	case kind == wire.KindPassage:
		var p wire.Passage
		if err := json.Unmarshal(m.Payload(), &p); err != nil {
			fmt.Fprintf(v.out, "  (unreadable passage: %v)\n", err)
			return
		}
		files := v.print(p)
		if v.onPassage != nil {
			v.onPassage(p, files)
		}
		select {
		case v.passages <- p:
		default:
		}
	case kind == wire.KindStatus:
		var s struct{ State string }
		if json.Unmarshal(m.Payload(), &s) == nil && s.State != v.lastState {
			v.lastState = s.State
			fmt.Fprintf(v.out, "  gateway status: %s\n", s.State)
		}
	}
}

func (v *viewer) print(p wire.Passage) map[string]string {
	plateText, weight := "(no plate)", "(no weight)"
	if p.Plate != nil {
		plateText = p.Plate.Text
	}
	if p.Weight != nil {
		weight = fmt.Sprintf("%.0f kg", p.Weight.GrossKg)
	}
	ov := p.Checks.Overload
	overload := string(ov.Verdict)
	if ov.OverKg != nil {
		overload = fmt.Sprintf("%s (limit %.0f kg by %s, over %.0f kg = %.1f%%)", ov.Verdict, ov.LimitKg, ov.Basis, *ov.OverKg, *ov.OverPct)
	}
	mud := string(p.Checks.Mud.Verdict)
	if m := p.Checks.Mud; m.Score != nil {
		mud = fmt.Sprintf("%s (score %.2f, threshold %.2f, %s scorer on %s)", m.Verdict, *m.Score, m.Threshold, m.Scorer, m.Camera)
	} else if m.Reason != "" {
		mud += " (" + m.Reason + ")"
	}
	alarms := "none"
	if len(p.Alarms) > 0 {
		alarms = strings.ToUpper(strings.Join(p.Alarms, ", "))
	}
	fmt.Fprintf(v.out, "passage #%d %s  %s  %s\n  overload  %s\n  registry  %s\n  mud       %s\n  ALARMS    %s\n",
		p.Seq, p.ID, plateText, weight, overload, p.Checks.Registry.Verdict, mud, alarms)
	v.mu.Lock()
	defer v.mu.Unlock()
	files := map[string]string{}
	for _, e := range p.Evidence {
		where := "(not received)"
		if f, ok := v.saved[p.ID+"/"+e.Name]; ok {
			where, files[e.Name] = f, f
		}
		also := ""
		if len(e.Also) > 0 {
			also = ", also " + strings.Join(e.Also, ", ") // the same bytes, sent once
		}
		if e.OnRequest {
			where = "(kept in the archive: cmd/evidence)"
		}
		fmt.Fprintf(v.out, "  evidence  %s (%d bytes%s) saved at %s\n", e.Name, e.Bytes, also, where)
	}
	if p.Signature != nil {
		fmt.Fprintf(v.out, "  signed    ed25519 by %s, after seq %d\n", p.Signature.Key, p.PrevSeq)
	}
	fmt.Fprintln(v.out)
	return files
}
