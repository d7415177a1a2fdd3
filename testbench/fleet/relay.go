package fleet

import (
	"io"
	"net"
	"sync"
	"time"
)

// relay stands between the gateways and the broker, on loopback, to see every connect attempt
// when it is made: the uplinks' CONNACKs say when the broker got round to a connection, the
// relay when the gateway's backoff let it try. An attempt while the broker is down is accepted
// and closed at once, which the uplink takes as a failed connect, as it would a refused one.
type relay struct {
	l      net.Listener
	target string

	mu       sync.Mutex
	attempts []time.Time
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
}

func newRelay(target string) (*relay, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{l: l, target: target, conns: map[net.Conn]bool{}}
	r.wg.Go(r.serve)
	return r, nil
}

func (r *relay) url() string { return "tcp://" + r.l.Addr().String() }

func (r *relay) serve() {
	for {
		c, err := r.l.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.attempts = append(r.attempts, time.Now())
		r.conns[c] = true
		r.mu.Unlock()
		r.wg.Go(func() { r.pipe(c) })
	}
}

func (r *relay) pipe(c net.Conn) {
	defer func() {
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
		c.Close()
	}()
	b, err := net.Dial("tcp", r.target)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
}

// since returns the attempts made from t on.
func (r *relay) since(t time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for _, a := range r.attempts {
		if !a.Before(t) {
			out = append(out, a)
		}
	}
	return out
}

func (r *relay) close() {
	r.l.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
