package outbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(segPath(dir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestSegmentsLifecycle: passages' payloads go to segment files (not Badger's value log), a
// restart finds them and starts a new segment, and a segment goes once nothing in it is live and
// that is synced.
func TestSegmentsLifecycle(t *testing.T) {
	dir := t.TempDir()
	box := openBadgerWith(t, dir, BadgerOptions{})
	for i := range 10 {
		appendPassage(t, box, fmt.Sprintf("p%d", i), 0)
	}
	if got := segFiles(t, dir); len(got) != 1 {
		t.Fatalf("segments %v, want one", got)
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	box = openBadgerWith(t, dir, BadgerOptions{})
	if live := box.segs.live[1]; live != 10 {
		t.Fatalf("segment 1 has %d live entries after reopen, want 10", live)
	}
	appendPassage(t, box, "after", 0)
	if got := segFiles(t, dir); len(got) != 2 {
		t.Fatalf("segments %v after a restart and an append, want a second one", got)
	}
	es, err := box.Peek(0, 100)
	if err != nil || len(es) != 11 {
		t.Fatalf("Peek: %d entries, %v", len(es), err)
	}
	for i, e := range es {
		if !strings.HasPrefix(string(e.Payload), fmt.Sprintf(`{"seq":%d,`, i+1)) {
			t.Fatalf("entry %d payload %.20q", i, e.Payload)
		}
	}
	var first []uint64
	for _, e := range es[:10] {
		first = append(first, e.Seq)
	}
	if err := box.Delete(first[:9]...); err != nil {
		t.Fatal(err)
	}
	appendPassage(t, box, "sync", 0) // an append syncs the deletes first
	if got := segFiles(t, dir); len(got) != 2 {
		t.Fatalf("segments %v with one entry of the first still live", got)
	}
	if err := box.Delete(first[9]); err != nil {
		t.Fatal(err)
	}
	appendPassage(t, box, "sync2", 0)
	if got := segFiles(t, dir); len(got) != 1 || got[0] != fmt.Sprintf("%016x", 2) {
		t.Fatalf("segments %v, want only the second", got)
	}
	es, err = box.Peek(0, 100)
	if err != nil || len(es) != 3 || es[0].Ref != "after" {
		t.Fatalf("Peek after the deletes: %d entries, %v", len(es), err)
	}
}

// TestSegmentsRoll: a segment is closed at its size and a new one started; emptied closed
// segments go.
func TestSegmentsRoll(t *testing.T) {
	dir := t.TempDir()
	box := openBadgerWith(t, dir, BadgerOptions{})
	box.segs.max = 4 << 10
	for i := range 40 {
		appendPassage(t, box, fmt.Sprintf("p%d", i), 0)
	}
	if n := len(segFiles(t, dir)); n < 3 {
		t.Fatalf("%d segments for 40 passages of 4 KiB segments", n)
	}
	for {
		es, err := box.Peek(0, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if err := box.Delete(e.Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendPassage(t, box, "last", 0)
	if got := segFiles(t, dir); len(got) != 1 {
		t.Fatalf("segments %v left after draining, want the one being written", got)
	}
}

// TestSegmentsCrashSafety: a segment no committed entry refers to (a crash between the write and
// the commit) is removed at the next open; damaged bytes in a segment are never delivered but
// dropped and announced.
func TestSegmentsCrashSafety(t *testing.T) {
	dir := t.TempDir()
	box := openBadgerWith(t, dir, BadgerOptions{Announce: announceJSON})
	appendPassage(t, box, "a", 0)
	appendPassage(t, box, "b", 0)
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(segPath(dir), fmt.Sprintf("%016x", 5))
	if err := os.WriteFile(orphan, []byte("payloads never committed"), 0o640); err != nil {
		t.Fatal(err)
	}
	box = openBadgerWith(t, dir, BadgerOptions{Announce: announceJSON})
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("orphan segment not removed: %v", err)
	}
	es, err := box.Peek(0, 10)
	if err != nil || len(es) != 2 {
		t.Fatalf("Peek = %d entries, %v", len(es), err)
	}
	// Damage b's payload: the second record of segment 1.
	f, err := os.OpenFile(filepath.Join(segPath(dir), fmt.Sprintf("%016x", 1)), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("XXXX"), int64(len(es[0].Payload))+20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	es, err = box.Peek(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Ref != "a" {
		t.Fatalf("after the damage: %d entries, want only a's", len(es))
	}
	_, _, anns := backlog(t, box)
	if len(anns) != 1 || anns[0].Reason != ReasonCorrupt || anns[0].Dropped[0].ID != "b" {
		t.Errorf("announcements %+v", anns)
	}
}
