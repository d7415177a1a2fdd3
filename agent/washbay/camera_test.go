package washbay

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sitegate/models/vision/quality"
	"sitegate/models/washcam"
	"sitegate/testbench/washscene"
)

func bayRegion() [][]washcam.Point {
	var p []washcam.Point
	for _, q := range washscene.Bay {
		p = append(p, washcam.Point{X: q[0], Y: q[1]})
	}
	return [][]washcam.Point{p}
}

func greyOf(img *image.Gray) quality.Grey {
	return quality.Grey{Pix: img.Pix, W: img.Rect.Dx(), H: img.Rect.Dy()}
}

// sceneBay plays a scene through a camera input at one frame every period and returns the bay.
func sceneBay(t testing.TB, sc washscene.Script, period float64, blind func(s float64) bool) *Bay {
	d, err := washcam.New(washcam.Config{}, bayRegion())
	if err != nil {
		t.Fatal(err)
	}
	r := washscene.NewRenderer(sc, 320, 180)
	var s float64
	in := &CameraInput{Detector: d, Frames: func() (Frame, error) {
		f := Frame{Grey: greyOf(r.Frame(s)), At: at(s)}
		if blind != nil && blind(s) {
			f.Blind = string(quality.TooDark)
		}
		return f, nil
	}}
	b := New(Options{Lane: "exit-1", Source: "camera", Input: in})
	for s = 0; s <= sc.Seconds; s += period {
		on, when, err := in.ReadAt(context.Background())
		if err != nil {
			b.Fail(err, at(s))
			continue
		}
		b.Observe(on, when)
		if b.Status().State == "occupied" {
			b.AddFrame([]byte(fmt.Sprintf("frame at %.0f", s)), at(s))
		}
	}
	return b
}

func TestCameraBayStays(t *testing.T) {
	sc := washscene.Script{Seconds: 160, Seed: 5, Trucks: []washscene.Truck{{Enter: 10, StandS: 45, Tone: 190}, {Enter: 90, StandS: 12, Tone: 60}},
		People: []washscene.Person{{At: 70, Dur: 7}}}
	b := sceneBay(t, sc, 1, nil)
	truth := sc.Truth()
	s1, found, down := b.Find(at(0), at(80), "v1", true)
	if !found || down {
		t.Fatalf("first truck: %v %v %v", s1, found, down)
	}
	if e := s1.Duration().Seconds() - (truth[0].End - truth[0].Start); e < -3 || e > 3 {
		t.Errorf("first stay %.1f s, truth %.1f s", s1.Duration().Seconds(), truth[0].End-truth[0].Start)
	}
	s2, found, _ := b.Find(at(80), at(160), "v2", true)
	if !found || s2.Duration() > 20*time.Second {
		t.Fatalf("second truck: %v %v", s2, found)
	}
	if st := b.Status(); st.Stays != 2 {
		t.Errorf("%d stays, want 2 (the person made one?)", st.Stays)
	}
	// The evidence frame is from the middle of the first stay.
	_, jpeg, fat, ok := b.Frame(s1)
	mid := s1.Start.Add(s1.Duration() / 2)
	if !ok || absDur(fat.Sub(mid)) > 4*time.Second || len(jpeg) == 0 {
		t.Errorf("frame of the first stay: %v at %v, middle %v", ok, fat.Sub(t0), mid.Sub(t0))
	}
}

// A blind camera is an input that is down: a truck that washed while it was is unknown.
func TestBlindCameraIsDown(t *testing.T) {
	sc := washscene.Script{Seconds: 80, Seed: 6, Trucks: []washscene.Truck{{Enter: 10, StandS: 40, Tone: 190}}}
	b := sceneBay(t, sc, 1, func(s float64) bool { return s > 5 })
	if st := b.Status(); st.State != "down" || !strings.Contains(st.LastError, "blind: too dark") {
		t.Fatalf("status %+v", st)
	}
	if _, found, down := b.Find(at(0), at(80), "v", false); found || !down {
		t.Errorf("found %v down %v, want no stay and down", found, down)
	}
}

