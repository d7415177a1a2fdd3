package cli_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	"sitegate/testbench/broker"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/platecam"
)

// vendorCamera is one emulated plate camera of a lane, as a vendor test drives it.
type vendorCamera struct {
	yaml     string                                       // the plate.cameras entry
	read     func(t *testing.T, plate string, kg float64) // the camera reads a plate
	barriers func() []platecam.BarrierCommand
}

// withPlateCameras rewrites a test site's lane: its plate cameras and an enforcing barrier.
func withPlateCameras(t testing.TB, s *site, cameras, barrier string) {
	t.Helper()
	b, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	old := "    plate: {listen: \"" + s.plateAddr + "\"}\n"
	if !strings.Contains(string(b), old) {
		t.Fatalf("the site's config has no plate block to rewrite:\n%s", b)
	}
	repl := "    plate:\n      listen: \"" + s.plateAddr + "\"\n      cameras:\n" + cameras + "    barrier: " + barrier + "\n"
	if err := os.WriteFile(s.config, []byte(strings.Replace(string(b), old, repl, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// crossing plays one truck of kg over the deck, with the camera's read as it drives on, and
// returns its decision and passage.
func crossing(t *testing.T, s *site, cam vendorCamera, msgs <-chan broker.Msg, plate string, kg float64) (wire.Decision, wire.Passage) {
	return crossingThen(t, s, cam, msgs, plate, kg, nil)
}

// crossingThen is crossing with onDecision called, while the truck is still on the deck, with
// the barrier's decision.
func crossingThen(t *testing.T, s *site, cam vendorCamera, msgs <-chan broker.Msg, plate string, kg float64, onDecision func(wire.Decision)) (wire.Decision, wire.Passage) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emu := indicatoremu.New(lockedWriter{s}, 100*time.Millisecond, indicatoremu.Options{})
	go emu.Run(ctx)
	cam.read(t, plate, kg)
	played := make(chan error, 1)
	go func() { played <- emu.Play(ctx, indicatoremu.Truck(kg)) }()
	var d wire.Decision
	var p wire.Passage
	gotD, gotP := false, false
	for !gotD || !gotP {
		m := await(t, msgs, 40*time.Second, "decision and passage of "+plate, func(m broker.Msg) bool {
			return strings.HasSuffix(m.Topic, "/decision") || isPassage(m)
		})
		if isPassage(m) {
			if json.Unmarshal(m.Payload, &p) != nil || p.Plate == nil || p.Plate.Text != plate {
				t.Fatalf("passage %s", m.Payload)
			}
			gotP = true
			continue
		}
		var dd wire.Decision
		if err := json.Unmarshal(m.Payload, &dd); err != nil {
			t.Fatal(err)
		}
		if dd.ReleasedBy == "" && !gotD {
			d, gotD = dd, true
			if onDecision != nil {
				onDecision(d)
			}
		}
	}
	if err := <-played; err != nil {
		t.Fatal(err)
	}
	return d, p
}

func opens(cmds []platecam.BarrierCommand) int {
	n := 0
	for _, c := range cmds {
		if c.Action == "open" {
			n++
		}
	}
	return n
}

// TestPlateCamerasDriveTheBarrier: for each vendor's camera (emulated byte for byte), a clean
// registered truck gives a passage with the camera's plate, colour, vendor, camera and pictures,
// and its barrier is opened through the camera; an overloaded one is held, its barrier stays shut,
// and the decision says why.
func TestPlateCamerasDriveTheBarrier(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	plateJPEG, err := platecam.Picture(240, 80, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	sceneJPEG, err := platecam.Picture(640, 360, 30000, 2)
	if err != nil {
		t.Fatal(err)
	}
	vendors := []struct {
		name  string
		setup func(t *testing.T, s *site) vendorCamera
		// pictures are the evidence names the camera's pictures become.
		pictures []string
	}{
		{"hikvision push", func(t *testing.T, s *site) vendorCamera {
			cam, err := platecam.NewHikvisionCamera(platecam.CameraOptions{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(cam.Handler()) // its barrier and snapshot resources
			t.Cleanup(srv.Close)
			pw := writeTemp(t, []byte(platecam.DefaultPassword+"\n"))
			return vendorCamera{
				yaml: "        - {id: front, vendor: hikvision, mode: push, url: \"" + srv.URL + "\", username: admin, password_file: \"" + pw + "\"}\n",
				read: func(t *testing.T, plate string, _ float64) {
					a := platecam.HikvisionAlert{Plate: plate, Color: "yellow", ColorWord: true, PlateType: "yellowTwoLine",
						PlatePicture: plateJPEG, ScenePicture: sceneJPEG}
					retry(t, func() error {
						return platecam.HikvisionPush(context.Background(), "http://"+s.plateAddr+"/v1/plate/hikvision/exit-1", a, platecam.HikvisionPushOptions{})
					})
				},
				barriers: cam.Barriers,
			}
		}, []string{"plate.jpg", "front-scene.jpg"}},
		{"vzenith push", func(t *testing.T, s *site) vendorCamera {
			cam := &platecam.VzenithCamera{URL: "http://" + s.plateAddr + "/v1/plate/vzenith/exit-1", IPAddr: "127.0.0.1", User: "admin", Password: "camera-web-login"}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() {
				cam.RunHeartbeats(ctx, 200*time.Millisecond, func(r platecam.VzenithReply, err error) {
					if err == nil && strings.Contains(string(r.Raw), "camera-web-login") {
						t.Errorf("a reply echoes the camera's password: %s", r.Raw)
					}
				})
			})
			t.Cleanup(func() { cancel(); wg.Wait() })
			return vendorCamera{
				yaml: "        - {id: front, vendor: vzenith, mode: push, url: \"http://127.0.0.1\"}\n",
				read: func(t *testing.T, plate string, _ float64) {
					retry(t, func() error {
						r, err := cam.Push(context.Background(), platecam.VzenithRead{Plate: plate, ColorType: 2, Type: 4, Image: sceneJPEG, Fragment: plateJPEG})
						if err == nil && r.Info == "ok" {
							t.Errorf("the reply to a push opens the barrier before any decision: %s", r.Raw)
						}
						return err
					})
				},
				barriers: cam.Barriers,
			}
		}, []string{"plate.jpg", "front-scene.jpg"}},
		{"dahua pull", func(t *testing.T, s *site) vendorCamera {
			cam, err := platecam.NewDahuaCamera(platecam.CameraOptions{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(cam.Handler())
			t.Cleanup(srv.Close)
			pw := writeTemp(t, []byte(platecam.DefaultPassword))
			return vendorCamera{
				yaml: "        - {id: front, vendor: dahua, mode: pull, url: \"" + srv.URL + "\", username: admin, password_file: \"" + pw + "\"}\n",
				read: func(t *testing.T, plate string, _ float64) {
					deadline := time.Now().Add(20 * time.Second)
					for cam.Emit(platecam.DahuaEvent{Plate: plate, Color: "yellow", Picture: sceneJPEG}) == 0 {
						if time.Now().After(deadline) {
							t.Fatal("the agent never held the camera's event stream")
						}
						time.Sleep(50 * time.Millisecond)
					}
				},
				barriers: cam.Barriers,
			}
		}, []string{"front-scene.jpg"}},
	}
	for _, v := range vendors {
		t.Run(v.name, func(t *testing.T) {
			b := broker.StartMosquitto(t)
			s := newSite(t, b.URL())
			cam := v.setup(t, s)
			withPlateCameras(t, s, cam.yaml, "{mode: enforce, via: front}")
			msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
			runAgent(t, s)

			d, p := crossing(t, s, cam, msgs, "浙F12345", 24000)
			if d.Action != "open" || len(d.Reasons) != 0 || d.Mode != "enforce" || d.Plate == nil || d.Plate.Text != "浙F12345" {
				t.Errorf("clean truck: decision %+v", d)
			}
			if n := opens(cam.barriers()); n != 1 {
				t.Errorf("clean truck: the camera was told to open %d times: %v", n, cam.barriers())
			}
			vendor := strings.Fields(v.name)[0]
			if pl := p.Plate; pl.Vendor != vendor || pl.Camera != "front" || pl.Color != "yellow" || p.Barrier == nil || p.Barrier.Action != "open" {
				t.Errorf("clean truck: passage plate %+v barrier %+v", pl, p.Barrier)
			}
			var names []string
			for _, e := range p.Evidence {
				names = append(names, e.Name)
			}
			for _, want := range v.pictures {
				if !slices.Contains(names, want) {
					t.Errorf("evidence %v lacks the camera's %s", names, want)
				}
			}

			d, p = crossing(t, s, cam, msgs, "浙F12345", 31200)
			if d.Action != "hold" || !slices.Equal(d.Reasons, []string{"overload"}) {
				t.Errorf("overloaded truck: decision %+v", d)
			}
			if n := opens(cam.barriers()); n != 1 {
				t.Errorf("overloaded truck: the camera was told to open (%d opens in all)", n)
			}
			if p.Barrier == nil || p.Barrier.Action != "hold" || !slices.Contains(p.Alarms, "overload") {
				t.Errorf("overloaded truck: passage barrier %+v alarms %v", p.Barrier, p.Alarms)
			}

			// A guard releases the next held truck: the camera opens, the passage says who and why.
			d, p = crossingThen(t, s, cam, msgs, "浙F12345", 31200, func(d wire.Decision) {
				if code, out := ctl(t, b.URL(), "cmd", "barrier", "--arg", "lane=exit-1", "--arg", "action=open",
					"--arg", "by=guard-7", "--arg", "reason=reweighed on the second scale"); code != 0 {
					t.Errorf("cmd barrier: exit %d\n%s", code, out)
				}
			})
			if d.Action != "hold" {
				t.Errorf("released truck: first decision %+v", d)
			}
			if n := opens(cam.barriers()); n != 2 {
				t.Errorf("released truck: %d opens in all, want 2", n)
			}
			if p.Barrier == nil || p.Barrier.Action != "open" || p.Barrier.ReleasedBy != "guard-7" || p.Barrier.Reason == "" {
				t.Errorf("released truck: passage barrier %+v", p.Barrier)
			}
		})
	}
}

// retry calls push until the agent's listener is up.
func retry(t *testing.T, push func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := push()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("plate push: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkReadToDecision measures, per truck and vendor, the time from the camera's read (the
// push sent, or the event written to the pulled stream) to the barrier's decision arriving at a
// subscriber of a real mosquitto, with the truck already at a stable weight on the deck (advise
// mode: the decision does not wait for the camera to open). Reports the median and the maximum
// over b.N trucks (use -benchtime=20x).
func BenchmarkReadToDecision(b *testing.B) {
	for _, vendor := range []string{"hikvision", "vzenith", "dahua"} {
		b.Run(vendor, func(b *testing.B) {
			mq := broker.StartMosquitto(b)
			s := newSite(b, mq.URL())
			var send func(plate string)
			var cameraYAML string
			switch vendor {
			case "hikvision":
				cameraYAML = "        - {id: front, vendor: hikvision, mode: push}\n"
				send = func(plate string) {
					for platecam.HikvisionPush(context.Background(), "http://"+s.plateAddr+"/v1/plate/hikvision/exit-1",
						platecam.HikvisionAlert{Plate: plate, Color: "yellow"}, platecam.HikvisionPushOptions{}) != nil {
						time.Sleep(20 * time.Millisecond)
					}
				}
			case "vzenith":
				cam := &platecam.VzenithCamera{URL: "http://" + s.plateAddr + "/v1/plate/vzenith/exit-1", IPAddr: "127.0.0.1"}
				cameraYAML = "        - {id: front, vendor: vzenith, mode: push, url: \"http://127.0.0.1\"}\n"
				send = func(plate string) {
					for {
						if _, err := cam.Push(context.Background(), platecam.VzenithRead{Plate: plate, ColorType: 2, Image: []byte{}, Fragment: []byte{}}); err == nil {
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
			case "dahua":
				cam, err := platecam.NewDahuaCamera(platecam.CameraOptions{})
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(cam.Handler())
				b.Cleanup(srv.Close)
				pw := writeTemp(b, []byte(platecam.DefaultPassword))
				cameraYAML = "        - {id: front, vendor: dahua, mode: pull, url: \"" + srv.URL + "\", username: admin, password_file: \"" + pw + "\"}\n"
				send = func(plate string) {
					for cam.Emit(platecam.DahuaEvent{Plate: plate, Color: "yellow"}) == 0 { // with the camera's picture, as an ITC sends it
						time.Sleep(20 * time.Millisecond)
					}
				}
			}
			withPlateCameras(b, s, cameraYAML, "{mode: advise}")
			sub := broker.Subscribe(b, mq.URL(), "sitegate/v1/e2e-site/gw-07/decision")
			runAgent(b, s)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			emu := indicatoremu.New(lockedWriter{s}, 50*time.Millisecond, indicatoremu.Options{})
			go emu.Run(ctx)
			hold := indicatoremu.Profile{
				{From: 0, To: 0, For: 300 * time.Millisecond},
				{From: 0, To: 24000, For: 500 * time.Millisecond},
				{From: 24000, To: 24000, For: 4 * time.Second},
				{From: 24000, To: 0, For: 300 * time.Millisecond},
				{From: 0, To: 0, For: 1500 * time.Millisecond},
			}
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				played := make(chan error, 1)
				go func() { played <- emu.Play(ctx, hold) }()
				time.Sleep(3 * time.Second) // on the deck and stable (stable_window 1.5 s)
				at := time.Now()
				send("浙F12345")
				select {
				case <-sub:
					lat = append(lat, time.Since(at))
				case <-time.After(20 * time.Second):
					b.Fatalf("truck %d: no decision", i)
				}
				if err := <-played; err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}

// BenchmarkIdlePull measures the CPU the process spends holding one pulled camera's event stream
// while nothing passes (heartbeats only: Hikvision's every second, Dahua's heartbeat=5), client
// and emulated camera together, as a share of one core over the benchmark's wall time (use
// -benchtime=1x; each run holds the stream for 30 s).
func BenchmarkIdlePull(b *testing.B) {
	for _, vendor := range []string{"hikvision", "dahua"} {
		b.Run(vendor, func(b *testing.B) {
			var h http.Handler
			switch vendor {
			case "hikvision":
				cam, err := platecam.NewHikvisionCamera(platecam.CameraOptions{Heartbeat: time.Second})
				if err != nil {
					b.Fatal(err)
				}
				h = cam.Handler()
			case "dahua":
				cam, err := platecam.NewDahuaCamera(platecam.CameraOptions{})
				if err != nil {
					b.Fatal(err)
				}
				h = cam.Handler()
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c, err := plate.NewPull(vendor, plate.PullOptions{Camera: "front", Lane: "exit-1", URL: srv.URL, Username: "admin",
				Password: platecam.DefaultPassword, Sink: func(plate.Read) {}, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			var cpu, wall time.Duration
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				var r0, r1 syscall.Rusage
				syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
				start := time.Now()
				c.Run(ctx)
				wall += time.Since(start)
				syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
				cpu += time.Duration(r1.Utime.Nano()-r0.Utime.Nano()) + time.Duration(r1.Stime.Nano()-r0.Stime.Nano())
				cancel()
			}
			if st := c.Status(); st.Reconnects > 0 || st.LastError != "" {
				b.Fatalf("the stream did not hold: %+v", st)
			}
			b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "%core")
		})
	}
}
