package outbox

import (
	"fmt"
	"slices"
	"sync"
)

// Memory is an Outbox held in memory, for tests and benchmarks. It is not durable.
type Memory struct {
	mu      sync.Mutex
	entries []Entry // ascending Seq
	next    uint64
	batches uint64
	bytes   int64
	closed  bool
	notify  chan struct{}
}

var _ Outbox = (*Memory)(nil)

// NewMemory returns an empty in-memory outbox.
func NewMemory() *Memory {
	return &Memory{next: 1, notify: make(chan struct{}, 1)}
}

// AppendBatch implements Outbox.
func (m *Memory) AppendBatch(build func(n uint64) ([]Message, error)) ([]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	n := m.batches + 1
	msgs, err := build(n)
	if err != nil {
		return nil, fmt.Errorf("outbox: build batch %d: %w", n, err)
	}
	for _, msg := range msgs {
		if err := validate(msg); err != nil {
			return nil, err
		}
	}
	seqs := make([]uint64, len(msgs))
	for i, msg := range msgs {
		msg.Payload = slices.Clone(msg.Payload)
		m.entries = append(m.entries, Entry{Seq: m.next, Message: msg})
		m.bytes += msgSize(msg)
		seqs[i] = m.next
		m.next++
	}
	m.batches = n
	select {
	case m.notify <- struct{}{}:
	default:
	}
	return seqs, nil
}

// Peek implements Outbox. The returned payloads must not be modified.
func (m *Memory) Peek(after uint64, max int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	if max <= 0 {
		return nil, nil
	}
	i, _ := slices.BinarySearchFunc(m.entries, after, func(e Entry, s uint64) int {
		switch {
		case e.Seq <= s:
			return -1
		default:
			return 1
		}
	})
	end := min(i+max, len(m.entries))
	return slices.Clone(m.entries[i:end]), nil
}

// Delete implements Outbox.
func (m *Memory) Delete(seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	i, found := slices.BinarySearchFunc(m.entries, seq, func(e Entry, s uint64) int {
		switch {
		case e.Seq < s:
			return -1
		case e.Seq > s:
			return 1
		}
		return 0
	})
	if !found {
		return nil
	}
	m.bytes -= msgSize(m.entries[i].Message)
	if i == 0 {
		m.entries[0] = Entry{}
		m.entries = m.entries[1:]
	} else {
		m.entries = slices.Delete(m.entries, i, i+1)
	}
	return nil
}

// Stats implements Outbox.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Depth: len(m.entries), Bytes: m.bytes, Batches: m.batches}
	if len(m.entries) > 0 {
		s.OldestSeq = m.entries[0].Seq
	}
	return s
}

// Notify implements Outbox.
func (m *Memory) Notify() <-chan struct{} { return m.notify }

// Close implements Outbox.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	m.entries = nil
	return nil
}
