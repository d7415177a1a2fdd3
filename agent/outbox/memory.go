package outbox

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryOptions configures NewMemoryWith. The disk reserve does not apply to memory.
type MemoryOptions struct {
	Limits   Limits
	Announce Announcer
	Now      func() time.Time // default time.Now
}

// Memory is an Outbox held in memory, for tests and benchmarks. It is not durable. It applies
// max_bytes and max_age with the same policy as Badger.
type Memory struct {
	o       MemoryOptions
	mu      sync.Mutex
	entries []memEntry // ascending Seq
	next    uint64
	batches uint64
	bytes   int64
	drops   DropStats
	closed  bool
	notify  chan struct{}
	age     ageClock
}

type memEntry struct {
	Entry
	at    int64
	batch uint64
}

var _ Outbox = (*Memory)(nil)

// NewMemory returns an empty, unbounded in-memory outbox.
func NewMemory() *Memory { return NewMemoryWith(MemoryOptions{}) }

// NewMemoryWith returns an empty in-memory outbox with bounds.
func NewMemoryWith(o MemoryOptions) *Memory {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Memory{o: o, next: 1, notify: make(chan struct{}, 1)}
}

// AppendBatch implements Outbox.
func (m *Memory) AppendBatch(build func(n uint64) ([]Message, error)) ([]uint64, error) {
	return m.appendBatch(build, true)
}

// Append stores msgs atomically and in order without a batch number (see Outbox.Append).
func (m *Memory) Append(msgs ...Message) ([]uint64, error) {
	return m.appendBatch(func(uint64) ([]Message, error) { return msgs, nil }, false)
}

func (m *Memory) appendBatch(build func(n uint64) ([]Message, error), numbered bool) ([]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	n := uint64(0)
	if numbered {
		n = m.batches + 1
	}
	msgs, err := build(n)
	if err != nil {
		return nil, fmt.Errorf("outbox: build batch %d: %w", n, err)
	}
	var incoming int64
	for _, msg := range msgs {
		if err := validate(msg); err != nil {
			return nil, err
		}
		incoming += msgSize(msg)
	}
	m.enforce(incoming)
	now := m.o.Now().UnixMilli()
	if numbered {
		m.batches = n
	}
	if mx := m.o.Limits.MaxBytes; mx > 0 && m.bytes+incoming > mx {
		var ds []Dropped
		for _, msg := range msgs {
			ds = append(ds, Dropped{Batch: n, Kind: msg.Kind, Ref: msg.Ref, Topic: msg.Topic, Bytes: msgSize(msg)})
		}
		m.announce(ReasonMaxBytes, ds, now)
		return nil, fmt.Errorf("outbox: batch %d: %w", n, ErrNoRoom)
	}
	seqs := make([]uint64, len(msgs))
	for i, msg := range msgs {
		msg.Payload = slices.Clone(msg.Payload)
		seqs[i] = m.push(msg, now, n)
	}
	m.signal()
	return seqs, nil
}

func (m *Memory) push(msg Message, at int64, batch uint64) uint64 {
	m.entries = append(m.entries, memEntry{Entry: Entry{Seq: m.next, Message: msg}, at: at, batch: batch})
	m.bytes += msgSize(msg)
	m.next++
	return m.next - 1
}

func (m *Memory) signal() {
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// enforce applies max_age (by ageClock), then max_bytes (evidence first, then passages, oldest first, down to
// 90% of the bound).
func (m *Memory) enforce(incoming int64) {
	lim := m.o.Limits
	if cutoff, ok := m.age.cutoff(m.o.Now(), lim.MaxAge); lim.MaxAge > 0 && ok {
		m.dropWhere(ReasonMaxAge, func(e memEntry) bool {
			return e.at > 0 && m.age.appended(e.at) < cutoff && e.Kind != KindAnnouncement
		}, -1)
	}
	if mx := lim.MaxBytes; mx > 0 && m.bytes+incoming > mx {
		need := m.bytes + incoming - mx + mx/10
		need -= m.dropWhere(ReasonMaxBytes, func(e memEntry) bool { return e.Kind == KindEvidence }, need)
		if need > 0 {
			m.dropWhere(ReasonMaxBytes, func(e memEntry) bool { return e.Kind == KindPassage }, need)
		}
	}
}

// dropWhere drops the oldest entries matching until need bytes are gone (need < 0: all that
// match) and announces them; it returns the bytes dropped.
func (m *Memory) dropWhere(reason string, match func(memEntry) bool, need int64) int64 {
	var ds []Dropped
	var got int64
	kept := m.entries[:0]
	for _, e := range m.entries {
		if (need < 0 || got < need) && match(e) {
			ds = append(ds, Dropped{Seq: e.Seq, Batch: e.batch, Kind: e.Kind, Ref: e.Ref, Topic: e.Topic, Bytes: msgSize(e.Message)})
			got += msgSize(e.Message)
			m.bytes -= msgSize(e.Message)
			continue
		}
		kept = append(kept, e)
	}
	clear(m.entries[len(kept):])
	m.entries = kept
	if len(ds) > 0 {
		m.announce(reason, ds, m.o.Now().UnixMilli())
	}
	return got
}

func (m *Memory) announce(reason string, ds []Dropped, now int64) {
	m.drops.Events++
	for _, d := range ds {
		countDrop(&m.drops, d.Kind, d.Bytes)
	}
	if m.o.Announce == nil {
		return
	}
	a := m.o.Announce(DropReport{Reason: reason, At: time.UnixMilli(now), Dropped: ds})
	a.Kind = KindAnnouncement
	if validate(a) == nil {
		m.push(a, now, 0)
		m.signal()
	}
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
	i, _ := slices.BinarySearchFunc(m.entries, after, func(e memEntry, s uint64) int {
		if e.Seq <= s {
			return -1
		}
		return 1
	})
	end := min(i+max, len(m.entries))
	out := make([]Entry, 0, end-i)
	for _, e := range m.entries[i:end] {
		out = append(out, e.Entry)
	}
	return out, nil
}

// Delete implements Outbox.
func (m *Memory) Delete(seqs ...uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, seq := range seqs {
		i, found := slices.BinarySearchFunc(m.entries, seq, func(e memEntry, s uint64) int {
			switch {
			case e.Seq < s:
				return -1
			case e.Seq > s:
				return 1
			}
			return 0
		})
		if !found {
			continue
		}
		m.bytes -= msgSize(m.entries[i].Message)
		if i == 0 {
			m.entries[0] = memEntry{}
			m.entries = m.entries[1:]
		} else {
			m.entries = slices.Delete(m.entries, i, i+1)
		}
	}
	return nil
}

// Stats implements Outbox.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Depth: len(m.entries), Bytes: m.bytes, Batches: m.batches, Drops: m.drops}
	if len(m.entries) > 0 {
		s.OldestSeq, s.OldestUnixMs = m.entries[0].Seq, m.entries[0].at
	}
	return s
}

// List returns up to max waiting items with Seq > after.
func (m *Memory) List(after uint64, max int) ([]Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	var out []Item
	for _, e := range m.entries {
		if e.Seq > after && len(out) < max {
			out = append(out, itemOf(meta{seq: e.Seq, batch: e.batch, kind: e.Kind, ref: e.Ref, size: msgSize(e.Message), at: e.at}))
		}
	}
	return out, nil
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
