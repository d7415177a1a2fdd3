package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"sitegate/agent/control"
	"sitegate/agent/lane"
	"sitegate/agent/wire"
)

// registerCommands adds the gateway's commands (CONTRACT 6, cmd/{name}).
func (g *Gateway) registerCommands() {
	c := g.ctl.Commands()
	c.Handle("ping", func(_ context.Context, r control.Request) (any, error) {
		if err := r.Only(); err != nil {
			return nil, err
		}
		return map[string]any{"pong": true, "version": Version, "time": time.Now().Format(wire.TimeLayout)}, nil
	})
	c.Handle("outbox", func(_ context.Context, r control.Request) (any, error) {
		if err := r.Only(); err != nil {
			return nil, err
		}
		s := g.box.Stats()
		return map[string]any{"depth": s.Depth, "bytes": s.Bytes, "drops": s.Drops, "oldest_seq": s.OldestSeq}, nil
	})
	c.Handle("set_log_level", func(_ context.Context, r control.Request) (any, error) {
		if err := r.Only("level"); err != nil {
			return nil, err
		}
		s, err := r.String("level", "")
		if err != nil {
			return nil, err
		}
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(s)); err != nil || s == "" {
			return nil, fmt.Errorf("%w: level must be debug, info, warn or error", control.ErrBadArgs)
		}
		if g.o.LogLevel == nil {
			return nil, fmt.Errorf("this agent's log level is fixed")
		}
		old := g.o.LogLevel.Level()
		g.o.LogLevel.Set(lvl)
		return map[string]string{"level": lvl.String(), "was": old.String()}, nil
	})
	c.Handle("restart", func(_ context.Context, r control.Request) (any, error) {
		if err := r.Only(); err != nil {
			return nil, err
		}
		// The reply goes out first; then Run stops cleanly (outbox flushed) and returns.
		time.AfterFunc(300*time.Millisecond, g.requestRestart)
		return map[string]any{"restarting": true}, nil
	})
	c.Handle("snapshot", g.cmdSnapshot)
	c.Handle("barrier", g.cmdBarrier)
	c.Handle("selftest", g.cmdSelftest)
	c.Handle("evidence", g.cmdEvidence)
}

func (g *Gateway) requestRestart() { g.restartOnce.Do(func() { close(g.restart) }) }

// cmdSnapshot publishes the latest frame of a camera as evidence and names it in the reply.
func (g *Gateway) cmdSnapshot(ctx context.Context, r control.Request) (any, error) {
	if err := r.Only("camera", "lane"); err != nil {
		return nil, err
	}
	camID, err := r.String("camera", "")
	if err != nil {
		return nil, err
	}
	laneID, err := r.String("lane", "")
	if err != nil {
		return nil, err
	}
	var found *laneUnit
	idx := -1
	for _, u := range g.parts.Units() {
		if laneID != "" && u.cfg.ID != laneID {
			continue
		}
		for i, c := range u.cfg.Cameras {
			if camID == "" || c.ID == camID {
				found, idx = u, i
				break
			}
		}
		if found != nil {
			break
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: no camera %q on lane %q", control.ErrBadArgs, camID, laneID)
	}
	cam := found.cams[idx]
	// An idle on-demand camera decodes from its last key frame for this.
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	jpeg, at, err := cam.SnapshotNow(wait, 85)
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", found.cfg.Cameras[idx].ID, err)
	}
	id, _ := uuid.NewV7()
	name := found.cfg.Cameras[idx].ID + ".jpg"
	topic := g.topics.Evidence("snapshot-"+id.String(), name)
	if err := g.up.Publish(topic, 1, false, jpeg); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(jpeg)
	return map[string]any{"topic": topic, "name": name, "lane": found.cfg.ID, "camera": found.cfg.Cameras[idx].ID,
		"bytes": len(jpeg), "sha256": hex.EncodeToString(sum[:]), "time": at.Format(time.RFC3339Nano)}, nil
}

// cmdSelftest reports each device's state and a short check of it.
func (g *Gateway) cmdSelftest(_ context.Context, r control.Request) (any, error) {
	if err := r.Only(); err != nil {
		return nil, err
	}
	ok, checks := g.rep.Selftest()
	return map[string]any{"ok": ok, "checks": checks}, nil
}

// cmdBarrier is a guard's manual release (CONTRACT 8): {"lane","action":"open","reason","by"}.
// The barrier is opened through the lane's barrier camera and the truck's passage records who
// and why.
func (g *Gateway) cmdBarrier(ctx context.Context, r control.Request) (any, error) {
	if err := r.Only("lane", "action", "reason", "by"); err != nil {
		return nil, err
	}
	laneID, err := r.String("lane", "")
	if err != nil {
		return nil, err
	}
	action, err := r.String("action", "open")
	if err != nil {
		return nil, err
	}
	reason, err := r.String("reason", "")
	if err != nil {
		return nil, err
	}
	by, err := r.String("by", "")
	if err != nil {
		return nil, err
	}
	if action != wire.ActionOpen {
		return nil, fmt.Errorf("%w: action must be open (a barrier closes by itself)", control.ErrBadArgs)
	}
	if by == "" || reason == "" {
		return nil, fmt.Errorf("%w: by and reason must say who opens the barrier and why", control.ErrBadArgs)
	}
	u, ok := g.parts.Unit(laneID)
	if !ok {
		return nil, fmt.Errorf("%w: no lane %q", control.ErrBadArgs, laneID)
	}
	if err := u.lane.Release(ctx, lane.Release{By: by, Reason: reason}); err != nil {
		return nil, err
	}
	return map[string]any{"lane": laneID, "action": action, "by": by}, nil
}
