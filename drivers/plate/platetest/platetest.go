// Package platetest has what the tests of drivers/plate and of every vendor folder share: a sink
// that collects the reads handed to lanes, and a server on a loopback port that feeds it.
//
// It imports drivers/plate only.
package platetest

import (
	"log/slog"
	"sync"
	"time"

	"sitegate/drivers/plate"
)

// Received is the clock of test servers: the time every push is received.
var Received = time.Date(2026, 11, 27, 21, 14, 5, 0, time.FixedZone("CST", 8*3600))

// Quiet is a logger that writes nothing.
var Quiet = slog.New(slog.DiscardHandler)

// Sink collects the reads handed to the lanes.
type Sink struct {
	mu    sync.Mutex
	reads []plate.Read
	busy  error
}

// Take is a lane's read handler: it keeps the read, or refuses it with the error SetBusy gave.
func (s *Sink) Take(r plate.Read) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy != nil {
		return s.busy
	}
	s.reads = append(s.reads, r)
	return nil
}

// SetBusy makes Take refuse every read with err (nil: take them again).
func (s *Sink) SetBusy(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = err
}

// All returns the reads taken so far.
func (s *Sink) All() []plate.Read {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]plate.Read(nil), s.reads...)
}

// NewServer is a server on a free loopback port for lanes exit-1 and entry-1, both feeding the
// returned sink, with Received as its clock. maxBody 0 means the default limit.
func NewServer(maxBody int64) (*plate.Server, *Sink) {
	sk := &Sink{}
	s := plate.NewServer(plate.Options{
		Addr:    "127.0.0.1:0",
		MaxBody: maxBody,
		Lanes:   map[string]func(plate.Read) error{"exit-1": sk.Take, "entry-1": sk.Take},
		Logger:  Quiet,
		Now:     func() time.Time { return Received },
	})
	return s, sk
}
