package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"sitegate/agent/archive"
	"sitegate/agent/gateway"
	"sitegate/agent/seal"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
)

func init() {
	register(command{
		name: "archive",
		usage: `  archive find --config FILE [--plate P] [--since T] [--until T] [--alarm NAME] [--json]
                             archived passages, oldest first (T: RFC 3339 or YYYY-MM-DD)
  archive export --config FILE --id ID --out DIR
                             one archived passage: its JSON, its files and manifest.json
`,
		run: runArchive,
	})
	register(command{
		name: "verify",
		usage: `  verify [--key K] PASSAGE.json|DIR [FILES...]
                             check a passage's signature and its files (an export's folder, or
                             a folder of exports: also the chain); exit 0 valid, 1 invalid
`,
		run: runVerify,
	})
}

// archiveDir reads the config at path and returns the archive's folder and the site's zone.
func archiveDir(path string, stderr io.Writer) (string, *time.Location, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		reportConfigError(stderr, path, err)
		return "", nil, false
	}
	return filepath.Join(cfg.Store.Dir, gateway.ArchiveDir), cfg.Location(), true
}

func runArchive(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "find" && args[0] != "export") {
		fmt.Fprintln(stderr, "usage: sitegate archive find|export --config FILE ...")
		return ExitUsage
	}
	fs := newFlags("archive "+args[0], stderr)
	path := fs.String("config", "", "the config file")
	if args[0] == "export" {
		id := fs.String("id", "", "the passage id")
		out := fs.String("out", "", "the folder to write into")
		if err := fs.Parse(args[1:]); err != nil {
			return ExitUsage
		}
		if *path == "" || *id == "" || *out == "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "usage: sitegate archive export --config FILE --id ID --out DIR")
			return ExitUsage
		}
		dir, _, ok := archiveDir(*path, stderr)
		if !ok {
			return ExitUsage
		}
		m, err := archive.Export(dir, *id, *out)
		if err != nil {
			fmt.Fprintln(stderr, "sitegate archive export:", err)
			return ExitRuntime
		}
		for _, f := range m.Files {
			fmt.Fprintf(stdout, "%s  %s  %d bytes\n", f.SHA256, filepath.Join(*out, f.Name), f.Bytes)
		}
		for _, n := range m.Missing {
			fmt.Fprintf(stdout, "missing  %s (listed by the passage, not in the archive)\n", n)
		}
		return ExitOK
	}
	plate := fs.String("plate", "", "the plate, as read (e.g. 苏A99999)")
	since := fs.String("since", "", "passages that ended at or after this time")
	until := fs.String("until", "", "passages that ended at or before this time")
	alarm := fs.String("alarm", "", "passages with this alarm (overload, mud, registry, ...)")
	asJSON := fs.Bool("json", false, "one JSON document")
	if err := fs.Parse(args[1:]); err != nil {
		return ExitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: sitegate archive find --config FILE [--plate P] [--since T] [--until T] [--alarm NAME] [--json]")
		return ExitUsage
	}
	dir, loc, ok := archiveDir(*path, stderr)
	if !ok {
		return ExitUsage
	}
	q := archive.Query{Plate: *plate, Alarm: *alarm}
	var err error
	if q.Since, err = parseWhen(*since, loc, false); err != nil {
		fmt.Fprintln(stderr, "--since:", err)
		return ExitUsage
	}
	if q.Until, err = parseWhen(*until, loc, true); err != nil {
		fmt.Fprintln(stderr, "--until:", err)
		return ExitUsage
	}
	recs, err := archive.Find(dir, q)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate archive find:", err)
		return ExitRuntime
	}
	if *asJSON {
		type row struct {
			ID       string   `json:"id"`
			Seq      uint64   `json:"seq"`
			Revision int      `json:"revision,omitempty"`
			Lane     string   `json:"lane"`
			EndedAt  string   `json:"ended_at"`
			Archived string   `json:"archived_at"`
			Plate    string   `json:"plate"`
			Alarms   []string `json:"alarms"`
			Bytes    int64    `json:"bytes"`
		}
		rows := make([]row, 0, len(recs))
		for _, r := range recs {
			rows = append(rows, row{ID: r.ID, Seq: r.Seq, Revision: r.Revision, Lane: r.Lane, EndedAt: r.EndedAt.In(loc).Format(wire.TimeLayout),
				Archived: r.ArchivedAt.In(loc).Format(wire.TimeLayout), Plate: r.Plate, Alarms: r.Alarms, Bytes: r.Bytes})
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"passages": rows, "count": len(rows)})
		return ExitOK
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDED\tSEQ\tLANE\tPLATE\tALARMS\tID")
	for _, r := range recs {
		plate := r.Plate
		if plate == "" {
			plate = "-"
		}
		alarms := strings.Join(r.Alarms, ",")
		if alarms == "" {
			alarms = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.EndedAt.In(loc).Format("2006-01-02 15:04:05"), r.Seq, r.Lane, plate, alarms, r.ID)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d passages\n", len(recs))
	return ExitOK
}

