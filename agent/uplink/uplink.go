// Package uplink publishes the outbox to the platform's MQTT broker, at least once and in
// order, and keeps the gateway's retained status topic and Last Will.
//
// It drives its own connect loop (exponential backoff with jitter, so a fleet does not reconnect
// in lockstep) and deletes an outbox entry only after its PUBACK arrived on the connection it was
// sent on. It must not import drivers, models or the lanes that fill the outbox.
package uplink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/outbox"
	"sitegate/agent/wire"
)

// Options configures an Uplink.
type Options struct {
	URL            string      // tcp://host:port or ssl://host:port
	ClientID       string      // MQTT client id
	Username       string      // empty: no credentials
	Password       string      // sent only with Username
	TLS            *tls.Config // for ssl://; nil uses the system roots there
	StatusTopic    string      // retained; the Last Will publishes OfflinePayload there (QoS 1, retained)
	OfflinePayload []byte      // the Last Will, also published on a clean stop
	Online         func() []byte
	Window         int // messages in flight at once, default 512
	// WindowBytes bounds the payload bytes in flight (default 4 MiB), so a backlog of large
	// evidence images does not hold the whole window in memory; one message is always allowed.
	WindowBytes int
	// AllowInsecure permits tcp:// to a host that is not a loopback address. Without it such a
	// connection is refused before any byte (or password) is sent.
	AllowInsecure  bool
	KeepAlive      time.Duration // default 30s
	ConnectTimeout time.Duration // default 10s
	MinBackoff     time.Duration // first reconnect delay, default 1s
	MaxBackoff     time.Duration // longest reconnect delay, default 60s
	Logger         *slog.Logger  // default slog.Default()
}

// Status is the uplink's state, as reported to operators.
type Status = wire.UplinkStatus

// pollInterval bounds how long a new outbox entry can wait if a notification is missed.
const pollInterval = time.Second

// minWindow is the smallest the window shrinks to after connections lost with messages in
// flight.
const minWindow = 16

// window is the number of messages the next connection keeps in flight at most.
func (u *Uplink) window() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.win <= 0 {
		u.win = u.opts.Window
	}
	return u.win
}

func (u *Uplink) setWindow(n int) {
	u.mu.Lock()
	u.win = n
	u.mu.Unlock()
}

// deleteBatch and deleteDelay bound how many acknowledged entries, and for how long, wait to be
// deleted from the outbox together.
const (
	deleteBatch = 128
	deleteDelay = 20 * time.Millisecond
)

// stopGrace bounds the clean stop: offline status and in-flight PUBACKs.
const stopGrace = 2 * time.Second

// Uplink moves outbox entries to the broker. Create it with New and start it with Run.
type Uplink struct {
	opts Options
	box  outbox.Outbox
	log  *slog.Logger

	mu        sync.Mutex
	client    paho.Client // the connected client, nil when disconnected
	status    Status
	connected bool // ever connected
	gen       uint64
	win       int // the current window: Options.Window, less after connections dropped unacknowledged
	subs      []subscription
	running   bool

	inbox   chan inbound
	runDone chan struct{} // closed when the running Run returns
	beat    atomic.Int64  // unix nanoseconds of the loop's last turn; 0 when Run is not running
}

type subscription struct {
	topic string
	qos   byte
	h     func(topic string, payload []byte)
}

type inbound struct {
	h       func(topic string, payload []byte)
	topic   string
	payload []byte
}

