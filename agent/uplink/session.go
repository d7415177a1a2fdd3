package uplink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/mqttconn"
	"sitegate/agent/outbox"
)

// session makes one connection and publishes until it is lost or ctx is done. connected
// reports whether the broker accepted the connection.
func (u *Uplink) session(ctx context.Context) (connected bool, err error) {
	s := newSession(ctx, u)
	if err := s.connect(); err != nil {
		return false, err
	}
	s.start()
	defer s.teardown()
	if err := s.subscribe(); err != nil {
		return true, err
	}
	s.online()
	return true, s.run()
}

// session is one connection to the broker, from CONNECT to its end. It keeps up to a window of
// outbox entries in flight, deletes each only after its PUBACK arrived on this connection, and,
// when the connection ends, commits the deletes still pending and adapts the window for the
// next connection.
//
// Two goroutines serve it, both started by start and ended by teardown: collectAcks passes on
// the PUBACKs in the order the messages were sent, and deleteLoop deletes acknowledged entries
// from the outbox. Everything else runs on the goroutine of Uplink.session.
type session struct {
	u       *Uplink
	ctx     context.Context
	lost    *lostSignal
	client  paho.Client
	gen     uint64         // this connection's number; a PUBACK of another one deletes nothing
	subs    []subscription // the subscriptions to make, as they were when the client was set
	runDone chan struct{}  // the running Run's, which ends message delivery

	// The window starts where the last connection left it. A broker that drops a client keeping
	// too much in flight (mosquitto does, "out of memory", at a few thousand QoS 1 messages)
	// would otherwise see the same flood at every reconnect and the backlog would hardly move:
	// adaptWindow halves it after a connection lost with messages in flight before it
	// delivered a full window, and doubles it back, up to Options.Window, after each one that
	// did.
	window        int
	inflight      map[uint64]int // payload size of each entry in flight
	bytesInFlight int
	last          uint64 // highest seq sent on this connection
	sentN, ackedN int    // messages sent, and acknowledged, on this connection

	sentq chan sent     // to collectAcks; never full: it holds at most what is in flight
	acks  chan []ack    // from collectAcks, each run of completed PUBACKs as one batch
	done  chan struct{} // closed by teardown to end collectAcks
	wg    sync.WaitGroup

	// Acknowledged entries are deleted in batches, by deleteLoop, so the window is refilled
	// while a delete commits: a delete that waits a little only means the entry would be sent
	// again after a crash, and one outbox transaction per batch rather than per PUBACK is most
	// of what draining a backlog costs the gateway. A batch is handed over when deleteBatch
	// have gathered, deleteDelay after the first of them, when nothing is in flight, and when
	// the connection ends (a PUBACK received is valid even if the connection is lost after it);
	// the connection's end waits for the deletes, so the next one does not send again what is
	// acknowledged.
	acked      []uint64    // acknowledged on this connection, not yet handed to deleteLoop
	flushTimer *time.Timer // fires deleteDelay after the first of acked
	delq       chan []uint64
	delErr     chan error // the first failed delete, which ends the connection
	delDone    chan struct{}

	grace time.Duration // how long stop waits for the broker (stopGrace)
}

func newSession(ctx context.Context, u *Uplink) *session {
	return &session{u: u, ctx: ctx, lost: &lostSignal{ch: make(chan struct{})}, grace: stopGrace}
}

