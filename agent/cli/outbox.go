package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"sitegate/agent/gateway"
	"sitegate/agent/outbox"
	config "sitegate/firmware-config"
)

func init() {
	register(command{
		name: "outbox",
		usage: `  outbox --config FILE [--list] [--max N] [--json]
                             the outbox: depth, bytes, oldest age, drops; --list names what waits
`,
		run: runOutbox,
	})
}

// runOutbox prints the outbox of the gateway configured in FILE. A running agent is asked
// through its report socket; otherwise the store is opened read-only (after a crash, a
// recovered copy of its index is read). Neither changes anything.
func runOutbox(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("outbox", stderr)
	path := fs.String("config", "", "the config file")
	list := fs.Bool("list", false, "list the waiting messages, oldest first")
	maxN := fs.Int("max", 1000, "with --list, at most this many")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: sitegate outbox --config FILE [--list] [--max N] [--json]")
		return ExitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		reportConfigError(stderr, *path, err)
		return ExitUsage
	}
	n := 0
	if *list {
		n = max(*maxN, 1)
	}
	sock := filepath.Join(cfg.Store.Dir, gateway.ReportSocket)
	r, err := outbox.QueryReport(sock, n)
	if errors.Is(err, outbox.ErrNoAgent) {
		r, err = outbox.ReadReport(filepath.Join(cfg.Store.Dir, "outbox"), n)
		if errors.Is(err, outbox.ErrStoreBusy) { // an agent started meanwhile: ask it
			r, err = outbox.QueryReport(sock, n)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "sitegate outbox: %v\n", err)
		return ExitRuntime
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
		return ExitOK
	}
	printReport(stdout, r)
	return ExitOK
}

func printReport(w io.Writer, r outbox.Report) {
	s := r.Stats
	src := "running agent"
	if r.Source == "store" {
		src = "store files (no agent running)"
	}
	fmt.Fprintf(w, "outbox %s (from the %s)\n", r.Dir, src)
	fmt.Fprintf(w, "depth       %d messages\n", s.Depth)
	fmt.Fprintf(w, "bytes       %d waiting, %d on disk\n", s.Bytes, r.DiskBytes)
	fmt.Fprintf(w, "oldest age  %s\n", (time.Duration(r.OldestAgeS * float64(time.Second))).Round(time.Second))
	fmt.Fprintf(w, "passages    %d stored since the store was created\n", s.Batches)
	d := s.Drops
	fmt.Fprintf(w, "drops       %d (evidence %d, passages %d, announcements %d; %d bytes in %d announced passes)\n",
		d.Total(), d.Evidence, d.Passages, d.Announcements, d.Bytes, d.Events)
	if len(r.Items) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-10s %-13s %-8s %-36s %9s  %s\n", "ENTRY", "KIND", "SEQ", "ID", "BYTES", "APPENDED")
	for _, it := range r.Items {
		seq := "-"
		if it.Batch > 0 {
			seq = fmt.Sprint(it.Batch)
		}
		id := it.Ref
		if id == "" {
			id = "-"
		}
		at := "-"
		if !it.At.IsZero() {
			at = it.At.Local().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%-10d %-13s %-8s %-36s %9d  %s\n", it.Seq, it.Kind, seq, id, it.Bytes, at)
	}
}
