// Package outbox is the gateway's durable FIFO of messages waiting for the platform: passages,
// their evidence, and announcements. A message leaves the outbox only when the uplink deletes it
// after its PUBACK, so a power cut or a broker outage loses nothing.
//
// It must not import sitegate/agent/uplink or any driver.
package outbox

import "errors"

// Message is one MQTT publication waiting to be delivered.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      byte
	Retained bool
}

// Entry is a stored message with its position in the FIFO.
type Entry struct {
	Seq uint64 // position in the FIFO, strictly increasing, never reused
	Message
}

// Stats describes the backlog.
type Stats struct {
	Depth     int    `json:"depth"`      // messages waiting
	Bytes     int64  `json:"bytes"`      // payload and topic bytes waiting
	OldestSeq uint64 `json:"oldest_seq"` // 0 when empty
	Batches   uint64 `json:"batches"`    // batches appended since the store was created
}

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("outbox: closed")

// Outbox is a durable FIFO. Implementations: Badger (the gateway's) and memory (tests, benchmarks).
// All methods are safe for concurrent use.
type Outbox interface {
	// AppendBatch stores the messages build returns, atomically and in order, and returns their
	// sequence numbers. Each call gets the next batch number n (1, 2, 3, ... gap-free, durable
	// across restarts, committed in the same transaction as the messages); build may embed it in
	// the payloads, as a passage embeds its seq. If build fails, nothing is stored and the batch
	// number is not consumed.
	AppendBatch(build func(n uint64) ([]Message, error)) ([]uint64, error)
	// Peek returns up to max entries with Seq > after, oldest first.
	Peek(after uint64, max int) ([]Entry, error)
	// Delete removes one delivered entry. Deleting a missing entry is not an error.
	Delete(seq uint64) error
	// Stats reports the backlog.
	Stats() Stats
	// Notify returns a channel that receives (without blocking the appender) after each append.
	Notify() <-chan struct{}
	// Close flushes to disk and releases the store.
	Close() error
}
