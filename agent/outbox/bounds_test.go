package outbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for the bound tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// announceJSON is the announcer the tests use: the report as JSON on topic "drops".
func announceJSON(r DropReport) Message {
	b, _ := json.Marshal(struct {
		Reason  string    `json:"reason"`
		Dropped []Dropped `json:"dropped"`
	}{r.Reason, r.Dropped})
	return Message{Topic: "drops", Payload: b, QoS: 1}
}

type announced struct {
	Reason  string `json:"reason"`
	Dropped []struct {
		Seq   uint64 `json:"seq"`
		Kind  string `json:"kind"`
		ID    string `json:"id"`
		Topic string `json:"topic"`
	} `json:"dropped"`
}

// passage appends one passage batch: evidence of evBytes, then the passage, both with ref id.
func appendPassage(t *testing.T, box Outbox, id string, evBytes int) {
	t.Helper()
	_, err := box.AppendBatch(func(n uint64) ([]Message, error) {
		var ms []Message
		if evBytes > 0 {
			ms = append(ms, Message{Topic: "ev/" + id, Payload: make([]byte, evBytes), QoS: 1, Kind: KindEvidence, Ref: id})
		}
		return append(ms, Message{Topic: "passage", Payload: []byte(fmt.Sprintf(`{"seq":%d,"pad":"%s"}`, n, strings.Repeat("x", 200))), QoS: 1, Ref: id}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// backlog splits what a box holds into kinds and decodes its announcements.
func backlog(t *testing.T, box Outbox) (evidence, passages []string, anns []announced) {
	t.Helper()
	es, err := box.Peek(0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		switch e.Kind {
		case KindEvidence:
			evidence = append(evidence, e.Ref)
		case KindPassage:
			passages = append(passages, e.Ref)
		case KindAnnouncement:
			var a announced
			if err := json.Unmarshal(e.Payload, &a); err != nil {
				t.Fatalf("announcement %q: %v", e.Payload, err)
			}
			anns = append(anns, a)
		}
	}
	return
}

// testBounds is the bound policy every implementation shares.
func testBounds(t *testing.T, open func(t *testing.T, lim Limits, now func() time.Time) Outbox) {
	t.Run("max_bytes drops evidence first, oldest first, and announces it", func(t *testing.T) {
		box := open(t, Limits{MaxBytes: 100 << 10}, nil)
		for i := range 12 { // 12 x (10 KiB evidence + passage) > 100 KiB
			appendPassage(t, box, fmt.Sprintf("p%02d", i), 10<<10)
		}
		ev, ps, anns := backlog(t, box)
		if len(ps) != 12 {
			t.Errorf("passages %v, want all 12 kept while evidence can go", ps)
		}
		if len(ev) == 0 || len(ev) >= 12 || ev[0] == "p00" || ev[len(ev)-1] != "p11" {
			t.Errorf("evidence kept %v, want the newest", ev)
		}
		st := box.Stats()
		if st.Bytes > 100<<10 || st.Drops.Evidence != uint64(12-len(ev)) || st.Drops.Passages != 0 || st.Drops.Events == 0 {
			t.Errorf("Stats = %+v", st)
		}
		named := map[string]bool{}
		for _, a := range anns {
			if a.Reason != ReasonMaxBytes {
				t.Errorf("reason %q", a.Reason)
			}
			for _, d := range a.Dropped {
				if d.Kind != "evidence" || d.Topic != "ev/"+d.ID || d.Seq == 0 {
					t.Errorf("announced drop %+v", d)
				}
				named[d.ID] = true
			}
		}
		if uint64(len(named)) != st.Drops.Evidence {
			t.Errorf("announcements name %d dropped evidence, stats count %d", len(named), st.Drops.Evidence)
		}
	})
	t.Run("max_bytes drops passages, oldest first, once no evidence is left", func(t *testing.T) {
		box := open(t, Limits{MaxBytes: 4 << 10}, nil)
		for i := range 40 {
			appendPassage(t, box, fmt.Sprintf("p%02d", i), 0)
		}
		_, ps, anns := backlog(t, box)
		if len(ps) == 0 || ps[len(ps)-1] != "p39" {
			t.Fatalf("passages kept %v", ps)
		}
		seqs := map[uint64]bool{}
		for _, a := range anns {
			for _, d := range a.Dropped {
				if d.Kind != "passage" {
					t.Errorf("announced %+v", d)
				}
				seqs[d.Seq] = true
			}
		}
		// Every passage seq is either still waiting or named by an announcement: no silent gap.
		for n := uint64(1); n <= uint64(40-len(ps)); n++ {
			if !seqs[n] {
				t.Errorf("passage seq %d dropped without an announcement", n)
			}
		}
		if st := box.Stats(); st.Drops.Passages != uint64(40-len(ps)) {
			t.Errorf("Stats.Drops = %+v, want %d passages", st.Drops, 40-len(ps))
		}
	})
	t.Run("max_age drops what is too old", func(t *testing.T) {
		c := &clock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
		box := open(t, Limits{MaxAge: time.Hour}, c.now)
		appendPassage(t, box, "old", 5<<10)
		c.add(30 * time.Minute)
		appendPassage(t, box, "mid", 0)
		c.add(45 * time.Minute)
		appendPassage(t, box, "new", 0)
		ev, ps, anns := backlog(t, box)
		if len(ev) != 0 || strings.Join(ps, ",") != "mid,new" {
			t.Errorf("kept evidence %v passages %v", ev, ps)
		}
		if len(anns) != 1 || anns[0].Reason != ReasonMaxAge || len(anns[0].Dropped) != 2 || anns[0].Dropped[1].Seq != 1 {
			t.Errorf("announcements %+v", anns)
		}
		if st := box.Stats(); st.Drops.Evidence != 1 || st.Drops.Passages != 1 {
			t.Errorf("Stats.Drops = %+v", st.Drops)
		}
	})
	t.Run("max_age is not fooled by the clock stepping from 1970 to the true time", func(t *testing.T) {
		c := &clock{t: time.Unix(40, 0).UTC()} // booted without a clock battery
		box := open(t, Limits{MaxAge: time.Hour}, c.now)
		appendPassage(t, box, "boot-a", 5<<10)
		c.add(2 * time.Hour) // still 1970: no age can be told yet
		appendPassage(t, box, "boot-b", 0)
		c.t = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC) // NTP steps the clock
		appendPassage(t, box, "synced", 0)
		ev, ps, anns := backlog(t, box)
		if len(ev) != 1 || strings.Join(ps, ",") != "boot-a,boot-b,synced" || len(anns) != 0 {
			t.Fatalf("after the step: evidence %v passages %v announcements %+v, want nothing dropped", ev, ps, anns)
		}
		if st := box.Stats(); st.Drops.Total() != 0 {
			t.Fatalf("Stats.Drops = %+v after the step", st.Drops)
		}
		// Entries stamped before the clock was set are aged from when it was first seen set.
		c.add(30 * time.Minute)
		appendPassage(t, box, "later", 0)
		if _, ps, _ := backlog(t, box); strings.Join(ps, ",") != "boot-a,boot-b,synced,later" {
			t.Fatalf("30 minutes after the step: passages %v, want all kept", ps)
		}
		c.add(45 * time.Minute)
		appendPassage(t, box, "last", 0)
		ev, ps, anns = backlog(t, box)
		if len(ev) != 0 || strings.Join(ps, ",") != "later,last" {
			t.Errorf("75 minutes after the step: evidence %v passages %v, want the boot and synced ones aged out", ev, ps)
		}
		if len(anns) != 1 || anns[0].Reason != ReasonMaxAge || len(anns[0].Dropped) != 4 {
			t.Errorf("announcements %+v", anns)
		}
	})
}

func TestBoundsMemory(t *testing.T) {
	testBounds(t, func(t *testing.T, lim Limits, now func() time.Time) Outbox {
		box := NewMemoryWith(MemoryOptions{Limits: lim, Announce: announceJSON, Now: now})
		closeOnCleanup(t, box)
		return box
	})
}

func TestBoundsBadger(t *testing.T) {
	testBounds(t, func(t *testing.T, lim Limits, now func() time.Time) Outbox {
		box, err := OpenBadger(t.TempDir(), BadgerOptions{Limits: lim, Announce: announceJSON, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		closeOnCleanup(t, box)
		return box
	})
}

// TestBadgerDiskReserve: with too little free space, the oldest evidence files go first, then
// the new batch's evidence, and below half the reserve the batch is replaced by its
// announcement; the passage seqs stay gap-free and every drop is named.
func TestBadgerDiskReserve(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	free := int64(1 << 30)
	setFree := func(n int64) { mu.Lock(); free = n; mu.Unlock() }
	box, err := OpenBadger(dir, BadgerOptions{
		Limits:   Limits{ReserveBytes: 1 << 20},
		Announce: announceJSON,
		Free: func(string) (int64, error) {
			mu.Lock()
			defer mu.Unlock()
			return free, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, box)
	for i := range 4 {
		appendPassage(t, box, fmt.Sprintf("p%d", i), 64<<10)
	}
	blobs := func() int {
		des, _ := os.ReadDir(filepath.Join(dir, "blobs"))
		return len(des)
	}
	if n := blobs(); n != 4 {
		t.Fatalf("%d evidence files, want 4", n)
	}
	// 54 KiB short, plus an eighth of the reserve (128 KiB) of margin: the three oldest files
	// go. The fake file system does not see them freed, so the new batch's evidence is dropped
	// too, and announced with it.
	setFree(1<<20 + 10<<10)
	appendPassage(t, box, "p4", 64<<10)
	ev, ps, anns := backlog(t, box)
	if strings.Join(ev, ",") != "p3" || len(ps) != 5 {
		t.Errorf("kept evidence %v passages %v", ev, ps)
	}
	if n := blobs(); n != 1 {
		t.Errorf("%d evidence files, want 1 after the drop", n)
	}
	if len(anns) != 2 || anns[0].Reason != ReasonDisk || len(anns[0].Dropped) != 3 || anns[0].Dropped[0].ID != "p0" || anns[1].Dropped[0].ID != "p4" || anns[1].Dropped[0].Kind != "evidence" {
		t.Errorf("announcements %+v", anns)
	}
	setFree(1 << 18) // below half the reserve: every evidence file goes, then the batch
	_, err = box.AppendBatch(func(n uint64) ([]Message, error) {
		return []Message{{Topic: "passage", Payload: []byte(fmt.Sprint(n)), Ref: "p5"}}, nil
	})
	if err == nil {
		t.Fatal("append below half the reserve succeeded")
	}
	_, ps, anns = backlog(t, box)
	last := anns[len(anns)-1]
	if len(ps) != 5 || len(last.Dropped) != 1 || last.Dropped[0].ID != "p5" || last.Dropped[0].Seq != 6 {
		t.Errorf("passages %v, last announcement %+v", ps, last)
	}
	if st := box.Stats(); st.Batches != 6 || st.Drops.Evidence != 5 || st.Drops.Passages != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestBadgerEvidenceCrashSafety: a blob written but never committed (a crash in between) is
// removed at the next open; a committed passage always finds its evidence; a torn or missing
// file is never delivered but dropped and announced.
func TestBadgerEvidenceCrashSafety(t *testing.T) {
	dir := t.TempDir()
	box := openBadgerWith(t, dir, BadgerOptions{Announce: announceJSON})
	appendPassage(t, box, "a", 10<<10)
	appendPassage(t, box, "b", 10<<10)
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, "blobs", fmt.Sprintf("%016x", 99))
	for _, f := range []string{orphan, orphan + ".tmp"} {
		if err := os.WriteFile(f, []byte("half a jpeg"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	box = openBadgerWith(t, dir, BadgerOptions{Announce: announceJSON})
	for _, f := range []string{orphan, orphan + ".tmp"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("orphan %s not removed: %v", f, err)
		}
	}
	es, err := box.Peek(0, 10)
	if err != nil || len(es) != 4 || len(es[0].Payload) != 10<<10 || es[0].Ref != "a" {
		t.Fatalf("Peek = %d entries, %v", len(es), err)
	}
	// Tear b's evidence (seq 3).
	if err := os.Truncate(filepath.Join(dir, "blobs", fmt.Sprintf("%016x", 3)), 100); err != nil {
		t.Fatal(err)
	}
	es, err = box.Peek(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Seq == 3 {
			t.Fatal("torn evidence delivered")
		}
	}
	_, _, anns := backlog(t, box)
	if len(anns) != 1 || anns[0].Reason != ReasonCorrupt || anns[0].Dropped[0].ID != "b" {
		t.Errorf("announcements %+v", anns)
	}
}

func openBadgerWith(t *testing.T, dir string, o BadgerOptions) *Badger {
	t.Helper()
	box, err := OpenBadger(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, box)
	return box
}

// TestDeleteAfterDrop: an entry read by Peek (whose index entry Delete then need not read
// again) and dropped by a bound before its PUBACK must not be counted out twice when the
// PUBACK's delete comes.
func TestDeleteAfterDrop(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	box := openBadgerWith(t, t.TempDir(), BadgerOptions{Now: c.now, Announce: announceJSON,
		Limits: Limits{MaxAge: time.Hour}})
	for i := range 3 {
		appendPassage(t, box, fmt.Sprintf("old-%d", i), 0)
	}
	es, err := box.Peek(0, 10)
	if err != nil || len(es) != 3 {
		t.Fatalf("Peek: %d entries, %v", len(es), err)
	}
	c.add(2 * time.Hour)
	appendPassage(t, box, "new", 0) // drops the three old passages, announces them
	before := box.Stats()
	if before.Depth != 2 || before.Drops.Passages != 3 {
		t.Fatalf("after the drop: %+v, want the new passage and the announcement", before)
	}
	if err := box.Delete(es[0].Seq, es[1].Seq, es[2].Seq); err != nil {
		t.Fatal(err)
	}
	if after := box.Stats(); after.Depth != before.Depth || after.Bytes != before.Bytes {
		t.Fatalf("deleting dropped entries changed the counts: %+v, then %+v", before, after)
	}
	rest, err := box.Peek(0, 10)
	if err != nil || len(rest) != 2 {
		t.Fatalf("Peek after: %d entries, %v", len(rest), err)
	}
	if err := box.Delete(rest[0].Seq, rest[1].Seq); err != nil {
		t.Fatal(err)
	}
	if s := box.Stats(); s.Depth != 0 || s.Bytes != 0 {
		t.Fatalf("after deleting everything: %+v", s)
	}
}

// TestBadgerReserveFitsSmallDisk: the default 64 MiB reserve on a 16 MiB or 4 MiB file system
// (faked: its size, and as free what the store's files leave of it) must not drop every
// passage. The reserve shrinks to fit the file system, passages are stored while there is
// room, and when images fill the disk only evidence goes, announced as disk_reserve.
func TestBadgerReserveFitsSmallDisk(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fs       int64
		passages int
		images   int
	}{
		{"16MiB", 16 << 20, 400, 60},
		{"4MiB", 4 << 20, 30, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			box := openBadgerWith(t, dir, BadgerOptions{
				Limits:   Limits{ReserveBytes: 64 << 20},
				Announce: announceJSON,
				Size:     func(string) (int64, error) { return tc.fs, nil },
				Free:     func(string) (int64, error) { return tc.fs - DiskUsage(dir), nil },
			})
			if r := box.Reserve(); r <= 0 || r > tc.fs/4 {
				t.Errorf("reserve %d on a %d-byte file system", r, tc.fs)
			}
			for i := range tc.passages {
				appendPassage(t, box, fmt.Sprintf("p%d", i), 0)
			}
			_, ps, anns := backlog(t, box)
			if len(ps) != tc.passages || len(anns) != 0 {
				t.Fatalf("%d of %d passages stored, %d announcements (%d bytes used)", len(ps), tc.passages, len(anns), DiskUsage(dir))
			}
			// Images of 300 KiB until the disk is full: evidence goes, passages stay.
			for i := range tc.images {
				appendPassage(t, box, fmt.Sprintf("i%d", i), 300<<10)
			}
			_, ps, anns = backlog(t, box)
			if len(ps) != tc.passages+tc.images {
				t.Errorf("%d passages stored, want %d", len(ps), tc.passages+tc.images)
			}
			if len(anns) == 0 {
				t.Fatal("the full disk dropped nothing")
			}
			for _, a := range anns {
				for _, d := range a.Dropped {
					if a.Reason != ReasonDisk || d.Kind != "evidence" {
						t.Errorf("dropped %s %+v, want only evidence for the disk", a.Reason, d)
					}
				}
			}
			st := box.Stats()
			if st.Drops.Passages != 0 || st.Drops.Evidence == 0 {
				t.Errorf("drops %+v", st.Drops)
			}
			t.Logf("%d-byte file system: reserve %d, %d passages stored, %d of %d images dropped in %d announced passes, %d bytes used",
				tc.fs, box.Reserve(), len(ps), st.Drops.Evidence, tc.images, len(anns), DiskUsage(dir))
		})
	}
}

// TestBadgerDiskReserveYields: when the disk is short, the archive beside the store gives its
// space first, and the outbox drops nothing while it has some; Room asks it too.
func TestBadgerDiskReserveYields(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	const disk = 1<<20 + 300<<10 // free without the archive
	archived := int64(256 << 10)
	var asked int
	box, err := OpenBadger(dir, BadgerOptions{
		Limits:   Limits{ReserveBytes: 1 << 20},
		Announce: announceJSON,
		Free: func(string) (int64, error) {
			mu.Lock()
			defer mu.Unlock()
			return disk - archived, nil
		},
		Yield: func(need int64) int64 {
			mu.Lock()
			defer mu.Unlock()
			asked++
			n := min(need, archived)
			archived -= n
			return n
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, box)
	appendPassage(t, box, "p0", 64<<10)
	if st := box.Stats(); st.Drops.Total() != 0 || asked == 0 || archived == 256<<10 {
		t.Fatalf("drops %+v, archive asked %d times, holds %d", st.Drops, asked, archived)
	}
	mu.Lock()
	archived = 256 << 10
	mu.Unlock()
	if !box.Room(64<<10) || archived == 256<<10 {
		t.Errorf("Room did not ask the archive (it holds %d)", archived)
	}
}
