// Package outbox is the gateway's durable FIFO of messages waiting for the platform: passages,
// their evidence, and announcements. A message leaves the outbox only when the uplink deletes it
// after its PUBACK, or when a bound (bytes, age, free disk) drops it; every drop is counted and
// announced by a message appended to the outbox itself, so nothing disappears silently.
//
// It must not import sitegate/agent/uplink or any driver.
package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"sitegate/agent/wire"
)

// Kind says what a message is, which decides what a bound drops first: evidence before
// passages, oldest first; announcements last.
type Kind uint8

// Kinds of message. The zero value is a passage, so a message nobody classified is kept as long
// as a passage is.
const (
	KindPassage      Kind = 0
	KindEvidence     Kind = 1
	KindAnnouncement Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindPassage:
		return "passage"
	case KindEvidence:
		return "evidence"
	case KindAnnouncement:
		return "announcement"
	}
	return "unknown"
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for _, c := range []Kind{KindPassage, KindEvidence, KindAnnouncement} {
		if string(b) == c.String() {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("outbox: unknown kind %q", b)
}

// Message is one MQTT publication waiting to be delivered.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      byte
	Retained bool
	Kind     Kind
	// Ref names what the message belongs to (a passage id), so a drop announcement can name it.
	Ref string
}

// Entry is a stored message with its position in the FIFO.
type Entry struct {
	Seq uint64 // position in the FIFO, strictly increasing, never reused
	Message
}

// Stats describe what the outbox holds, as the status message reports it.
type Stats = wire.OutboxStats

// DropStats count messages dropped by a bound since the store was created.
type DropStats = wire.DropStats

func countDrop(d *DropStats, k Kind, bytes int64) {
	switch k {
	case KindEvidence:
		d.Evidence++
	case KindAnnouncement:
		d.Announcements++
	default:
		d.Passages++
	}
	d.Bytes += bytes
}

// Limits bound an outbox; a zero field is no bound.
type Limits struct {
	MaxBytes int64         // stored topic and payload bytes
	MaxAge   time.Duration // a message appended longer ago than this is dropped
	// ReserveBytes is free space on the store's file system that evidence files must leave
	// (Badger only): Badger's memory-mapped writes die with SIGBUS on a full disk.
	ReserveBytes int64
}

// Drop reasons.
const (
	ReasonMaxBytes = "max_bytes"
	ReasonMaxAge   = "max_age"
	ReasonDisk     = "disk_reserve"
	ReasonCorrupt  = "corrupt"
)

// Dropped is one message a bound dropped.
type Dropped struct {
	Seq   uint64 `json:"-"`               // outbox position, meaningless to the platform
	Batch uint64 `json:"seq,omitempty"`   // the batch number: a passage's seq
	Kind  Kind   `json:"kind"`            //
	Ref   string `json:"id,omitempty"`    // the passage id it belongs to
	Topic string `json:"topic,omitempty"` //
	Bytes int64  `json:"bytes"`
}

// DropReport is one drop pass, announced by one message.
type DropReport struct {
	Reason  string
	At      time.Time
	Dropped []Dropped
}

// Announcer builds the message announcing a drop report. Its Kind is forced to
// KindAnnouncement.
type Announcer func(DropReport) Message

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("outbox: closed")

// ErrReadOnly is returned by writing methods of an outbox opened read-only.
var ErrReadOnly = errors.New("outbox: read-only")

// Outbox is a durable FIFO. Implementations: Badger (the gateway's) and memory (tests, benchmarks).
// All methods are safe for concurrent use.
type Outbox interface {
	// AppendBatch stores the messages build returns, atomically and in order, and returns their
	// sequence numbers. Each call gets the next batch number n (1, 2, 3, ... gap-free, durable
	// across restarts, committed in the same transaction as the messages); build may embed it in
	// the payloads, as a passage embeds its seq. If build fails, nothing is stored and the batch
	// number is not consumed. When a bound leaves no room, messages of the batch may be dropped
	// (and announced) instead of stored; their seqs are then 0.
	AppendBatch(build func(n uint64) ([]Message, error)) ([]uint64, error)
	// Append stores msgs like a batch that takes no batch number: for messages that are not
	// passages (a barrier decision, an amendment), so passage seqs stay gap-free.
	Append(msgs ...Message) ([]uint64, error)
	// Peek returns up to max entries with Seq > after, oldest first.
	Peek(after uint64, max int) ([]Entry, error)
	// Delete removes delivered entries (in one transaction, or a few for many entries); a
	// delete lost in a crash only means a resend. Deleting a missing entry is not an
	// error.
	Delete(seqs ...uint64) error
	// Stats reports the backlog.
	Stats() Stats
	// Notify returns a channel that receives (without blocking the appender) after each append.
	Notify() <-chan struct{}
	// Close flushes to disk and releases the store.
	Close() error
}

// Item describes a waiting message without its payload, for a technician's listing.
type Item struct {
	Seq   uint64    `json:"seq"`
	Batch uint64    `json:"batch,omitempty"` // a passage's seq
	Kind  Kind      `json:"kind"`
	Ref   string    `json:"id,omitempty"`
	Bytes int64     `json:"bytes"`
	At    time.Time `json:"appended_at"`
}

// DropsAnnouncer returns the Announce function that turns a drop report into the gateway's
// drops message (CONTRACT 6, topic drops), so the outbox announces its own losses.
func DropsAnnouncer(t wire.Gateway) func(DropReport) Message {
	return func(r DropReport) Message {
		d := wire.Drops{Schema: wire.DropsSchema, Site: t.Site, Gateway: t.Gateway,
			Time: r.At.Format(wire.TimeLayout), Reason: r.Reason, Dropped: []wire.DroppedItem{}}
		for _, x := range r.Dropped {
			d.AddDropped(wire.DroppedItem{Seq: x.Batch, Kind: x.Kind.String(), Ref: x.Ref, Topic: x.Topic, Bytes: x.Bytes})
		}
		b, err := json.Marshal(d)
		if err != nil { // cannot happen with these types; announce the bare facts
			b = []byte(`{"schema":"` + wire.DropsSchema + `","reason":"` + r.Reason + `"}`)
		}
		return Message{Topic: t.Drops(), Payload: b, QoS: 1, Kind: KindAnnouncement}
	}
}