// connect dials the broker and waits for its CONNACK, within ConnectTimeout and no longer than
// ctx. Once the broker accepted the connection, the client is the Uplink's (for Publish,
// PublishStatus and Subscribe) and the connection gets the next generation number.
func (s *session) connect() error {
	u := s.u
	d := &dialer{ctx: s.ctx, insecure: u.opts.AllowInsecure}
	client := paho.NewClient(u.clientOptions(d, s.lost))
	u.alive()
	tok := client.Connect()
	<-tok.Done() // bounded by ConnectTimeout, and by ctx through the dialer
	u.alive()
	if !d.disarm() || s.ctx.Err() != nil {
		if tok.Error() == nil {
			client.Disconnect(250)
		}
		return s.ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	s.client = client
	u.mu.Lock()
	u.gen++
	s.gen = u.gen
	u.client = client
	// Taken with the client set, so a concurrent Subscribe is made exactly once: here, or by
	// Subscribe itself.
	s.subs = append([]subscription(nil), u.subs...)
	s.runDone = u.runDone
	u.mu.Unlock()
	return nil
}

// clientOptions are the MQTT client's options for one connection: d dials it, lost learns of
// its end.
func (u *Uplink) clientOptions(d *dialer, lost *lostSignal) *paho.ClientOptions {
	// Not Ordered: paho hands each message to deliverTo on a goroutine of its own, so a full
	// dispatcher queue does not stall the client. No AutoReconnect: Run reconnects.
	o := mqttconn.ClientOptions(mqttconn.Params{
		URL:            u.opts.URL,
		ClientID:       u.opts.ClientID,
		Username:       u.opts.Username,
		Password:       u.opts.Password,
		TLS:            u.opts.TLS,
		KeepAlive:      u.opts.KeepAlive,
		ConnectTimeout: u.opts.ConnectTimeout,
	}).
		SetCustomOpenConnectionFn(d.open).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost.fire(err) })
	if u.opts.StatusTopic != "" {
		o.SetBinaryWill(u.opts.StatusTopic, u.opts.OfflinePayload, 1, true)
	}
	return o
}

// start prepares the window and starts collectAcks and deleteLoop; teardown ends them.
func (s *session) start() {
	s.window = s.u.window()
	s.inflight = make(map[uint64]int, s.window)
	s.sentq = make(chan sent, s.window)
	s.acks = make(chan []ack, 1)
	s.done = make(chan struct{})
	s.delq = make(chan []uint64, 4)
	s.delErr = make(chan error, 1)
	s.delDone = make(chan struct{})
	s.flushTimer = time.NewTimer(time.Hour)
	s.flushTimer.Stop()
	s.wg.Go(func() { collectAcks(s.sentq, s.acks, s.gen, s.done) })
	go s.deleteLoop()
}

// subscribe makes the subscriptions, each waited for at most ConnectTimeout, before the gateway
// reports online, so a command sent once it shows online is heard. It fails only if the
// connection was lost meanwhile.
func (s *session) subscribe() error {
	u := s.u
	for _, sub := range s.subs {
		t := s.client.Subscribe(sub.topic, sub.qos, u.deliverTo(sub.h, s.runDone))
		timeout := time.NewTimer(u.opts.ConnectTimeout)
		select {
		case <-t.Done():
			if err := t.Error(); err != nil {
				u.log.Warn("subscribe failed", "topic", sub.topic, "err", err)
			}
		case <-timeout.C:
			u.log.Warn("subscribe not acknowledged", "topic", sub.topic)
		case <-s.lost.ch:
		case <-s.ctx.Done():
		}
		timeout.Stop()
		u.alive()
	}
	select {
	case <-s.lost.ch:
		return fmt.Errorf("connection lost: %w", s.lost.err)
	default:
	}
	return nil
}

// online counts the connection and publishes the birth message; counted first, so the birth
// message carries this connection's count.
func (s *session) online() {
	u := s.u
	u.mu.Lock()
	u.status.Connected = true
	if u.connected {
		u.status.Reconnects++
	}
	u.connected = true
	u.mu.Unlock()
	if u.opts.StatusTopic != "" && u.opts.Online != nil {
		s.client.Publish(u.opts.StatusTopic, 1, true, u.opts.Online())
	}
	u.log.Info("connected", "generation", s.gen)
}

// run publishes the outbox until the connection is lost, fails, or ctx is done (then it stops
// cleanly and returns nil).
func (s *session) run() error {
	u := s.u
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for {
		u.alive()
		if err := s.fill(); err != nil {
			if errors.Is(err, outbox.ErrClosed) {
				s.client.Disconnect(250)
				return err
			}
			u.setError(err)
			u.log.Error("reading outbox", "err", err)
		}
		s.report()

		select {
		case as := <-s.acks:
			if err := s.handle(as); err != nil {
				s.client.Disconnect(250)
				return err
			}
		case <-s.flushTimer.C:
			s.flush()
		case err := <-s.delErr:
			s.client.Disconnect(250)
			return err
		case <-u.box.Notify():
		case <-poll.C:
		case <-s.lost.ch:
			return fmt.Errorf("connection lost: %w", s.lost.err)
		case <-s.ctx.Done():
			s.stop()
			return nil
		}
	}
}

