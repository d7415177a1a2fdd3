package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"sitegate/drivers/indicator"
	"sitegate/drivers/serialport"
	"sitegate/drivers/serialport/capture"
	config "sitegate/firmware-config"
)

const scaleUsage = `  scale detect PORT          find the indicator's protocol, baud and framing (within 20 s)
  scale watch PORT --protocol P | --config FILE --lane ID
                             a live view of readings and their flags
  scale record PORT --out FILE [--duration D]
                             record the raw bytes with their times, for replay in tests
  scale profiles             list the built-in indicator models (scale.indicator)
`

func init() {
	register(command{name: "scale", usage: scaleUsage, run: runScale})
}

func runScale(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage:\n"+scaleUsage)
		return ExitUsage
	}
	switch args[0] {
	case "detect":
		return scaleDetect(ctx, args[1:], stdout, stderr)
	case "watch":
		return scaleWatch(ctx, args[1:], stdout, stderr)
	case "record":
		return scaleRecord(ctx, args[1:], stdout, stderr)
	case "profiles":
		for _, p := range config.IndicatorProfiles() {
			fmt.Fprintf(stdout, "%-16s %-12s %5d %s  %s\n", p.Name, p.Protocol, p.Baud, p.Framing, p.About)
		}
		return ExitOK
	}
	fmt.Fprintf(stderr, "sitegate scale: unknown subcommand %q\nusage:\n%s", args[0], scaleUsage)
	return ExitUsage
}

// parseArgs parses flags that may come before or after the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// lineFlags are the serial settings every scale command takes.
type lineFlags struct {
	baud                    *int
	framing, backend, proto *string
	address                 *string
	poll, reply             *time.Duration
}

func addLineFlags(fs *flag.FlagSet) *lineFlags {
	return &lineFlags{
		baud:    fs.Int("baud", 9600, "baud rate"),
		framing: fs.String("framing", "8N1", "data bits, parity and stop bits, e.g. 8N1 or 7E1"),
		backend: fs.String("backend", "bugst", "serial backend: bugst or tarm"),
		proto:   fs.String("protocol", "", "indicator protocol ("+strings.Join(indicator.Names(), ", ")+")"),
		address: fs.String("address", "A", "polled protocols: the indicator's address"),
		poll:    fs.Duration("poll-interval", indicator.DefaultPollInterval, "polled protocols: time between requests"),
		reply:   fs.Duration("reply-timeout", indicator.DefaultReplyTimeout, "polled protocols: reply timeout"),
	}
}

func (f *lineFlags) mode() (serialport.Mode, error) {
	bits, par, stop, err := serialport.ParseFraming(*f.framing)
	if err != nil {
		return serialport.Mode{}, err
	}
	m := serialport.Mode{Baud: *f.baud, DataBits: bits, Parity: par, StopBits: stop}
	return m, m.Validate()
}

func (f *lineFlags) opener() (serialport.Opener, error) {
	o, err := serialport.Backend(*f.backend)
	if err != nil {
		return nil, err
	}
	return serialport.WithUSB(o, nil), nil
}

// ---- detect ----

// detectBauds and detectFramings are tried in this order: the common settings first.
var (
	detectBauds    = []int{9600, 4800, 2400, 1200, 19200}
	detectFramings = []string{"8N1", "7E1", "8E1", "7O1"}
)

type verdict struct {
	protocol indicator.Protocol
	stats    indicator.Stats
	last     indicator.Reading
	n        int // bytes seen
}

