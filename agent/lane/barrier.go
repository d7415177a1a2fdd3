package lane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"sitegate/agent/outbox"
	"sitegate/agent/wire"
)

// BarrierOptions are a lane's exit barrier (CONTRACT 8).
type BarrierOptions struct {
	Mode   string // off | advise | enforce
	Via    string // the plate camera that drives it
	HoldOn []string
	// Open opens the barrier through the camera; nil when no camera can (enforce then holds
	// every truck, with that reason).
	Open func(ctx context.Context) error
	// Wait is how long the decision waits after the stable weight for the camera checks to
	// judge; then it is made with what there is. 0 means DefaultDecisionWait.
	Wait time.Duration
	// OpenTimeout bounds one attempt to open; 0 means DefaultOpenTimeout.
	OpenTimeout time.Duration
}

// Defaults of the barrier.
const (
	DefaultDecisionWait = 10 * time.Second
	DefaultOpenTimeout  = 5 * time.Second
)

// ErrNoBarrierCamera is the reason a truck is held when no camera can open the barrier.
var ErrNoBarrierCamera = errors.New("no camera can open the barrier")

func (b BarrierOptions) on() bool { return b.Mode == "advise" || b.Mode == "enforce" }

// opened is the outcome of an attempt to open the barrier, handed back to the lane's loop.
type opened struct {
	v        *visit // the visit it was for; nil for a guard's release with no truck
	d        wire.Decision
	err      error
	released bool
}

// Release is a guard's manual opening (cmd/barrier): the barrier is opened through the camera
// whatever the decision was, and the truck's passage records who and why.
type Release struct {
	By, Reason string
}

