package uplink

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/outbox"
	"sitegate/testbench/broker"
)

// fakeToken is a paho.Token the test completes.
type fakeToken struct {
	once sync.Once
	done chan struct{}
	err  error
}

func newToken() *fakeToken { return &fakeToken{done: make(chan struct{})} }

func (t *fakeToken) complete(err error) {
	t.once.Do(func() {
		t.err = err
		close(t.done)
	})
}

func (t *fakeToken) Wait() bool { <-t.done; return true }

func (t *fakeToken) WaitTimeout(d time.Duration) bool {
	select {
	case <-t.done:
		return true
	case <-time.After(d):
		return false
	}
}

func (t *fakeToken) Done() <-chan struct{} { return t.done }

func (t *fakeToken) Error() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

type fakePub struct {
	topic    string
	retained bool
	payload  []byte
	tok      *fakeToken
}

// fakeClient is the part of a paho.Client a session uses, recording what it is asked to do.
// With autoAck every publish is acknowledged at once. Any other method panics.
type fakeClient struct {
	paho.Client
	autoAck bool

	mu           sync.Mutex
	pubs         []fakePub
	subscribed   []string
	disconnected int
}

func (c *fakeClient) Publish(topic string, _ byte, retained bool, payload any) paho.Token {
	t := newToken()
	if c.autoAck {
		t.complete(nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pubs = append(c.pubs, fakePub{topic: topic, retained: retained, payload: payload.([]byte), tok: t})
	return t
}

func (c *fakeClient) Subscribe(topic string, _ byte, _ paho.MessageHandler) paho.Token {
	c.mu.Lock()
	c.subscribed = append(c.subscribed, topic)
	c.mu.Unlock()
	t := newToken()
	t.complete(nil)
	return t
}

func (c *fakeClient) Disconnect(uint) {
	c.mu.Lock()
	c.disconnected++
	c.mu.Unlock()
}

// published returns the publishes so far on topic.
func (c *fakeClient) published(topic string) []fakePub {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []fakePub
	for _, p := range c.pubs {
		if p.topic == topic {
			out = append(out, p)
		}
	}
	return out
}

func (c *fakeClient) disconnects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disconnected
}

// payloads returns the passage numbers of ps.
func payloads(ps []fakePub) []int {
	var out []int
	for _, p := range ps {
		n, _ := strconv.Atoi(string(p.payload))
		out = append(out, n)
	}
	return out
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startSession returns a started session on box with a fake client, as connect leaves it
// (generation 1, the Uplink's client). The test ends it with teardown.
func startSession(t *testing.T, ctx context.Context, box outbox.Outbox, opts Options) (*session, *fakeClient) {
	t.Helper()
	if opts.URL == "" {
		opts.URL = "tcp://127.0.0.1:1"
	}
	opts.Logger = quiet()
	u := New(opts, box)
	c := &fakeClient{}
	s := newSession(ctx, u)
	s.client, s.gen = c, 1
	u.client, u.gen = c, 1
	s.start()
	return s, c
}

// acksFor makes this connection's acknowledgements of seqs.
func acksFor(s *session, seqs ...uint64) []ack {
	as := make([]ack, len(seqs))
	for i, q := range seqs {
		as[i] = ack{seq: q, gen: s.gen}
	}
	return as
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for q := from; q <= to; q++ {
		out = append(out, q)
	}
	return out
}

// appendSized appends n messages on root/passage with payloads of size bytes.
func appendSized(t *testing.T, box outbox.Outbox, n, size int) {
	t.Helper()
	for range n {
		if _, err := box.AppendBatch(func(uint64) ([]outbox.Message, error) {
			return []outbox.Message{{Topic: root + "/passage", QoS: 1, Payload: bytes.Repeat([]byte("x"), size)}}, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSessionFill(t *testing.T) {
	cases := []struct {
		name        string
		entries     int
		size        int // payload bytes; 0: the passage number
		window      int
		windowBytes int
		want        int // in flight after one fill
	}{
		{"the window, oldest first", 20, 0, 8, 0, 8},
		{"all there is", 5, 0, 8, 0, 5},
		{"stops once the byte bound is reached", 10, 300, 512, 1000, 4},
		{"one message is always allowed", 3, 5000, 512, 1000, 1},
		{"4 MiB in flight by default", 10, 1 << 20, 512, 0, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			box := outbox.NewMemory()
			if c.size == 0 {
				appendN(t, box, 0, c.entries)
			} else {
				appendSized(t, box, c.entries, c.size)
			}
			s, fc := startSession(t, context.Background(), box, Options{Window: c.window, WindowBytes: c.windowBytes})
			defer s.teardown()
			if err := s.fill(); err != nil {
				t.Fatal(err)
			}
			pubs := fc.published(root + "/passage")
			if len(pubs) != c.want || len(s.inflight) != c.want || s.sentN != c.want || s.last != uint64(c.want) {
				t.Fatalf("published %d, in flight %d, sent %d, last %d; want %d of each", len(pubs), len(s.inflight), s.sentN, s.last, c.want)
			}
			if c.size == 0 {
				for i, n := range payloads(pubs) {
					if n != i {
						t.Errorf("publish %d carried passage %d", i, n)
					}
				}
			}
			size := 0
			for _, p := range pubs {
				size += len(p.payload)
			}
			if s.bytesInFlight != size {
				t.Errorf("bytes in flight %d, want %d", s.bytesInFlight, size)
			}
			// Nothing more until acknowledgements free room.
			if err := s.fill(); err != nil {
				t.Fatal(err)
			}
			if n := len(fc.published(root + "/passage")); n != c.want {
				t.Errorf("a second fill published %d more", n-c.want)
			}
		})
	}
}

// acknowledge completes the tokens of the oldest n passages not yet acknowledged and hands the
// PUBACKs to s as they come from collectAcks, so the session's queues stay as in a connection.
func acknowledge(t *testing.T, s *session, fc *fakeClient, n int) {
	t.Helper()
	want := s.ackedN + n
	for _, p := range fc.published(root + "/passage") {
		if n == 0 {
			break
		}
		select {
		case <-p.tok.Done():
			continue
		default:
		}
		p.tok.complete(nil)
		n--
	}
	for s.ackedN < want {
		select {
		case as := <-s.acks:
			if err := s.handle(as); err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d PUBACKs handed over", s.ackedN, want)
		}
	}
}

// TestSessionFillHalfEmpty: a window full of bytes is topped up only once half of it is
// acknowledged, so the outbox is read in long runs.
func TestSessionFillHalfEmpty(t *testing.T) {
	box := outbox.NewMemory()
	appendSized(t, box, 20, 100)
	s, fc := startSession(t, context.Background(), box, Options{Window: 8, WindowBytes: 800})
	defer s.teardown()
	sent := func() int { return len(fc.published(root + "/passage")) }
	if err := s.fill(); err != nil || sent() != 8 {
		t.Fatalf("first fill: %d sent, err %v; want 8", sent(), err)
	}
	acknowledge(t, s, fc, 3)
	if err := s.fill(); err != nil || sent() != 8 {
		t.Fatalf("fill with 5 of 8 in flight: %d sent, err %v; want none more", sent(), err)
	}
	acknowledge(t, s, fc, 1)
	if err := s.fill(); err != nil || sent() != 12 || s.last != 12 {
		t.Fatalf("fill with 4 of 8 in flight: %d sent (last %d), err %v; want 12", sent(), s.last, err)
	}
	// Small messages leave the window less than half full of bytes: topped up at once.
	small := outbox.NewMemory()
	appendN(t, small, 0, 20)
	s2, fc2 := startSession(t, context.Background(), small, Options{Window: 8})
	defer s2.teardown()
	if err := s2.fill(); err != nil {
		t.Fatal(err)
	}
	acknowledge(t, s2, fc2, 1)
	if err := s2.fill(); err != nil || len(fc2.published(root+"/passage")) != 9 {
		t.Fatalf("small messages: %d sent, err %v; want 9", len(fc2.published(root+"/passage")), err)
	}
}

func TestSessionFillOutboxClosed(t *testing.T) {
	box := outbox.NewMemory()
	s, _ := startSession(t, context.Background(), box, Options{Window: 8})
	defer s.teardown()
	box.Close()
	if err := s.fill(); !errors.Is(err, outbox.ErrClosed) {
		t.Fatalf("fill on a closed outbox = %v, want ErrClosed", err)
	}
}

func TestSessionHandle(t *testing.T) {
	type step struct {
		acks       []ack
		wantAcked  int // waiting to be handed to the deleter
		wantHanded int // handed to the deleter so far
		wantFlight int
		wantErr    string
		wantAckedN int
	}
	mine := func(seqs ...uint64) []ack { return acksFor(&session{gen: 1}, seqs...) }
	cases := []struct {
		name    string
		entries int
		window  int
		steps   []step
	}{
		{"held while others are in flight", 20, 8, []step{
			{acks: mine(1, 2, 3), wantAcked: 3, wantFlight: 5, wantAckedN: 3},
			{acks: mine(4), wantAcked: 4, wantFlight: 4, wantAckedN: 4},
		}},
		{"handed over when nothing is in flight", 20, 8, []step{
			{acks: mine(1, 2, 3, 4, 5, 6, 7, 8), wantHanded: 8, wantAckedN: 8},
		}},
		{"handed over at 128", 300, 512, []step{
			{acks: mine(seqRange(1, 127)...), wantAcked: 127, wantFlight: 300 - 127, wantAckedN: 127},
			{acks: mine(128), wantHanded: 128, wantFlight: 300 - 128, wantAckedN: 128},
		}},
		{"another connection's PUBACK deletes nothing", 20, 8, []step{
			{acks: []ack{{seq: 1, gen: 0}, {seq: 2, gen: 2}}, wantFlight: 6},
			{acks: mine(3), wantAcked: 1, wantFlight: 5, wantAckedN: 1},
		}},
		{"a publish error ends the connection, what is acknowledged handed over", 20, 8, []step{
			{acks: mine(1, 2), wantAcked: 2, wantFlight: 6, wantAckedN: 2},
			{acks: []ack{{seq: 3, gen: 1, err: errors.New("boom")}}, wantHanded: 2, wantFlight: 5, wantAckedN: 2, wantErr: "publish entry 3: boom"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			box := outbox.NewMemory()
			appendN(t, box, 0, c.entries)
			s, _ := startSession(t, context.Background(), box, Options{Window: c.window})
			defer s.teardown()
			if err := s.fill(); err != nil {
				t.Fatal(err)
			}
			for i, st := range c.steps {
				err := s.handle(st.acks)
				if (err == nil) != (st.wantErr == "") || err != nil && err.Error() != st.wantErr {
					t.Fatalf("step %d: err %v, want %q", i, err, st.wantErr)
				}
				if len(s.acked) != st.wantAcked || len(s.inflight) != st.wantFlight || s.ackedN != st.wantAckedN {
					t.Fatalf("step %d: acked %d, in flight %d, ackedN %d; want %d, %d, %d",
						i, len(s.acked), len(s.inflight), s.ackedN, st.wantAcked, st.wantFlight, st.wantAckedN)
				}
				if got := s.u.Status().InFlight; got != st.wantFlight {
					t.Errorf("step %d: Status.InFlight %d, want %d", i, got, st.wantFlight)
				}
				if st.wantHanded > 0 {
					waitFor(t, "the handed-over batch deleted", func() bool {
						return int(s.u.Status().Published) == st.wantHanded
					})
				}
				// A stopped timer cannot have fired meanwhile, so this does not depend on timing.
				if st.wantAcked == 0 && s.flushTimer.Stop() {
					t.Errorf("step %d: the delete timer is armed with nothing waiting", i)
				}
			}
		})
	}
}

// TestSessionHandleTakesWaiting: handle takes every batch already waiting, not just its own.
func TestSessionHandleTakesWaiting(t *testing.T) {
	box := outbox.NewMemory()
	appendN(t, box, 0, 20)
	s, _ := startSession(t, context.Background(), box, Options{Window: 8})
	defer s.teardown()
	if err := s.fill(); err != nil {
		t.Fatal(err)
	}
	s.acks <- acksFor(s, 3, 4)
	if err := s.handle(acksFor(s, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if s.ackedN != 4 || len(s.inflight) != 4 {
		t.Errorf("acked %d, in flight %d; want 4 and 4", s.ackedN, len(s.inflight))
	}
}

// TestSessionDeletes: acknowledged entries leave the outbox in batches, deleteDelay after the
// first at the latest, and teardown commits what is pending before the next connection.
func TestSessionDeletes(t *testing.T) {
	box := outbox.NewMemory()
	appendN(t, box, 0, 20)
	s, _ := startSession(t, context.Background(), box, Options{Window: 8})
	if err := s.fill(); err != nil {
		t.Fatal(err)
	}
	if err := s.handle(acksFor(s, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if d := box.Stats().Depth; d != 20 {
		t.Fatalf("depth %d right after 2 PUBACKs, want 20: the delete waits for its batch", d)
	}
	select {
	case <-s.flushTimer.C:
		s.flush()
	case <-time.After(10 * time.Second):
		t.Fatal("the delete timer never fired")
	}
	waitFor(t, "the batch deleted", func() bool { return box.Stats().Depth == 18 })
	if err := s.handle(acksFor(s, 3, 4, 5)); err != nil {
		t.Fatal(err)
	}
	s.teardown()
	if d, st := box.Stats().Depth, s.u.Status(); d != 15 || st.Published != 5 {
		t.Errorf("after teardown: depth %d, published %d; want 15 and 5", d, st.Published)
	}
	es, _ := box.Peek(0, 1)
	if len(es) != 1 || es[0].Seq != 6 {
		t.Errorf("oldest left %+v, want seq 6", es)
	}
}

// failingDeletes is an outbox whose deletes fail.
type failingDeletes struct {
	outbox.Outbox
	err error
}

func (f failingDeletes) Delete(...uint64) error { return f.err }

// TestSessionDeleteError: a failed delete ends the connection (so the entries are sent again
// rather than lost track of), and is not counted as published.
func TestSessionDeleteError(t *testing.T) {
	mem := outbox.NewMemory()
	appendN(t, mem, 0, 4)
	boom := errors.New("disk on fire")
	s, fc := startSession(t, context.Background(), failingDeletes{mem, boom}, Options{Window: 8})
	if err := s.fill(); err != nil {
		t.Fatal(err)
	}
	for _, p := range fc.published(root + "/passage") {
		p.tok.complete(nil)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.run() }()
	select {
	case err := <-errc:
		if !errors.Is(err, boom) {
			t.Errorf("run = %v, want %v", err, boom)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end on a failed delete")
	}
	s.teardown()
	if fc.disconnects() != 1 || s.u.Status().Published != 0 || mem.Stats().Depth != 4 {
		t.Errorf("disconnects %d, published %d, depth %d; want 1, 0, 4", fc.disconnects(), s.u.Status().Published, mem.Stats().Depth)
	}
}

func TestSessionAdaptWindow(t *testing.T) {
	cases := []struct {
		name          string
		window        int
		sent, acked   int
		stopped       bool
		want          int
		wantLogLowers bool
	}{
		{"lost before a full window: halved", 512, 600, 100, false, 256, true},
		{"halved no lower than the minimum", 20, 30, 3, false, minWindow, true},
		{"at the minimum already", minWindow, 30, 3, false, minWindow, false},
		{"a full window delivered: doubled", 64, 70, 64, false, 128, false},
		{"doubled up to Options.Window", 300, 400, 350, false, 512, false},
		{"lost with nothing in flight: kept", 64, 10, 10, false, 64, false},
		{"a full window at Options.Window: kept", 512, 1000, 900, false, 512, false},
		{"stopped: kept", 64, 100, 0, true, 64, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.stopped {
				cancel()
			}
			var logged bytes.Buffer
			u := New(Options{URL: "tcp://127.0.0.1:1", Window: 512, Logger: slog.New(slog.NewTextHandler(&logged, nil))}, outbox.NewMemory())
			u.setWindow(c.window)
			s := newSession(ctx, u)
			s.window, s.sentN, s.ackedN = c.window, c.sent, c.acked
			s.adaptWindow()
			if got := u.window(); got != c.want {
				t.Errorf("next window %d, want %d", got, c.want)
			}
			if got := strings.Contains(logged.String(), "sending fewer at once"); got != c.wantLogLowers {
				t.Errorf("logged the lower window: %v, want %v\n%s", got, c.wantLogLowers, logged.String())
			}
		})
	}
}

// TestSessionStop: a clean stop publishes the offline status, waits for the PUBACKs in flight
// (whose entries are then deleted, not sent again) and disconnects; it waits no longer than
// its grace, nor once the connection is lost.
func TestSessionStop(t *testing.T) {
	cases := []struct {
		name           string
		ack            bool // the broker acknowledges everything
		lose           bool // the connection is lost
		wantDisconnect int
		wantDepth      int
	}{
		{"acknowledged", true, false, 1, 0},
		{"nothing acknowledged within the grace", false, false, 1, 3},
		{"lost", false, true, 0, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			box := outbox.NewMemory()
			appendN(t, box, 0, 3)
			s, fc := startSession(t, context.Background(), box, Options{Window: 8, StatusTopic: root + "/status", OfflinePayload: []byte("offline")})
			s.grace = time.Minute
			if !c.ack && !c.lose {
				s.grace = 100 * time.Millisecond
			}
			if err := s.fill(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { s.stop(); close(done) }()
			waitFor(t, "the offline status", func() bool { return len(fc.published(root+"/status")) == 1 })
			off := fc.published(root + "/status")[0]
			if string(off.payload) != "offline" || !off.retained {
				t.Errorf("offline status %q retained %v", off.payload, off.retained)
			}
			switch {
			case c.ack:
				off.tok.complete(nil)
				for _, p := range fc.published(root + "/passage") {
					p.tok.complete(nil)
				}
			case c.lose:
				s.lost.fire(nil)
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("stop did not return")
			}
			s.teardown()
			if fc.disconnects() != c.wantDisconnect || box.Stats().Depth != c.wantDepth {
				t.Errorf("disconnects %d, depth %d; want %d, %d", fc.disconnects(), box.Stats().Depth, c.wantDisconnect, c.wantDepth)
			}
		})
	}
}

// TestSessionRun drains the outbox through a client that acknowledges everything, sends what is
// appended meanwhile, and stops cleanly when ctx is done.
func TestSessionRun(t *testing.T) {
	box := outbox.NewMemory()
	appendN(t, box, 0, 100)
	ctx, cancel := context.WithCancel(context.Background())
	s, fc := startSession(t, ctx, box, Options{Window: 8, StatusTopic: root + "/status"})
	fc.autoAck = true
	errc := make(chan error, 1)
	go func() { errc <- s.run() }()
	waitFor(t, "the outbox to drain", func() bool { return box.Stats().Depth == 0 })
	appendN(t, box, 100, 5)
	waitFor(t, "the new entries to go", func() bool { return box.Stats().Depth == 0 })
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run after ctx done = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after ctx done")
	}
	s.teardown()
	got := payloads(fc.published(root + "/passage"))
	for i, n := range got {
		if n != i {
			t.Fatalf("publish %d carried passage %d", i, n)
		}
	}
	if len(got) != 105 || fc.disconnects() != 1 {
		t.Errorf("%d published, %d disconnects; want 105 and 1", len(got), fc.disconnects())
	}
	if st := s.u.Status(); st.Published != 105 || st.InFlight != 0 || st.Connected {
		t.Errorf("Status %+v", st)
	}
	if s.u.client != nil {
		t.Error("the client is still the Uplink's after teardown")
	}
}

// TestSessionRunLost: a lost connection ends run with the reason, and with messages in flight
// the next connection sends half as many at once.
func TestSessionRunLost(t *testing.T) {
	box := outbox.NewMemory()
	appendN(t, box, 0, 100)
	s, _ := startSession(t, context.Background(), box, Options{Window: 64})
	s.lost.fire(errors.New("pipe cut"))
	if err := s.run(); err == nil || err.Error() != "connection lost: pipe cut" {
		t.Errorf("run = %v, want connection lost: pipe cut", err)
	}
	s.teardown()
	if w := s.u.window(); w != 32 {
		t.Errorf("window %d after a loss with 64 in flight, want 32", w)
	}
}

func TestSessionSubscribeOnline(t *testing.T) {
	box := outbox.NewMemory()
	opts := Options{Window: 8, StatusTopic: root + "/status", Online: func() []byte { return []byte("online") }}
	s, fc := startSession(t, context.Background(), box, opts)
	s.subs = []subscription{{topic: root + "/cmd/a"}, {topic: root + "/cmd/b"}}
	if err := s.subscribe(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(fc.subscribed, " "); got != root+"/cmd/a "+root+"/cmd/b" {
		t.Errorf("subscribed %q", got)
	}
	s.online()
	s.online() // as the next connection would
	births := fc.published(root + "/status")
	if len(births) != 2 || string(births[0].payload) != "online" || !births[0].retained {
		t.Errorf("births %+v", births)
	}
	if st := s.u.Status(); !st.Connected || st.Reconnects != 1 {
		t.Errorf("Status %+v, want connected with 1 reconnect", st)
	}
	s.lost.fire(nil)
	if err := s.subscribe(); err == nil || !strings.Contains(err.Error(), "connection lost") {
		t.Errorf("subscribe on a lost connection = %v", err)
	}
	s.teardown()
}

// TestSessionConnect: an accepted connection becomes the Uplink's client with the next
// generation; a refused one, or one given up with ctx, leaves both alone.
func TestSessionConnect(t *testing.T) {
	e := broker.StartMochi(t)
	opts := testOptions(e.URL())
	u := New(opts, outbox.NewMemory())
	u.Subscribe(root+"/cmd/#", 1, func(string, []byte) {})
	for gen := uint64(1); gen <= 2; gen++ {
		s := newSession(context.Background(), u)
		if err := s.connect(); err != nil {
			t.Fatal(err)
		}
		if s.gen != gen || u.client != s.client || len(s.subs) != 1 {
			t.Errorf("connection %d: generation %d, the Uplink's client %v, %d subscriptions", gen, s.gen, u.client == s.client, len(s.subs))
		}
		s.start()
		s.teardown()
		s.client.Disconnect(250)
		if u.client != nil {
			t.Error("client still set after teardown")
		}
	}

	dead, err := broker.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	refused := New(testOptions("tcp://127.0.0.1:"+strconv.Itoa(dead)), outbox.NewMemory())
	s := newSession(context.Background(), refused)
	if err := s.connect(); err == nil || !strings.HasPrefix(err.Error(), "connect: ") || refused.client != nil || refused.gen != 0 {
		t.Errorf("refused connect: err %v, client %v, generation %d", err, refused.client, refused.gen)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = newSession(ctx, u)
	if err := s.connect(); !errors.Is(err, context.Canceled) || u.client != nil {
		t.Errorf("connect with ctx done = %v, client %v", err, u.client)
	}
}