// judge decodes data with every protocol and returns those that explain it, best first.
func judge(data []byte, protocols []indicator.Protocol) []verdict {
	var out []verdict
	for _, p := range protocols {
		d := p.New(bytes.NewReader(data), indicator.Options{Profile: p.Example})
		var last indicator.Reading
		for {
			r, err := d.Next()
			if err != nil {
				break
			}
			last = r
		}
		d.Close()
		st := d.Stats()
		if st.Frames == 0 {
			continue
		}
		// Most of the bytes must belong to frames, and bad frames must be few.
		if st.DiscardedBytes*3 > uint64(len(data)) || st.BadFrames*3 > st.Frames+1 {
			continue
		}
		out = append(out, verdict{protocol: p, stats: st, last: last, n: len(data)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.stats.Frames != b.stats.Frames {
			return a.stats.Frames > b.stats.Frames
		}
		if a.stats.BadFrames != b.stats.BadFrames {
			return a.stats.BadFrames < b.stats.BadFrames
		}
		// The same frames read in both orders ("=" formats): the indicator pads with leading
		// zeros, which the wrong order turns into trailing ones, so the smaller value is right.
		if ka, kb := math.Abs(a.last.Kg), math.Abs(b.last.Kg); ka != kb {
			return ka < kb
		}
		if a.protocol.Rank != b.protocol.Rank {
			return a.protocol.Rank < b.protocol.Rank
		}
		return a.protocol.Name < b.protocol.Name
	})
	return out
}

// listen collects what the port sends for d, writing each of polls first (spread over d).
func listen(ctx context.Context, open serialport.Opener, path string, m serialport.Mode, d time.Duration, polls [][]byte) ([]byte, error) {
	p, err := open(path, m)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var got []byte
	buf := make([]byte, 512)
	end := time.Now().Add(d)
	next := time.Now()
	i := 0
	for time.Now().Before(end) && ctx.Err() == nil {
		if len(polls) > 0 && !time.Now().Before(next) {
			if _, err := p.Write(polls[i%len(polls)]); err != nil {
				return got, err
			}
			i++
			next = time.Now().Add(d / time.Duration(3*len(polls)+1))
		}
		n, err := p.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
	return got, ctx.Err()
}

func scaleDetect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scale detect", stderr)
	backend := fs.String("backend", "bugst", "serial backend: bugst or tarm")
	timeout := fs.Duration("timeout", 20*time.Second, "give up after this long")
	window := fs.Duration("window", 600*time.Millisecond, "how long to listen at each setting")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: sitegate scale detect PORT [--backend bugst|tarm] [--timeout 20s]")
		return ExitUsage
	}
	open, err := serialport.Backend(*backend)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	open = serialport.WithUSB(open, nil)
	path := pos[0]
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var continuous, polled []indicator.Protocol
	for _, p := range indicator.Protocols() {
		if p.Polled {
			polled = append(polled, p)
		} else {
			continuous = append(continuous, p) // a protocol with a profile is tried with its example
		}
	}
	type seen struct {
		setting string
		n       int
		sample  []byte
	}
	var saw []seen
	for _, framing := range detectFramings {
		for _, baud := range detectBauds {
			if ctx.Err() != nil {
				break
			}
			bits, par, stop, _ := serialport.ParseFraming(framing)
			m := serialport.Mode{Baud: baud, DataBits: bits, Parity: par, StopBits: stop}
			setting := fmt.Sprintf("%d %s", baud, framing)
			data, err := listen(ctx, open, path, m, *window, nil)
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "scale detect (%s): %v\n", path, err)
				if len(data) == 0 {
					return ExitRuntime
				}
			}
			vs := judge(data, continuous)
			if len(data) == 0 { // a silent line: ask, one polled protocol at a time
				for _, p := range polled {
					if p.Probe == nil || ctx.Err() != nil {
						continue
					}
					data, _ = listen(ctx, open, path, m, *window, [][]byte{p.Probe})
					if vs = judge(data, []indicator.Protocol{p}); len(vs) > 0 {
						break
					}
				}
			}
			if len(data) > 0 {
				saw = append(saw, seen{setting, len(data), data[:min(len(data), 24)]})
			}
			if len(vs) == 0 {
				continue
			}
			best := vs[0]
			fmt.Fprintf(stdout, "match: %s at %s (backend %s)\n", best.protocol.Name, setting, *backend)
			check := "the format has no checksum"
			if best.protocol.Checksummed {
				check = fmt.Sprintf("%d checksums passed", best.stats.Frames)
			}
			fmt.Fprintf(stdout, "evidence: %d frames decoded from %d bytes, %s, %d bad frames, %d bytes skipped; last reading %s\n",
				best.stats.Frames, best.n, check, best.stats.BadFrames, best.stats.DiscardedBytes, readingText(best.last))
			for _, v := range vs[1:] {
				fmt.Fprintf(stdout, "also decodes as: %s (%d frames, last %s)\n", v.protocol.Name, v.stats.Frames, readingText(v.last))
			}
			fmt.Fprintf(stdout, "config: scale: {protocol: %s, baud: %d, framing: %s}\n", best.protocol.Name, baud, framing)
			fmt.Fprintf(stdout, "took %.2fs\n", time.Since(start).Seconds())
			return ExitOK
		}
	}
	fmt.Fprintf(stdout, "no match on %s after %.1fs\n", path, time.Since(start).Seconds())
	if len(saw) == 0 {
		fmt.Fprintln(stdout, "the line was silent at every setting, and no polled protocol answered: check the cable (TX/RX crossed?) and that the indicator's serial output is on")
	}
	for _, s := range saw {
		fmt.Fprintf(stdout, "saw %d bytes at %s: % X\n", s.n, s.setting, s.sample)
	}
	return ExitRuntime
}

