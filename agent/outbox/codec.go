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
	flagBlob     = 0x08 // the payload is in a file; the value holds its length and CRC
	flagKindMask = 0x30 // Kind << 4
	flagRef      = 0x40 // a uvarint-prefixed Ref follows the flags
	flagSeg      = 0x80 // the payload is in a segment; the value holds where, its length and CRC
	flagKnown    = flagQoSMask | flagRetained | flagBlob | flagKindMask | flagRef | flagSeg
	kindShift    = 4
)

// maxTopicLen is the MQTT limit on a topic name's encoded length.
const maxTopicLen = 65535

// maxRefLen bounds Message.Ref.
const maxRefLen = 255

// validate reports why a message cannot be stored, or nil.
func validate(m Message) error {
	if m.QoS > 2 {
		return fmt.Errorf("outbox: topic %q: QoS %d out of range", m.Topic, m.QoS)
	}
	if len(m.Topic) == 0 || len(m.Topic) > maxTopicLen {
		return fmt.Errorf("outbox: topic length %d out of range 1..%d", len(m.Topic), maxTopicLen)
	}
	if m.Kind > KindAnnouncement {
		return fmt.Errorf("outbox: topic %q: unknown kind %d", m.Topic, m.Kind)
	}
	if len(m.Ref) > maxRefLen {
		return fmt.Errorf("outbox: topic %q: ref longer than %d bytes", m.Topic, maxRefLen)
	}
	return nil
}

// encodeMessage lays a message out as:
//
//	version(1) | uvarint topic length | topic | flags(1) | [uvarint ref length | ref] | payload
//
// flags holds the QoS in bits 0-1, the retained bit in bit 2, the blob bit in bit 3, the kind
// in bits 4-5, the ref bit in bit 6 and the segment bit in bit 7. With the blob bit, the payload
// is in a file of its own and the value ends with its length and CRC-32C (4 bytes each,
// big-endian) instead; with the segment bit, it is in a segment and the value ends with the
// segment id (8 bytes), the offset, the length and the CRC-32C (4 bytes each).
func encodeMessage(m Message, blob *blobRef) []byte {
	n := 1 + binary.MaxVarintLen64 + len(m.Topic) + 1 + binary.MaxVarintLen64 + len(m.Ref) + 20
	if blob == nil {
		n += len(m.Payload)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, codecVersion)
	buf = binary.AppendUvarint(buf, uint64(len(m.Topic)))
	buf = append(buf, m.Topic...)
	flags := m.QoS&flagQoSMask | byte(m.Kind)<<kindShift
	if m.Retained {
		flags |= flagRetained
	}
	switch {
	case blob != nil && blob.seg != 0:
		flags |= flagSeg
	case blob != nil:
		flags |= flagBlob
	}
	if m.Ref != "" {
		flags |= flagRef
	}
	buf = append(buf, flags)
	if m.Ref != "" {
		buf = binary.AppendUvarint(buf, uint64(len(m.Ref)))
		buf = append(buf, m.Ref...)
	}
	if blob != nil {
		if blob.seg != 0 {
			buf = binary.BigEndian.AppendUint64(buf, blob.seg)
			buf = binary.BigEndian.AppendUint32(buf, blob.off)
		}
		buf = binary.BigEndian.AppendUint32(buf, blob.size)
		return binary.BigEndian.AppendUint32(buf, blob.crc)
	}
	return append(buf, m.Payload...)
}

// blobRef is what the value of a message whose payload is stored apart records about it: in a
// file of its own (seg 0), or at off in segment seg.
type blobRef struct {
	size, crc uint32
	seg       uint64
	off       uint32
}