// fill tops the window up from the outbox, but only once it is half empty (or less than half
// full of bytes), so the outbox is read in long runs rather than a few entries per
// acknowledgement. WindowBytes bounds the payload bytes in flight; one message is always
// allowed.
func (s *session) fill() error {
	wb := s.u.opts.WindowBytes
	if len(s.inflight) > s.window/2 && s.bytesInFlight > wb/2 {
		return nil
	}
	for len(s.inflight) < s.window && (len(s.inflight) == 0 || s.bytesInFlight < wb) {
		es, err := s.u.box.Peek(s.last, s.window-len(s.inflight))
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		for _, e := range es {
			if len(s.inflight) > 0 && s.bytesInFlight >= wb {
				return nil // the rest is read again once acknowledgements free room
			}
			t := s.client.Publish(e.Topic, e.QoS, e.Retained, e.Payload)
			s.inflight[e.Seq] = len(e.Payload)
			s.bytesInFlight += len(e.Payload)
			s.last = e.Seq
			s.sentN++
			s.sentq <- sent{seq: e.Seq, tok: t}
		}
	}
	return nil
}

// handle takes a batch of acknowledgements and every other batch already waiting. Only a
// PUBACK on this connection counts; any publish error ends the connection, and everything
// unacknowledged is sent again.
func (s *session) handle(as []ack) error {
	var failed error
	for {
		for _, a := range as {
			s.bytesInFlight -= s.inflight[a.seq]
			delete(s.inflight, a.seq)
			switch {
			case a.err != nil:
				failed = fmt.Errorf("publish entry %d: %w", a.seq, a.err)
			case a.gen == s.gen:
				if len(s.acked) == 0 {
					s.flushTimer.Reset(deleteDelay)
				}
				s.acked = append(s.acked, a.seq)
				s.ackedN++
			}
		}
		select {
		case as = <-s.acks:
			continue
		default:
		}
		break
	}
	if len(s.acked) >= deleteBatch || len(s.inflight) == 0 || failed != nil {
		s.flush()
	}
	s.report()
	return failed
}

// flush hands the acknowledged entries to deleteLoop as one batch.
func (s *session) flush() {
	if len(s.acked) == 0 {
		return
	}
	s.flushTimer.Stop()
	s.delq <- s.acked
	s.acked = make([]uint64, 0, deleteBatch)
}

// deleteLoop deletes each batch of delq from the outbox and counts it published, until delq is
// closed. The first failure is passed on to delErr.
func (s *session) deleteLoop() {
	defer close(s.delDone)
	for seqs := range s.delq {
		if err := s.u.box.Delete(seqs...); err != nil {
			select {
			case s.delErr <- err:
			default:
			}
			continue
		}
		s.u.mu.Lock()
		s.u.status.Published += uint64(len(seqs))
		s.u.mu.Unlock()
	}
}

// report publishes the number in flight to Status.
func (s *session) report() {
	s.u.mu.Lock()
	s.u.status.InFlight = len(s.inflight)
	s.u.mu.Unlock()
}

// stop ends a connection cleanly: the offline status is published, PUBACKs of messages in
// flight are awaited (briefly) so they are not sent twice, then DISCONNECT.
func (s *session) stop() {
	u := s.u
	var offline <-chan struct{}
	if u.opts.StatusTopic != "" {
		offline = s.client.Publish(u.opts.StatusTopic, 1, true, u.opts.OfflinePayload).Done()
	}
	grace := time.NewTimer(s.grace)
	defer grace.Stop()
	for offline != nil || len(s.inflight) > 0 {
		select {
		case <-offline:
			offline = nil
		case a := <-s.acks:
			if err := s.handle(a); err != nil {
				u.log.Warn("stopping", "err", err)
				s.client.Disconnect(250)
				return
			}
		case <-s.lost.ch:
			return
		case <-grace.C:
			u.log.Warn("stopping before the broker acknowledged everything", "in_flight", len(s.inflight), "offline_sent", offline == nil)
			s.client.Disconnect(250)
			return
		}
	}
	s.client.Disconnect(250)
	u.log.Info("disconnected")
}

// teardown ends a started session, however it ended: the pending deletes are committed before
// the next connection, collectAcks and deleteLoop are ended, the window is adapted, and the
// client is no longer the Uplink's.
func (s *session) teardown() {
	s.endDeletes()
	close(s.done)
	s.wg.Wait()
	s.adaptWindow()
	u := s.u
	u.mu.Lock()
	if u.client == s.client {
		u.client = nil
	}
	u.status.Connected = false
	u.status.InFlight = 0
	u.mu.Unlock()
}