func readingText(r indicator.Reading) string {
	var flags []string
	switch {
	case r.Has(indicator.Overload):
		return "over range"
	case r.Has(indicator.Underload):
		return "under range"
	}
	if r.Has(indicator.MotionKnown) {
		if r.Has(indicator.Motion) {
			flags = append(flags, "motion")
		} else {
			flags = append(flags, "stable")
		}
	}
	if r.Has(indicator.Net) {
		flags = append(flags, "net")
	} else {
		flags = append(flags, "gross")
	}
	return fmt.Sprintf("%g kg %s", r.Kg, strings.Join(flags, " "))
}

// ---- watch ----

func scaleWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scale watch", stderr)
	lf := addLineFlags(fs)
	cfgPath := fs.String("config", "", "take the port and settings of a lane of this config")
	laneID := fs.String("lane", "", "the lane, with --config")
	count := fs.Int("count", 0, "stop after this many readings (0: until interrupted)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	var (
		path  string
		mode  serialport.Mode
		open  serialport.Opener
		proto string
		opts  indicator.Options
	)
	switch {
	case *cfgPath != "" && len(pos) == 0:
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			reportConfigError(stderr, *cfgPath, err)
			return ExitUsage
		}
		var lc *config.Lane
		for i := range cfg.Lanes {
			if cfg.Lanes[i].ID == *laneID {
				lc = &cfg.Lanes[i]
			}
		}
		if lc == nil {
			fmt.Fprintf(stderr, "sitegate scale watch: no lane %q in %s\n", *laneID, *cfgPath)
			return ExitUsage
		}
		s := lc.Scale
		bits, par, stop, _ := serialport.ParseFraming(s.Framing)
		path, proto, opts = s.Port, s.Protocol, s.IndicatorOptions()
		mode = serialport.Mode{Baud: s.Baud, DataBits: bits, Parity: par, StopBits: stop}
		b, _ := serialport.Backend(s.Backend)
		open = serialport.WithUSB(b, nil)
	case *cfgPath == "" && len(pos) == 1 && *lf.proto != "":
		path, proto = pos[0], *lf.proto
		if mode, err = lf.mode(); err == nil {
			open, err = lf.opener()
		}
		if err != nil {
			fmt.Fprintln(stderr, "sitegate scale watch:", err)
			return ExitUsage
		}
		opts = indicator.Options{Address: *lf.address, PollInterval: *lf.poll, ReplyTimeout: *lf.reply}
	default:
		fmt.Fprintln(stderr, "usage: sitegate scale watch PORT --protocol P [--baud N --framing 8N1] | --config FILE --lane ID")
		return ExitUsage
	}
	p, ok := indicator.Get(proto)
	if !ok {
		fmt.Fprintf(stderr, "sitegate scale watch: unknown protocol %q (%s)\n", proto, strings.Join(indicator.Names(), ", "))
		return ExitUsage
	}
	if opts.Profile == nil {
		opts.Profile = p.Example // --protocol without a config: the protocol's example profile
	}
	fmt.Fprintf(stdout, "watching %s: %s at %s\n", path, proto, mode)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	n := 0
	link := serialport.NewLink("scale watch", path, mode, open, serialport.LinkOptions{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	link.Run(ctx, func(sctx context.Context, r io.Reader, w io.Writer) error {
		o := opts
		o.Writer = w
		d := p.New(r, o)
		defer d.Close()
		for {
			rd, err := d.Next()
			if err != nil {
				return err
			}
			st := d.Stats()
			mu.Lock()
			n++
			fmt.Fprintf(stdout, "%s  %12s  frames %d bad %d timeouts %d\n", rd.Time.Format("15:04:05.000"), readingText(rd), st.Frames, st.BadFrames, st.Timeouts)
			done := *count > 0 && n >= *count
			mu.Unlock()
			if done {
				cancel()
				return nil
			}
		}
	})
	return ExitOK
}

// ---- record ----

func scaleRecord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("scale record", stderr)
	lf := addLineFlags(fs)
	out := fs.String("out", "", "the capture file to write")
	dur := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || *out == "" {
		fmt.Fprintln(stderr, "usage: sitegate scale record PORT --out FILE [--baud N --framing 8N1] [--protocol P (polls a polled one)] [--duration D]")
		return ExitUsage
	}
	mode, err := lf.mode()
	var open serialport.Opener
	if err == nil {
		open, err = lf.opener()
	}
	if err != nil {
		fmt.Fprintln(stderr, "sitegate scale record:", err)
		return ExitUsage
	}
	var polled *indicator.Protocol // the protocol to poll with while recording, if polled
	if *lf.proto != "" {
		p, ok := indicator.Get(*lf.proto)
		if !ok {
			fmt.Fprintf(stderr, "sitegate scale record: unknown protocol %q\n", *lf.proto)
			return ExitUsage
		}
		if p.Polled {
			polled = &p
		}
	}
	file, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate scale record:", err)
		return ExitRuntime
	}
	defer file.Close()
	rec := capture.NewRecorder(file, nil, fmt.Sprintf("port %s %s", pos[0], mode), "protocol "+*lf.proto)
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	fmt.Fprintf(stdout, "recording %s at %s to %s\n", pos[0], mode, *out)
	var bytesIn int
	link := serialport.NewLink("scale record", pos[0], mode, open, serialport.LinkOptions{Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	link.Run(ctx, func(sctx context.Context, r io.Reader, w io.Writer) error {
		src := rec.Reader(r)
		if polled != nil {
			// Poll as the lane would, and record the requests too.
			d := polled.New(src, indicator.Options{Writer: recWriter{rec, w}, Address: *lf.address, PollInterval: *lf.poll, ReplyTimeout: *lf.reply})
			defer d.Close()
			for {
				if _, err := d.Next(); err != nil {
					return err
				}
			}
		}
		buf := make([]byte, 512)
		for {
			n, err := src.Read(buf)
			bytesIn += n
			if err != nil {
				return err
			}
		}
	})
	if err := rec.Flush(); err != nil {
		fmt.Fprintln(stderr, "sitegate scale record:", err)
		return ExitRuntime
	}
	if err := file.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		fmt.Fprintln(stderr, "sitegate scale record:", err)
		return ExitRuntime
	}
	fmt.Fprintf(stdout, "recorded %d bytes to %s\n", bytesIn, *out)
	return ExitOK
}

type recWriter struct {
	rec *capture.Recorder
	w   io.Writer
}

func (r recWriter) Write(p []byte) (int, error) {
	r.rec.Record(capture.Write, p)
	return r.w.Write(p)
}
