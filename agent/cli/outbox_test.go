package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/agent/cli"
	"sitegate/agent/gateway"
	"sitegate/agent/outbox"
)

// TestOutboxCommand reads an outbox both ways: from a running agent's socket while the store is
// locked, and from the files, read-only, when no agent runs.
func TestOutboxCommand(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "data")
	cfg := fmt.Sprintf("site: s\ngateway: g\nstore: {dir: %q}\nlanes:\n  - id: exit-1\n    scale: {port: /dev/ttyUSB0}\n", store)
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	boxDir := filepath.Join(store, "outbox")
	box, err := outbox.OpenBadger(boxDir, outbox.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"0192f1c2-aaaa", "0192f1c2-bbbb"} {
		if _, err := box.AppendBatch(func(uint64) ([]outbox.Message, error) {
			return []outbox.Message{
				{Topic: "e/" + id, Payload: make([]byte, 5000), QoS: 1, Kind: outbox.KindEvidence, Ref: id},
				{Topic: "passage", Payload: []byte("{}"), QoS: 1, Ref: id},
			}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"outbox", "--config", path}, args...), &out, &errb)
		return out.String() + errb.String(), code
	}

	// Running agent: the store is locked, the socket answers.
	stop, err := outbox.ServeReports(filepath.Join(store, gateway.ReportSocket), boxDir, box, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, code := run("--list")
	if code != 0 || !strings.Contains(out, "running agent") || !strings.Contains(out, "depth       4 messages") ||
		!strings.Contains(out, "0192f1c2-bbbb") || !strings.Contains(out, "evidence") {
		t.Errorf("live report (exit %d):\n%s", code, out)
	}
	stop()
	// Locked store and no socket: an error, never a second writer.
	if out, code := run(); code == 0 {
		t.Errorf("report of a locked store without an agent succeeded:\n%s", out)
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}

	out, code = run("--json", "--list")
	var r outbox.Report
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("read-only report (exit %d, %v):\n%s", code, err, out)
	}
	if r.Source != "store" || r.Stats.Depth != 4 || r.Stats.Batches != 2 || len(r.Items) != 4 || r.Items[3].Ref != "0192f1c2-bbbb" || r.Items[3].Batch != 2 || r.DiskBytes == 0 {
		t.Errorf("read-only report %+v", r)
	}
	// Reading changed nothing: the store opens for writing again with the same backlog.
	box, err = outbox.OpenBadger(boxDir, outbox.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	if d := box.Stats().Depth; d != 4 {
		t.Errorf("depth %d after the read-only report", d)
	}
}

// TestOutboxCommandAfterCrash: the store of an agent that was killed (its files as they were
// while it ran: copied while open) is reported with no agent running, depth included, where
// Badger's read-only open refuses it ("Log truncate required").
func TestOutboxCommandAfterCrash(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live", "outbox")
	box, err := outbox.OpenBadger(live, outbox.BadgerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		id := fmt.Sprintf("0192f1c2-%04d", i)
		if _, err := box.AppendBatch(func(uint64) ([]outbox.Message, error) {
			return []outbox.Message{
				{Topic: "e/" + id, Payload: make([]byte, 5000), QoS: 1, Kind: outbox.KindEvidence, Ref: id},
				{Topic: "passage", Payload: []byte(`{"pad":"` + strings.Repeat("x", 300) + `"}`), QoS: 1, Ref: id},
			}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(dir, "crashed")
	if err := os.CopyFS(filepath.Join(store, "outbox"), os.DirFS(live)); err != nil {
		t.Fatal(err)
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("site: s\ngateway: g\nstore: {dir: %q}\nlanes:\n  - id: exit-1\n    scale: {port: /dev/ttyUSB0}\n", store)
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), []string{"outbox", "--config", path, "--json"}, &out, &errb)
	var r outbox.Report
	if err := json.Unmarshal(out.Bytes(), &r); code != 0 || err != nil {
		t.Fatalf("report of a crashed store (exit %d, %v):\n%s%s", code, err, out.String(), errb.String())
	}
	if r.Source != "store" || r.Stats.Depth != 6 || r.Stats.Batches != 3 {
		t.Errorf("report %+v", r)
	}
}
