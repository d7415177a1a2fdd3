//go:build !nocv

package mudwatch

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"log/slog"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"sitegate/agent/caption"
	"sitegate/agent/checks"
	"sitegate/agent/framestore"
	"sitegate/agent/mudlearn"
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/models/mud"
	"sitegate/models/vision/head"
	"sitegate/models/vision/quality"
)

// Watcher is one camera's mud or cover check. Run it in a goroutine; SetActive and Take are safe from
// any goroutine and never wait for an analysis.
type Watcher struct {
	o           Options
	log         *slog.Logger
	scorer      mud.Scorer // nil when it could not be built; unavailable says why
	unavailable string
	wake        chan struct{}
	boxes       []quality.Box
	regionNames []string
	ref         quality.Reference // the empty lane; only the Run goroutine touches it
	keep        chan keepJob      // judged frames on their way to the store; closed under mu
	keepClosed  bool

	mu sync.Mutex
	// The frame judgement: blindN frames refused since the last Take, the latest refusal,
	// and whether the latest frame was refused (sight).
	blindN      int
	blindReason quality.Reason
	blind       quality.Reason
	// The model in force: a learned head, or nil for the shipped rule.
	head      *head.Head
	version   int
	stampT    time.Time
	stampN    int64
	checkedAt time.Time
	active    bool
	best      gocv.Mat // the best frame since the last Take, valid when hasBest
	hasBest   bool
	bestRes   mud.Result
	bestAt    time.Time
	frames    int
	lastErr   string
	closed    bool
}

// New builds the camera's scorer (loading its model) and returns the watcher. A scorer that
// cannot be built does not fail the agent: every result then says why it is unknown.
func New(o Options) *Watcher {
	o = o.withDefaults()
	w := &Watcher{o: o, log: o.Logger, wake: make(chan struct{}, 1), boxes: boxes(o.Regions), keep: make(chan keepJob, 2)}
	for _, r := range o.Regions {
		w.regionNames = append(w.regionNames, r.Name)
	}
	w.loadModel(time.Now())
	s, err := o.newScorer()
	if err != nil {
		w.unavailable = fmt.Sprintf("camera %s: %s scorer %s: %v", o.CameraID, o.Check, o.Scorer.Scorer, err)
		w.log.Error(o.Check+" check unavailable", "err", err)
	} else {
		w.scorer = s
	}
	return w
}

// Analysed is how many frames have been scored since the last Take.
func (w *Watcher) Analysed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames
}

// SetActive starts (true) or pauses (false) sampling. Starting drops whatever was kept while the
// lane was last busy but not taken: frames of the previous truck never judge the next one.
func (w *Watcher) SetActive(on bool) {
	w.mu.Lock()
	if on && !w.active && w.hasBest {
		w.best.Close()
		w.best, w.hasBest, w.bestRes, w.frames, w.lastErr = gocv.Mat{}, false, mud.Result{}, 0, ""
	}
	if on && !w.active {
		w.blindN, w.blindReason = 0, quality.Fine
	}
	w.active = on
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Watcher) isActive() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.active
}

// Run samples while active until ctx is done, then frees the kept frame and the scorer.
func (w *Watcher) Run(ctx context.Context) {
	defer w.close()
	if w.scorer == nil {
		<-ctx.Done()
		return
	}
	saved := make(chan struct{})
	go func() { defer close(saved); w.saveKept() }()
	defer func() {
		w.mu.Lock()
		w.keepClosed = true
		close(w.keep)
		w.mu.Unlock()
		<-saved
	}()
	tick := time.NewTicker(w.o.interval())
	defer tick.Stop()
	idle := time.NewTicker(w.o.ReferenceEvery)
	defer idle.Stop()
	models := time.NewTicker(2 * time.Second) // a model adopted meanwhile is in force before the next truck
	defer models.Stop()
	for {
		if !w.isActive() {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			case <-idle.C:
				w.watchIdle()
			case now := <-models.C:
				w.loadModel(now)
			}
			continue
		}
		w.analyse()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.wake:
		}
	}
}

