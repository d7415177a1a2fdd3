package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"sitegate/drivers/serialport"
	"sitegate/testbench/indicatoremu"
	"sitegate/testbench/pty"
)

const emulateUsage = `  emulate scale --protocol P (--pty | --port PATH) [--truck KG | --weight KG]
                             an indicator: byte-exact frames of any protocol (answering polls
                             for the polled ones), truck visits, faults; --port makes a
                             hardware-in-loop bench with a USB-serial loopback cable
`

func init() {
	register(command{name: "emulate", usage: emulateUsage + platecamEmulateUsage, run: runEmulate})
}

// syncWriter serialises writes to the command's output.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func runEmulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "platecam" {
		return emulatePlatecam(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "scale" {
		fmt.Fprint(stderr, "usage:\n"+emulateUsage+platecamEmulateUsage)
		return ExitUsage
	}
	fs := newFlags("emulate scale", stderr)
	lf := addLineFlags(fs)
	usePty := fs.Bool("pty", false, "emulate on a new pty pair and print the path to open")
	port := fs.String("port", "", "emulate on this serial port (a loopback cable to the port under test)")
	weight := fs.Float64("weight", 0, "a constant weight in kg")
	truck := fs.Float64("truck", 0, "trucks of this gross weight in kg cross the deck, one after another")
	gap := fs.Duration("gap", 3*time.Second, "empty deck between trucks")
	rate := fs.Duration("rate", 100*time.Millisecond, "frame interval of continuous protocols")
	garbage := fs.Int("garbage", 0, "random bytes after every Nth frame")
	corrupt := fs.Int("corrupt", 0, "damage every Nth frame (checksum or layout error)")
	dropout := fs.String("dropout", "", "N:M: M silent frames out of every N")
	disconnect := fs.Duration("disconnect-every", 0, "with --pty: close the pty and open a new one this often (an unplug)")
	seed := fs.Int64("seed", 1, "seed of the noise and faults")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 0 || *lf.proto == "" || *usePty == (*port != "") {
		fmt.Fprint(stderr, "usage:\n"+emulateUsage)
		return ExitUsage
	}
	var addr byte
	if len(*lf.address) == 1 {
		addr = (*lf.address)[0]
	}
	sp, err := indicatoremu.ForProtocol(*lf.proto, addr)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate emulate scale:", err)
		return ExitUsage
	}
	opts := indicatoremu.Options{GarbageEvery: *garbage, CorruptEvery: *corrupt, Seed: *seed}
	if *dropout != "" {
		if _, err := fmt.Sscanf(*dropout, "%d:%d", &opts.DropoutEvery, &opts.DropoutFrames); err != nil || opts.DropoutFrames >= opts.DropoutEvery {
			fmt.Fprintln(stderr, "sitegate emulate scale: --dropout wants N:M with M < N")
			return ExitUsage
		}
	}
	sp.Apply(&opts)
	out := &syncWriter{w: stdout}

	// session runs the emulator on rw until ctx is done or the period ends.
	session := func(ctx context.Context, rw io.ReadWriter) error {
		o := opts
		if sp.Polled() {
			o.Requests = rw
		}
		em := indicatoremu.New(rw, *rate, o)
		em.SetWeight(*weight)
		runErr := make(chan error, 1)
		go func() { runErr <- em.Run(ctx) }()
		if *truck > 0 {
			for ctx.Err() == nil {
				if em.Play(ctx, indicatoremu.Truck(*truck)) != nil {
					break
				}
				fmt.Fprintf(out, "truck %g kg crossed\n", *truck)
				if em.Play(ctx, indicatoremu.Profile{{From: 0, To: 0, For: *gap}}) != nil {
					break
				}
			}
		} else if *weight != 0 {
			em.Play(ctx, indicatoremu.Profile{{From: *weight, To: *weight, For: *rate}})
		}
		err := <-runErr
		if ctx.Err() != nil {
			return nil
		}
		return err
	}

	if *port != "" {
		mode, err := lf.mode()
		var open serialport.Opener
		if err == nil {
			open, err = lf.opener()
		}
		if err != nil {
			fmt.Fprintln(stderr, "sitegate emulate scale:", err)
			return ExitUsage
		}
		p, err := open(*port, mode)
		if err != nil {
			fmt.Fprintf(stderr, "sitegate emulate scale (%s): %v\n", *port, err)
			return ExitRuntime
		}
		defer p.Close()
		fmt.Fprintf(out, "emulating %s on %s at %s\n", *lf.proto, *port, mode)
		if err := session(ctx, p); err != nil {
			fmt.Fprintf(stderr, "sitegate emulate scale (%s): %v\n", *port, err)
			return ExitRuntime
		}
		return ExitOK
	}
	for ctx.Err() == nil {
		m, path, err := pty.Open()
		if err != nil {
			fmt.Fprintln(stderr, "sitegate emulate scale:", err)
			return ExitRuntime
		}
		fmt.Fprintf(out, "emulating %s on %s\n", *lf.proto, path)
		sctx, cancel := context.WithCancel(ctx)
		if *disconnect > 0 {
			sctx, cancel = context.WithTimeout(ctx, *disconnect)
		}
		err = session(sctx, m)
		cancel()
		m.Close()
		if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "input/output error") {
			fmt.Fprintln(stderr, "sitegate emulate scale:", err)
			return ExitRuntime
		}
		if *disconnect == 0 {
			break
		}
		fmt.Fprintf(out, "unplugged %s\n", path)
	}
	return ExitOK
}
