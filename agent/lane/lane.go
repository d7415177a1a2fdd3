// Package lane runs one weighbridge lane: it reads the indicator through a serial link, follows
// the deck, pairs plates with visits, takes camera evidence, judges each passage and stores it,
// with its evidence, in the outbox as one atomic batch.
//
// It imports drivers and models, and sitegate/agent/outbox; never the uplink or the CLI.
package lane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"

	"sitegate/agent/checks"
	"sitegate/agent/outbox"
	"sitegate/agent/seal"
	"sitegate/agent/wire"
	"sitegate/drivers/indicator"
	"sitegate/drivers/plate"
	"sitegate/drivers/serialport"
	"sitegate/models/deck"
	"sitegate/models/registry"
)

// Camera is a source of evidence frames.
type Camera struct {
	ID       string
	Snapshot func() (jpeg []byte, at time.Time, err error)
	// Demand, when set, is told whether frames are wanted (a truck in the lane): an on-demand
	// camera decodes only then. Its evidence missing at arrival is taken when the passage is
	// stored.
	Demand func(on bool)
	// MarkClip and Clip, when set, keep a video around the capture (the stable weight, else the
	// arrival) and write it for the passage as {camera}-clip.mp4; ClipUpload says which
	// passages send it: "alarms" (default), "all", "on_request" (none).
	MarkClip   func(at time.Time)
	Clip       func() (mp4 []byte, at time.Time, err error)
	ClipUpload string
}

// Options configure a lane.
type Options struct {
	Site, Gateway, ID, Direction  string
	PlateWindow, PlateOnlyTimeout time.Duration
	Deck                          deck.Params

	// Link is the indicator's serial link; Decoder builds a decoder for each session on it,
	// with Indicator (address, poll timing, ascii profile) plus the clock and the port's writer.
	Link      *serialport.Link
	Decoder   indicator.Factory
	Indicator indicator.Options

	Cameras []Camera
	// Checks judge each passage, in order (agent/checks.Build); those that work while a truck
	// is present (checks.Presence) are told when one is.
	Checks   []checks.Check
	Registry func() *registry.Registry // the current registry; never nil
	Box      outbox.Outbox
	Location *time.Location // for passage times; nil means time.Local
	Logger   *slog.Logger
	Now      func() time.Time

	// ClockSynced says whether the system clock is synchronised; a passage stored while it
	// is not is marked clock "unsynced". nil: the clock is not judged.
	ClockSynced func() bool

	// Barrier is the lane's exit barrier; its zero value is off.
	Barrier BarrierOptions

	// PlateJournal is the folder where the lane keeps the plate reads it took and has not
	// stored in a passage yet (synced before the camera is answered; read back at start);
	// "" keeps them in memory only. PlateJournalBytes bounds it (0: DefaultJournalBytes).
	PlateJournal      string
	PlateJournalBytes int64
	// PlateJournalRoom, when set, reports whether n more bytes fit on the journal's disk
	// without eating the store's reserve (the outbox's Room).
	PlateJournalRoom func(n int64) bool

	// Sealer signs and chains each passage (agent/seal); nil stores them unsigned.
	Sealer Sealer
	// Archive, if set, keeps each stored passage (its published JSON) and its distinct files
	// on the gateway's disk (agent/archive); it is called after the outbox has them.
	Archive func(p Passage, body []byte, files []Evidence)

	// OnStored, if set, is called after each passage is stored (for status and tests).
	OnStored func(p Passage)
	// OnDeck, if set, is called with each deck event (for tests and measurements).
	OnDeck func(e deck.Event)
}

// Sealer signs passages: Store chains those it seals in the order stored, Sign seals an
// amendment with the links of the passage it amends (agent/seal.Signer).
type Sealer interface {
	Store(store func(seal func(p *wire.Passage) ([]byte, error)) error) error
	Sign(p *wire.Passage) ([]byte, error)
}

// Lane is one running lane.
type Lane struct {
	o      Options
	plates chan plateIn
	log    *slog.Logger

	mu         sync.Mutex
	deckState  deck.State
	lastKg     float64
	lastAt     time.Time
	decStats   indicator.Stats // finished sessions
	curDecoder indicator.Decoder
	lastErr    string

	barrierErr string

	passages, platesDropped, storeErrors atomic.Uint64
	// unread counts the weighed passages in a row that had no plate read.
	unread                            atomic.Uint64
	platesLate, platesDup, amendments atomic.Uint64
	picturesDropped                   atomic.Uint64
	decisions, opens, holds, released atomic.Uint64
	lastPassage                       atomic.Pointer[Passage]

	// Owned by Run's goroutine.
	seen   seenReads
	recent []recent

	openedCh chan opened
	releases chan releaseDone

	j      *journal       // nil: reads wait in memory only
	replay []journalEntry // reads the journal held at start, for Run
	beat   atomic.Int64   // unix nanoseconds of Run's last turn; 0 when not running
}

