package gateway

import (
	"context"
	"fmt"
	"time"

	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/drivers/plate"
)

// PlateSilentTrucks is how many weighed trucks in a row may leave with no plate read before the
// lane's plate camera is said to be silent.
const PlateSilentTrucks = 3

// equipmentEvery is how often the devices' states are looked at for equipment alarms.
const equipmentEvery = 2 * time.Second

// watchEquipment raises and clears the equipment alarms of the devices' states until ctx is
// done: an indicator whose port is down or that sends nothing valid, a camera down, a pulled
// plate camera down or one that lets several trucks go unread, a wash controller that cannot be
// read. The alarm set debounces them (alarms.debounce): one message when a condition has held,
// one when it has been gone as long.
func (g *Gateway) watchEquipment(ctx context.Context) {
	if g.sight == nil {
		return
	}
	t := time.NewTicker(equipmentEvery)
	defer t.Stop()
	for {
		g.checkEquipment(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// condition is one device condition seen now.
type condition struct {
	kind, device, lane string
	on                 bool
	reason             string
}

func (g *Gateway) checkEquipment(now time.Time) {
	for _, c := range g.equipment(now) {
		if c.on {
			g.sight.alarms.Raise(c.kind, c.device, c.lane, c.reason)
		} else {
			g.sight.alarms.Clear(c.kind, c.device, c.lane)
		}
	}
}

// equipment lists every device condition the running lanes show now.
func (g *Gateway) equipment(now time.Time) []condition {
	var out []condition
	for _, u := range g.parts.Units() {
		lc, ls := u.cfg, u.lane.Status()
		port := lc.Scale.Port
		down := ls.Scale.State == "down"
		out = append(out, condition{wire.AlarmIndicatorDown, port, lc.ID, down, "port " + port + ": " + ls.Scale.LastError})
		silent, why := false, ""
		if ls.Scale.State == "open" && lc.Scale.SilenceTimeout > 0 {
			last := time.Unix(0, u.started.Load())
			if t, err := time.Parse(wire.TimeLayout, ls.LastReadingAt); err == nil && t.After(last) {
				last = t
			}
			if age := now.Sub(last); !last.IsZero() && age > lc.Scale.SilenceTimeout.D() {
				silent, why = true, fmt.Sprintf("no valid reading for %s (%d bad frames so far)", age.Round(time.Second), ls.Decoder.BadFrames)
			}
		}
		out = append(out, condition{wire.AlarmIndicatorSilent, port, lc.ID, silent, why})
		for _, c := range u.cams {
			st := c.Status()
			out = append(out, condition{wire.AlarmCameraDown, st.ID, lc.ID, st.State == camera.StateDown, "camera " + st.ID + ": " + st.LastError})
		}
		for _, p := range u.pulls {
			st := p.Status()
			out = append(out, condition{wire.AlarmPlateCameraDown, st.Camera, lc.ID, st.State == plate.PullDown, "plate camera " + st.Camera + ": " + st.LastError})
		}
		n := ls.PassagesWithoutPlate
		out = append(out, condition{wire.AlarmPlateCameraSilent, "plate", lc.ID, n >= PlateSilentTrucks,
			fmt.Sprintf("%d weighed trucks in a row left with no plate read", n)})
		if u.bay != nil {
			st := u.bay.Status()
			out = append(out, condition{wire.AlarmWashDown, "wash", lc.ID, st.State == "down", "wash controller: " + st.LastError})
		}
	}
	return out
}
