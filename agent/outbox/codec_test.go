package outbox

import (
	"bytes"
	"errors"
	"testing"
)

var codecCases = []struct {
	name string
	in   []byte
	want *Message // nil: must be rejected
}{
	{"minimal", []byte{1, 1, 't', 0}, &Message{Topic: "t"}},
	{"qos1 retained payload", []byte{1, 2, 'a', 'b', 5, 'x', 'y'}, &Message{Topic: "ab", QoS: 1, Retained: true, Payload: []byte("xy")}},
	{"qos2", []byte{1, 1, 't', 2, 0xff}, &Message{Topic: "t", QoS: 2, Payload: []byte{0xff}}},
	{"empty", nil, nil},
	{"bad version", []byte{2, 1, 't', 0}, nil},
	{"no topic length", []byte{1}, nil},
	{"zero topic", []byte{1, 0, 0}, nil},
	{"topic too long for value", []byte{1, 5, 't'}, nil},
	{"missing flags", []byte{1, 1, 't'}, nil},
	{"qos 3", []byte{1, 1, 't', 3}, nil},
	{"unknown flag", []byte{1, 1, 't', 0x80}, nil},
	{"evidence kind", []byte{1, 1, 't', 0x11, 0xff, 0xd8}, &Message{Topic: "t", QoS: 1, Kind: KindEvidence, Payload: []byte{0xff, 0xd8}}},
	{"announcement kind", []byte{1, 1, 't', 0x21, '{', '}'}, &Message{Topic: "t", QoS: 1, Kind: KindAnnouncement, Payload: []byte("{}")}},
	{"kind 3", []byte{1, 1, 't', 0x30}, nil},
	{"ref", []byte{1, 1, 't', 0x41, 2, 'i', 'd', 'x'}, &Message{Topic: "t", QoS: 1, Ref: "id", Payload: []byte("x")}},
	{"ref too long for value", []byte{1, 1, 't', 0x41, 5, 'i'}, nil},
	{"empty ref", []byte{1, 1, 't', 0x41, 0}, nil},
	{"blob", []byte{1, 1, 't', 0x19, 0, 0, 0x10, 0, 1, 2, 3, 4}, &Message{Topic: "t", QoS: 1, Kind: KindEvidence}},
	{"blob reference too short", []byte{1, 1, 't', 0x19, 0, 0, 0x10}, nil},
	{"segment", []byte{1, 1, 't', 0x81, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 3, 0x84, 1, 2, 3, 4}, &Message{Topic: "t", QoS: 1}},
	{"segment zero", []byte{1, 1, 't', 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 3, 0x84, 1, 2, 3, 4}, nil},
	{"segment and blob", []byte{1, 1, 't', 0x89, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 3, 0x84, 1, 2, 3, 4}, nil},
	{"segment reference too short", []byte{1, 1, 't', 0x81, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9}, nil},
	{"varint overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, nil},
	{"non-minimal topic length", []byte{1, 0x81, 0, '0', 0}, nil},
	{"huge topic length", []byte{1, 0xff, 0xff, 0xff, 0x0f, 't', 0}, nil},
}

func TestCodec(t *testing.T) {
	for _, tc := range codecCases {
		t.Run(tc.name, func(t *testing.T) {
			got, blob, err := decodeMessage(tc.in)
			if tc.want == nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("decode = %+v, %v; want ErrCorrupt", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got.Topic != tc.want.Topic || got.QoS != tc.want.QoS || got.Retained != tc.want.Retained || got.Kind != tc.want.Kind || got.Ref != tc.want.Ref || !bytes.Equal(got.Payload, tc.want.Payload) {
				t.Fatalf("decode = %+v, want %+v", got, *tc.want)
			}
			if enc := encodeMessage(got, blob); !bytes.Equal(enc, tc.in) {
				t.Errorf("encode(decode(x)) = %v, want %v", enc, tc.in)
			}
		})
	}
}

// FuzzDecode checks that decoding arbitrary bytes never panics and that whatever decodes
// re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, tc := range codecCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, blob, err := decodeMessage(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if err := validate(m); err != nil {
			t.Fatalf("decoded an invalid message %+v: %v", m, err)
		}
		if enc := encodeMessage(m, blob); !bytes.Equal(enc, b) {
			t.Fatalf("encode(decode(%v)) = %v", b, enc)
		}
	})
}
