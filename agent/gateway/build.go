package gateway

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"sitegate/agent/checks"
	checkcover "sitegate/agent/checks/cover"
	checkmud "sitegate/agent/checks/mud"
	"sitegate/agent/lane"
	"sitegate/agent/mqttconn"
	"sitegate/agent/mudlearn"
	"sitegate/agent/mudwatch"
	"sitegate/agent/washbay"
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/drivers/indicator"
	"sitegate/drivers/plate"
	"sitegate/drivers/serialport"
	config "sitegate/firmware-config"
	"sitegate/models/deck"
	"sitegate/models/mud"
)

// builder makes the gateway's lanes and plate listeners from their config (parts.Builder).
type builder struct{ g *Gateway }

// laneUnit is one lane with its cameras and their mud watchers.
type laneUnit struct {
	cfg      config.Lane
	lane     *lane.Lane
	cams     []*camera.Camera
	watchers []*mudwatch.Watcher
	mud      map[string]*mudwatch.Watcher // by camera id
	cover    map[string]*mudwatch.Watcher // by camera id
	mudOf    []*mudwatch.Watcher          // by camera (cams[i]); nil where a camera has no mud check
	pulls    []plate.PullClient           // the plate cameras whose event stream the lane holds
	bay      *washbay.Bay                 // the lane's wash bay, where one is watched
	log      func(msg string, args ...any)

	started            atomic.Int64 // when the unit started (unix ns): an indicator silent since is silent
	stopLane, stopCams context.CancelFunc
	laneDone, camsDone sync.WaitGroup
}

// Unit builds lane lc, its cameras and its checks; nothing runs before Start.
func (b builder) Unit(lc config.Lane) *laneUnit {
	g := b.g
	u := &laneUnit{cfg: lc, log: g.log.Error, mud: map[string]*mudwatch.Watcher{}, cover: map[string]*mudwatch.Watcher{}}
	var cams []lane.Camera
	var checkCams []checks.Camera
	for _, cc := range lc.Cameras {
		co := cameraOptions(g, lc.ID, cc)
		cam := camera.New(co)
		u.cams = append(u.cams, cam)
		lcam := lane.Camera{ID: cc.ID, Snapshot: func() ([]byte, time.Time, error) { return cam.Snapshot(85) }}
		if mode := co.Effective(); mode != camera.CaptureContinuous {
			lcam.Demand = cam.SetDemand
			if mode == camera.CaptureOnDemand && co.Clip.Before+co.Clip.After > 0 {
				lcam.MarkClip, lcam.Clip, lcam.ClipUpload = cam.MarkClip, cam.Clip, cc.Clip.Upload
			}
		}
		cams = append(cams, lcam)
		cv := checks.Camera{ID: cc.ID, Vision: map[string]checks.VisionWatcher{}}
		w := newMudWatcher(g, lc.ID, cc, cam)
		if w != nil {
			cv.Vision[checkmud.Name] = w
			u.watchers = append(u.watchers, w)
			u.mud[cc.ID] = w
		}
		u.mudOf = append(u.mudOf, w)
		if cw := newCoverWatcher(g, lc.ID, cc, cam, w == nil); cw != nil {
			cv.Vision[checkcover.Name] = cw
			u.watchers = append(u.watchers, cw)
			u.cover[cc.ID] = cw
		}
		checkCams = append(checkCams, cv)
	}
	var bay checks.WashBay
	if u.bay = newWashBay(g, lc, u.cams); u.bay != nil {
		bay = u.bay
	}
	cs := checks.Build(checks.Deps{Rules: func() config.Rules { return g.ctl.Running().Rules }, Cameras: checkCams,
		Lane: lc.ID, Direction: lc.Direction, Wash: bay, WashWindow: lc.Wash.Window.D(), Manifests: g.man.Load,
		ManifestCheck:  func() string { return g.ctl.Running().Manifests.Check },
		ManifestLedger: g.ledger()})
	u.lane = newLane(g, lc, cams, cs, g.barrier(lc))
	for _, pc := range plateCameras(g, lc) {
		if pc.Mode != "pull" {
			continue
		}
		id, vendor := pc.ID, pc.Vendor
		c, err := plate.NewPull(pc.Vendor, plate.PullOptions{Camera: pc.ID, Lane: lc.ID, URL: pc.URL, Username: pc.Username,
			Password: pc.Password, Logger: g.log, Sink: func(r plate.Read) {
				r.Lane, r.Camera, r.Vendor = lc.ID, id, vendor
				if err := u.lane.Plate(r); err != nil {
					g.log.Warn("plate from a pulled camera not taken", "camera", id, "plate", r.Plate, "err", err)
				}
			}})
		if err != nil {
			g.log.Error("plate camera not started", "lane", lc.ID, "camera", pc.ID, "err", err)
			continue
		}
		u.pulls = append(u.pulls, c)
	}
	return u
}

