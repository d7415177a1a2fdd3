package indicatoremu

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/yaohua"
	"sitegate/drivers/serialport"
	"sitegate/testbench/pty"
)

// rate is the frame interval in tests: fast, and nothing asserts on time.
const rate = time.Millisecond

// ramp is a noise-free profile with distinct weights.
var ramp = Profile{
	{From: 0, To: 0, For: 3 * rate},
	{From: 0, To: 1000, For: 10 * rate},
	{From: 1000, To: 1000, For: 5 * rate},
	{From: 1000, To: -40, For: 4 * rate},
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.b.Bytes())
}

func decode(t *testing.T, b []byte) ([]float64, indicator.Stats) {
	t.Helper()
	d := yaohua.NewTF0(bytes.NewReader(b), indicator.Options{})
	var out []float64
	for {
		r, err := d.Next()
		if err == io.EOF {
			return out, d.Stats()
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Kg)
	}
}

func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("goroutines: %d after, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func TestWeights(t *testing.T) {
	want := []float64{0, 0, 0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000, 1000, 1000, 1000, 1000, 740, 480, 220, -40}
	if got := ramp.Weights(rate, 20); !slices.Equal(got, want) {
		t.Errorf("Weights = %v\nwant      %v", got, want)
	}
	// Rounding to the division.
	p := Profile{{From: 0, To: 70, For: 2 * rate}}
	if got := p.Weights(rate, 20); !slices.Equal(got, []float64{40, 80}) {
		t.Errorf("Weights with division 20 = %v, want [40 80]", got)
	}
	if got := p.Weights(rate, 0); !slices.Equal(got, []float64{40, 80}) {
		t.Errorf("Weights with default division = %v, want [40 80]", got)
	}
}

func TestPlayDecodesToProfile(t *testing.T) {
	noLeak(t)
	var out syncBuffer
	e := New(&out, rate, Options{})
	if err := e.Play(context.Background(), ramp); err != nil {
		t.Fatal(err)
	}
	got, st := decode(t, out.Bytes())
	if want := ramp.Weights(rate, 20); !slices.Equal(got, want) {
		t.Errorf("decoded %v\nwant    %v", got, want)
	}
	if st.BadFrames != 0 || st.DiscardedBytes != 0 {
		t.Errorf("stats %+v, want clean frames only", st)
	}
	if e.Current() != -40 || e.Frames() != uint64(len(got)) {
		t.Errorf("Current %v Frames %d, want -40 and %d", e.Current(), e.Frames(), len(got))
	}
}

func TestGarbageAndCorruption(t *testing.T) {
	var out syncBuffer
	e := New(&out, rate, Options{GarbageEvery: 3, CorruptEvery: 5, Seed: 7})
	if err := e.Play(context.Background(), ramp); err != nil {
		t.Fatal(err)
	}
	var want []float64
	for i, w := range ramp.Weights(rate, 20) {
		if (i+1)%5 != 0 {
			want = append(want, w)
		}
	}
	got, st := decode(t, out.Bytes())
	if !slices.Equal(got, want) {
		t.Errorf("decoded %v\nwant    %v", got, want)
	}
	if st.BadFrames < 4 || st.DiscardedBytes < 4*12 {
		t.Errorf("stats %+v: want the 4 damaged frames and the garbage counted", st)
	}
}

