package outbox

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is returned (wrapped) when a stored value cannot be decoded into a Message.
var ErrCorrupt = errors.New("outbox: corrupt value")

// codecVersion is the first byte of every stored value, so the layout can change later.
const codecVersion = 1

const (
	flagQoSMask  = 0x03
	flagRetained = 0x04
	flagKnown    = flagQoSMask | flagRetained
)

// maxTopicLen is the MQTT limit on a topic name's encoded length.
const maxTopicLen = 65535

// validate reports why a message cannot be stored, or nil.
func validate(m Message) error {
	if m.QoS > 2 {
		return fmt.Errorf("outbox: topic %q: QoS %d out of range", m.Topic, m.QoS)
	}
	if len(m.Topic) == 0 || len(m.Topic) > maxTopicLen {
		return fmt.Errorf("outbox: topic length %d out of range 1..%d", len(m.Topic), maxTopicLen)
	}
	return nil
}

// encodeMessage lays a message out as:
//
//	version(1) | uvarint topic length | topic | flags(1) | payload
//
// flags holds the QoS in bits 0-1 and the retained bit in bit 2.
func encodeMessage(m Message) []byte {
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+len(m.Topic)+1+len(m.Payload))
	buf = append(buf, codecVersion)
	buf = binary.AppendUvarint(buf, uint64(len(m.Topic)))
	buf = append(buf, m.Topic...)
	flags := m.QoS & flagQoSMask
	if m.Retained {
		flags |= flagRetained
	}
	buf = append(buf, flags)
	return append(buf, m.Payload...)
}

// decodeMessage is the inverse of encodeMessage. It never panics: every malformed input yields
// an error wrapping ErrCorrupt. The returned payload aliases b.
func decodeMessage(b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	if b[0] != codecVersion {
		return Message{}, fmt.Errorf("%w: unknown version %d", ErrCorrupt, b[0])
	}
	rest := b[1:]
	tl, n := binary.Uvarint(rest)
	if n <= 0 || n != len(binary.AppendUvarint(nil, tl)) {
		return Message{}, fmt.Errorf("%w: bad topic length", ErrCorrupt)
	}
	rest = rest[n:]
	if tl == 0 || tl > maxTopicLen || tl > uint64(len(rest)) {
		return Message{}, fmt.Errorf("%w: topic length %d with %d bytes left", ErrCorrupt, tl, len(rest))
	}
	topic := string(rest[:tl])
	rest = rest[tl:]
	if len(rest) == 0 {
		return Message{}, fmt.Errorf("%w: missing flags", ErrCorrupt)
	}
	flags := rest[0]
	if flags&^flagKnown != 0 || flags&flagQoSMask == 3 {
		return Message{}, fmt.Errorf("%w: bad flags %#x", ErrCorrupt, flags)
	}
	payload := rest[1:]
	if len(payload) == 0 {
		payload = nil
	}
	return Message{
		Topic:    topic,
		Payload:  payload,
		QoS:      flags & flagQoSMask,
		Retained: flags&flagRetained != 0,
	}, nil
}

// msgSize is what a message counts towards Stats.Bytes.
func msgSize(m Message) int64 { return int64(len(m.Topic) + len(m.Payload)) }