// cameraOptions are a video camera's driver options from its config.
func cameraOptions(g *Gateway, laneID string, cc config.Camera) camera.Options {
	o := camera.Options{ID: cc.ID, URL: streamURL(g, laneID, cc), Capture: camera.Capture(cc.Capture), Logger: g.log,
		Clip:  camera.ClipOptions{Before: cc.Clip.Before.D(), After: cc.Clip.After.D(), MaxBytes: int(cc.Clip.MaxBytes)},
		Watch: len(cc.Wash.ROIs) > 0} // a wash-bay camera sees the bay while the deck is empty
	if cc.SnapshotURL != "" {
		sc := cc
		sc.URL = cc.SnapshotURL
		o.SnapshotURL = streamURL(g, laneID, sc)
	}
	return o
}

// streamURL is a camera's URL with its login (username and the password file) added, the only
// place the two meet: the config never holds them together, and the camera reports its URL
// redacted.
func streamURL(g *Gateway, laneID string, cc config.Camera) string {
	if cc.Username == "" {
		return cc.URL
	}
	u, err := url.Parse(cc.URL)
	if err != nil || u.Host == "" {
		return cc.URL // a file or a device: no login
	}
	pw := ""
	if cc.PasswordFile != "" {
		p, err := mqttconn.ReadPasswordFile(cc.PasswordFile)
		if err != nil {
			g.log.Error("camera password not read", "lane", laneID, "camera", cc.ID, "err", err)
		}
		pw = p
	}
	u.User = url.UserPassword(cc.Username, pw)
	return u.String()
}

// plateCameras are a lane's plate cameras with their passwords read; a password file that
// cannot be read leaves the camera without one (its requests are then refused, and say so).
func plateCameras(g *Gateway, lc config.Lane) []plate.Camera {
	var out []plate.Camera
	for _, pc := range lc.Plate.Cameras {
		c := plate.Camera{ID: pc.ID, Lane: lc.ID, Vendor: pc.Vendor, Mode: pc.Mode, URL: pc.URL, Username: pc.Username}
		if pc.PasswordFile != "" {
			pw, err := mqttconn.ReadPasswordFile(pc.PasswordFile)
			if err != nil {
				g.log.Error("plate camera password not read", "lane", lc.ID, "camera", pc.ID, "err", err)
			}
			c.Password = pw
		}
		out = append(out, c)
	}
	return out
}

// barrier is a lane's exit barrier: its mode and hold_on, and the camera control that opens it.
func (g *Gateway) barrier(lc config.Lane) lane.BarrierOptions {
	b := lane.BarrierOptions{Mode: lc.Barrier.Mode, Via: lc.Barrier.Via, HoldOn: lc.Barrier.HoldOn}
	if b.Mode == config.BarrierOff || b.Via == "" {
		return b
	}
	for _, c := range plateCameras(g, lc) {
		if c.ID != b.Via {
			continue
		}
		ctl, err := plate.NewControl(plate.ControlOptions{Camera: c, Logger: g.log})
		if err != nil {
			g.log.Error("barrier camera", "lane", lc.ID, "camera", c.ID, "err", err)
		} else if ctl.Barrier != nil {
			b.Open = ctl.Barrier.Open
		} else {
			g.log.Warn("the barrier camera's vendor cannot open a barrier: trucks are held in enforce mode", "lane", lc.ID, "camera", c.ID, "vendor", c.Vendor)
		}
	}
	return b
}

