package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sitegate/agent/wire"
)

var t0 = time.Date(2026, 11, 27, 21, 14, 3, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func testPassage(i int, plate string, alarms ...string) (wire.Passage, []byte, []File) {
	img := bytes.Repeat([]byte{byte(i)}, 1000)
	p := wire.Passage{Schema: wire.PassageSchema, ID: fmt.Sprintf("0192f1c2-%04d", i), Seq: uint64(i), Lane: "exit-1",
		EndedAt: t0.Add(time.Duration(i) * time.Minute).Format(wire.TimeLayout), Alarms: append([]string{}, alarms...),
		Evidence: []wire.EvidenceInfo{{Name: "wheels.jpg", Camera: "wheels", Bytes: len(img)}}}
	if plate != "" {
		p.Plate = &wire.PlateInfo{Text: plate}
	}
	body, _ := json.Marshal(p)
	return p, body, []File{{Name: "wheels.jpg", Data: img}}
}

func open(t *testing.T, o Options) *Archive {
	t.Helper()
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPutFindExport(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t0}
	a := open(t, Options{Dir: dir, Now: c.now, Location: time.UTC})
	for i := 1; i <= 5; i++ {
		plate := "浙F12345"
		if i%2 == 0 {
			plate = "苏A99999"
		}
		p, body, files := testPassage(i, plate, map[bool]string{true: "mud", false: "overload"}[i == 4])
		if err := a.Put(p, body, files); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(12 * time.Hour) // over several days
	}
	recs, err := Find(dir, Query{Plate: "苏A99999"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Seq != 2 || recs[1].Seq != 4 {
		t.Fatalf("find plate: %+v", recs)
	}
	if recs, _ := Find(dir, Query{Alarm: "mud"}); len(recs) != 1 || recs[0].Seq != 4 {
		t.Errorf("find alarm: %+v", recs)
	}
	if recs, _ := Find(dir, Query{Since: t0.Add(2 * time.Minute), Until: t0.Add(3 * time.Minute)}); len(recs) != 2 {
		t.Errorf("find since/until: %+v", recs)
	}
	// An amendment: the plate it found is what find sees.
	p, _, _ := testPassage(1, "", "no_plate")
	p.Revision, p.Plate = 1, &wire.PlateInfo{Text: "沪B11111"}
	amended, _ := json.Marshal(p)
	if err := a.Put(p, amended, nil); err != nil {
		t.Fatal(err)
	}
	if recs, _ := Find(dir, Query{Plate: "沪B11111"}); len(recs) != 1 || recs[0].Revision != 1 {
		t.Errorf("find amended: %+v", recs)
	}
	out := t.TempDir()
	m, err := Export(dir, "0192f1c2-0004", out)
	if err != nil {
		t.Fatal(err)
	}
	_, body, files := testPassage(4, "苏A99999", "mud")
	if got, _ := os.ReadFile(filepath.Join(out, "passage.json")); !bytes.Equal(got, body) {
		t.Errorf("exported passage %s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "wheels.jpg")); !bytes.Equal(got, files[0].Data) {
		t.Errorf("exported image differs")
	}
	if len(m.Files) != 2 {
		t.Errorf("manifest %+v", m)
	}
	if _, err := Export(dir, "nope", t.TempDir()); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	// A reopen finds the same.
	b := open(t, Options{Dir: dir, Now: c.now, Location: time.UTC})
	if s := b.Stats(); s.Passages != 5 {
		t.Errorf("reopened %+v", s)
	}
}

func TestBoundsOldestFirst(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t0}
	var free int64 = 1 << 30
	// Each passage is its JSON and 1000 bytes of image: 5 fit in 7000 bytes.
	a := open(t, Options{Dir: dir, Now: c.now, Location: time.UTC, MaxBytes: 7000, Reserve: 1000,
		Free: func() (int64, error) { return free, nil }})
	for i := 1; i <= 8; i++ {
		p, body, files := testPassage(i, "浙F12345")
		if err := a.Put(p, body, files); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Hour)
	}
	seqs := func() []uint64 {
		recs, err := Find(dir, Query{})
		if err != nil {
			t.Fatal(err)
		}
		var s []uint64
		for _, r := range recs {
			s = append(s, r.Seq)
		}
		return s
	}
	got := seqs()
	if len(got) == 0 || got[len(got)-1] != 8 || got[0] == 1 || a.Stats().Bytes > 7000 {
		t.Fatalf("after max_bytes: %v, %+v", got, a.Stats())
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("not the oldest first: %v", got)
		}
	}
	// The outbox asks for room: the oldest go.
	before := len(got)
	if freed := a.Yield(1500); freed < 1500 {
		t.Errorf("freed %d", freed)
	}
	if after := seqs(); len(after) != before-2 || after[len(after)-1] != 8 {
		t.Errorf("after yield: %v", after)
	}
	// Keep.
	c.t = c.t.Add(DefaultKeep)
	a.Maintain()
	if got := seqs(); len(got) != 0 {
		t.Errorf("after keep: %v", got)
	}
	// The disk: under twice the reserve the archive holds nothing more.
	free = 1500
	p, body, files := testPassage(9, "浙F12345")
	if err := a.Put(p, body, files); !errors.Is(err, ErrNoRoom) {
		t.Errorf("no room: %v", err)
	}
}

func TestOpenRepairs(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t0}
	a := open(t, Options{Dir: dir, Now: c.now, Location: time.UTC})
	for i := 1; i <= 3; i++ {
		p, body, files := testPassage(i, "浙F12345")
		if err := a.Put(p, body, files); err != nil {
			t.Fatal(err)
		}
	}
	day := t0.Format("2006-01-02")
	// A power cut: one passage's files without its JSON, one indexed passage gone from the
	// index, a torn last line.
	cut := passageDir(dir, day, "0192f1c2-9999")
	_ = os.MkdirAll(cut, 0o750)
	_ = os.WriteFile(filepath.Join(cut, "wheels.jpg"), []byte("x"), 0o640)
	idx := indexPath(dir, day)
	b, _ := os.ReadFile(idx)
	lines := bytes.SplitAfter(b, []byte("\n"))
	_ = os.WriteFile(idx, append(bytes.Join(lines[:2], nil), []byte("1\t0192f1c2-77")...), 0o640)
	recs, _ := Find(dir, Query{})
	if len(recs) != 2 {
		t.Fatalf("torn index: %d records", len(recs))
	}
	a2 := open(t, Options{Dir: dir, Now: c.now, Location: time.UTC})
	if s := a2.Stats(); s.Passages != 3 {
		t.Errorf("reopened %+v", s)
	}
	if _, err := os.Stat(cut); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("incomplete folder kept: %v", err)
	}
	recs, _ = Find(dir, Query{})
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"0192f1c2-0001", "0192f1c2-0002", "0192f1c2-0003"}) {
		t.Errorf("rebuilt index: %v", ids)
	}
	// The whole index lost: it is written again from the folders.
	if err := os.RemoveAll(filepath.Join(dir, "index")); err != nil {
		t.Fatal(err)
	}
	a3 := open(t, Options{Dir: dir, Now: c.now, Location: time.UTC})
	recs, _ = Find(dir, Query{Plate: "浙F12345"})
	if s := a3.Stats(); s.Passages != 3 || len(recs) != 3 || recs[0].Seq != 1 || recs[2].Seq != 3 {
		t.Errorf("index rebuilt from nothing: %+v, %+v", s, recs)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add(appendLine(nil, Record{ID: "a", Seq: 1, EndedAt: t0, ArchivedAt: t0, Plate: "苏A99999", Alarms: []string{"mud", "registry"}, Lane: "exit-1", Bytes: 10}))
	f.Add([]byte("1\tx\t1\t0\t0\t0\t\t\tl\t1\n"))
	f.Add([]byte("2\t\t\t"))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSuffix(b, []byte("\n"))
		r, err := parseLine(b, "d")
		if err != nil || bytes.ContainsRune(b, '\n') { // readIndex splits lines first
			return
		}
		again, err := parseLine(bytes.TrimSuffix(appendLine(nil, r), []byte("\n")), "d")
		if err != nil || again.ID != r.ID || again.Seq != r.Seq || again.Plate != r.Plate {
			t.Fatalf("%q: %+v then %+v (%v)", b, r, again, err)
		}
	})
}

