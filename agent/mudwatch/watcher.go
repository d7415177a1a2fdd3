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
	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/models/mud"
)

// Watcher is one camera's mud check. Run it in a goroutine; SetActive and Take are safe from
// any goroutine and never wait for an analysis.
type Watcher struct {
	o           Options
	log         *slog.Logger
	scorer      mud.Scorer // nil when it could not be built; unavailable says why
	unavailable string
	wake        chan struct{}

	mu      sync.Mutex
	active  bool
	best    gocv.Mat // the best frame since the last Take, valid when hasBest
	hasBest bool
	bestRes mud.Result
	bestAt  time.Time
	frames  int
	lastErr string
	closed  bool
}

// New builds the camera's scorer (loading its model) and returns the watcher. A scorer that
// cannot be built does not fail the agent: every result then says why it is unknown.
func New(o Options) *Watcher {
	o = o.withDefaults()
	w := &Watcher{o: o, log: o.Logger, wake: make(chan struct{}, 1)}
	s, err := mud.New(o.Scorer)
	if err != nil {
		w.unavailable = fmt.Sprintf("camera %s: mud scorer %s: %v", o.CameraID, o.Scorer.Scorer, err)
		w.log.Error("mud check unavailable", "err", err)
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
	tick := time.NewTicker(w.o.interval())
	defer tick.Stop()
	for {
		if !w.isActive() {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
				continue
			}
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
	res, err := w.scorer.Score(frame, w.o.Regions)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		frame.Close()
		w.lastErr = err.Error()
		w.log.Warn("mud analysis failed", "err", err)
		return
	}
	w.frames++
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
	return w.hasBest, w.bestRes.Score, w.o.Threshold
}

// Take returns the judgement of the best frame since the last Take, with its evidence, and
// starts afresh. caption is written on the annotated image.
func (w *Watcher) Take(caption checks.Caption) checks.VisionOutcome {
	w.mu.Lock()
	frame, has, res, at, frames, lastErr := w.best, w.hasBest, w.bestRes, w.bestAt, w.frames, w.lastErr
	w.best, w.hasBest, w.bestRes, w.frames, w.lastErr = gocv.Mat{}, false, mud.Result{}, 0, ""
	w.mu.Unlock()
	out := checks.VisionOutcome{Camera: w.o.CameraID, Threshold: w.o.Threshold}
	if w.scorer != nil {
		out.Scorer = w.scorer.Name()
	}
	if !has {
		out.Reason = w.whyNothing(frames, lastErr)
		return out
	}
	defer frame.Close()
	out.Judged, out.Score, out.At = true, res.Score, at
	for _, r := range res.Regions {
		out.Regions = append(out.Regions, wire.RegionScore{Name: r.Name, Score: r.Score})
	}
	var err error
	if out.Raw, err = encode(frame); err != nil {
		w.log.Warn("mud evidence", "err", err)
	}
	shown := at
	if w.o.Location != nil {
		shown = at.In(w.o.Location)
	}
	if out.Annotated, err = annotate(&frame, w.o.Regions, res, w.o.Threshold, caption, shown, w.o.Language); err != nil {
		w.log.Warn("mud evidence", "err", err)
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

func encode(m gocv.Mat) ([]byte, error) {
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, 85})
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

// annotate outlines and scores each region and writes the verdict, plate, weight, the other
// alarms and the time, in lang (the words and the plate in Chinese glyphs, agent/caption), and
// returns the image as a JPEG.
func annotate(m *gocv.Mat, regions []mud.Region, res mud.Result, threshold float64, c checks.Caption, at time.Time, lang string) ([]byte, error) {
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
	alarm := res.Score >= threshold
	col := green
	if alarm {
		col = red
	}
	line := px * 6 / 5
	labels = append(labels,
		label{caption.Verdict(lang, alarm, res.Score, threshold), image.Pt(10, line), col},
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