// newLane builds the lane of lc: its serial link and decoder, its deck and its checks.
func newLane(g *Gateway, lc config.Lane, cams []lane.Camera, cs []checks.Check, b lane.BarrierOptions) *lane.Lane {
	bits, parity, stop, _ := serialport.ParseFraming(lc.Scale.Framing) // validated with the config
	mode := serialport.Mode{Baud: lc.Scale.Baud, DataBits: bits, Parity: parity, StopBits: stop}
	backend, _ := serialport.Backend(lc.Scale.Backend) // validated with the config
	// usb:VID:PID[:SERIAL] is looked up at every (re)open, so renumbering does not matter.
	link := serialport.NewLink("scale "+lc.ID, lc.Scale.Port, mode, serialport.WithUSB(backend, nil), serialport.LinkOptions{
		IdleReopen: lc.Scale.SilenceTimeout.D(),
		Logger:     g.log,
	})
	dec, _ := indicator.Lookup(lc.Scale.Protocol)
	laneID := lc.ID
	return lane.New(lane.Options{
		Site: g.cfg.Site, Gateway: g.cfg.Gateway, ID: lc.ID, Direction: lc.Direction,
		PlateWindow: lc.PlateWindow.D(), PlateOnlyTimeout: lc.PlateOnlyTimeout.D(),
		Deck: deck.Params{
			OnKg: lc.Scale.OnDeckKg, OffKg: lc.Scale.OffDeckKg, OffHold: lc.Scale.OffDeckHold.D(),
			StableWindow: lc.Scale.StableWindow.D(), StableBandKg: lc.Scale.StableBandKg, Silence: lc.Scale.SilenceTimeout.D(),
		},
		Link: link, Decoder: dec, Indicator: lc.Scale.IndicatorOptions(), Cameras: cams, Checks: cs,
		Registry: g.reg.Load, Box: g.box, Logger: g.log, Barrier: b,
		ClockSynced:  func() bool { return g.o.Clock.State().Synced },
		Location:     g.cfg.Location(),
		PlateJournal: filepath.Join(g.cfg.Store.Dir, "plates", lc.ID), PlateJournalRoom: g.room,
		OnStored: g.onStored,
		Sealer:   g.sealer(),
		Archive:  g.archivePassage,
		OnDeck: func(e deck.Event) {
			if g.o.OnDeck != nil {
				g.o.OnDeck(laneID, e)
			}
		},
	})
}

// newMudWatcher builds the mud check of a camera that has regions of interest; nil otherwise.
func newMudWatcher(g *Gateway, laneID string, cc config.Camera, cam *camera.Camera) *mudwatch.Watcher {
	if len(cc.ROIs) == 0 {
		return nil
	}
	o := mudwatch.Options{
		CameraID: cc.ID, Camera: cam, Regions: regionsOf("mud", cc),
		Scorer:    mud.Config{Scorer: cc.Mud.Scorer, Model: cc.Mud.Model, Calibration: cc.Mud.Calibration},
		Threshold: cc.Mud.Threshold, Rate: cc.Mud.Rate, Logger: g.log, Language: g.cfg.Evidence.Language,
		Location:  g.cfg.Location(),
		EmptyLane: cc.Mud.EmptyLane == config.EmptyLaneLearn,
		OnSight:   g.onSight(laneID, cc.ID),
	}
	if g.sight != nil {
		models := mudlearn.Open(mudlearn.ModelsDir(g.cfg.Store.Dir), cc.ID)
		o.Store, o.Models = g.sight.frames, &models
	}
	return mudwatch.New(o)
}

// newCoverWatcher builds the cover check of a camera that has a cover block with regions; nil
// otherwise. Its judged frames are kept for reviews under the cover check; the camera_blind
// alarm is the mud watcher's to raise when the camera has one (its regions are the ones a
// technician looks after), else the cover watcher's. Its learned models are the cover check's
// own (`sitegate learn cover`).
func newCoverWatcher(g *Gateway, laneID string, cc config.Camera, cam *camera.Camera, sight bool) *mudwatch.Watcher {
	if !cc.Cover.On() {
		return nil
	}
	o := mudwatch.Options{
		Check: mudwatch.CheckCover, CameraID: cc.ID, Camera: cam, Regions: regionsOf("cover", cc),
		Scorer:    mud.Config{Scorer: cc.Cover.Scorer, Model: cc.Cover.Model, Calibration: cc.Cover.Calibration},
		Threshold: cc.Cover.Threshold, Rate: cc.Cover.Rate, Logger: g.log, Language: g.cfg.Evidence.Language,
		Location: g.cfg.Location(),
	}
	if sight {
		o.OnSight = g.onSight(laneID, cc.ID)
	}
	if g.sight != nil {
		models := mudlearn.Open(mudlearn.ModelsDirOf(g.cfg.Store.Dir, mudwatch.CheckCover), cc.ID)
		o.Store, o.Models = g.sight.frames, &models
	}
	return mudwatch.New(o)
}