// New returns an Uplink for box; nothing connects until Run.
func New(opts Options, box outbox.Outbox) *Uplink {
	if opts.WindowBytes <= 0 {
		opts.WindowBytes = 4 << 20
	}
	if opts.Window <= 0 {
		opts.Window = 512
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 30 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(60*time.Second, opts.MinBackoff)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	u := &Uplink{
		opts:  opts,
		box:   box,
		log:   log.With("component", "uplink", "broker", redact(opts.URL)),
		inbox: make(chan inbound, 64),
	}
	u.status.TLS = opts.TLS != nil || isTLSScheme(opts.URL)
	return u
}

// ErrInsecure is returned (wrapped) when a plain tcp:// connection to a host that is not a
// loopback address is refused.
var ErrInsecure = errors.New("plain tcp:// to a non-loopback host is refused (use ssl://, or allow_insecure)")

// IsLoopback reports whether host (a name or an address, without port) is this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TLSConfig builds the client TLS configuration for serverName: the CA bundle caFile (PEM;
// empty uses the system roots) and, for mutual TLS, the client certificate and key.
func TLSConfig(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("tls: cert_file and key_file go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("tls cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// jitter returns the wait before the next connect attempt: half of backoff fixed, half random,
// so a fleet cut off by the same broker restart spreads its reconnects.
func jitter(backoff time.Duration) time.Duration {
	return backoff/2 + rand.N(backoff/2+1)
}

func isTLSScheme(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "ssl", "tls", "mqtts", "tcps":
		return true
	}
	return false
}

// redact drops any user info from a broker URL before it is logged.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// Status reports the uplink's state.
func (u *Uplink) Status() Status {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.status
}

// PublishStatus publishes payload, retained at QoS 1, on the status topic if connected now;
// otherwise it is dropped, as the next connect publishes Online().
func (u *Uplink) PublishStatus(payload []byte) {
	u.mu.Lock()
	c := u.client
	u.mu.Unlock()
	if c == nil || u.opts.StatusTopic == "" {
		return
	}
	c.Publish(u.opts.StatusTopic, 1, true, payload)
}

// ErrNotConnected is returned by Publish while there is no connection.
var ErrNotConnected = errors.New("uplink: not connected")

// Publish sends one message now, outside the outbox, if connected (control-plane replies and
// reports, which are only meaningful live); it does not wait for the PUBACK.
func (u *Uplink) Publish(topic string, qos byte, retained bool, payload []byte) error {
	u.mu.Lock()
	c := u.client
	u.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	c.Publish(topic, qos, retained, payload)
	return nil
}

// Subscribe remembers a subscription, made now if connected and again on every connect. h runs
// on the uplink's own goroutine, one message at a time, never on the MQTT client's; it must
// return promptly, as Run waits for it on stop.
func (u *Uplink) Subscribe(topic string, qos byte, h func(topic string, payload []byte)) {
	s := subscription{topic: topic, qos: qos, h: h}
	u.mu.Lock()
	replaced := false
	for i := range u.subs {
		if u.subs[i].topic == topic {
			u.subs[i], replaced = s, true
		}
	}
	if !replaced {
		u.subs = append(u.subs, s)
	}
	c, done := u.client, u.runDone
	u.mu.Unlock()
	if c != nil {
		c.Subscribe(topic, qos, u.deliverTo(h, done))
	}
}

// deliverTo queues messages for h on the dispatcher; the MQTT client calls this on a goroutine
// of its own per message (OrderMatters false), so waiting here does not stall it.
func (u *Uplink) deliverTo(h func(string, []byte), done <-chan struct{}) paho.MessageHandler {
	return func(_ paho.Client, m paho.Message) {
		select {
		case u.inbox <- inbound{h: h, topic: m.Topic(), payload: m.Payload()}:
		case <-done:
		}
	}
}

func (u *Uplink) dispatch(stop <-chan struct{}) {
	for {
		select {
		case m := <-u.inbox:
			m.h(m.topic, m.payload)
		case <-stop:
			return
		}
	}
}

// Run connects, publishes the outbox and reconnects with backoff until ctx is done; then it
// publishes OfflinePayload, disconnects cleanly and returns nil. No goroutine it started
// outlives it. It returns an error only if the outbox is closed under it or Run is already
// running.
func (u *Uplink) Run(ctx context.Context) error {
	u.mu.Lock()
	if u.running {
		u.mu.Unlock()
		return errors.New("uplink: already running")
	}
	u.running = true
	done := make(chan struct{})
	u.runDone = done
	u.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { u.dispatch(done) })
	u.alive()
	defer func() {
		u.beat.Store(0)
		close(done)
		wg.Wait()
		u.mu.Lock()
		u.running = false
		u.mu.Unlock()
	}()

	backoff := u.opts.MinBackoff
	for {
		connected, err := u.session(ctx)
		if errors.Is(err, outbox.ErrClosed) {
			return fmt.Errorf("uplink: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			u.setError(err)
			u.log.Warn("connection ended", "err", err)
		}
		if connected {
			backoff = u.opts.MinBackoff
		}
		wait := jitter(backoff)
		backoff = min(backoff*2, u.opts.MaxBackoff)
		if err := u.backoff(ctx, wait); err != nil {
			return nil
		}
	}
}

// backoff waits d, beating the heartbeat meanwhile: waiting to reconnect is progress.
func (u *Uplink) backoff(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	beat := time.NewTicker(pollInterval)
	defer beat.Stop()
	for {
		u.alive()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-beat.C:
		}
	}
}

func (u *Uplink) alive() { u.beat.Store(time.Now().UnixNano()) }

// Heartbeat is when Run's loops last made progress, for the service watchdog: at least every
// pollInterval while connected or waiting to reconnect, and within ConnectTimeout while
// connecting or subscribing. The zero time means Run is not running.
func (u *Uplink) Heartbeat() time.Time {
	if n := u.beat.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

func (u *Uplink) setError(err error) {
	u.mu.Lock()
	u.status.LastError = err.Error()
	u.mu.Unlock()
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
	return conn, nil
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

// session makes one connection and publishes until it is lost or ctx is done. connected
// reports whether the broker accepted the connection.
func (u *Uplink) session(ctx context.Context) (connected bool, err error) {
	lost := &lostSignal{ch: make(chan struct{})}
	d := &dialer{ctx: ctx, insecure: u.opts.AllowInsecure}
	o := paho.NewClientOptions().
		AddBroker(u.opts.URL).
		SetClientID(u.opts.ClientID).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetOrderMatters(false).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetResumeSubs(false).
		SetKeepAlive(u.opts.KeepAlive).
		SetPingTimeout(u.opts.ConnectTimeout).
		SetConnectTimeout(u.opts.ConnectTimeout).
		SetWriteTimeout(u.opts.ConnectTimeout).
		SetStore(paho.NewMemoryStore()).
		SetCustomOpenConnectionFn(d.open).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost.fire(err) })
	if u.opts.Username != "" {
		o.SetUsername(u.opts.Username).SetPassword(u.opts.Password)
	}
	if u.opts.TLS != nil {
		o.SetTLSConfig(u.opts.TLS)
	}
	if u.opts.StatusTopic != "" {
		o.SetBinaryWill(u.opts.StatusTopic, u.opts.OfflinePayload, 1, true)
	}
	client := paho.NewClient(o)
	u.alive()
	tok := client.Connect()
	<-tok.Done() // bounded by ConnectTimeout, and by ctx through the dialer
	u.alive()
	if !d.disarm() || ctx.Err() != nil {
		if tok.Error() == nil {
			client.Disconnect(250)
		}
		return false, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}

	u.mu.Lock()
	u.gen++
	gen := u.gen
	u.client = client
	subs := append([]subscription(nil), u.subs...)
	runDone := u.runDone
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		if u.client == client {
			u.client = nil
		}
		u.status.Connected = false
		u.status.InFlight = 0
		u.mu.Unlock()
	}()

	// Subscribe before reporting online, so a command sent once the gateway shows online is heard.
	for _, s := range subs {
		t := client.Subscribe(s.topic, s.qos, u.deliverTo(s.h, runDone))
		timeout := time.NewTimer(u.opts.ConnectTimeout)
		select {
		case <-t.Done():
			if err := t.Error(); err != nil {
				u.log.Warn("subscribe failed", "topic", s.topic, "err", err)
			}
		case <-timeout.C:
			u.log.Warn("subscribe not acknowledged", "topic", s.topic)
		case <-lost.ch:
		case <-ctx.Done():
		}
		timeout.Stop()
		u.alive()
	}
	select {
	case <-lost.ch:
		return true, fmt.Errorf("connection lost: %w", lost.err)
	default:
	}
	// Counted before the birth message, so it carries this connection's count.
	u.mu.Lock()
	u.status.Connected = true
	if u.connected {
		u.status.Reconnects++
	}
	u.connected = true
	u.mu.Unlock()
	if u.opts.StatusTopic != "" && u.opts.Online != nil {
		client.Publish(u.opts.StatusTopic, 1, true, u.opts.Online())
	}
	u.log.Info("connected", "generation", gen)

	// The window starts where the last connection left it. A broker that drops a client keeping
	// too much in flight (mosquitto does, "out of memory", at a few thousand QoS 1 messages)
	// would otherwise see the same flood at every reconnect and the backlog would hardly move:
	// the window halves after a connection lost with messages in flight before it delivered a
	// full window, and doubles back, up to Options.Window, after each one that did.
	window := u.window()
	var sentN, ackedN int
	defer func() {
		if ctx.Err() != nil {
			return
		}
		switch {
		case sentN > ackedN && ackedN < window && window > minWindow:
			u.setWindow(max(minWindow, window/2))
			u.log.Warn("connection lost with messages in flight: sending fewer at once", "window", window, "next_window", max(minWindow, window/2), "delivered", ackedN)
		case ackedN >= window && window < u.opts.Window:
			u.setWindow(min(u.opts.Window, window*2))
		}
	}()

	sessDone := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(sessDone)
		wg.Wait()
	}()

	// One goroutine collects the PUBACKs in the order the messages were sent (the broker answers
	// nearly in that order), and passes on each run of completed ones as one batch.
	sentq := make(chan sent, window) // never full: it holds at most what is in flight
	acks := make(chan []ack, 1)
	wg.Go(func() { collectAcks(sentq, acks, gen, sessDone) })

	// Acknowledged entries are deleted in batches, by a goroutine of their own, so the window
	// is refilled while a delete commits: a delete that waits a little only means the entry
	// would be sent again after a crash, and one outbox transaction per batch rather than per
	// PUBACK is most of what draining a backlog costs the gateway. A batch is handed over when
	// deleteBatch have gathered, deleteDelay after the first of them, when nothing is in flight,
	// and when the connection ends (a PUBACK received is valid even if the connection is lost
	// after it); the connection's end waits for the deletes, so the next one does not send
	// again what is acknowledged.
	delq := make(chan []uint64, 4)
	delErr := make(chan error, 1)
	delDone := make(chan struct{})
	go func() {
		defer close(delDone)
		for seqs := range delq {
			if err := u.box.Delete(seqs...); err != nil {
				select {
				case delErr <- err:
				default:
				}
				continue
			}
			u.mu.Lock()
			u.status.Published += uint64(len(seqs))
			u.mu.Unlock()
		}
	}()
	var acked []uint64
	flushTimer := time.NewTimer(time.Hour)
	flushTimer.Stop()
	flush := func() {
		if len(acked) == 0 {
			return
		}
		flushTimer.Stop()
		delq <- acked
		acked = make([]uint64, 0, deleteBatch)
	}
	defer func() {
		flushTimer.Stop()
		flush()
		close(delq)
		<-delDone
		select {
		case err := <-delErr:
			if !errors.Is(err, outbox.ErrClosed) {
				u.log.Warn("deleting acknowledged entries", "err", err)
			}
		default:
		}
	}()

	inflight := make(map[uint64]int, window) // payload size of each entry in flight
	bytesInFlight := 0
	var last uint64 // highest seq sent on this connection

	// fill tops the window up, but only once it is half empty (or less than half full of bytes),
	// so the outbox is read in long runs rather than a few entries per acknowledgement.
	fill := func() error {
		if len(inflight) > window/2 && bytesInFlight > u.opts.WindowBytes/2 {
			return nil
		}
		for len(inflight) < window && (len(inflight) == 0 || bytesInFlight < u.opts.WindowBytes) {
			es, err := u.box.Peek(last, window-len(inflight))
			if err != nil {
				return err
			}
			if len(es) == 0 {
				return nil
			}
			for _, e := range es {
				if len(inflight) > 0 && bytesInFlight >= u.opts.WindowBytes {
					return nil // the rest is read again once acknowledgements free room
				}
				t := client.Publish(e.Topic, e.QoS, e.Retained, e.Payload)
				inflight[e.Seq] = len(e.Payload)
				bytesInFlight += len(e.Payload)
				last = e.Seq
				sentN++
				sentq <- sent{seq: e.Seq, tok: t}
			}
		}
		return nil
	}
	// handle takes a batch of acknowledgements and every other batch already waiting. Only a
	// PUBACK on this connection counts; any publish error ends the connection, and everything
	// unacknowledged is sent again.
	handle := func(as []ack) error {
		var failed error
		for {
			for _, a := range as {
				bytesInFlight -= inflight[a.seq]
				delete(inflight, a.seq)
				switch {
				case a.err != nil:
					failed = fmt.Errorf("publish entry %d: %w", a.seq, a.err)
				case a.gen == gen:
					if len(acked) == 0 {
						flushTimer.Reset(deleteDelay)
					}
					acked = append(acked, a.seq)
					ackedN++
				}
			}
			select {
			case as = <-acks:
				continue
			default:
			}
			break
		}
		if len(acked) >= deleteBatch || len(inflight) == 0 || failed != nil {
			flush()
		}
		u.mu.Lock()
		u.status.InFlight = len(inflight)
		u.mu.Unlock()
		return failed
	}

	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for {
		u.alive()
		if err := fill(); err != nil {
			if errors.Is(err, outbox.ErrClosed) {
				client.Disconnect(250)
				return true, err
			}
			u.setError(err)
			u.log.Error("reading outbox", "err", err)
		}
		u.mu.Lock()
		u.status.InFlight = len(inflight)
		u.mu.Unlock()

		select {
		case as := <-acks:
			if err := handle(as); err != nil {
				client.Disconnect(250)
				return true, err
			}
		case <-flushTimer.C:
			flush()
		case err := <-delErr:
			client.Disconnect(250)
			return true, err
		case <-u.box.Notify():
		case <-poll.C:
		case <-lost.ch:
			return true, fmt.Errorf("connection lost: %w", lost.err)
		case <-ctx.Done():
			u.stop(client, lost, acks, func() int { return len(inflight) }, handle)
			return true, nil
		}
	}
}