// BenchmarkFind100k is `archive find --plate` over 100,000 archived passages (1,000 a day for
// 100 days), reading only the index and filtering lines on their raw fields.
func BenchmarkFind100k(b *testing.B) {
	dir := benchIndex(b)
	b.ResetTimer()
	for b.Loop() {
		recs, err := Find(dir, Query{Plate: "粤Z1234港"})
		if err != nil || len(recs) != 100 {
			b.Fatalf("%d records, %v", len(recs), err)
		}
	}
}

// BenchmarkFind100kParseAll is the baseline: every line made a Record, then filtered.
func BenchmarkFind100kParseAll(b *testing.B) {
	dir := benchIndex(b)
	q := Query{Plate: "粤Z1234港"}
	b.ResetTimer()
	for b.Loop() {
		days, _ := indexDays(dir)
		var out []Record
		for _, day := range days {
			_ = readIndex(indexPath(dir, day), day, func(r Record) {
				if q.matches(r) {
					out = append(out, r)
				}
			})
		}
		if len(out) != 100 {
			b.Fatalf("%d records", len(out))
		}
	}
}

func benchIndex(b *testing.B) string {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "index"), 0o750); err != nil {
		b.Fatal(err)
	}
	plates := []string{"浙F12345", "苏A99999", "沪B11111", "京A00001"}
	for d := 0; d < 100; d++ {
		day := t0.AddDate(0, 0, d).Format("2006-01-02")
		var buf []byte
		for i := 0; i < 1000; i++ {
			n := d*1000 + i
			at := t0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute)
			plate := plates[n%len(plates)]
			if n%1000 == 7 {
				plate = "粤Z1234港"
			}
			buf = appendLine(buf, Record{ID: fmt.Sprintf("0192f1c2-%08d", n), Seq: uint64(n + 1), EndedAt: at, ArchivedAt: at,
				Plate: plate, Alarms: []string{"overload"}, Lane: "exit-1", Bytes: 250000})
		}
		if err := os.WriteFile(indexPath(dir, day), buf, 0o640); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}
