package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Record is one index line: a passage as first stored, or one of its amendments.
type Record struct {
	ID         string    `json:"id"`
	Seq        uint64    `json:"seq"`
	Revision   int       `json:"revision,omitempty"`
	EndedAt    time.Time `json:"ended_at"`
	ArchivedAt time.Time `json:"archived_at"`
	Plate      string    `json:"plate"`
	Alarms     []string  `json:"alarms"`
	Lane       string    `json:"lane"`
	Bytes      int64     `json:"bytes"` // the bytes this line added to the archive
	Day        string    `json:"day"`   // the folder under days/
}

const indexVersion = "1"

// appendLine writes r as one index line: tab-separated fields, a version first. Plates, ids,
// lanes and alarm names never hold tabs or newlines (they are validated), and are cleaned here
// all the same.
func appendLine(b []byte, r Record) []byte {
	clean := func(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }
	alarms := make([]string, len(r.Alarms))
	for i, a := range r.Alarms {
		alarms[i] = strings.ReplaceAll(clean(a), ",", " ")
	}
	b = append(b, indexVersion...)
	for _, f := range []string{clean(r.ID), strconv.FormatUint(r.Seq, 10), strconv.Itoa(r.Revision),
		strconv.FormatInt(r.EndedAt.UnixMilli(), 10), strconv.FormatInt(r.ArchivedAt.UnixMilli(), 10),
		clean(r.Plate), strings.Join(alarms, ","), clean(r.Lane), strconv.FormatInt(r.Bytes, 10)} {
		b = append(b, '\t')
		b = append(b, f...)
	}
	return append(b, '\n')
}

// fields are an index line's fields, not copied.
type fields [10][]byte

// splitLine splits a line (without its newline) into its fields.
func splitLine(line []byte, f *fields) bool {
	n := 0
	for n < 9 {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			break
		}
		f[n], line = line[:i], line[i+1:]
		n++
	}
	f[n] = line
	return n == 9 && string(f[0]) == indexVersion && len(f[1]) > 0
}

var errLine = errors.New("not an index line")

// parseLine reads one line (without its newline).
func parseLine(line []byte, day string) (Record, error) {
	var f fields
	if !splitLine(line, &f) {
		return Record{}, errLine
	}
	return parseFields(&f, day)
}

func parseFields(f *fields, day string) (Record, error) {
	seq, err1 := strconv.ParseUint(string(f[2]), 10, 64)
	rev, err2 := strconv.Atoi(string(f[3]))
	ended, err3 := strconv.ParseInt(string(f[4]), 10, 64)
	archived, err4 := strconv.ParseInt(string(f[5]), 10, 64)
	size, err5 := strconv.ParseInt(string(f[9]), 10, 64)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return Record{}, errLine
	}
	r := Record{ID: string(f[1]), Seq: seq, Revision: rev, EndedAt: time.UnixMilli(ended), ArchivedAt: time.UnixMilli(archived),
		Plate: string(f[6]), Lane: string(f[8]), Bytes: size, Day: day, Alarms: []string{}}
	if len(f[7]) > 0 {
		r.Alarms = strings.Split(string(f[7]), ",")
	}
	return r, nil
}

// readIndex calls f with each whole line of a day's index, in order; a torn last line (a
// power cut during its append) is skipped.
func readIndex(path, day string, f func(Record)) error {
	return scanIndex(path, func(fs *fields) {
		if r, err := parseFields(fs, day); err == nil {
			f(r)
		}
	})
}

// scanIndex calls f with the fields of each whole line of an index file, valid until f
// returns.
func scanIndex(path string, f func(*fields)) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	rd := bufio.NewReaderSize(file, 64<<10)
	fs := new(fields)
	for {
		line, err := rd.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// No line is this long: skip to its end.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = rd.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			return nil // EOF; a last line without its newline is torn
		}
		if splitLine(line[:len(line)-1], fs) {
			f(fs)
		}
	}
}

// days lists the days that have an index, oldest first.
func indexDays(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "index", "*.idx"))
	if err != nil {
		return nil, err
	}
	days := make([]string, 0, len(names))
	for _, n := range names {
		days = append(days, strings.TrimSuffix(filepath.Base(n), ".idx"))
	}
	sort.Strings(days)
	return days, nil
}

func indexPath(dir, day string) string { return filepath.Join(dir, "index", day+".idx") }
func dayDir(dir, day string) string    { return filepath.Join(dir, "days", day) }
func passageDir(dir, day, id string) string {
	return filepath.Join(dir, "days", day, id)
}

// Query selects archived passages; a zero field selects all.
type Query struct {
	Plate        string
	Alarm        string
	Since, Until time.Time // on ended_at, inclusive
	Limit        int       // 0: all
}

// Find lists the archived passages of the archive in dir that match q, oldest first, each by
// its latest revision. It reads only the index files, so it works while the agent runs.
func Find(dir string, q Query) ([]Record, error) {
	days, err := indexDays(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	// A passage is archived after it ended: a day before the one of since holds none
	// (a margin of a day for zones).
	if !q.Since.IsZero() {
		first := q.Since.AddDate(0, 0, -1).UTC().Format("2006-01-02")
		i := sort.SearchStrings(days, first)
		days = days[i:]
	}
	// Lines are filtered on their raw fields; only those that match become records. An
	// amendment (rare) is kept whatever it says, as it replaces its passage's line.
	var out []Record
	amended := map[string]Record{}
	for _, day := range days {
		err := scanIndex(indexPath(dir, day), func(f *fields) {
			rev := string(f[3]) != "0"
			if !rev && !q.matchesFields(f) {
				return
			}
			r, err := parseFields(f, day)
			if err != nil {
				return
			}
			if rev {
				if old, ok := amended[r.ID]; !ok || r.Revision > old.Revision {
					amended[r.ID] = r
				}
				return
			}
			out = append(out, r)
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("archive: %w", err)
		}
	}
	if len(amended) > 0 {
		kept := out[:0]
		for _, r := range out {
			if _, ok := amended[r.ID]; !ok {
				kept = append(kept, r)
			}
		}
		out = kept
		for _, r := range amended {
			if q.matches(r) {
				out = append(out, r)
			}
		}
		sort.SliceStable(out, func(a, b int) bool { return out[a].Seq < out[b].Seq })
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out, nil
}

// matchesFields is matches on an index line's raw fields.
func (q Query) matchesFields(f *fields) bool {
	if q.Plate != "" && !equalFold(f[6], q.Plate) {
		return false
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		ended, err := strconv.ParseInt(string(f[4]), 10, 64)
		if err != nil {
			return false
		}
		if !q.Since.IsZero() && ended < q.Since.UnixMilli() {
			return false
		}
		if !q.Until.IsZero() && ended > q.Until.UnixMilli() {
			return false
		}
	}
	if q.Alarm != "" {
		for a := range bytes.SplitSeq(f[7], []byte(",")) {
			if string(a) == q.Alarm {
				return true
			}
		}
		return false
	}
	return true
}

func (q Query) matches(r Record) bool {
	if q.Plate != "" && !strings.EqualFold(r.Plate, q.Plate) {
		return false
	}
	if !q.Since.IsZero() && r.EndedAt.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && r.EndedAt.After(q.Until) {
		return false
	}
	if q.Alarm != "" {
		for _, a := range r.Alarms {
			if a == q.Alarm {
				return true
			}
		}
		return false
	}
	return true
}

// equalFold is strings.EqualFold of b and s, without copying b.
func equalFold(b []byte, s string) bool {
	if len(b) == len(s) && string(b) == s {
		return true
	}
	return strings.EqualFold(string(b), s)
}
