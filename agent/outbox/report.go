package outbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sys/unix"
)

// Lister is an outbox that can describe its backlog item by item.
type Lister interface {
	Stats() Stats
	List(after uint64, max int) ([]Item, error)
}

// Report is the technician's view of an outbox.
type Report struct {
	Source     string  `json:"source"` // "agent": from the running agent; "store": read from the files
	Dir        string  `json:"dir"`
	Stats      Stats   `json:"stats"`
	OldestAgeS float64 `json:"oldest_age_s"`
	DiskBytes  int64   `json:"disk_bytes"` // what the store's files occupy
	Items      []Item  `json:"items,omitempty"`
}

// NewReport describes box, stored in dir, with up to list items.
func NewReport(source, dir string, box Lister, list int) (Report, error) {
	r := Report{Source: source, Dir: dir, Stats: box.Stats()}
	r.OldestAgeS = r.Stats.OldestAge(time.Now()).Seconds()
	r.DiskBytes = DiskUsage(dir)
	if list > 0 {
		items, err := box.List(0, list)
		if err != nil {
			return r, err
		}
		r.Items = items
	}
	return r, nil
}

// DiskUsage is the space the files under dir occupy (allocated blocks, so sparse files count
// what they use).
func DiskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			} else {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// query is what a client sends on the report socket, as one JSON line.
type query struct {
	List int `json:"list"`
}

// ServeReports answers report queries on a unix socket at sock for a running agent, so a
// technician reads the live outbox without opening its files (Badger allows one process per
// store). A stale socket file is replaced. stop closes the listener and waits for every
// connection's goroutine.
func ServeReports(sock, dir string, box Lister, log *slog.Logger) (stop func(), err error) {
	if log == nil {
		log = slog.Default()
	}
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("outbox report socket %s: %w", sock, err)
	}
	_ = os.Chmod(sock, 0o600)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				var q query
				line, err := bufio.NewReader(c).ReadBytes('\n')
				if err == nil {
					err = json.Unmarshal(line, &q)
				}
				if err != nil {
					fmt.Fprintf(c, "{\"error\":%q}\n", "bad query")
					return
				}
				r, err := NewReport("agent", dir, box, min(max(q.List, 0), 100000))
				if err != nil {
					log.Warn("outbox report", "err", err)
				}
				_ = json.NewEncoder(c).Encode(r)
			})
		}
	})
	return func() {
		ln.Close()
		wg.Wait()
		_ = os.Remove(sock)
	}, nil
}

// ErrNoAgent is returned (wrapped) by QueryReport when no agent answers on the socket.
var ErrNoAgent = errors.New("no running agent answers")

// QueryReport asks the agent serving sock for its report with up to list items.
func QueryReport(sock string, list int) (Report, error) {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w: %w", sock, ErrNoAgent, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(c).Encode(query{List: list}); err != nil {
		return Report{}, fmt.Errorf("%s: %w", sock, err)
	}
	var r Report
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		return Report{}, fmt.Errorf("%s: %w", sock, err)
	}
	return r, nil
}

// ReadReport opens the store in dir read-only (only possible while no agent has it open) and
// describes it. A store an agent left without closing (SIGKILL, power cut) is read from a
// recovered copy (see readCrashed); the store itself is never written.
func ReadReport(dir string, list int) (Report, error) {
	if _, err := os.Stat(dir); err != nil {
		return Report{}, fmt.Errorf("outbox %s: %w", dir, err)
	}
	box, err := OpenBadger(dir, BadgerOptions{ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if isTruncateNeeded(err) {
		return readCrashed(dir, list)
	}
	if err != nil {
		return Report{}, err
	}
	defer box.Close()
	return NewReport("store", dir, box, list)
}

func isTruncateNeeded(err error) bool {
	return err != nil && (errors.Is(err, badger.ErrTruncateNeeded) || strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error()))
}

// ErrStoreBusy is returned (wrapped) by ReadReport when an agent opened the store while it was
// being read: its socket answers the next query.
var ErrStoreBusy = errors.New("an agent opened the store while it was read")

// readCrashed reports a store whose writer was killed: Badger opens a memtable log with an
// untruncated tail only for writing (it truncates the tail), and only the agent writes the
// store, so that an agent starting meanwhile never finds it locked. Badger's own files (keys
// and the index, not the payloads in segments and blobs) are copied, holes kept, to a
// temporary directory, recovered there by a writer's open, and read from the copy. The copy
// is made without the store's lock; if an agent took the lock meanwhile, the copy may be torn
// and is not used.
func readCrashed(dir string, list int) (Report, error) {
	tmp, err := os.MkdirTemp("", "sitegate-outbox-report-")
	if err != nil {
		return Report{}, fmt.Errorf("outbox %s: recovery copy: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := copyBadgerFiles(dir, tmp); err != nil {
		return Report{}, fmt.Errorf("outbox %s: recovery copy: %w", dir, err)
	}
	if locked(dir) {
		return Report{}, fmt.Errorf("outbox %s: %w", dir, ErrStoreBusy)
	}
	quiet := slog.New(slog.DiscardHandler)
	db, err := badger.Open(badgerOptions(tmp, 2<<20, 64<<20, false, quiet))
	if err != nil {
		return Report{}, fmt.Errorf("outbox %s: recover a copy: %w", dir, err)
	}
	if err := db.Close(); err != nil {
		return Report{}, fmt.Errorf("outbox %s: recover a copy: %w", dir, err)
	}
	box, err := OpenBadger(tmp, BadgerOptions{ReadOnly: true, Logger: quiet})
	if err != nil {
		return Report{}, fmt.Errorf("outbox %s: recovered copy: %w", dir, err)
	}
	defer box.Close()
	r, err := NewReport("store", dir, box, list)
	r.Dir = dir
	return r, err
}

// locked reports whether a writer (a running agent) holds dir's Badger lock.
func locked(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) != nil
}

// copyBadgerFiles copies the regular files of dir (Badger's: manifest, tables, logs; not the
// blobs and segments folders, nor the lock's pid file) into to, skipping runs of zeros so that
// preallocated logs stay sparse.
func copyBadgerFiles(dir, to string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if !de.Type().IsRegular() || de.Name() == "LOCK" {
			continue
		}
		if err := copySparse(filepath.Join(dir, de.Name()), filepath.Join(to, de.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copySparse(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			if !allZero(buf[:n]) {
				if _, err := dst.WriteAt(buf[:n], off); err != nil {
					dst.Close()
					return err
				}
			}
			off += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			dst.Close()
			return rerr
		}
	}
	if err := dst.Truncate(off); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
