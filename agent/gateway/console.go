package gateway

import (
	"context"
	"sync"
	"time"

	"sitegate/agent/console"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
)

// newConsole prepares the technician's console when console.listen is set: it reads the
// users file (a missing or broken one stops the start, as any bad config does) and keeps the
// evidence of the recent passages as the lanes store them.
func (g *Gateway) newConsole() error {
	if !g.cfg.Console.On() {
		return nil
	}
	c, err := console.New(console.Options{Config: g.cfg.Console, Sources: g.consoleSources(), Logger: g.log})
	if err != nil {
		return err
	}
	g.con = c
	g.box = c.Outbox(g.box)
	return nil
}

// runConsole serves the console, if on, until ctx is done.
func (g *Gateway) runConsole(ctx context.Context, wg *sync.WaitGroup) {
	if g.con == nil {
		return
	}
	wg.Go(func() {
		if err := g.con.Run(ctx, nil); err != nil {
			g.log.Error("console not served", "err", err)
		}
	})
}

// ConsoleAddr is the bound address of the console, or "" when it is off or not yet listening.
func (g *Gateway) ConsoleAddr() string {
	if g.con == nil {
		return ""
	}
	return g.con.Addr()
}

func (g *Gateway) consoleSources() console.Sources {
	src := g.sources()
	return console.Sources{
		Status:  func() wire.Status { return g.rep.Status(wire.Online) },
		Lanes:   src.Lanes,
		Running: func() *config.Config { return g.ctl.Running() },
		ConfigVersion: func() int64 {
			return g.ctl.Counts().Version
		},
		Cameras: func() []console.Camera {
			var out []console.Camera
			for _, u := range g.parts.Units() {
				for i, c := range u.cams {
					cc := console.Camera{Lane: u.cfg.ID, ID: u.cfg.Cameras[i].ID, Status: c.Status,
						Frame: func() ([]byte, time.Time, error) { return c.Snapshot(75) }}
					if w := u.mudOf[i]; w != nil {
						cc.Mud = w.Peek
					}
					if w := u.cover[cc.ID]; w != nil {
						cc.Cover = w.Peek
					}
					out = append(out, cc)
				}
			}
			return out
		},
		SetRegions: func(ctx context.Context, lane, camera string, rois []config.ROI, by string) (wire.Reported, error) {
			return g.ctl.SetRegions(ctx, lane, camera, rois, by)
		},
	}
}