// decodeMessage is the inverse of encodeMessage. It never panics: every malformed input yields
// an error wrapping ErrCorrupt. The returned payload aliases b; blob is non-nil when the payload
// is in a file (and Payload is then nil).
func decodeMessage(b []byte) (m Message, blob *blobRef, err error) {
	if len(b) == 0 {
		return Message{}, nil, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	if b[0] != codecVersion {
		return Message{}, nil, fmt.Errorf("%w: unknown version %d", ErrCorrupt, b[0])
	}
	rest := b[1:]
	tl, n := uvarint(rest)
	if n <= 0 {
		return Message{}, nil, fmt.Errorf("%w: bad topic length", ErrCorrupt)
	}
	rest = rest[n:]
	if tl == 0 || tl > maxTopicLen || tl > uint64(len(rest)) {
		return Message{}, nil, fmt.Errorf("%w: topic length %d with %d bytes left", ErrCorrupt, tl, len(rest))
	}
	m.Topic = string(rest[:tl])
	rest = rest[tl:]
	if len(rest) == 0 {
		return Message{}, nil, fmt.Errorf("%w: missing flags", ErrCorrupt)
	}
	flags := rest[0]
	rest = rest[1:]
	if flags&^flagKnown != 0 || flags&flagQoSMask == 3 || Kind(flags&flagKindMask>>kindShift) > KindAnnouncement {
		return Message{}, nil, fmt.Errorf("%w: bad flags %#x", ErrCorrupt, flags)
	}
	m.QoS = flags & flagQoSMask
	m.Retained = flags&flagRetained != 0
	m.Kind = Kind(flags & flagKindMask >> kindShift)
	if flags&flagRef != 0 {
		rl, n := uvarint(rest)
		if n <= 0 || rl == 0 || rl > maxRefLen || rl > uint64(len(rest)-n) {
			return Message{}, nil, fmt.Errorf("%w: bad ref length", ErrCorrupt)
		}
		m.Ref = string(rest[n : n+int(rl)])
		rest = rest[n+int(rl):]
	}
	if flags&flagSeg != 0 {
		if flags&flagBlob != 0 || len(rest) != 20 || binary.BigEndian.Uint64(rest) == 0 {
			return Message{}, nil, fmt.Errorf("%w: bad segment reference", ErrCorrupt)
		}
		return m, &blobRef{seg: binary.BigEndian.Uint64(rest), off: binary.BigEndian.Uint32(rest[8:]),
			size: binary.BigEndian.Uint32(rest[12:]), crc: binary.BigEndian.Uint32(rest[16:])}, nil
	}
	if flags&flagBlob != 0 {
		if len(rest) != 8 {
			return Message{}, nil, fmt.Errorf("%w: blob reference is %d bytes", ErrCorrupt, len(rest))
		}
		return m, &blobRef{size: binary.BigEndian.Uint32(rest), crc: binary.BigEndian.Uint32(rest[4:])}, nil
	}
	if len(rest) > 0 {
		m.Payload = rest
	}
	return m, nil, nil
}

// uvarint reads a minimally encoded uvarint; n <= 0 on any error.
func uvarint(b []byte) (uint64, int) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		return 0, -1
	}
	return v, n
}

// msgSize is what a message counts towards Stats.Bytes.
func msgSize(m Message) int64 { return int64(len(m.Topic) + len(m.Payload)) }

// meta is what the index keeps about each stored message: enough to enforce the bounds, keep
// Stats exact and list the backlog without reading a payload.
type meta struct {
	seq   uint64
	size  int64
	kind  Kind
	blob  bool   // the payload is a file of its own
	seg   uint64 // the payload is in this segment (0: none)
	at    int64  // append time, Unix ms; 0 if unknown (an entry from an older layout)
	batch uint64
	ref   string
}

// encodeMeta lays an index value out as:
//
//	uvarint size | flags(1): kind in bits 0-1, seg in bit 6, blob in bit 7 | uvarint at |
//	uvarint batch | [uvarint seg] | ref
func encodeMeta(x meta) []byte {
	buf := make([]byte, 0, 3*binary.MaxVarintLen64+1+len(x.ref))
	buf = binary.AppendUvarint(buf, uint64(x.size))
	f := byte(x.kind)
	if x.blob {
		f |= 0x80
	}
	if x.seg != 0 {
		f |= 0x40
	}
	buf = append(buf, f)
	buf = binary.AppendUvarint(buf, uint64(x.at))
	buf = binary.AppendUvarint(buf, x.batch)
	if x.seg != 0 {
		buf = binary.AppendUvarint(buf, x.seg)
	}
	return append(buf, x.ref...)
}

// decodeMeta is the inverse of encodeMeta; a value holding only the size (the first layout)
// decodes as a passage of unknown age.
func decodeMeta(seq uint64, v []byte) (meta, error) {
	x := meta{seq: seq}
	s, n := binary.Uvarint(v)
	if n <= 0 || s > 1<<40 {
		return x, fmt.Errorf("%w: size of entry %d", ErrCorrupt, seq)
	}
	x.size = int64(s)
	v = v[n:]
	if len(v) == 0 {
		return x, nil
	}
	f := v[0]
	x.kind, x.blob = Kind(f&0x03), f&0x80 != 0
	if x.kind > KindAnnouncement || f&0x3c != 0 || f&0xc0 == 0xc0 {
		return x, fmt.Errorf("%w: index flags of entry %d", ErrCorrupt, seq)
	}
	v = v[1:]
	at, n := binary.Uvarint(v)
	if n <= 0 || at > 1<<62 {
		return x, fmt.Errorf("%w: index time of entry %d", ErrCorrupt, seq)
	}
	x.at = int64(at)
	v = v[n:]
	if x.batch, n = binary.Uvarint(v); n <= 0 {
		return x, fmt.Errorf("%w: index batch of entry %d", ErrCorrupt, seq)
	}
	v = v[n:]
	if f&0x40 != 0 {
		if x.seg, n = binary.Uvarint(v); n <= 0 || x.seg == 0 {
			return x, fmt.Errorf("%w: index segment of entry %d", ErrCorrupt, seq)
		}
		v = v[n:]
	}
	x.ref = string(v)
	return x, nil
}
