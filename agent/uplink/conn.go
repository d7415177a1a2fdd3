package uplink

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// batchConn is the network connection the MQTT client writes to and reads from. paho writes
// every packet with a write of its own and reads every packet in three or more reads (the
// first byte, each byte of the remaining length, the rest), which made a drain of a backlog
// cost two system calls per PUBLISH and three per PUBACK, as much CPU as all the rest of the
// uplink. batchConn reads through a buffer, and hands writes to a goroutine of its own that
// writes everything gathered meanwhile in one system call: while one write is in the kernel
// the next packets gather, so a run of publications goes out in a few large writes and a
// single packet (a PINGREQ, a lone passage) goes out at once, as before.
//
// Write returns once the bytes are buffered, not sent: a packet lost with the connection is
// one without a PUBACK, which the session sends again on the next connection, as it would a
// packet the kernel had accepted. The buffer is bounded (batchMax); a writer that finds it full
// waits for room. The flushing write has a deadline of writeTimeout, so a dead connection fails
// every writer within it. paho's own write deadlines are ignored: it sets one around every
// packet, which a buffered write does not need.
type batchConn struct {
	net.Conn
	r            *bufio.Reader
	writeTimeout time.Duration

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte // gathered, not yet handed to the kernel
	err     error  // the first failed write; every later Write returns it
	closing bool
	done    chan struct{} // closed when the flusher has ended
	once    sync.Once
}

// batchMax bounds the buffered bytes; a write of more than this is buffered whole.
const batchMax = 64 << 10

func newBatchConn(c net.Conn, writeTimeout time.Duration) *batchConn {
	b := &batchConn{Conn: c, r: bufio.NewReaderSize(c, 16<<10), writeTimeout: writeTimeout, done: make(chan struct{})}
	b.cond = sync.NewCond(&b.mu)
	go b.flusher()
	return b
}

func (b *batchConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// Write buffers p for the flusher.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && !b.closing && len(b.buf) > 0 && len(b.buf)+len(p) > batchMax {
		b.cond.Wait()
	}
	switch {
	case b.err != nil:
		return 0, b.err
	case b.closing:
		return 0, net.ErrClosed
	}
	b.buf = append(b.buf, p...)
	b.cond.Broadcast()
	return len(p), nil
}

// flusher writes what Write gathered, one system call per turn, until the connection closes
// (after writing what is left) or a write fails.
func (b *batchConn) flusher() {
	defer close(b.done)
	var out []byte
	for {
		b.mu.Lock()
		for len(b.buf) == 0 && !b.closing && b.err == nil {
			b.cond.Wait()
		}
		if b.err != nil || len(b.buf) == 0 {
			b.mu.Unlock()
			return
		}
		out, b.buf = b.buf, out[:0]
		if b.writeTimeout > 0 && !b.closing { // once closing, Close's own deadline holds
			_ = b.Conn.SetWriteDeadline(time.Now().Add(b.writeTimeout))
		}
		b.cond.Broadcast() // room for waiting writers
		b.mu.Unlock()

		_, err := b.Conn.Write(out)
		if err != nil {
			b.mu.Lock()
			b.err = err
			b.cond.Broadcast()
			b.mu.Unlock()
			return
		}
		if cap(out) > 4*batchMax { // one large payload: do not keep its buffer
			out = nil
		}
	}
}

// SetWriteDeadline is ignored: writes are buffered, and the flusher bounds its own.
func (b *batchConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline sets the read deadline only (see SetWriteDeadline).
func (b *batchConn) SetDeadline(t time.Time) error { return b.Conn.SetReadDeadline(t) }

// Close writes what is buffered (a DISCONNECT, the offline status), for at most a second, and
// closes the connection.
func (b *batchConn) Close() error {
	var err error
	b.once.Do(func() {
		b.mu.Lock()
		b.closing = true
		_ = b.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		b.cond.Broadcast()
		b.mu.Unlock()
		<-b.done
		err = b.Conn.Close()
	})
	return err
}