// TestCameraDurationError runs the camera source over random wash-bay scenes (trucks standing
// 8-90 s, people, spray, light changes; a third of them in rain) and reports the error of each
// stay's duration against the truth, and missed and false stays.
func TestCameraDurationError(t *testing.T) {
	if os.Getenv("SITEGATE_TEST_EXEC") != "" || testing.Short() {
		t.Skip("compute-heavy: many frames")
	}
	for _, period := range []float64{1, 2} {
		var errs []float64
		missed, false_, total := 0, 0, 0
		for seed := uint64(1); seed <= 9; seed++ {
			sc := washscene.Random(seed, 8, seed%3 == 0)
			b := sceneBay(t, sc, period, nil)
			truth := sc.Truth()
			total += len(truth)
			b.mu.Lock()
			got := slices.Clone(b.stays)
			b.mu.Unlock()
			used := map[int]bool{}
			for _, tr := range truth {
				hit := -1
				for i, g := range got {
					gs, ge := g.Start.Sub(t0).Seconds(), g.End.Sub(t0).Seconds()
					if !used[i] && gs < tr.End && ge > tr.Start {
						hit = i
						break
					}
				}
				if hit < 0 {
					t.Logf("period %.0f s, scene %d: missed the stay %.1f-%.1f s", period, seed, tr.Start, tr.End)
					missed++
					continue
				}
				used[hit] = true
				e := got[hit].Duration().Seconds() - (tr.End - tr.Start)
				if e < 0 {
					e = -e
				}
				if e > 2*period+2 {
					t.Logf("period %.0f s, scene %d: stay %.1f-%.1f s seen as %v-%v", period, seed, tr.Start, tr.End, got[hit].Start.Sub(t0), got[hit].End.Sub(t0))
				}
				errs = append(errs, e)
			}
			false_ += len(got) - len(used)
		}
		slices.Sort(errs)
		med, worst := errs[len(errs)/2], errs[len(errs)-1]
		t.Logf("one frame every %.0f s: %d true stays, %d found, %d missed, %d false; |duration error| median %.2f s, worst %.2f s",
			period, total, len(errs), missed, false_, med, worst)
		if missed > 0 || false_ > 0 || worst > 2*period+2 {
			t.Errorf("period %.0f s: missed %d, false %d, worst %.2f s", period, missed, false_, worst)
		}
	}
}

// Before its first frame a camera input is not down (the stream is opening); once it has seen
// frames, a missing frame is.
func TestCameraInputStarting(t *testing.T) {
	d, err := washcam.New(washcam.Config{}, bayRegion())
	if err != nil {
		t.Fatal(err)
	}
	r := washscene.NewRenderer(washscene.Script{Seconds: 10}, 320, 180)
	have := false
	in := &CameraInput{Detector: d, Frames: func() (Frame, error) {
		if !have {
			return Frame{}, errors.New("no frame")
		}
		return Frame{Grey: greyOf(r.Frame(0)), At: time.Now()}, nil
	}}
	if _, _, err := in.ReadAt(context.Background()); !errors.Is(err, ErrNotYet) {
		t.Fatalf("before the first frame: %v", err)
	}
	have = true
	if _, _, err := in.ReadAt(context.Background()); err != nil {
		t.Fatal(err)
	}
	have = false
	if _, _, err := in.ReadAt(context.Background()); err == nil || errors.Is(err, ErrNotYet) {
		t.Fatalf("a camera that lost its frames: %v", err)
	}
}

// switchInput is an input a test turns on and off.
type switchInput struct{ on atomic.Bool }

func (s *switchInput) Read(context.Context) (bool, error) { return s.on.Load(), nil }

// Whatever the source, a bay with a camera keeps a frame of each stay: the Modbus input says
// when, the camera gives the frames.
func TestFrameOfAModbusStay(t *testing.T) {
	in := &switchInput{}
	var shots atomic.Int32
	b := New(Options{Lane: "exit-1", Source: "modbus", Input: in, Poll: 5 * time.Millisecond, FrameEvery: 10 * time.Millisecond, FrameCamera: "bay",
		Frame: func(context.Context) ([]byte, time.Time, error) {
			n := shots.Add(1)
			return []byte(fmt.Sprintf("frame %d", n)), time.Now(), nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	in.on.Store(true)
	for deadline := time.Now().Add(10 * time.Second); shots.Load() < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no frames taken during the stay")
		}
	}
	in.on.Store(false)
	for deadline := time.Now().Add(10 * time.Second); b.Status().Stays < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stay did not end")
		}
	}
	taken := shots.Load()
	s, found, _ := b.Find(time.Now().Add(-time.Minute), time.Now().Add(time.Minute), "v", true)
	if !found {
		t.Fatal("no stay")
	}
	cam, jpeg, at, ok := b.Frame(s)
	if !ok || cam != "bay" || len(jpeg) == 0 || at.Before(s.Start) || at.After(s.End) {
		t.Fatalf("frame of the stay: %v %q %q at %v, stay %v", ok, cam, jpeg, at, s)
	}
	// No frames are taken with the bay empty.
	time.Sleep(50 * time.Millisecond)
	if n := shots.Load(); n > taken+1 {
		t.Errorf("%d frames taken with the bay empty", n-taken)
	}
}