// analyse scores the camera's latest frame and keeps it if it shows the regions best so far.
func (w *Watcher) analyse() {
	frame := gocv.NewMat()
	var at time.Time
	if !w.o.Camera.Latest(func(m gocv.Mat, t time.Time) { m.CopyTo(&frame); at = t }) {
		frame.Close()
		return
	}
	w.loadModel(time.Now())
	var ref *quality.Reference
	if w.o.EmptyLane {
		ref = &w.ref
	}
	v, err := quality.Judge(frame, w.boxes, ref, w.o.Quality)
	if err == nil && !v.OK() {
		frame.Close()
		w.mu.Lock()
		w.frames++
		w.blindN++
		w.blindReason, w.blind = v.Reason, v.Reason
		w.mu.Unlock()
		w.log.Debug("frame cannot carry a verdict", "reason", v.Reason, "measures", v.Measures.String())
		w.sight(v.Reason)
		return
	}
	w.sight(quality.Fine)
	res, err := w.scorer.Score(frame, w.o.Regions)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		frame.Close()
		w.lastErr = err.Error()
		w.log.Warn(w.o.Check+" analysis failed", "err", err)
		return
	}
	w.frames++
	w.blind = quality.Fine
	// A frame scored after the lane went idle no longer belongs to the truck that was there.
	if w.closed || !w.active || (w.hasBest && res.Quality <= w.bestRes.Quality) {
		frame.Close()
		return
	}
	if w.hasBest {
		w.best.Close()
	}
	w.best, w.hasBest, w.bestRes, w.bestAt = frame, true, res, at
}

// Peek reports whether a frame was judged since the last Take, its score and the threshold.
func (w *Watcher) Peek() (judged bool, score, threshold float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	score, threshold = w.verdictLocked(w.bestRes)
	return w.hasBest, score, threshold
}

// verdictLocked is a result's score and threshold under the model in force; mu is held.
func (w *Watcher) verdictLocked(res mud.Result) (float64, float64) {
	if w.head == nil {
		return res.Score, w.o.Threshold
	}
	scores := make([]float64, len(w.head.Regions))
	for i, name := range w.head.Regions {
		for _, r := range res.Regions {
			if r.Name == name {
				scores[i] = r.Score
			}
		}
	}
	return w.head.Score(scores), w.head.Threshold
}

// Model names the model in force ("classic/shipped", "classic/wheels-v3").
func (w *Watcher) Model() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return mudlearn.Name(w.scorerName(), w.o.CameraID, w.version)
}

func (w *Watcher) scorerName() string {
	if w.o.Scorer.Scorer == "" {
		return w.o.defaultScorer()
	}
	return w.o.Scorer.Scorer
}

// Sight reports whether the latest frame the camera gave could carry a verdict, and why not.
func (w *Watcher) Sight() (blind bool, reason string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.blind != quality.Fine, string(w.blind)
}