type plateIn struct {
	read     plate.Read
	received time.Time
	ref      uint64   // its journal entry, 0 for none
	pics     pictures // what pictures the journal keeps for it
}

// New builds a lane; Run starts it.
func New(o Options) *Lane {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	l := &Lane{o: o, plates: make(chan plateIn, 256), log: o.Logger.With("lane", o.ID),
		openedCh: make(chan opened, 4), releases: make(chan releaseDone)}
	if o.PlateJournal != "" {
		j, entries, err := openJournal(o.PlateJournal, o.PlateJournalBytes)
		if err != nil {
			l.log.Error("plate journal not available: waiting reads are kept in memory only", "err", err)
			l.lastErr = err.Error()
		} else {
			j.room = o.PlateJournalRoom
			l.j, l.replay = j, entries
			if len(entries) > 0 {
				l.log.Info("plate reads taken before a stop are taken again", "reads", len(entries))
			}
		}
	}
	l.beat.Store(time.Now().UnixNano()) // a lane about to start counts as alive
	return l
}

// ID is the lane's id.
func (l *Lane) ID() string { return l.o.ID }

// PlateWait is how long Plate waits for room in the lane's queue before it refuses a read.
const PlateWait = 2 * time.Second

// ErrBusy is returned by Plate when the lane's queue stayed full: the camera is told to try
// again (503), so a read answered 200 is one the lane took.
var ErrBusy = errors.New("the lane's plate queue is full")

// Plate hands the lane a plate read, waiting up to PlateWait for room in its queue (a plate
// server calls it, on the camera's request).
func (l *Lane) Plate(r plate.Read) error {
	in := plateIn{read: r, received: l.o.Now()}
	if l.j != nil {
		ref, err := l.j.put(r, in.received)
		if err != nil && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrJournalFull)) && (len(r.ImageJPEG) > 0 || len(r.SceneJPEG) > 0) {
			// Out of room: the pictures go first, as the outbox's own policy drops evidence
			// before passages; the read itself still fits.
			bare := r
			bare.ImageJPEG, bare.SceneJPEG = nil, nil
			if ref, err = l.j.put(bare, in.received); err == nil {
				l.picturesDropped.Add(1)
				l.log.Warn("no room for the plate read's pictures: taken without them", "plate", r.Plate)
				r, in.read = bare, bare
			}
		}
		if err != nil {
			l.platesDropped.Add(1)
			l.log.Warn("plate refused (the camera is told to try again)", "plate", r.Plate, "err", err)
			return err
		}
		in.ref, in.pics = ref, pictures{plate: len(r.ImageJPEG) > 0, scene: len(r.SceneJPEG) > 0}
		in.read.ImageJPEG, in.read.SceneJPEG = nil, nil // on disk until the passage is stored
	}
	select {
	case l.plates <- in:
		return nil
	default:
	}
	t := time.NewTimer(PlateWait)
	defer t.Stop()
	select {
	case l.plates <- in:
		return nil
	case <-t.C:
		if l.j != nil {
			l.j.remove(in.ref)
		}
		l.platesDropped.Add(1)
		l.log.Warn("plate queue full, plate refused (the camera is told to try again)", "plate", r.Plate)
		return ErrBusy
	}
}