// Release opens the barrier for the truck at the exit, on a guard's word. It returns once the
// camera took the command, or why it could not.
func (l *Lane) Release(ctx context.Context, r Release) error {
	b := l.o.Barrier
	if !b.on() {
		return fmt.Errorf("lane %s has no barrier (barrier.mode is off)", l.o.ID)
	}
	var err error
	if b.Mode == "enforce" {
		err = l.open(ctx)
	}
	select {
	case l.releases <- releaseDone{r: r, err: err}:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

type releaseDone struct {
	r   Release
	err error
}

func (l *Lane) open(ctx context.Context) error {
	b := l.o.Barrier
	if b.Open == nil {
		return ErrNoBarrierCamera
	}
	t := b.OpenTimeout
	if t <= 0 {
		t = DefaultOpenTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	err := b.Open(ctx)
	l.mu.Lock()
	if err != nil {
		l.barrierErr = err.Error()
	} else {
		l.barrierErr = ""
	}
	l.mu.Unlock()
	return err
}

// decide makes the barrier's decision for the truck on the deck once its plate and stable
// weight are in and the camera checks have judged (or waited long enough). In enforce mode an
// open goes to the camera on a goroutine of its own, and the decision is published when it
// answers; a camera that cannot be reached holds the truck (fail closed).
func (l *Lane) decide(a *assembler, now time.Time) {
	b := l.o.Barrier
	v := a.visit
	if !b.on() || l.o.Direction != "exit" || v == nil || v.barrier != nil || v.deciding || !v.stable || v.ballot == nil {
		return
	}
	d := v.draft(now, 0, "")
	d.provisional = true
	p, _, f := judgeFacts(d, l.o.Registry(), l.o.Checks, l.o.Location)
	wait := b.Wait
	if wait <= 0 {
		wait = DefaultDecisionWait
	}
	if len(f.Waiting) > 0 && now.Sub(v.stableAt) < wait {
		return
	}
	dec := wire.Decision{Schema: wire.DecisionSchema, Site: l.o.Site, Gateway: l.o.Gateway, Lane: l.o.ID, Mode: b.Mode,
		Plate: p.Plate, WeightKg: d.grossKg, Action: wire.ActionOpen, Reasons: []string{}}
	for _, a := range p.Alarms {
		if slices.Contains(b.HoldOn, a) {
			dec.Reasons = append(dec.Reasons, a)
		}
	}
	if len(dec.Reasons) > 0 {
		dec.Action = wire.ActionHold
	}
	if b.Mode == "enforce" && dec.Action == wire.ActionOpen {
		v.deciding = true
		go func() {
			err := l.open(context.Background())
			l.openedCh <- opened{v: v, d: dec, err: err}
		}()
		return
	}
	l.decided(v, dec)
}

// decided records a decision on its visit and publishes it.
func (l *Lane) decided(v *visit, d wire.Decision) {
	if v != nil {
		info := &wire.BarrierInfo{Mode: d.Mode, Action: d.Action, Reasons: d.Reasons, Error: d.Error,
			ReleasedBy: d.ReleasedBy, Reason: d.Reason}
		v.barrier, v.deciding = info, false
	}
	l.countDecision(d)
	d.Time = l.o.Now().In(l.o.Location).Format(TimeLayout)
	body, err := json.Marshal(d)
	if err == nil {
		_, err = l.o.Box.Append(outbox.Message{Topic: wire.Topics(l.o.Site, l.o.Gateway).Decision(), Payload: body, QoS: 1,
			Kind: outbox.KindAnnouncement, Ref: l.o.ID})
	}
	if err != nil {
		l.log.Error("barrier decision not stored", "action", d.Action, "err", err)
	}
	l.log.Info("barrier", "action", d.Action, "reasons", d.Reasons, "mode", d.Mode, "plate", plateOf(d.Plate), "error", d.Error, "released_by", d.ReleasedBy)
}

// onOpened takes the camera's answer to an open.
func (l *Lane) onOpened(o opened) {
	if o.err != nil {
		o.d.Action = wire.ActionHold
		o.d.Error = "barrier camera unreachable: " + o.err.Error()
		if errors.Is(o.err, ErrNoBarrierCamera) {
			o.d.Error = o.err.Error()
		}
	}
	l.decided(o.v, o.d)
}

// onRelease records a guard's release on the truck at the exit.
func (l *Lane) onRelease(a *assembler, r releaseDone) {
	d := wire.Decision{Schema: wire.DecisionSchema, Site: l.o.Site, Gateway: l.o.Gateway, Lane: l.o.ID, Mode: l.o.Barrier.Mode,
		Action: wire.ActionOpen, Reasons: []string{}, ReleasedBy: r.r.By, Reason: r.r.Reason}
	v := a.visit
	if v != nil {
		d.Plate = plateInfoOf(v, l.o.Location)
		d.WeightKg = v.grossKg
		if v.barrier != nil {
			d.Reasons = v.barrier.Reasons
		}
	}
	if r.err != nil {
		d.Action, d.Error = wire.ActionHold, "barrier camera unreachable: "+r.err.Error()
	}
	l.released.Add(1)
	l.decided(v, d)
}

func plateInfoOf(v *visit, loc *time.Location) *wire.PlateInfo {
	if p := v.plate(); p != nil {
		return plateInfo(p, loc)
	}
	return nil
}

func plateOf(p *wire.PlateInfo) string {
	if p == nil {
		return "-"
	}
	return p.Text
}

func (l *Lane) countDecision(d wire.Decision) {
	l.decisions.Add(1)
	if d.Action == wire.ActionOpen {
		l.opens.Add(1)
	} else {
		l.holds.Add(1)
	}
}

// undecided is the barrier's record of a truck that left before a decision: held, for what it
// lacked.
func (l *Lane) undecided(d *draft) {
	b := l.o.Barrier
	if !b.on() || l.o.Direction != "exit" || d.barrier != nil || !d.weighed {
		return
	}
	info := &wire.BarrierInfo{Mode: b.Mode, Action: wire.ActionHold, Reasons: []string{}}
	if d.plate == nil {
		info.Reasons = append(info.Reasons, wire.AlarmNoPlate)
	}
	if !d.stable {
		info.Reasons = append(info.Reasons, wire.AlarmNoWeight)
	}
	d.barrier = info
}
