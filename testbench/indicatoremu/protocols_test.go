package indicatoremu

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net"
	"testing"
	"time"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all"
	"sitegate/drivers/indicator/indicatortest"
	"sitegate/drivers/serialport"
	"sitegate/testbench/pty"
)

// TestEveryProtocolOverAPty runs the emulator of each protocol on a pty and its decoder, through
// a serial Link, on the other side: continuous ones stream, polled ones are polled and answer.
func TestEveryProtocolOverAPty(t *testing.T) {
	for _, name := range Protocols() {
		t.Run(name, func(t *testing.T) {
			sp, err := ForProtocol(name, 'A')
			if err != nil {
				t.Fatal(err)
			}
			m, path := pty.Pair(t)
			opts := Options{Seed: 1}
			sp.Apply(&opts)
			if sp.Polled() {
				opts.Requests = m
			}
			em := New(m, 20*time.Millisecond, opts)
			ctx, cancel := context.WithCancel(context.Background())
			emDone := make(chan error, 1)
			go func() { emDone <- em.Run(ctx) }()
			if err := em.Play(ctx, Profile{{From: 0, To: 31200, For: 100 * time.Millisecond}}); err != nil {
				t.Fatal(err)
			}

			p, _ := indicator.Get(name)
			dopts := indicator.Options{PollInterval: 20 * time.Millisecond, ReplyTimeout: 200 * time.Millisecond, Profile: p.Example}
			link := serialport.NewLink("scale test", path, serialport.Mode{Baud: 9600}, nil, serialport.LinkOptions{Logger: slog.New(slog.DiscardHandler)})
			got := make(chan indicator.Reading, 64)
			linkDone := make(chan struct{})
			go func() {
				defer close(linkDone)
				link.Run(ctx, func(ctx context.Context, r io.Reader, w io.Writer) error {
					o := dopts
					o.Writer = w
					d := p.New(r, o)
					defer d.Close()
					for {
						rd, err := d.Next()
						if err != nil {
							return err
						}
						select {
						case got <- rd:
						default:
						}
					}
				})
			}()
			deadline := time.After(10 * time.Second)
			ok := 0
			for ok < 3 {
				select {
				case rd := <-got:
					if math.Abs(rd.Kg-31200) < 1e-6 {
						ok++
					}
				case <-deadline:
					t.Fatalf("no 31200 kg readings from the %s emulator", name)
				}
			}
			cancel()
			<-linkDone
			<-emDone
		})
	}
}

// TestEmulatorRoundTripsEveryProtocol has the emulator speak each registered protocol and the
// protocol's own decoder read it back: a continuous one from what the emulator streamed, a
// polled one over a pipe, polling and answered. A protocol without an emulation, or whose
// emulation its decoder cannot read, fails here.
func TestEmulatorRoundTripsEveryProtocol(t *testing.T) {
	const kg = 31200
	for _, p := range indicator.Protocols() {
		t.Run(p.Name, func(t *testing.T) {
			noLeak(t)
			sp, err := ForProtocol(p.Name, 0)
			if err != nil {
				t.Fatal(err)
			}
			if sp.Polled() != p.Polled {
				t.Fatalf("the emulation answers polls: %v; the protocol is polled: %v", sp.Polled(), p.Polled)
			}
			dopts := indicator.Options{Profile: p.Example}
			if !p.Polled {
				var out syncBuffer
				opts := Options{}
				sp.Apply(&opts)
				if err := New(&out, rate, opts).Play(context.Background(), Profile{{From: kg, To: kg, For: 5 * rate}}); err != nil {
					t.Fatal(err)
				}
				got, st, _ := indicatortest.Decode(p.New(bytes.NewReader(out.Bytes()), dopts))
				if len(got) < 4 || st.Frames != uint64(len(got)) { // a format whose frame ends with the next frame's start loses the last
					t.Fatalf("%d readings from 5 frames (stats %+v) of %q", len(got), st, out.Bytes())
				}
				for _, r := range got {
					if r.Kg != kg {
						t.Fatalf("reading %v, want %d kg, from %q", r, kg, out.Bytes())
					}
				}
				return
			}
			host, ind := net.Pipe()
			defer host.Close()
			defer ind.Close()
			opts := Options{Requests: ind}
			sp.Apply(&opts)
			em := New(ind, rate, opts)
			em.SetWeight(kg)
			ctx, cancel := context.WithCancel(context.Background())
			runErr := make(chan error, 1)
			go func() { runErr <- em.Run(ctx) }()
			dopts.Writer, dopts.PollInterval, dopts.ReplyTimeout = host, 5*time.Millisecond, time.Second
			d := p.New(host, dopts)
			for i := range 3 {
				r, err := d.Next()
				if err != nil {
					t.Fatal(err)
				}
				if r.Kg != kg {
					t.Fatalf("reading %d: %v, want %d kg", i, r, kg)
				}
			}
			d.Close()
			cancel()
			<-runErr
		})
	}
}
