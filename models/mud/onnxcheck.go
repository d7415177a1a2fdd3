package mud

import (
	"errors"
	"fmt"
)

// checkONNX rejects bytes that are not a well-formed ONNX ModelProto before OpenCV sees them:
// in gocv v0.31 an OpenCV exception aborts the whole process, and OpenCV throws on a file it
// cannot parse. It walks the protobuf wire format of the model and of its graph, and requires
// ir_version (field 1) and graph (field 7).
func checkONNX(data []byte) error {
	seen, err := walkProto(data, 0)
	if err != nil {
		return fmt.Errorf("not an ONNX model: %w", err)
	}
	if seen[1] == nil || seen[7] == nil {
		return errors.New("not an ONNX model: no ir_version or graph")
	}
	for _, g := range seen[7] {
		if _, err := walkProto(g, 1); err != nil {
			return fmt.Errorf("not an ONNX model: graph: %w", err)
		}
	}
	return nil
}

// walkProto checks that b is a sequence of well-formed protobuf fields and returns the
// length-delimited payloads (and a marker for other fields) by field number.
func walkProto(b []byte, depth int) (map[uint64][][]byte, error) {
	if depth > 8 {
		return nil, errors.New("nested too deeply")
	}
	seen := map[uint64][][]byte{}
	for len(b) > 0 {
		key, n := uvarint(b)
		if n <= 0 {
			return nil, errors.New("bad field key")
		}
		b = b[n:]
		field, wire := key>>3, key&7
		if field == 0 {
			return nil, errors.New("field number 0")
		}
		switch wire {
		case 0:
			_, n := uvarint(b)
			if n <= 0 {
				return nil, errors.New("bad varint")
			}
			b = b[n:]
			seen[field] = append(seen[field], nil)
		case 1, 5:
			size := 8
			if wire == 5 {
				size = 4
			}
			if len(b) < size {
				return nil, errors.New("truncated fixed field")
			}
			b = b[size:]
			seen[field] = append(seen[field], nil)
		case 2:
			l, n := uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return nil, errors.New("bad length")
			}
			seen[field] = append(seen[field], b[n:n+int(l)])
			b = b[n+int(l):]
		default:
			return nil, fmt.Errorf("wire type %d", wire)
		}
	}
	return seen, nil
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}