// Run runs the lane until ctx is done, then closes what is in progress as passages.
func (l *Lane) Run(ctx context.Context) error {
	readings := make(chan indicator.Reading, 256)
	var wg sync.WaitGroup
	linkCtx, stopLink := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.o.Link.Run(linkCtx, func(ctx context.Context, r io.Reader, w io.Writer) error {
			return l.session(ctx, r, w, readings)
		})
	}()
	defer func() { stopLink(); wg.Wait() }()

	d := deck.New(l.o.Deck)
	a := &assembler{plateWindow: l.o.PlateWindow, plateOnlyTimeout: l.o.PlateOnlyTimeout}
	l.replayJournal(a, d)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	defer l.beat.Store(0)
	active := false
	defer func() {
		if active {
			l.setActive(false)
		}
	}()
	for {
		l.beat.Store(time.Now().UnixNano())
		// Camera checks sample only while a truck is in the lane: on the deck or plate seen.
		if present := d.State() != deck.Empty || a.visit != nil || len(a.pending) > 0; present != active {
			active = present
			l.setActive(present)
		}
		select {
		case <-ctx.Done():
			for _, dr := range a.flush(l.o.Now()) {
				l.store(dr)
			}
			return nil
		case r := <-readings:
			for _, e := range d.Update(r) {
				l.deckEvent(a, e)
			}
			l.mu.Lock()
			l.deckState, l.lastKg, l.lastAt = d.State(), r.Kg, r.Time
			l.mu.Unlock()
		case p := <-l.plates:
			l.onPlate(a, d, p)
			l.decide(a, l.o.Now())
		case o := <-l.openedCh:
			l.onOpened(o)
		case r := <-l.releases:
			l.onRelease(a, r)
		case now := <-tick.C:
			for _, e := range d.Tick(now) {
				l.deckEvent(a, e)
			}
			for _, dr := range a.onTick(now) {
				l.store(dr)
			}
			l.decide(a, now)
			l.mu.Lock()
			l.deckState = d.State()
			l.mu.Unlock()
		}
	}
}

func (l *Lane) deckEvent(a *assembler, e deck.Event) {
	if l.o.OnDeck != nil {
		l.o.OnDeck(e)
	}
	l.log.Debug("deck", "event", e.Kind, "kg", e.GrossKg)
	var ev []Evidence
	if e.Kind == deck.Arrived {
		l.demand(true) // at once: the lane's loop would tell the cameras only on its next turn
	}
	if e.Kind == deck.Arrived || e.Kind == deck.Stable {
		ev = l.snapshots()
		l.markClips(e.At)
	}
	for _, dr := range a.onDeck(e, ev) {
		l.store(dr)
	}
	l.decide(a, e.At)
}

// onPlate takes one plate read: a resend of a read already taken is dropped, an offline
// resend is a late plate-only passage at once, a read of a truck that just left amends its
// passage, and any other votes for a truck in the lane or waits for its own.
func (l *Lane) onPlate(a *assembler, d *deck.Deck, p plateIn) {
	r := p.read
	if l.seen.seen(r) {
		l.platesDup.Add(1)
		l.log.Debug("plate resend dropped", "plate", r.Plate, "camera", r.Camera, "key", r.Key)
		l.forget(p.ref)
		return
	}
	if r.Late {
		l.platesLate.Add(1)
		l.store(late(p))
		return
	}
	if a.visit == nil && l.amend(r, p.received) {
		l.forget(p.ref)
		return
	}
	var ev []Evidence
	if d.State() == deck.Empty { // a plate-only passage needs its own frames
		ev = l.snapshots()
	}
	a.onPlateRef(r, p.ref, p.pics, p.received, ev)
}

// replayJournal takes again the reads taken before a stop (a power cut) and not stored yet.
func (l *Lane) replayJournal(a *assembler, d *deck.Deck) {
	for _, e := range l.replay {
		r := e.read
		pics := pictures{plate: len(r.ImageJPEG) > 0, scene: len(r.SceneJPEG) > 0}
		r.ImageJPEG, r.SceneJPEG = nil, nil
		l.onPlate(a, d, plateIn{read: r, received: e.received, ref: e.ref, pics: pics})
	}
	l.replay = nil
}

// forget removes journal entries that are no longer needed.
func (l *Lane) forget(refs ...uint64) {
	if l.j != nil {
		l.j.remove(refs...)
	}
}

// fillPictures loads the winning read's pictures from the journal, where they waited.
func (l *Lane) fillPictures(d *draft) {
	if l.j == nil || d.plate == nil || d.ballot == nil {
		return
	}
	plateRef, sceneRef := d.ballot.pictureRefs(d.plate.Plate)
	if len(d.plate.ImageJPEG) > 0 {
		plateRef = 0
	}
	if len(d.plate.SceneJPEG) > 0 {
		sceneRef = 0
	}
	// Usually one read carries both pictures: its file is read once.
	for _, ref := range slices.Compact([]uint64{plateRef, sceneRef}) {
		if ref == 0 {
			continue
		}
		img, scene, err := l.j.pictures(ref)
		if err != nil {
			l.log.Warn("plate pictures not read back", "err", err)
			continue
		}
		if ref == plateRef {
			d.plate.ImageJPEG = img
		}
		if ref == sceneRef {
			d.plate.SceneJPEG = scene
		}
	}
}

