package outbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
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
// describes it.
func ReadReport(dir string, list int) (Report, error) {
	if _, err := os.Stat(dir); err != nil {
		return Report{}, fmt.Errorf("outbox %s: %w", dir, err)
	}
	box, err := OpenBadger(dir, BadgerOptions{ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return Report{}, err
	}
	defer box.Close()
	return NewReport("store", dir, box, list)
}