// loadModel reads the camera's model in force when its folder changed (checked at most every
// two seconds). A head for other regions or another scorer is not used.
func (w *Watcher) loadModel(now time.Time) {
	if w.o.Models == nil {
		return
	}
	w.mu.Lock()
	due := now.Sub(w.checkedAt) >= 2*time.Second
	if due {
		w.checkedAt = now
	}
	w.mu.Unlock()
	if !due {
		return
	}
	t, n := w.o.Models.Stamp()
	w.mu.Lock()
	same := t.Equal(w.stampT) && n == w.stampN
	w.mu.Unlock()
	if same {
		return
	}
	m, err := w.o.Models.Current()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stampT, w.stampN = t, n
	switch {
	case err != nil:
		w.log.Error("learned "+w.o.Check+" model not loaded: the model in force stays", "err", err)
	case m == nil:
		w.head, w.version = nil, 0
	case m.Head.Scorer != w.scorerName() || !sameNames(m.Head.Regions, w.regionNames):
		w.log.Error("learned "+w.o.Check+" model is for another scorer or other regions: the shipped one judges", "version", m.Version)
		w.head, w.version = nil, 0
	default:
		h := m.Head
		w.head, w.version = &h, m.Version
		w.log.Info(w.o.Check+" model in force", "model", mudlearn.Name(w.scorerName(), w.o.CameraID, m.Version))
	}
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sight tells OnSight whether the camera sees.
func (w *Watcher) sight(r quality.Reason) {
	if w.o.OnSight == nil {
		return
	}
	if r == quality.Fine {
		w.o.OnSight(false, "")
		return
	}
	w.o.OnSight(true, r.Message())
}

// watchIdle looks at a frame while no truck is in the lane: a camera that cannot see is
// reported before the next truck, and the empty lane is learned.
func (w *Watcher) watchIdle() {
	frame := gocv.NewMat()
	defer frame.Close()
	if !w.o.Camera.Latest(func(m gocv.Mat, _ time.Time) { m.CopyTo(&frame) }) {
		return
	}
	v, err := quality.Judge(frame, w.boxes, nil, w.o.Quality)
	if err != nil {
		return
	}
	w.mu.Lock()
	w.blind = v.Reason
	w.mu.Unlock()
	w.sight(v.Reason)
	if v.OK() && w.o.EmptyLane {
		if err := quality.Learn(&w.ref, frame, w.boxes); err != nil {
			w.log.Debug("empty lane not learned", "err", err)
		}
	}
}

// keepJob is a judged frame on its way to the store.
type keepJob struct {
	kept  framestore.Kept
	frame gocv.Mat
}

// saveKept writes judged frames to the store until the channel closes.
func (w *Watcher) saveKept() {
	for j := range w.keep {
		w.put(j)
		j.frame.Close()
	}
}

func (w *Watcher) put(j keepJob) {
	frame, err := encodeQ(j.frame, 95)
	if err != nil {
		w.log.Warn("judged frame not kept", "err", err)
		return
	}
	var crops [][]byte
	for _, r := range w.o.Regions {
		b := r.Bounds(j.frame.Cols(), j.frame.Rows())
		if b.Empty() {
			w.log.Warn("judged frame not kept: a region is empty", "region", r.Name)
			return
		}
		sub := j.frame.Region(b)
		c, err := encodeQ(sub, 95)
		sub.Close()
		if err != nil {
			w.log.Warn("judged frame not kept", "err", err)
			return
		}
		crops = append(crops, c)
		j.kept.Crops = append(j.kept.Crops, r.Name+".jpg")
	}
	if err := w.o.Store.Put(j.kept, frame, crops); err != nil {
		w.log.Warn("judged frame not kept", "passage", j.kept.PassageID, "err", err)
	}
}

// Take returns the judgement of the best frame since the last Take, with its evidence, and
// starts afresh. caption is written on the annotated image.
func (w *Watcher) Take(c checks.Caption) checks.VisionOutcome {
	w.mu.Lock()
	frame, has, res, at, frames, lastErr := w.best, w.hasBest, w.bestRes, w.bestAt, w.frames, w.lastErr
	blindN, blindReason := w.blindN, w.blindReason
	score, threshold := w.verdictLocked(res)
	model := mudlearn.Name(w.scorerName(), w.o.CameraID, w.version)
	w.best, w.hasBest, w.bestRes, w.frames, w.lastErr = gocv.Mat{}, false, mud.Result{}, 0, ""
	w.blindN, w.blindReason = 0, quality.Fine
	w.mu.Unlock()
	out := checks.VisionOutcome{Camera: w.o.CameraID, Threshold: threshold}
	if w.scorer != nil {
		out.Scorer = w.scorer.Name()
	}
	if !has {
		if blindN > 0 && lastErr == "" && w.scorer != nil {
			out.Reason = blindReason.Message() // every frame of the truck was refused
		} else {
			out.Reason = w.whyNothing(frames, lastErr)
		}
		return out
	}
	defer frame.Close()
	out.Judged, out.Score, out.At, out.Model = true, score, at, model
	out.Kind = w.o.kind(res, score, threshold)
	for _, r := range res.Regions {
		out.Regions = append(out.Regions, wire.RegionScore{Name: r.Name, Score: r.Score})
	}
	if w.o.Store != nil && c.PassageID != "" {
		k := framestore.Kept{PassageID: c.PassageID, Camera: w.o.CameraID, Check: w.o.Check, At: at, Scorer: out.Scorer, Model: model,
			Score: score, Threshold: threshold, Regions: out.Regions}
		job := keepJob{kept: k, frame: frame.Clone()}
		w.mu.Lock()
		sent := false
		if !w.keepClosed {
			select {
			case w.keep <- job:
				sent = true
			default:
				w.log.Warn("judged frame not kept: the store is behind", "passage", c.PassageID)
			}
		}
		w.mu.Unlock()
		if !sent {
			job.frame.Close()
		}
	}
	var err error
	if out.Raw, err = encode(frame); err != nil {
		w.log.Warn(w.o.Check+" evidence", "err", err)
	}
	shown := at
	if w.o.Location != nil {
		shown = at.In(w.o.Location)
	}
	v := verdictLine{check: w.o.Check, kind: out.Kind, score: score, threshold: threshold}
	if out.Annotated, err = annotate(&frame, w.o.Regions, res, v, c, shown, w.o.Language); err != nil {
		w.log.Warn(w.o.Check+" evidence", "err", err)
	}
	return out
}

func (w *Watcher) whyNothing(frames int, lastErr string) string {
	if w.scorer == nil {
		return w.unavailable
	}
	if lastErr != "" {
		return fmt.Sprintf("camera %s: analysis failed: %s", w.o.CameraID, lastErr)
	}
	st := w.o.Camera.Status()
	if st.State != camera.StateStreaming {
		msg := fmt.Sprintf("camera %s is %s", w.o.CameraID, st.State)
		if st.LastError != "" {
			msg += ": " + st.LastError
		}
		return msg
	}
	return fmt.Sprintf("camera %s: no recent frame while the truck was in the lane", w.o.CameraID)
}

func (w *Watcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.hasBest {
		w.best.Close()
		w.hasBest = false
	}
	if w.scorer != nil {
		w.scorer.Close()
	}
}

func encode(m gocv.Mat) ([]byte, error) { return encodeQ(m, 85) }

func encodeQ(m gocv.Mat, q int) ([]byte, error) {
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, q})
	if err != nil {
		return nil, err
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

var (
	red    = color.RGBA{R: 230, G: 30, B: 30, A: 255}
	green  = color.RGBA{R: 40, G: 210, B: 60, A: 255}
	white  = color.RGBA{R: 255, G: 255, B: 255, A: 255}
	shadow = color.RGBA{A: 255}
)

// verdictLine is what the annotated image says of the check's verdict: the check's words, the
// kind found, and the score against the threshold of the model in force.
type verdictLine struct {
	check, kind      string
	score, threshold float64
}

// annotate outlines and scores each region and writes the verdict (score against threshold:
// the model in force may not be the shipped rule; the kind found, for cover), plate, weight,
// the other alarms and the time, in lang (the words and the plate in Chinese glyphs,
// agent/caption), and returns the image as a JPEG.
func annotate(m *gocv.Mat, regions []mud.Region, res mud.Result, v verdictLine, c checks.Caption, at time.Time, lang string) ([]byte, error) {
	score, threshold := v.score, v.threshold
	if m.Type() != gocv.MatTypeCV8UC3 {
		conv := gocv.NewMat()
		if m.Type() == gocv.MatTypeCV8UC1 {
			gocv.CvtColor(*m, &conv, gocv.ColorGrayToBGR)
		} else {
			gocv.CvtColor(*m, &conv, gocv.ColorBGRAToBGR)
		}
		m.Close()
		*m = conv
	}
	w, h := m.Cols(), m.Rows()
	thick := max(1, h/360)
	type label struct {
		s   string
		at  image.Point
		col color.RGBA
	}
	px := max(16, h*32/720)
	var labels []label
	for i, r := range regions {
		col := green
		score := 0.0
		if i < len(res.Regions) {
			score = res.Regions[i].Score
		}
		if score >= threshold {
			col = red
		}
		pv := gocv.NewPointsVectorFromPoints([][]image.Point{r.Points(w, h)})
		gocv.Polylines(m, pv, true, col, thick)
		pv.Close()
		b := r.Bounds(w, h)
		labels = append(labels, label{fmt.Sprintf("%s %.2f", r.Name, score), image.Pt(b.Min.X+4*thick, b.Min.Y+px+2*thick), col})
	}
	alarm := score >= threshold
	col := green
	if alarm {
		col = red
	}
	line := px * 6 / 5
	labels = append(labels,
		label{caption.CheckVerdict(lang, v.check, v.kind, alarm, score, threshold), image.Pt(10, line), col},
		label{caption.PlateLine(lang, c.Plate, c.WeightKg), image.Pt(10, 2*line), white})
	y := 3 * line
	if a := caption.AlarmLine(lang, c.Alarms); a != "" {
		labels = append(labels, label{a, image.Pt(10, y), red})
		y += line
	}
	labels = append(labels, label{at.Format("2006-01-02 15:04:05.000 -07:00"), image.Pt(10, y), white})
	img, err := m.ToImage()
	if err != nil {
		return nil, err
	}
	dst, ok := img.(draw.Image)
	if !ok {
		return nil, fmt.Errorf("annotation: %T is not drawable", img)
	}
	for _, l := range labels {
		if _, err := caption.Draw(dst, caption.Text{S: l.s, At: l.at, Px: px, Color: l.col}); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