// session decodes one open period of the serial port.
func (l *Lane) session(ctx context.Context, r io.Reader, w io.Writer, out chan<- indicator.Reading) error {
	opts := l.o.Indicator
	opts.Now, opts.Writer = l.o.Now, w
	dec := l.o.Decoder(r, opts)
	defer dec.Close() // a polled decoder's poller ends with the session
	l.mu.Lock()
	l.curDecoder = dec
	l.mu.Unlock()
	defer func() {
		s := dec.Stats()
		l.mu.Lock()
		l.decStats = l.decStats.Add(s)
		l.curDecoder = nil
		l.mu.Unlock()
	}()
	for {
		rd, err := dec.Next()
		if err != nil {
			return err
		}
		select {
		case out <- rd:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *Lane) snapshots() []Evidence {
	var out []Evidence
	for _, c := range l.o.Cameras {
		jpeg, at, err := c.Snapshot()
		if err != nil {
			l.log.Debug("no evidence from camera", "camera", c.ID, "err", err)
			continue
		}
		out = append(out, Evidence{Name: c.ID + ".jpg", Camera: c.ID, JPEG: jpeg, At: at})
	}
	return out
}

// demand tells the cameras that decode on demand whether frames are wanted.
func (l *Lane) demand(on bool) {
	for _, c := range l.o.Cameras {
		if c.Demand != nil {
			c.Demand(on)
		}
	}
}

// markClips marks the capture time for the cameras that keep clips.
func (l *Lane) markClips(at time.Time) {
	for _, c := range l.o.Cameras {
		if c.MarkClip != nil {
			c.MarkClip(at)
		}
	}
}

// fillSnapshots takes, at the end of a visit, the frame of each on-demand camera that had none
// to give when the truck arrived (it was still decoding its first).
func (l *Lane) fillSnapshots(d *draft) {
	if d.late {
		return
	}
	for _, c := range l.o.Cameras {
		if c.Demand == nil || slices.ContainsFunc(d.evidence, func(e Evidence) bool { return e.Camera == c.ID && e.Name == c.ID+".jpg" }) {
			continue
		}
		jpeg, at, err := c.Snapshot()
		if err != nil {
			l.log.Debug("no evidence from camera", "camera", c.ID, "err", err)
			continue
		}
		d.evidence = append(d.evidence, Evidence{Name: c.ID + ".jpg", Camera: c.ID, JPEG: jpeg, At: at})
	}
}

// clips adds each clip camera's video to a passage: always kept (the archive has it), published
// by its camera's upload policy (checks.Evidence.Published); one not published is listed
// on_request, for cmd/evidence.
func (l *Lane) clips(d draft, p *Passage, evidence []Evidence) []Evidence {
	if d.late {
		return evidence
	}
	var clips []Evidence
	for _, c := range l.o.Cameras {
		if c.Clip == nil {
			continue
		}
		mp4, at, err := c.Clip() // taken in any case: the next passage starts afresh
		if err != nil {
			l.log.Debug("no clip from camera", "camera", c.ID, "err", err)
			continue
		}
		clips = append(clips, Evidence{Name: c.ID + "-clip.mp4", Camera: c.ID, JPEG: mp4, At: at, Kind: checks.EvidenceClip, Upload: c.ClipUpload})
	}
	return append(evidence, listEvidence(p, clips, l.o.Location)...)
}

// store judges a draft and appends its evidence and the passage to the outbox atomically.
func (l *Lane) store(d draft) {
	l.undecided(&d)
	l.fillPictures(&d)
	l.fillSnapshots(&d)
	id, err := uuid.NewV7()
	if err != nil {
		id = uuid.New()
	}
	d.id = id.String()
	p, evidence := judge(d, l.o.Registry(), l.o.Checks, l.o.Location)
	evidence = l.clips(d, &p, evidence)
	p.Site, p.Gateway, p.Lane, p.Direction = l.o.Site, l.o.Gateway, l.o.ID, l.o.Direction
	p.ID = d.id
	if l.o.ClockSynced != nil && !l.o.ClockSynced() {
		p.Clock = wire.ClockUnsynced
	}
	topics := wire.Topics(l.o.Site, l.o.Gateway)
	var body []byte
	appendBatch := func(seal func(*Passage) ([]byte, error)) error {
		_, err := l.o.Box.AppendBatch(func(n uint64) ([]outbox.Message, error) {
			p.Seq = n
			var msgs []outbox.Message
			for _, e := range evidence {
				if !e.Published(p.Alarms) {
					continue // archived only, fetched with cmd/evidence
				}
				msgs = append(msgs, outbox.Message{Topic: topics.Evidence(p.ID, e.Name), Payload: e.JPEG, QoS: 1, Kind: outbox.KindEvidence, Ref: p.ID})
			}
			var err error
			if body, err = seal(&p); err != nil {
				return nil, err
			}
			return append(msgs, outbox.Message{Topic: topics.Passage(), Payload: body, QoS: 1, Kind: outbox.KindPassage, Ref: p.ID}), nil
		})
		return err
	}
	if l.o.Sealer != nil {
		err = l.o.Sealer.Store(appendBatch)
		if errors.Is(err, seal.ErrHeadNotSaved) {
			l.log.Warn("passage stored; its chain link is not saved", "id", p.ID, "err", err)
			err = nil
		}
	} else {
		err = appendBatch(func(p *Passage) ([]byte, error) { return json.Marshal(p) })
	}
	if err != nil {
		l.storeErrors.Add(1)
		l.mu.Lock()
		l.lastErr = err.Error()
		l.mu.Unlock()
		l.log.Error("passage not stored", "id", p.ID, "err", err)
		return
	}
	l.passages.Add(1)
	switch {
	case p.Plate != nil:
		l.unread.Store(0)
	case p.Weight != nil:
		l.unread.Add(1)
	}
	l.lastPassage.Store(&p)
	if l.o.Archive != nil {
		l.o.Archive(p, body, evidence)
	}
	l.forget(d.ballot.journalled()...)
	if !d.late {
		l.remember(d, p, l.o.Now())
	}
	l.log.Info("passage", "seq", p.Seq, "id", p.ID, "plate", plateText(p), "weight", weightText(p), "alarms", p.Alarms)
	if l.o.OnStored != nil {
		l.o.OnStored(p)
	}
}

func plateText(p Passage) string {
	if p.Plate == nil {
		return "-"
	}
	return p.Plate.Text
}

func weightText(p Passage) string {
	if p.Weight == nil {
		return "-"
	}
	return fmt.Sprintf("%.0fkg", p.Weight.GrossKg)
}

// Heartbeat is when Run's loop last turned (at least every 250 ms while it is healthy), or when
// the lane was made if Run has not started yet, for the service watchdog; the zero time means
// Run has returned.
func (l *Lane) Heartbeat() time.Time {
	if n := l.beat.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Status is a lane's part of the gateway's status message.
type Status = wire.LaneStatus

// Status reports the lane's state; safe from any goroutine.
func (l *Lane) Status() Status {
	l.mu.Lock()
	s := Status{ID: l.o.ID, Deck: l.deckState.String(), LastKg: l.lastKg, Decoder: l.decStats, LastError: l.lastErr}
	if !l.lastAt.IsZero() {
		s.LastReadingAt = l.lastAt.In(l.o.Location).Format(TimeLayout)
	}
	if l.curDecoder != nil {
		s.Decoder = s.Decoder.Add(l.curDecoder.Stats())
	}
	l.mu.Unlock()
	if l.o.Link != nil {
		s.Scale = l.o.Link.Status()
	}
	s.Passages, s.PlatesDropped, s.StoreErrors = l.passages.Load(), l.platesDropped.Load(), l.storeErrors.Load()
	s.PlatesLate, s.PlatesDuplicate, s.Amendments = l.platesLate.Load(), l.platesDup.Load(), l.amendments.Load()
	s.PlatePicturesDropped = l.picturesDropped.Load()
	s.PassagesWithoutPlate = l.unread.Load()
	if b := l.o.Barrier; b.on() {
		l.mu.Lock()
		camErr := l.barrierErr
		l.mu.Unlock()
		s.Barrier = &wire.BarrierStatus{Mode: b.Mode, Via: b.Via, Decisions: l.decisions.Load(), Opened: l.opens.Load(),
			Held: l.holds.Load(), Released: l.released.Load(), CameraError: camErr}
	}
	if p := l.lastPassage.Load(); p != nil {
		s.LastPassageAt = p.EndedAt
	}
	return s
}

// setActive tells the checks that work while a truck is present whether one is.
func (l *Lane) setActive(on bool) {
	l.demand(on)
	for _, c := range l.o.Checks {
		if p, ok := c.(checks.Presence); ok {
			p.SetActive(on)
		}
	}
}