func TestNoiseIsBoundedAndSeeded(t *testing.T) {
	p := Profile{{From: 5000, To: 5000, For: 50 * rate, NoiseKg: 100}}
	run := func(seed int64) []byte {
		var out syncBuffer
		if err := New(&out, rate, Options{Seed: seed}).Play(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	a, b, c := run(1), run(1), run(2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different streams")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same stream")
	}
	got, _ := decode(t, a)
	distinct := map[float64]bool{}
	for _, kg := range got {
		distinct[kg] = true
		if kg < 4900 || kg > 5100 || math.Mod(kg, 20) != 0 {
			t.Errorf("noisy weight %v: want within 5000±100 on the 20 kg division", kg)
		}
	}
	if len(distinct) < 3 {
		t.Errorf("noise produced only %v", distinct)
	}
}

func TestRunAndPlaySequence(t *testing.T) {
	noLeak(t)
	var out syncBuffer
	e := New(&out, rate, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- e.Run(ctx) }()

	second := Profile{{From: -40, To: 2000, For: 3 * rate}, {From: 2000, To: 2000, For: 2 * rate}}
	for _, p := range []Profile{ramp, second} {
		if err := e.Play(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if err := e.Play(ctx, ramp); !errors.Is(err, context.Canceled) {
		t.Errorf("Play after cancel = %v, want context.Canceled", err)
	}

	// The stream is: the empty deck, the first profile, its last weight held, the second
	// profile, its last weight held.
	got, _ := decode(t, out.Bytes())
	w1, w2 := ramp.Weights(rate, 20), second.Weights(rate, 20)
	if !matchesSequence(got, []float64{0}, w1, []float64{-40}, w2, []float64{2000}) {
		t.Errorf("stream %v\ndoes not play %v then %v", got, w1, w2)
	}
}

// matchesSequence reports whether got is hold0* p1 hold1* p2 hold2* where each hold is a single
// repeated weight.
func matchesSequence(got, hold0, p1, hold1, p2, hold2 []float64) bool {
	skip := func(s []float64, h float64) []float64 {
		for len(s) > 0 && s[0] == h {
			s = s[1:]
		}
		return s
	}
	for a := 0; a <= len(got); a++ {
		if !slices.Equal(slices.Repeat(hold0, a), got[:a]) {
			break
		}
		rest := got[a:]
		if len(rest) < len(p1) || !slices.Equal(rest[:len(p1)], p1) {
			continue
		}
		rest = rest[len(p1):]
		for b := 0; b <= len(rest); b++ {
			if !slices.Equal(slices.Repeat(hold1, b), rest[:b]) {
				break
			}
			r2 := rest[b:]
			if len(r2) >= len(p2) && slices.Equal(r2[:len(p2)], p2) && len(skip(r2[len(p2):], hold2[0])) == 0 {
				return true
			}
		}
	}
	return false
}

func TestPlayCancelled(t *testing.T) {
	noLeak(t)
	var out syncBuffer
	e := New(&out, rate, Options{})
	runCtx, stopRun := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- e.Run(runCtx) }()

	long := Profile{{From: 0, To: 0, For: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	playErr := make(chan error, 1)
	go func() { playErr <- e.Play(ctx, long) }()
	for e.Frames() < 5 {
		time.Sleep(rate)
	}
	cancel()
	if err := <-playErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Play = %v, want context.Canceled", err)
	}
	// Run is free again for the next profile.
	if err := e.Play(context.Background(), Profile{{From: 500, To: 500, For: rate}}); err != nil {
		t.Errorf("Play after a cancelled one = %v", err)
	}
	if e.Current() != 500 {
		t.Errorf("Current = %v, want 500", e.Current())
	}
	stopRun()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
}

func TestPlayWhenRunStops(t *testing.T) {
	noLeak(t)
	e := New(io.Discard, rate, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- e.Run(ctx) }()
	for e.Frames() < 1 { // only Run sends frames here
		time.Sleep(rate)
	}
	if err := e.Run(ctx); err != ErrBusy {
		t.Errorf("second Run = %v, want ErrBusy", err)
	}
	playErr := make(chan error, 1)
	// If the scheduler starts Play only after Run has stopped, Play plays the hour-long profile
	// on its own; playCtx ends it then, so the test cannot hang.
	playCtx, playCancel := context.WithCancel(context.Background())
	defer playCancel()
	go func() { playErr <- e.Play(playCtx, Profile{{For: time.Hour}}) }()
	for e.Frames() < 3 {
		time.Sleep(rate)
	}
	cancel()
	<-runErr
	select {
	case err := <-playErr:
		playErr <- err
	case <-time.After(5 * time.Second):
		playCancel()
	}
	if err := <-playErr; !errors.Is(err, context.Canceled) && !errors.Is(err, ErrStopped) {
		t.Errorf("Play while Run stops = %v, want context.Canceled or ErrStopped", err)
	}
}

// longestStable is the longest run of consecutive weights above minKg within bandKg.
func longestStable(ws []float64, minKg, bandKg float64) int {
	best := 0
	for i := range ws {
		lo, hi := ws[i], ws[i]
		for j := i; j < len(ws) && ws[j] > minKg; j++ {
			lo, hi = min(lo, ws[j]), max(hi, ws[j])
			if hi-lo > bandKg {
				break
			}
			best = max(best, j-i+1)
		}
	}
	return best
}

func TestTruckAndBackOffShapes(t *testing.T) {
	const frame = 100 * time.Millisecond
	const twoSeconds = 20 // frames
	for _, c := range []struct {
		name   string
		p      Profile
		peak   float64
		stable bool
	}{
		{"truck", Truck(31200), 31200, true},
		{"back off", BackOff(20000), 20000, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Played at 1 ms frames with steps 100 times shorter: the frames of a 100 ms stream.
			fast := slices.Clone(c.p)
			for i := range fast {
				fast[i].For /= frame / rate
			}
			var out syncBuffer
			if err := New(&out, rate, Options{Seed: 3}).Play(context.Background(), fast); err != nil {
				t.Fatal(err)
			}
			got, _ := decode(t, out.Bytes())
			if got[0] != 0 || got[len(got)-1] != 0 {
				t.Errorf("%s does not start and end on an empty deck: %v", c.name, got)
			}
			if m := slices.Max(got); m < c.peak*0.95 || m > c.peak*1.05 {
				t.Errorf("%s peaks at %v, want about %v", c.name, m, c.peak)
			}
			stableFrames := longestStable(got, 500, 20)
			if c.stable && stableFrames < twoSeconds {
				t.Errorf("truck is stable for %d frames, want at least %d", stableFrames, twoSeconds)
			}
			if !c.stable && stableFrames >= twoSeconds/2 {
				t.Errorf("back-off is stable for %d frames, want fewer than %d", stableFrames, twoSeconds/2)
			}
		})
	}
}

// TestOverPty plays a profile on a pty master and decodes it from the slave, as the demo does.
func TestOverPty(t *testing.T) {
	noLeak(t)
	m, path := pty.Pair(t)
	port, err := serialport.OpenBugst(path, serialport.Mode{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()

	e := New(m, rate, Options{GarbageEvery: 7})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- e.Run(ctx) }()
	if err := e.Play(ctx, ramp); err != nil {
		t.Fatal(err)
	}

	want := ramp.Weights(rate, 20)
	d := yaohua.NewTF0(port, indicator.Options{})
	var got []float64
	deadline := time.Now().Add(10 * time.Second)
	for !containsRun(got, want) {
		if time.Now().After(deadline) {
			t.Fatalf("decoded %v\nwithout %v", got, want)
		}
		r, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Kg)
	}
	cancel()
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v", err)
	}
}

func containsRun(s, sub []float64) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if slices.Equal(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
