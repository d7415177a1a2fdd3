package washcam

import (
	"image"
	"testing"
	"time"

	"sitegate/models/vision/quality"
	"sitegate/testbench/washscene"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func bay() [][]Point {
	var p []Point
	for _, q := range washscene.Bay {
		p = append(p, Point{q[0], q[1]})
	}
	return [][]Point{p}
}

func grey(img *image.Gray) quality.Grey {
	return quality.Grey{Pix: img.Pix, W: img.Rect.Dx(), H: img.Rect.Dy()}
}

// run plays a scene at one frame a second and returns the stays the detector made.
func run(t *testing.T, sc washscene.Script, cfg Config) (stays [][2]float64, maxShare float64) {
	t.Helper()
	d, err := New(cfg, bay())
	if err != nil {
		t.Fatal(err)
	}
	r := washscene.NewRenderer(sc, 320, 180)
	var start time.Time
	for s := 0.0; s <= sc.Seconds; s++ {
		rd, err := d.Observe(grey(r.Frame(s)), sec(s))
		if err != nil {
			t.Fatal(err)
		}
		maxShare = max(maxShare, rd.Share)
		switch {
		case rd.Occupied && start.IsZero():
			start = rd.At
		case !rd.Occupied && !start.IsZero():
			stays = append(stays, [2]float64{start.Sub(t0).Seconds(), rd.At.Sub(t0).Seconds()})
			start = time.Time{}
		}
	}
	return stays, maxShare
}

func TestTruckStay(t *testing.T) {
	sc := washscene.Script{Seconds: 90, Seed: 3, Trucks: []washscene.Truck{{Enter: 20, StandS: 40, Tone: 170}}}
	stays, _ := run(t, sc, Config{})
	truth := sc.Truth()
	if len(stays) != 1 || len(truth) != 1 {
		t.Fatalf("stays %v, truth %v", stays, truth)
	}
	got, want := stays[0][1]-stays[0][0], truth[0].End-truth[0].Start
	if d := got - want; d < -2.5 || d > 2.5 {
		t.Errorf("stay %v lasted %.1f s, truth %v %.1f s", stays[0], got, truth[0], want)
	}
}

// A truck of the floor's own brightness is still seen, by its edges.
func TestTruckOfTheFloorsTone(t *testing.T) {
	sc := washscene.Script{Seconds: 80, Seed: 4, Trucks: []washscene.Truck{{Enter: 15, StandS: 35, Tone: 105}}}
	if stays, _ := run(t, sc, Config{}); len(stays) != 1 {
		t.Fatalf("stays %v", stays)
	}
}

// People walking through, spray with no truck and light changes make no stay.
func TestNoStayWithoutATruck(t *testing.T) {
	cases := map[string]washscene.Script{
		"person":     {Seconds: 40, People: []washscene.Person{{At: 10, Dur: 8}, {At: 25, Dur: 4}}},
		"spray":      {Seconds: 40, Sprays: []washscene.Spray{{At: 10, Dur: 5}}},
		"clouds":     {Seconds: 60, Lights: []washscene.Light{{At: 10, RampS: 5, Gain: 0.55}, {At: 30, RampS: 8, Gain: 1.4}}},
		"floodlight": {Seconds: 40, Lights: []washscene.Light{{At: 10, Gain: 1.5}, {At: 25, Gain: 0.6}}},
		"rain":       {Seconds: 40, Rain: true, People: []washscene.Person{{At: 10, Dur: 6}}},
	}
	for name, sc := range cases {
		t.Run(name, func(t *testing.T) {
			sc.Seed = 11
			stays, share := run(t, sc, Config{})
			if len(stays) != 0 {
				t.Errorf("stays %v (largest changed share %.2f)", stays, share)
			}
		})
	}
}

// A short presence (shorter than MinOn) is no stay; a gap shorter than MinOff does not split one.
func TestMinimumTimes(t *testing.T) {
	d, err := New(Config{Cols: 4, Rows: 4, MinOn: 3 * time.Second, MinOff: 3 * time.Second}, [][]Point{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	empty := quality.Grey{W: 16, H: 16, Pix: make([]uint8, 256)}
	full := quality.Grey{W: 16, H: 16, Pix: make([]uint8, 256)}
	for i := range empty.Pix {
		empty.Pix[i] = uint8(80 + (i*37)%40)
		full.Pix[i] = empty.Pix[i]
		if i%16 < 12 { // three quarters of the bay: a change of the whole bay is the light's
			full.Pix[i] = uint8(200 - (i*13)%60)
		}
	}
	var log []Reading
	play := func(from, to int, g quality.Grey) {
		for s := from; s < to; s++ {
			r, err := d.Observe(g, sec(float64(s)))
			if err != nil {
				t.Fatal(err)
			}
			log = append(log, r)
		}
	}
	play(0, 5, empty)
	play(5, 7, full) // 2 s: too short
	play(7, 10, empty)
	if d.Occupied() {
		t.Fatal("a 2 s presence made a stay")
	}
	play(10, 20, full)
	if !d.Occupied() || log[len(log)-1].At.IsZero() {
		t.Fatal("a 10 s presence made no stay")
	}
	// It started when it was first seen, at 10 s.
	for _, r := range log[10:] {
		if r.Occupied {
			if r.At != sec(10) {
				t.Fatalf("stay started at %v, want 10 s", r.At.Sub(t0))
			}
			break
		}
	}
	play(20, 22, empty) // 2 s gap: the same stay
	play(22, 30, full)
	if !d.Occupied() {
		t.Fatal("a 2 s gap ended the stay")
	}
	play(30, 40, empty)
	last := log[len(log)-1]
	if d.Occupied() {
		t.Fatal("the stay never ended")
	}
	// The end is when the bay first looked empty, at 30 s (reported when MinOff passed).
	var end time.Time
	for i := 30; i < len(log); i++ {
		if !log[i].Occupied {
			end = log[i].At
			break
		}
	}
	if end != sec(30) {
		t.Errorf("stay ended at %v, want 30 s (last reading %+v)", end.Sub(t0), last)
	}
}

func TestConfigAndRegion(t *testing.T) {
	sq := [][]Point{{{0.1, 0.1}, {0.9, 0.1}, {0.9, 0.9}, {0.1, 0.9}}}
	bad := []struct {
		name   string
		cfg    Config
		region [][]Point
	}{
		{"no region", Config{}, nil},
		{"two points", Config{}, [][]Point{{{0, 0}, {1, 1}}}},
		{"outside", Config{}, [][]Point{{{0, 0}, {1.5, 0}, {1, 1}}}},
		{"tiny", Config{}, [][]Point{{{0.5, 0.5}, {0.505, 0.5}, {0.505, 0.505}}}},
		{"shares", Config{OnShare: 0.1, OffShare: 0.2}, sq},
		{"cells", Config{Cols: 100}, sq},
		{"learn", Config{Learn: 2}, sq},
	}
	for _, b := range bad {
		if _, err := New(b.cfg, b.region); err == nil {
			t.Errorf("%s: accepted", b.name)
		}
	}
	d, err := New(Config{}, sq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Observe(quality.Grey{W: 4, H: 4, Pix: make([]uint8, 16)}, t0); err == nil {
		t.Error("a 4x4 frame was taken")
	}
	if _, err := d.Observe(quality.Grey{W: 12, H: 12, Pix: make([]uint8, 144)}, t0); err == nil {
		t.Error("a region smaller than its cells was taken")
	}
	// A triangle covers about half the cells of its box.
	tri, err := New(Config{}, [][]Point{{{0, 0}, {1, 0}, {0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if tri.nIn < 60 || tri.nIn > 100 {
		t.Errorf("triangle covers %d of 160 cells", tri.nIn)
	}
}