// sent is a message published on the current connection, waiting for its PUBACK.
type sent struct {
	seq uint64
	tok paho.Token
}

// collectAcks waits for the tokens of sentq in order and sends each run of completed ones to
// acks as one batch, until done is closed.
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

// stop ends a connection cleanly: the offline status is published, PUBACKs of messages in
// flight are awaited (briefly) so they are not sent twice, then DISCONNECT.
func (u *Uplink) stop(client paho.Client, lost *lostSignal, acks <-chan []ack, inflight func() int, handle func([]ack) error) {
	var offline <-chan struct{}
	if u.opts.StatusTopic != "" {
		offline = client.Publish(u.opts.StatusTopic, 1, true, u.opts.OfflinePayload).Done()
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	for offline != nil || inflight() > 0 {
		select {
		case <-offline:
			offline = nil
		case a := <-acks:
			if err := handle(a); err != nil {
				u.log.Warn("stopping", "err", err)
				client.Disconnect(250)
				return
			}
		case <-lost.ch:
			return
		case <-grace.C:
			u.log.Warn("stopping before the broker acknowledged everything", "in_flight", inflight(), "offline_sent", offline == nil)
			client.Disconnect(250)
			return
		}
	}
	client.Disconnect(250)
	u.log.Info("disconnected")
}