func (u *laneUnit) Start() {
	u.started.Store(time.Now().UnixNano())
	camCtx, stopCams := context.WithCancel(context.Background())
	laneCtx, stopLane := context.WithCancel(context.Background())
	u.stopCams, u.stopLane = stopCams, stopLane
	for _, cam := range u.cams {
		u.camsDone.Go(func() { cam.Run(camCtx) })
	}
	for _, w := range u.watchers {
		u.camsDone.Go(func() { w.Run(camCtx) })
	}
	if u.bay != nil {
		u.camsDone.Go(func() { u.bay.Run(camCtx) })
	}
	for _, c := range u.pulls {
		u.camsDone.Go(func() {
			if err := c.Run(camCtx); err != nil {
				u.log("plate camera stopped", "lane", u.cfg.ID, "err", err)
			}
		})
	}
	u.laneDone.Go(func() {
		if err := u.lane.Run(laneCtx); err != nil {
			u.log("lane stopped", "lane", u.lane.ID(), "err", err)
		}
	})
}

func (u *laneUnit) StopLane() {
	u.stopLane()
	u.laneDone.Wait()
}

func (u *laneUnit) StopDevices() {
	u.stopCams()
	u.camsDone.Wait()
}

func (u *laneUnit) Plate(r plate.Read) error { return u.lane.Plate(r) }

// Up reports whether the lane's devices came up: the scale's port is open.
func (u *laneUnit) Up() (bool, string) {
	s := u.lane.Status().Scale
	if s.State == "open" {
		return true, ""
	}
	return false, fmt.Sprintf("scale %s (%s) is %s: %s", u.cfg.ID, u.cfg.Scale.Port, s.State, s.LastError)
}

// plateUnit is one plate-push listener, retried with backoff when it fails.
type plateUnit struct {
	addr   string
	srv    *plate.Server
	status atomic.Pointer[string]
	g      *Gateway
	stop   context.CancelFunc
	done   sync.WaitGroup
}

// Listener builds the listener on addr for lanes.
func (b builder) Listener(addr string, lanes []string, maxBody int64, sink func(string, plate.Read) error) *plateUnit {
	handlers := map[string]func(plate.Read) error{}
	for _, id := range lanes {
		handlers[id] = func(r plate.Read) error { return sink(id, r) }
	}
	var cams []plate.Camera
	for _, lc := range b.g.ctl.Running().Lanes {
		if slices.Contains(lanes, lc.ID) {
			cams = append(cams, plateCameras(b.g, lc)...)
		}
	}
	return &plateUnit{addr: addr, g: b.g,
		srv: plate.NewServer(plate.Options{Addr: addr, MaxBody: maxBody, Lanes: handlers, Cameras: cams, Logger: b.g.log})}
}

func (pu *plateUnit) Start() {
	ctx, stop := context.WithCancel(context.Background())
	pu.stop = stop
	pu.done.Go(func() { pu.serve(ctx) })
}

func (pu *plateUnit) Stop() {
	pu.stop()
	pu.done.Wait()
}

func (pu *plateUnit) serve(ctx context.Context) {
	backoff := time.Second
	for {
		err := pu.srv.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		msg := fmt.Sprintf("plate listener %s: %v", pu.addr, err)
		pu.status.Store(&msg)
		pu.g.log.Error("plate listener failed, retrying", "addr", pu.addr, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (pu *plateUnit) wireStatus() wire.PlateStatus {
	ps := wire.PlateStatus{Listen: pu.addr, Stats: pu.srv.Stats()}
	if e := pu.status.Load(); e != nil {
		ps.Error = *e
	}
	return ps
}
