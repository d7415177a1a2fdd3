package hikvision

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
)

// maxPart bounds one part of the alert stream: a picture is a few hundred kB.
const maxPart = 8 << 20

// part is one part of a multipart stream.
type part struct {
	header textproto.MIMEHeader
	body   []byte
}

// partReader reads the parts of a multipart stream that never ends, as the alertStream is.
// Unlike mime/multipart it takes a part's body by its Content-Length when it has one, so a part
// is complete as soon as its bytes are in, not when the next part begins.
type partReader struct {
	r          *bufio.Reader
	delim      string // "--" + boundary
	atBoundary bool   // the delimiter line of the next part has been read
}

func newPartReader(r io.Reader, boundary string) *partReader {
	return &partReader{r: bufio.NewReaderSize(r, 64<<10), delim: "--" + boundary}
}

// errStreamEnd is the stream's closing delimiter.
var errStreamEnd = errors.New("the camera closed the stream")

// next reads the next part. It returns io.EOF (or another read error) when the stream breaks,
// errStreamEnd at the closing delimiter.
func (p *partReader) next() (part, error) {
	if !p.atBoundary {
		for {
			line, err := p.line()
			if err != nil {
				return part{}, err
			}
			if end, ok := p.isDelim(line); ok {
				if end {
					return part{}, errStreamEnd
				}
				break
			}
		}
	}
	p.atBoundary = false
	hdr, err := textproto.NewReader(p.r).ReadMIMEHeader()
	if err != nil {
		return part{}, fmt.Errorf("part header: %w", err)
	}
	if cl := hdr.Get("Content-Length"); cl != "" {
		n, err := strconv.Atoi(strings.TrimSpace(cl))
		if err == nil && n >= 0 && n <= maxPart {
			body := make([]byte, n)
			if _, err := io.ReadFull(p.r, body); err != nil {
				return part{}, err
			}
			return part{header: hdr, body: body}, nil
		}
		if err == nil && n > maxPart {
			return part{}, fmt.Errorf("part of %d bytes, over %d", n, maxPart)
		}
	}
	// No length: the body runs to the next delimiter line.
	var body bytes.Buffer
	for {
		line, err := p.rawLine()
		if err != nil {
			return part{}, err
		}
		if end, ok := p.isDelim(strings.TrimRight(string(line), "\r\n")); ok {
			b := bytes.TrimSuffix(body.Bytes(), []byte("\n"))
			b = bytes.TrimSuffix(b, []byte("\r"))
			if end {
				return part{header: hdr, body: b}, nil // the next call sees the end
			}
			p.atBoundary = true
			return part{header: hdr, body: b}, nil
		}
		if body.Len()+len(line) > maxPart {
			return part{}, fmt.Errorf("part over %d bytes", maxPart)
		}
		body.Write(line)
	}
}

// isDelim reports whether line is a delimiter line, and whether it is the closing one.
func (p *partReader) isDelim(line string) (end, ok bool) {
	line = strings.TrimRight(line, " \t")
	rest, found := strings.CutPrefix(line, p.delim)
	switch {
	case !found:
		return false, false
	case rest == "":
		return false, true
	case rest == "--":
		return true, true
	}
	return false, false
}

// line reads a line without its line break; a line longer than the buffer is skipped whole.
func (p *partReader) line() (string, error) {
	b, err := p.rawLine()
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// rawLine reads a line with its line break, at most maxPart bytes.
func (p *partReader) rawLine() ([]byte, error) {
	var long []byte
	for {
		b, err := p.r.ReadSlice('\n')
		switch {
		case err == nil:
			if long != nil {
				return append(long, b...), nil
			}
			return append([]byte(nil), b...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(long)+len(b) > maxPart {
				return nil, fmt.Errorf("line over %d bytes", maxPart)
			}
			long = append(long, b...)
		case len(b) > 0 && errors.Is(err, io.EOF):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}
