package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/mjpegcam"
	"sitegate/testbench/pty"
)

// plug is an emulated indicator's serial line as the agent sees it: a stable path (a symlink)
// to the slave side of a pty pair. unplug closes the pair and removes the path, as a USB-serial
// adapter pulled out; replug makes a new pair behind the same path.
type plug struct {
	link string

	mu     sync.Mutex
	master *os.File // nil while unplugged
}

func newPlug(link string) (*plug, error) {
	p := &plug{link: link}
	return p, p.replug()
}

func (p *plug) replug() error {
	m, slave, err := pty.Open()
	if err != nil {
		return err
	}
	_ = os.Remove(p.link)
	if err := os.Symlink(slave, p.link); err != nil {
		m.Close()
		return err
	}
	p.mu.Lock()
	p.master = m
	p.mu.Unlock()
	return nil
}

func (p *plug) unplug() {
	p.mu.Lock()
	m := p.master
	p.master = nil
	p.mu.Unlock()
	_ = os.Remove(p.link)
	if m != nil {
		m.Close()
	}
}

func (p *plug) current() *os.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.master
}

// Write sends bytes down the line; unplugged, they go nowhere.
func (p *plug) Write(b []byte) (int, error) {
	m := p.current()
	if m == nil {
		return len(b), nil
	}
	m.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := m.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed) {
		return len(b), nil // nobody reads: the frame is lost, as on a real line
	}
	return n, err
}

// Read takes a polled indicator's requests; unplugged, nothing comes.
func (p *plug) Read(b []byte) (int, error) {
	for {
		m := p.current()
		if m == nil {
			time.Sleep(50 * time.Millisecond)
			return 0, os.ErrDeadlineExceeded
		}
		m.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := m.Read(b)
		if errors.Is(err, os.ErrClosed) {
			continue
		}
		return n, err
	}
}

// SetReadDeadline lets the emulator's responder notice cancellation; each Read sets its own.
func (p *plug) SetReadDeadline(time.Time) error { return nil }

func (p *plug) close() { p.unplug() }

// sample is one point of a lane's weight trace.
type sample struct {
	At time.Time
	Kg float64
}

// emuIndicator is an emulated indicator and the trace of what it sent.
type emuIndicator struct {
	lane string
	rate time.Duration
	line *plug
	em   *indicatoremu.Emulator

	mu    sync.Mutex
	trace []sample
}

func startIndicator(ctx context.Context, dir string, d Indicator, wg *sync.WaitGroup) (*emuIndicator, error) {
	link := filepath.Join(dir, "tty-"+d.Lane)
	line, err := newPlug(link)
	if err != nil {
		return nil, fmt.Errorf("indicator %s: pty pair: %w", d.Lane, err)
	}
	sp, err := indicatoremu.ForProtocol(d.Protocol, 0)
	if err != nil {
		line.close()
		return nil, err
	}
	e := d.Emulate
	rate := e.Rate.D()
	if rate <= 0 {
		rate = 100 * time.Millisecond
	}
	opts := indicatoremu.Options{GarbageEvery: e.GarbageEvery, CorruptEvery: e.CorruptEvery, Seed: e.Seed}
	if e.Dropout != "" {
		fmt.Sscanf(e.Dropout, "%d:%d", &opts.DropoutEvery, &opts.DropoutFrames)
	}
	sp.Apply(&opts)
	if sp.Polled() {
		opts.Requests = line
	}
	ind := &emuIndicator{lane: d.Lane, rate: rate, line: line, em: indicatoremu.New(line, rate, opts)}
	wg.Add(2)
	go func() { defer wg.Done(); _ = ind.em.Run(ctx) }()
	go func() { defer wg.Done(); ind.record(ctx) }()
	return ind, nil
}

// record samples the emulator's weight once a frame interval.
func (ind *emuIndicator) record(ctx context.Context) {
	t := time.NewTicker(ind.rate)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			kg := ind.em.Current()
			ind.mu.Lock()
			if ind.line.current() == nil {
				kg = -1 // unplugged: no reading
			}
			ind.trace = append(ind.trace, sample{At: now, Kg: kg})
			ind.mu.Unlock()
		}
	}
}

func (ind *emuIndicator) samples() []sample {
	ind.mu.Lock()
	defer ind.mu.Unlock()
	return append([]sample(nil), ind.trace...)
}

// startCamera starts an emulated video camera: an HTTP MJPEG stream of a generated gate
// picture, which a camera_blind step takes down (the stream ends and new requests fail).
func startCamera() (*mjpegcam.Camera, error) {
	return mjpegcam.Start(gatePicture(640, 360), 0)
}

// noiseJPEG is a JPEG of random pixels of about size bytes (noise does not compress).
func noiseJPEG(size int) []byte {
	side := max(16, int(math.Sqrt(float64(size)/1.2)))
	img := image.NewGray(image.Rect(0, 0, side, side))
	rng := rand.New(rand.NewPCG(uint64(size), 1))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.UintN(256))
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes()
}

// gatePicture draws a plain gate scene (sky, road, a lane marking) as a JPEG, without OpenCV.
func gatePicture(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{120, 160, 210, 255}
			switch {
			case y > h*2/3 && (x/40)%2 == 0 && y < h*2/3+8:
				c = color.RGBA{240, 240, 240, 255}
			case y > h/2:
				v := uint8(90 + (x*y)%23)
				c = color.RGBA{v, v, v, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}
