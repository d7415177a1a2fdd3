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
)

// registerCommands adds the gateway's commands (CONTRACT 6, cmd/{name}).
func (g *Gateway) registerCommands() {
	c := g.ctl.cmds
	c.Handle("ping", func(_ context.Context, r control.Request) (any, error) {
		if err := r.Only(); err != nil {
			return nil, err
		}
		return map[string]any{"pong": true, "version": Version, "time": now()}, nil
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
	c.Handle("selftest", g.cmdSelftest)
}

func (g *Gateway) requestRestart() { g.restartOnce.Do(func() { close(g.restart) }) }

// cmdSnapshot publishes the latest frame of a camera as evidence and names it in the reply.
func (g *Gateway) cmdSnapshot(_ context.Context, r control.Request) (any, error) {
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
	g.partsMu.RLock()
	var found *laneUnit
	idx := -1
	for _, id := range g.parts.order {
		u := g.parts.units[id]
		if u == nil || (laneID != "" && id != laneID) {
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
	g.partsMu.RUnlock()
	if found == nil {
		return nil, fmt.Errorf("%w: no camera %q on lane %q", control.ErrBadArgs, camID, laneID)
	}
	cam := found.cams[idx]
	jpeg, at, err := cam.Snapshot(85)
	if err != nil {
		return nil, fmt.Errorf("camera %s: %w", found.cfg.Cameras[idx].ID, err)
	}
	id, _ := uuid.NewV7()
	name := found.cfg.Cameras[idx].ID + ".jpg"
	topic := g.root() + "/evidence/snapshot-" + id.String() + "/" + name
	if err := g.up.Publish(topic, 1, false, jpeg); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(jpeg)
	return map[string]any{"topic": topic, "name": name, "lane": found.cfg.ID, "camera": found.cfg.Cameras[idx].ID,
		"bytes": len(jpeg), "sha256": hex.EncodeToString(sum[:]), "time": at.Format(time.RFC3339Nano)}, nil
}

// Check is one device's part of a selftest.
type Check struct {
	Kind   string `json:"kind"` // scale | camera | plate_listener | uplink | outbox | registry
	ID     string `json:"id"`
	State  string `json:"state"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// cmdSelftest reports each device's state and a short check of it.
func (g *Gateway) cmdSelftest(_ context.Context, r control.Request) (any, error) {
	if err := r.Only(); err != nil {
		return nil, err
	}
	s := g.Status("online")
	var checks []Check
	for _, l := range s.Lanes {
		c := Check{Kind: "scale", ID: l.ID, State: l.Scale.State, OK: l.Scale.State == "open" && l.LastReadingAt != ""}
		c.Detail = fmt.Sprintf("%s: %d frames, %d bad, deck %s, last %.0f kg", l.Scale.Port, l.Decoder.Frames, l.Decoder.BadFrames, l.Deck, l.LastKg)
		if l.Scale.LastError != "" {
			c.Detail += "; last error: " + l.Scale.LastError
		}
		checks = append(checks, c)
	}
	for _, c := range s.Cameras {
		checks = append(checks, Check{Kind: "camera", ID: c.ID, State: string(c.State), OK: c.State == "streaming",
			Detail: fmt.Sprintf("%.1f fps, %dx%d %s", c.FPS, c.Width, c.Height, c.LastError)})
	}
	for _, p := range s.Plates {
		checks = append(checks, Check{Kind: "plate_listener", ID: p.Listen, State: map[bool]string{true: "listening", false: "down"}[p.Error == ""],
			OK: p.Error == "", Detail: p.Error})
	}
	if s.Uplink != nil {
		checks = append(checks, Check{Kind: "uplink", ID: g.cfg.MQTT.URL, State: map[bool]string{true: "connected", false: "disconnected"}[s.Uplink.Connected],
			OK: s.Uplink.Connected, Detail: fmt.Sprintf("%d reconnects, %d published", s.Uplink.Reconnects, s.Uplink.Published)})
	}
	if s.Outbox != nil {
		checks = append(checks, Check{Kind: "outbox", ID: "outbox", State: "open", OK: true,
			Detail: fmt.Sprintf("%d waiting, %d bytes, %d dropped", s.Outbox.Depth, s.Outbox.Bytes, s.Outbox.Drops.Total())})
	}
	if s.Registry != nil {
		checks = append(checks, Check{Kind: "registry", ID: "registry", State: map[bool]string{true: "loaded", false: "not loaded"}[s.Registry.Loaded],
			OK: s.Registry.Loaded, Detail: fmt.Sprintf("version %d, %d vehicles %s", s.Registry.Version, s.Registry.Vehicles, s.Registry.Error)})
	}
	ok := true
	for _, c := range checks {
		ok = ok && c.OK
	}
	return map[string]any{"ok": ok, "checks": checks}, nil
}
