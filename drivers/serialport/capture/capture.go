// Package capture records the bytes that cross a serial line, with their times, in a small text
// format, and plays them back: a technician's recording of a field indicator becomes a test
// case that replays through a decoder (the record/playback idea of periph.io's conntest).
//
// It knows nothing of protocols; it must not import sitegate/models, sitegate/agent or any
// protocol package.
package capture

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Magic is the first line of a capture file.
const Magic = "# sitegate capture v1"

// Directions of a chunk.
const (
	Read  = 'r' // received from the device
	Write = 'w' // sent to the device
)

// Chunk is one read or write on the line, At after the recording started.
type Chunk struct {
	At   time.Duration
	Dir  byte
	Data []byte
}

// File is a parsed capture: its header lines (without "# ") and chunks.
type File struct {
	Header []string
	Chunks []Chunk
}

// Recorder writes a capture file. Safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	w     *bufio.Writer
	start time.Time
	now   func() time.Time
	err   error
}

// NewRecorder starts a capture on w with header lines such as "port /dev/ttyUSB0 9600 8N1";
// now nil means time.Now.
func NewRecorder(w io.Writer, now func() time.Time, header ...string) *Recorder {
	if now == nil {
		now = time.Now
	}
	r := &Recorder{w: bufio.NewWriter(w), now: now}
	r.start = now()
	fmt.Fprintln(r.w, Magic)
	fmt.Fprintf(r.w, "# start %s\n", r.start.Format(time.RFC3339Nano))
	for _, h := range header {
		fmt.Fprintf(r.w, "# %s\n", strings.ReplaceAll(h, "\n", " "))
	}
	return r
}

// Record appends one chunk stamped with the time since the start.
func (r *Recorder) Record(dir byte, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	at := r.now().Sub(r.start)
	_, r.err = fmt.Fprintf(r.w, "%.6f %c %s\n", at.Seconds(), dir, strings.ToUpper(hex.EncodeToString(data)))
	return r.err
}

// Flush writes out what is buffered.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.err = r.w.Flush()
	return r.err
}

// Reader returns a reader that records every read of src as a Read chunk.
func (r *Recorder) Reader(src io.Reader) io.Reader { return recReader{r, src} }

type recReader struct {
	r   *Recorder
	src io.Reader
}

func (t recReader) Read(p []byte) (int, error) {
	n, err := t.src.Read(p)
	if n > 0 {
		if rerr := t.r.Record(Read, p[:n]); rerr != nil && err == nil {
			err = rerr
		}
	}
	return n, err
}

// maxLine bounds a capture line (a chunk of 64 KiB in hex, and its stamp).
const maxLine = 1<<17 + 64

// Parse reads a capture file. Blank lines are skipped; a line out of the format is an error
// naming its line number.
func Parse(rd io.Reader) (*File, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 4096), maxLine)
	f := &File{}
	line := 0
	var last time.Duration
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			if text != Magic {
				return nil, fmt.Errorf("capture: line 1: %q is not %q", text, Magic)
			}
			continue
		}
		if text == "" {
			continue
		}
		if h, ok := strings.CutPrefix(text, "#"); ok {
			f.Header = append(f.Header, strings.TrimSpace(h))
			continue
		}
		parts := strings.Split(text, " ")
		if len(parts) != 3 || len(parts[1]) != 1 || (parts[1][0] != Read && parts[1][0] != Write) {
			return nil, fmt.Errorf("capture: line %d: want \"SECONDS r|w HEX\"", line)
		}
		sec, err := strconv.ParseFloat(parts[0], 64)
		if err != nil || sec < 0 || sec > 1e9 {
			return nil, fmt.Errorf("capture: line %d: bad time %q", line, parts[0])
		}
		at := time.Duration(sec * float64(time.Second))
		if at < last {
			return nil, fmt.Errorf("capture: line %d: time goes backwards", line)
		}
		last = at
		data, err := hex.DecodeString(parts[2])
		if err != nil || len(data) == 0 {
			return nil, fmt.Errorf("capture: line %d: bad hex data", line)
		}
		f.Chunks = append(f.Chunks, Chunk{At: at, Dir: parts[1][0], Data: data})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("capture: line %d: %w", line+1, err)
	}
	if line == 0 {
		return nil, errors.New("capture: empty file")
	}
	return f, nil
}

// Received returns every byte read from the device, in order.
func (f *File) Received() []byte {
	var b bytes.Buffer
	for _, c := range f.Chunks {
		if c.Dir == Read {
			b.Write(c.Data)
		}
	}
	return b.Bytes()
}

// Playback returns a reader that gives the received chunks one Read at a time, keeping their
// boundaries as the decoder first met them; it ends with io.EOF.
func (f *File) Playback() io.Reader {
	var rs []Chunk
	for _, c := range f.Chunks {
		if c.Dir == Read {
			rs = append(rs, c)
		}
	}
	return &player{chunks: rs}
}

type player struct {
	chunks []Chunk
	off    int
}

func (p *player) Read(b []byte) (int, error) {
	for len(p.chunks) > 0 && p.off >= len(p.chunks[0].Data) {
		p.chunks, p.off = p.chunks[1:], 0
	}
	if len(p.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.chunks[0].Data[p.off:])
	p.off += n
	return n, nil
}
