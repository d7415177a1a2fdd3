package indicatoremu

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all"
	"sitegate/drivers/indicator/ascii"
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

			f, _ := indicator.Lookup(name)
			dopts := indicator.Options{PollInterval: 20 * time.Millisecond, ReplyTimeout: 200 * time.Millisecond, ASCII: ascii.KeliXK3118T1}
			link := serialport.NewLink("scale test", path, serialport.Mode{Baud: 9600}, nil, serialport.LinkOptions{Logger: slog.New(slog.DiscardHandler)})
			got := make(chan indicator.Reading, 64)
			linkDone := make(chan struct{})
			go func() {
				defer close(linkDone)
				link.Run(ctx, func(ctx context.Context, r io.Reader, w io.Writer) error {
					o := dopts
					o.Writer = w
					d := f(r, o)
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
