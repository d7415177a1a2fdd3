package dahua

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxPart bounds one part of the event stream (a scene picture is well under it).
const maxPart = 8 << 20

// maxJunk bounds what is skipped looking for a boundary.
const maxJunk = 1 << 20

// part is one part of a multipart/x-mixed-replace stream.
type part struct {
	ctype string // media type, lower case, without parameters
	body  []byte
}

// heartbeat reports whether p is the camera's keep-alive.
func (p part) heartbeat() bool {
	return strings.HasPrefix(p.ctype, "text/") && bytes.EqualFold(bytes.TrimSpace(p.body), []byte("Heartbeat"))
}

// parts reads the parts of a Dahua multipart/x-mixed-replace stream. A part's Content-Length
// is trusted when given (a JPEG may hold any bytes); without it the part runs to the next
// boundary line.
type parts struct {
	br       *bufio.Reader
	boundary []byte // "--" + boundary
	atDelim  bool   // the boundary line was read already, as a part's end
	done     bool
}

func newParts(r io.Reader, boundary string) *parts {
	b := strings.TrimPrefix(boundary, "--")
	return &parts{br: bufio.NewReaderSize(r, 64<<10), boundary: []byte("--" + b)}
}

// errFraming is wrapped by errors in the stream's framing.
var errFraming = errors.New("event stream framing")

// next returns the next part; io.EOF at the closing boundary or at a clean end.
func (s *parts) next() (part, error) {
	if s.done {
		return part{}, io.EOF
	}
	if !s.atDelim {
		if err := s.skipToBoundary(); err != nil {
			return part{}, err
		}
	}
	s.atDelim = false
	if s.done {
		return part{}, io.EOF
	}
	var p part
	length := -1
	for n := 0; ; n++ {
		line, err := s.line(4096)
		if err != nil {
			return part{}, unexpected(err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		if n > 32 {
			return part{}, fmt.Errorf("%w: over 32 part headers", errFraming)
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch strings.ToLower(string(bytes.TrimSpace(k))) {
		case "content-type":
			mt, _, _ := strings.Cut(string(v), ";")
			p.ctype = strings.ToLower(strings.TrimSpace(mt))
		case "content-length":
			if l, err := strconv.Atoi(string(v)); err == nil && l >= 0 {
				length = l
			}
		}
	}
	if length > maxPart {
		return part{}, fmt.Errorf("%w: part of %d bytes", errFraming, length)
	}
	if length >= 0 {
		p.body = make([]byte, length)
		if _, err := io.ReadFull(s.br, p.body); err != nil {
			return part{}, unexpected(err)
		}
		return p, nil
	}
	body, err := s.untilBoundary()
	p.body = body
	return p, err
}

// line reads one line (through '\n'), at most max bytes; a longer one is an error.
func (s *parts) line(max int) ([]byte, error) {
	var out []byte
	for {
		b, err := s.br.ReadSlice('\n')
		out = append(out, b...)
		if len(out) > max {
			return nil, fmt.Errorf("%w: line over %d bytes", errFraming, max)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

// isBoundary reports whether line is the boundary line, and whether it is the closing one.
func (s *parts) isBoundary(line []byte) (bool, bool) {
	t := bytes.TrimRight(line, " \t\r\n")
	if !bytes.HasPrefix(t, s.boundary) {
		return false, false
	}
	rest := t[len(s.boundary):]
	switch {
	case len(rest) == 0:
		return true, false
	case string(rest) == "--":
		return true, true
	}
	return false, false
}

// skipToBoundary reads up to and through the next boundary line.
func (s *parts) skipToBoundary() error {
	skipped := 0
	for {
		b, err := s.br.ReadSlice('\n')
		skipped += len(b)
		if err == nil || (err == io.EOF && len(b) > 0) {
			if ok, end := s.isBoundary(b); ok {
				s.done = end
				return nil
			}
		}
		if err == io.EOF {
			if skipped == 0 || len(bytes.TrimSpace(b)) == 0 {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
		if skipped > maxJunk {
			return fmt.Errorf("%w: no boundary in %d bytes", errFraming, skipped)
		}
	}
}

// untilBoundary reads a part without Content-Length: up to the next boundary line, which it
// consumes; the line break before the boundary belongs to the boundary.
func (s *parts) untilBoundary() ([]byte, error) {
	var body []byte
	lineStart := true
	for {
		b, err := s.br.ReadSlice('\n')
		if lineStart && (err == nil || err == io.EOF) {
			if ok, end := s.isBoundary(b); ok {
				s.atDelim, s.done = true, end
				body = bytes.TrimSuffix(body, []byte("\n"))
				body = bytes.TrimSuffix(body, []byte("\r"))
				return body, nil
			}
		}
		body = append(body, b...)
		if len(body) > maxPart {
			return nil, fmt.Errorf("%w: part over %d bytes", errFraming, maxPart)
		}
		switch err {
		case nil:
			lineStart = true
		case bufio.ErrBufferFull:
			lineStart = false
		default:
			return nil, unexpected(err)
		}
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
