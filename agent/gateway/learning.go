package gateway

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"

	"sitegate/agent/alarms"
	"sitegate/agent/framestore"
	"sitegate/agent/mudlearn"
	"sitegate/agent/outbox"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/models/mud"
)

// sight is what the gateway keeps for the camera checks: the judged frames for reviews, the
// equipment alarms, the review counts and the cameras learning by themselves.
type sight struct {
	frames *framestore.Store
	alarms *alarms.Set

	received, labelled, rejected, unknown atomic.Uint64
	fits, adopted                         atomic.Uint64 // automatic learning runs, and those adopted

	mu       sync.Mutex
	since    map[string]int  // reviews taken per check and camera ("mud/wheels") since it last learned
	learning map[string]bool // checks and cameras learning now
}

// openSight opens the frame store and the alarm set beside the outbox.
func (g *Gateway) openSight(box outbox.Outbox) error {
	cfg := g.cfg
	fs, err := framestore.Open(mudlearn.FramesDir(cfg.Store.Dir), framestore.Options{
		MaxBytes: int64(cfg.Store.Frames.MaxBytes), MaxAge: cfg.Store.Frames.MaxAge.D(), Room: g.room, Logger: g.log,
	})
	if err != nil {
		return err
	}
	loc := cfg.Location()
	as, err := alarms.Open(alarms.Options{
		Path: filepath.Join(cfg.Store.Dir, "alarms.json"), Debounce: cfg.Alarms.Debounce.D(), Location: loc, Logger: g.log,
		Publish: func(a wire.Alarm) error {
			a.Schema = wire.AlarmSchema
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			_, err = box.Append(outbox.Message{Topic: g.topics.Alarm(), Payload: b, QoS: 1, Kind: outbox.KindAnnouncement, Ref: a.ID})
			return err
		},
	})
	if err != nil {
		return err
	}
	g.sight = &sight{frames: fs, alarms: as, since: map[string]int{}, learning: map[string]bool{}}
	return nil
}

// onSight raises or clears a camera's camera_blind alarm.
func (g *Gateway) onSight(laneID, camID string) func(blind bool, reason string) {
	return func(blind bool, reason string) {
		if g.sight == nil {
			return
		}
		if blind {
			g.sight.alarms.Raise(wire.AlarmCameraBlind, camID, laneID, reason)
		} else {
			g.sight.alarms.Clear(wire.AlarmCameraBlind, camID, laneID)
		}
	}
}

// onReview labels a passage's kept frames with a review (CONTRACT 9). A review that does not
// parse is counted and logged; one for a passage whose frames are not kept is counted.
func (g *Gateway) onReview(_ string, payload []byte) {
	s := g.sight
	s.received.Add(1)
	r, err := wire.ParseReview(payload)
	if err != nil {
		s.rejected.Add(1)
		g.log.Warn("review refused", "err", err)
		return
	}
	cam, err := s.frames.Label(r.PassageID, r.Check, r.Label, r.By)
	if err != nil {
		if errors.Is(err, framestore.ErrUnknownPassage) {
			s.unknown.Add(1)
			g.log.Info("review of a passage whose frames are not kept", "passage", r.PassageID, "check", r.Check)
			return
		}
		s.rejected.Add(1)
		g.log.Error("review not recorded", "passage", r.PassageID, "err", err)
		return
	}
	s.labelled.Add(1)
	if r.Check == "mud" || r.Check == "cover" {
		g.learnAfterReview(r.Check, cam)
	}
}

// learnAfterReview counts a review of check ("mud" or "cover") towards its camera's next fit,
// and fits the camera's model for that check (in the background, under the same guard as
// `sitegate learn`) once the check's learn is auto and learn_every reviews came in since it last
// learned.
func (g *Gateway) learnAfterReview(check, cam string) {
	key := check + "/" + cam
	settings := func() (mudlearn.Camera, bool, int) {
		cc, ok := g.cameraConfig(cam)
		lc, learn, every := mudlearn.CameraOf(check, cc)
		return lc, ok && learn == config.LearnAuto, every
	}
	_, auto, every := settings()
	if !auto {
		return
	}
	s := g.sight
	s.mu.Lock()
	s.since[key]++
	due := s.since[key] >= every && !s.learning[key]
	if due {
		s.learning[key] = true
	}
	s.mu.Unlock()
	if !due {
		return
	}
	go func() {
		for {
			// Reviews that come in during a fit count towards the next one.
			s.mu.Lock()
			lc, auto, every := settings()
			if !auto || s.since[key] < every {
				s.learning[key] = false
				s.mu.Unlock()
				return
			}
			s.since[key] = 0
			s.mu.Unlock()
			rep, err := mudlearn.Learn(g.cfg.Store.Dir, lc, true, mudlearn.Options{})
			if err != nil {
				g.log.Error("learning failed", "check", check, "camera", cam, "err", err)
				continue
			}
			s.fits.Add(1)
			if rep.Adopted {
				s.adopted.Add(1)
			}
			g.log.Info("learning", "check", check, "camera", cam, "reviewed", rep.Reviewed, "f1_before", rep.F1Before, "f1_after", rep.F1After,
				"adopted", rep.Adopted, "model", rep.ModelAfter, "why", rep.Why)
		}
	}()
}

// cameraConfig is the running config of camera id.
func (g *Gateway) cameraConfig(id string) (config.Camera, bool) {
	cfg := g.cfg
	if g.ctl != nil {
		cfg = g.ctl.Running()
	}
	for _, l := range cfg.Lanes {
		for _, c := range l.Cameras {
			if c.ID == id {
				return c, true
			}
		}
	}
	return config.Camera{}, false
}

// regionsOf is camera cc's regions of interest for check ("mud" or "cover").
func regionsOf(check string, cc config.Camera) []mud.Region {
	c, _, _ := mudlearn.CameraOf(check, cc)
	return c.Regions
}

// reviewStatus is the review counts for the status.
func (g *Gateway) reviewStatus() *wire.ReviewStatus {
	if g.sight == nil {
		return nil
	}
	s := g.sight
	return &wire.ReviewStatus{Received: s.received.Load(), Labelled: s.labelled.Load(), Refused: s.rejected.Load(), Unknown: s.unknown.Load(),
		FramesKept: s.frames.Len(), FramesBytes: s.frames.Bytes(), Fits: s.fits.Load(), Adopted: s.adopted.Load()}
}