// parseWhen reads RFC 3339, or a date (its start, or its end for until) in the site's zone.
func parseWhen(s string, loc *time.Location, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-27T21:14:03+08:00) nor a date (2026-11-27)", s)
	}
	if end {
		d = d.AddDate(0, 0, 1).Add(-time.Millisecond)
	}
	return d, nil
}

// runVersionKey prints the gateway's public key: sitegate version --key [--config FILE].
func runVersionKey(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", stderr)
	key := fs.Bool("key", false, "print the gateway's public key (base64 ed25519) that signs its passages")
	path := fs.String("config", "/etc/sitegate/sitegate.yaml", "the config file")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if !*key || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: sitegate version [--key [--config FILE]]")
		return ExitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		reportConfigError(stderr, *path, err)
		return ExitUsage
	}
	k, err := seal.ReadPublicKey(cfg.Store.Dir)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate version --key:", err)
		return ExitRuntime
	}
	fmt.Fprintln(stdout, k)
	return ExitOK
}

func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("verify", stderr)
	key := fs.String("key", "", "the gateway's public key (base64; sitegate version --key): passages must be signed by it")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: sitegate verify [--key K] PASSAGE.json|DIR [FILES...]")
		return ExitUsage
	}
	target, files := fs.Arg(0), fs.Args()[1:]
	fi, err := os.Stat(target)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate verify:", err)
		return ExitUsage
	}
	if !fi.IsDir() {
		if _, ok := verifyOne(target, files, *key, stdout); !ok {
			return ExitRuntime
		}
		return ExitOK
	}
	if len(files) > 0 {
		fmt.Fprintln(stderr, "usage: FILES go with a PASSAGE.json, not a folder")
		return ExitUsage
	}
	// An export's folder, or a folder of exports.
	if _, err := os.Stat(filepath.Join(target, archive.PassageFile)); err == nil {
		if _, ok := verifyOne(filepath.Join(target, archive.PassageFile), nil, *key, stdout); !ok {
			return ExitRuntime
		}
		return ExitOK
	}
	ents, err := os.ReadDir(target)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate verify:", err)
		return ExitRuntime
	}
	valid := true
	byKey := map[string][]seal.Checked{}
	n := 0
	for _, e := range ents {
		pj := filepath.Join(target, e.Name(), archive.PassageFile)
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(pj); err != nil {
			continue
		}
		n++
		c, ok := verifyOne(pj, nil, *key, stdout)
		valid = valid && ok
		if ok {
			byKey[c.Key] = append(byKey[c.Key], c)
		}
	}
	if n == 0 {
		fmt.Fprintf(stderr, "sitegate verify: %s holds no passage.json, nor folders with one\n", target)
		return ExitUsage
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps := byKey[k]
		gaps := seal.Chain(ps)
		for _, g := range gaps {
			fmt.Fprintf(stdout, "GAP     gateway key %s: %s\n", k, g)
		}
		if len(gaps) == 0 {
			fmt.Fprintf(stdout, "CHAIN   gateway key %s: %d passages linked, no gap\n", k, len(ps))
		}
		valid = valid && len(gaps) == 0
	}
	if !valid {
		return ExitRuntime
	}
	return ExitOK
}

// verifyOne checks one passage file and its evidence files: those given, or else those found
// beside it. It prints one line for the passage and one a file.
func verifyOne(path string, files []string, key string, stdout io.Writer) (seal.Checked, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stdout, "INVALID %s: %v\n", path, err)
		return seal.Checked{}, false
	}
	c, err := seal.Verify(b, key)
	if err != nil {
		fmt.Fprintf(stdout, "INVALID %s: %v\n", path, err)
		return seal.Checked{}, false
	}
	fmt.Fprintf(stdout, "VALID   %s: passage %s seq %d, signed by %s\n", path, c.ID, c.Seq, c.Key)
	ok := true
	check := func(f string) {
		data, err := os.ReadFile(f)
		if err == nil {
			err = c.VerifyFile(filepath.Base(f), data)
		}
		if err != nil {
			fmt.Fprintf(stdout, "INVALID %s: %v\n", f, err)
			ok = false
			return
		}
		fmt.Fprintf(stdout, "VALID   %s\n", f)
	}
	if len(files) > 0 {
		for _, f := range files {
			check(f)
		}
		return c, ok
	}
	dir := filepath.Dir(path)
	for _, e := range c.Evidence {
		f := filepath.Join(dir, e.Name)
		if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stdout, "ABSENT  %s (not checked)\n", f)
			continue
		}
		check(f)
	}
	return c, ok
}
