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
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
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

// jitter returns the wait before the next connect attempt after a failed one: half of backoff
// fixed, half random, so a fleet cut off by the same broker restart spreads its reconnects.
func jitter(backoff time.Duration) time.Duration {
	return backoff/2 + rand.N(backoff/2+1)
}

// lostWait is the wait before the first attempt after a connection was lost: anywhere in
// [0, backoff] (full jitter). A broker restart cuts the whole fleet off in the same instant, so
// this is the one attempt they would all make together: spread over the whole backoff rather
// than its upper half, the fleet's peak connect rate halves, and on average a gateway is back
// sooner. The attempts after a failed one are no longer in step and keep jitter's floor.
func lostWait(backoff time.Duration) time.Duration {
	return rand.N(backoff + 1)
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
		wait := jitter(backoff)
		if connected {
			backoff = u.opts.MinBackoff
			wait = lostWait(backoff)
		}
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