// endDeletes hands over the last batch and waits until deleteLoop has committed every batch.
func (s *session) endDeletes() {
	s.flushTimer.Stop()
	s.flush()
	close(s.delq)
	<-s.delDone
	select {
	case err := <-s.delErr:
		if !errors.Is(err, outbox.ErrClosed) {
			s.u.log.Warn("deleting acknowledged entries", "err", err)
		}
	default:
	}
}

// adaptWindow sets the next connection's window: halved (down to minWindow) after this one was
// lost with messages in flight before it delivered a full window, doubled (up to
// Options.Window) after it delivered one. A stop (ctx done) leaves it alone.
func (s *session) adaptWindow() {
	if s.ctx.Err() != nil {
		return
	}
	u := s.u
	switch {
	case s.sentN > s.ackedN && s.ackedN < s.window && s.window > minWindow:
		next := max(minWindow, s.window/2)
		u.setWindow(next)
		u.log.Warn("connection lost with messages in flight: sending fewer at once", "window", s.window, "next_window", next, "delivered", s.ackedN)
	case s.ackedN >= s.window && s.window < u.opts.Window:
		u.setWindow(min(u.opts.Window, s.window*2))
	}
}

// lostSignal is closed, once, when the connection is lost.
type lostSignal struct {
	once sync.Once
	ch   chan struct{}
	err  error
}

func (l *lostSignal) fire(err error) {
	l.once.Do(func() {
		if err == nil {
			err = errors.New("connection lost")
		}
		l.err = err
		close(l.ch)
	})
}

// dialer opens the network connection for paho so that ctx aborts the dial and the MQTT
// handshake; once the handshake is done, disarm hands the connection's life back to the session.
type dialer struct {
	ctx      context.Context
	insecure bool // plain tcp to any host allowed
	mu       sync.Mutex
	stop     func() bool
}

func (d *dialer) open(uri *url.URL, o paho.ClientOptions) (net.Conn, error) {
	nd := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	var conn net.Conn
	var err error
	switch strings.ToLower(uri.Scheme) {
	case "tcp", "mqtt":
		if !d.insecure && !IsLoopback(uri.Hostname()) {
			return nil, fmt.Errorf("%s: %w", uri.Host, ErrInsecure)
		}
		conn, err = nd.DialContext(d.ctx, "tcp", uri.Host)
	case "ssl", "tls", "mqtts", "tcps":
		td := &tls.Dialer{NetDialer: nd, Config: o.TLSConfig}
		conn, err = td.DialContext(d.ctx, "tcp", uri.Host)
	default:
		return nil, fmt.Errorf("unsupported scheme %q", uri.Scheme)
	}
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(d.ctx, func() { conn.Close() })
	d.mu.Lock()
	d.stop = stop
	d.mu.Unlock()
	return newBatchConn(conn, o.WriteTimeout), nil
}

// disarm stops ctx from closing the connection. It reports false if ctx already did.
func (d *dialer) disarm() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop == nil {
		return true
	}
	return d.stop()
}

type ack struct {
	seq uint64
	gen uint64
	err error
}

// sent is a message published on the current connection, waiting for its PUBACK.
type sent struct {
	seq uint64
	tok paho.Token
}

// collectAcks waits for the tokens of sentq in order and sends each run of completed ones to
// acks as one batch, until done is closed. The broker answers nearly in the order the messages
// were sent.
func collectAcks(sentq <-chan sent, acks chan<- []ack, gen uint64, done <-chan struct{}) {
	var batch []ack
	pass := func() bool {
		select {
		case acks <- batch:
			batch = nil
			return true
		case <-done:
			return false
		}
	}
	for {
		var s sent
		if len(batch) == 0 {
			select {
			case s = <-sentq:
			case <-done:
				return
			}
		} else {
			select {
			case s = <-sentq:
			case <-done:
				return
			default:
				if !pass() {
					return
				}
				continue
			}
		}
		select {
		case <-s.tok.Done():
		default:
			// Not acknowledged yet: pass on what is, then wait for this one.
			if len(batch) > 0 && !pass() {
				return
			}
			select {
			case <-s.tok.Done():
			case <-done:
				return
			}
		}
		batch = append(batch, ack{seq: s.seq, gen: gen, err: s.tok.Error()})
	}
}
