package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/outbox"
	"sitegate/agent/uplink"
	"sitegate/testbench/broker"
)

// Options configures a simulation; a zero field takes its default.
type Options struct {
	Gateways int           // uplinks, each with its own outbox and client id; default 200
	Backlog  int           // passages appended to each outbox while the broker is down; default 100
	Outage   time.Duration // how long the broker stays down; default 5s (0 is a restart at once: set Restart)
	// Restart restarts the broker at once (Outage is ignored).
	Restart bool
	// Rate is the passages per second the whole fleet keeps producing from the start to the
	// end (trucks that keep coming), so that messages are in flight when the broker stops;
	// default 200, negative for none.
	Rate    int
	Payload int           // passage payload bytes, about; default 900
	Bin     time.Duration // the histogram's bin; default 100ms
	// Store is "memory" (default) or "badger" (one Badger store per gateway under Dir, with a
	// small disk reserve so its memtables are small).
	Store string
	Dir   string
	// MinBackoff and MaxBackoff are the uplinks'; zero keeps the uplink's defaults (1s, 60s).
	MinBackoff, MaxBackoff time.Duration
	Timeout                time.Duration // the whole run; default 5m
	Mosquitto              string        // the binary; default broker.DefaultMosquitto
	Log                    io.Writer     // progress lines; nil for none
}

func (o *Options) defaults() {
	if o.Gateways <= 0 {
		o.Gateways = 200
	}
	if o.Backlog <= 0 {
		o.Backlog = 100
	}
	if o.Outage <= 0 && !o.Restart {
		o.Outage = 5 * time.Second
	}
	if o.Restart {
		o.Outage = 0
	}
	if o.Rate == 0 {
		o.Rate = 200
	}
	if o.Payload <= 0 {
		o.Payload = 900
	}
	if o.Bin <= 0 {
		o.Bin = 100 * time.Millisecond
	}
	if o.Store == "" {
		o.Store = "memory"
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Report is what a simulation measured. Times are from the moment the restarted broker accepted
// connections again.
type Report struct {
	Gateways, Backlog int
	Outage            time.Duration
	Bin               time.Duration
	// Up is how long after the stop the broker accepted connections again.
	Up time.Duration
	// Connects counts the connections the broker accepted (CONNACKs) in each bin after the
	// restart; Peak is the largest bin, PeakRate the same per second.
	Connects []int
	Peak     int
	PeakRate float64
	// Attempts counts the connect attempts the gateways made (TCP connects, seen by a relay in
	// front of the broker) in each bin from the moment the broker stopped: what the backoff
	// and its jitter decide. AttemptPeak is the largest bin.
	Attempts    []int
	AttemptPeak int
	// First and Last are the first and last reconnect; Reconnected counts gateways that did.
	First, Last time.Duration
	Reconnected int
	// Drained is when every outbox was empty, Delivered when the subscriber had every passage.
	Drained, Delivered time.Duration
	// Passages were appended in all; the subscriber received Received messages, Unique
	// distinct passage ids, Duplicates = Received - Unique; Missing were never received.
	Passages, Received, Unique, Duplicates, Missing int
}

// Topic filter the platform consumes; the simulated gateways publish below it.
const passageFilter = "sitegate/v1/+/+/passage"

type gateway struct {
	id   string
	box  outbox.Outbox
	up   *uplink.Uplink
	seqs int
}

// Run starts mosquitto, the platform's subscriber and the fleet, stops the broker once every
// gateway is connected, appends each gateway's backlog during the outage, starts the broker
// again and measures until everything is delivered or Timeout.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	raiseFileLimit()
	tmp, err := os.MkdirTemp("", "sitegate-fleet-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if o.Store == "badger" && o.Dir == "" {
		o.Dir = filepath.Join(tmp, "stores")
	}
	// Persistence, so the subscriber's session (and what the broker acknowledged for it)
	// survives the restart; no limit on the connections (mosquitto's default is -1 already,
	// the file descriptors are the limit: see raiseFileLimit).
	mq, err := broker.Mosquitto(ctx, broker.MosquittoOptions{Binary: o.Mosquitto, PersistDir: filepath.Join(tmp, "mosquitto"),
		Extra: []string{"max_connections -1"}})
	if err != nil {
		return nil, err
	}
	defer mq.Stop()
	rl, err := newRelay(mq.Addr())
	if err != nil {
		return nil, err
	}
	defer rl.close()
	url := rl.url()

	sub, err := subscribe(ctx, mq.URL())
	if err != nil {
		return nil, err
	}
	defer sub.close()

	// Connect times, from the uplinks' birth messages: Online is called once per CONNACK.
	var cmu sync.Mutex
	var connects []time.Time
	connected := map[string]bool{}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gws := make([]*gateway, o.Gateways)
	for i := range gws {
		g := &gateway{id: fmt.Sprintf("gw-%03d", i)}
		switch o.Store {
		case "memory":
			g.box = outbox.NewMemory()
		case "badger":
			b, err := outbox.OpenBadger(filepath.Join(o.Dir, g.id), outbox.BadgerOptions{Logger: quiet,
				Limits: outbox.Limits{ReserveBytes: 8 << 20}})
			if err != nil {
				return nil, err
			}
			g.box = b
		default:
			return nil, fmt.Errorf("fleet: store %q: want memory or badger", o.Store)
		}
		defer g.box.Close()
		id := g.id
		g.up = uplink.New(uplink.Options{
			URL: url, ClientID: "sitegate-" + id,
			StatusTopic: "sitegate/v1/fleet/" + id + "/status", OfflinePayload: []byte(`{"state":"offline"}`),
			Online: func() []byte {
				cmu.Lock()
				connects = append(connects, time.Now())
				connected[id] = true
				cmu.Unlock()
				return []byte(`{"state":"online"}`)
			},
			MinBackoff: o.MinBackoff, MaxBackoff: o.MaxBackoff, Logger: quiet,
		}, g.box)
		gws[i] = g
	}
	runCtx, stopFleet := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stopFleet(); wg.Wait() }()
	for _, g := range gws {
		wg.Go(func() { _ = g.up.Run(runCtx) })
	}
	if err := waitFor(ctx, func() bool { cmu.Lock(); defer cmu.Unlock(); return len(connected) == len(gws) }); err != nil {
		return nil, fmt.Errorf("fleet: not every gateway connected: %w", err)
	}
	fmt.Fprintf(o.Log, "%d gateways connected\n", len(gws))

	// Trucks keep coming, on every gateway in turn, for the whole run.
	var pmu sync.Mutex
	passages := 0
	appendPassage := func(g *gateway) error {
		pmu.Lock()
		g.seqs++
		n := g.seqs
		passages++
		pmu.Unlock()
		_, err := g.box.AppendBatch(func(uint64) ([]outbox.Message, error) {
			return []outbox.Message{{Topic: "sitegate/v1/fleet/" + g.id + "/passage", QoS: 1, Ref: passageID(g.id, n),
				Payload: passagePayload(g.id, n, o.Payload)}}, nil
		})
		return err
	}
	prodErr := make(chan error, 1)
	prodCtx, stopProducing := context.WithCancel(runCtx)
	defer stopProducing()
	var prod sync.WaitGroup
	if o.Rate > 0 {
		prod.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			per := max(1, o.Rate/100)
			next := 0
			for {
				select {
				case <-prodCtx.Done():
					return
				case <-tick.C:
				}
				for range per {
					if err := appendPassage(gws[next%len(gws)]); err != nil {
						select {
						case prodErr <- err:
						default:
						}
						return
					}
					next++
				}
			}
		})
	}

	fmt.Fprintf(o.Log, "stopping the broker for %v\n", o.Outage)
	stopped := time.Now()
	if err := mq.Stop(); err != nil {
		return nil, err
	}
	cmu.Lock()
	clear(connected)
	cmu.Unlock()
	outageEnd := time.Now().Add(o.Outage)
	for _, g := range gws {
		for range o.Backlog {
			if err := appendPassage(g); err != nil {
				return nil, err
			}
		}
	}
	select {
	case <-time.After(time.Until(outageEnd)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := mq.Restart(ctx); err != nil {
		return nil, err
	}
	up := time.Now()
	fmt.Fprintf(o.Log, "broker back; %d passages waiting\n", depth(gws))

	r := &Report{Gateways: len(gws), Backlog: o.Backlog, Outage: o.Outage, Bin: o.Bin}
	var perr error
	err = waitFor(ctx, func() bool {
		select {
		case perr = <-prodErr:
			return true
		default:
		}
		if r.Drained == 0 && depth(gws) == 0 {
			// The backlogs are drained: the trucks stop, so that what is delivered can be
			// compared with everything appended.
			r.Drained = time.Since(up)
			stopProducing()
			prod.Wait()
		}
		pmu.Lock()
		want := passages
		pmu.Unlock()
		if r.Drained != 0 && sub.unique() >= want && depth(gws) == 0 {
			r.Delivered = time.Since(up)
			return true
		}
		return false
	})
	stopProducing()
	prod.Wait()
	stopFleet()
	wg.Wait()
	pmu.Lock()
	r.Passages = passages
	pmu.Unlock()
	r.Received, r.Unique = sub.counts()
	r.Duplicates = r.Received - r.Unique
	r.Missing = max(0, r.Passages-r.Unique)
	cmu.Lock()
	r.histogram(connects, stopped, up, len(connected))
	cmu.Unlock()
	for _, a := range rl.since(stopped) {
		i := int(a.Sub(stopped) / r.Bin)
		for len(r.Attempts) <= i {
			r.Attempts = append(r.Attempts, 0)
		}
		r.Attempts[i]++
	}
	for _, n := range r.Attempts {
		r.AttemptPeak = max(r.AttemptPeak, n)
	}
	r.Up = up.Sub(stopped)
	if perr != nil {
		return r, fmt.Errorf("fleet: append: %w", perr)
	}
	if err != nil {
		return r, fmt.Errorf("fleet: %d of %d passages delivered, %d waiting: %w", r.Unique, r.Passages, depth(gws), err)
	}
	return r, nil
}

// histogram counts the connects after stopped (the first ones are before) in bins from up; a
// connect accepted while Restart was still checking the port counts in the first bin.
func (r *Report) histogram(connects []time.Time, stopped, up time.Time, reconnected int) {
	r.Reconnected = reconnected
	r.First = -1
	for _, c := range connects {
		if c.Before(stopped) {
			continue
		}
		d := max(0, c.Sub(up))
		if r.First < 0 {
			r.First = d
		}
		r.Last = max(r.Last, d)
		i := int(d / r.Bin)
		for len(r.Connects) <= i {
			r.Connects = append(r.Connects, 0)
		}
		r.Connects[i]++
	}
	r.First = max(r.First, 0)
	for _, n := range r.Connects {
		r.Peak = max(r.Peak, n)
	}
	r.PeakRate = float64(r.Peak) / r.Bin.Seconds()
}

// String prints the report with the histogram, one line per non-empty stretch of bins.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gateways %d, backlog %d each, outage %v\n", r.Gateways, r.Backlog, r.Outage)
	fmt.Fprintf(&b, "reconnected %d, first %v, last %v after the broker was back; peak %d per %v (%.0f/s)\n",
		r.Reconnected, r.First.Round(time.Millisecond), r.Last.Round(time.Millisecond), r.Peak, r.Bin, r.PeakRate)
	fmt.Fprintf(&b, "drained %v, delivered %v; passages %d, received %d, unique %d, duplicates %d, missing %d\n",
		r.Drained.Round(time.Millisecond), r.Delivered.Round(time.Millisecond), r.Passages, r.Received, r.Unique, r.Duplicates, r.Missing)
	fmt.Fprintf(&b, "connect attempts per %v from the stop (broker back at %.1fs): peak %d\n", r.Bin, r.Up.Seconds(), r.AttemptPeak)
	bars(&b, r.Attempts, r.Bin)
	fmt.Fprintf(&b, "connects (CONNACKs) per %v from the broker's return: peak %d\n", r.Bin, r.Peak)
	bars(&b, r.Connects, r.Bin)
	return b.String()
}

func bars(b *strings.Builder, bins []int, bin time.Duration) {
	for i, n := range bins {
		if n == 0 {
			continue
		}
		fmt.Fprintf(b, "  %6.1fs %3d %s\n", (time.Duration(i) * bin).Seconds(), n, strings.Repeat("#", n))
	}
}

func depth(gws []*gateway) int {
	n := 0
	for _, g := range gws {
		n += g.box.Stats().Depth
	}
	return n
}

func passageID(gw string, n int) string { return fmt.Sprintf("%s-%08d", gw, n) }

func passagePayload(gw string, n, size int) []byte {
	p := fmt.Sprintf(`{"schema":"sitegate.passage/v1","id":%q,"seq":%d,"pad":"`, passageID(gw, n), n)
	return []byte(p + strings.Repeat("x", max(0, size-len(p)-2)) + `"}`)
}

// waitFor polls cond every 10 ms until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// raiseFileLimit lifts this process's open-file limit to its hard limit: every gateway holds a
// socket (and a Badger store several files), and mosquitto, started from here, inherits it.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// platform is the platform's consumer: a persistent session on every gateway's passages,
// counting each passage id.
type platform struct {
	c        paho.Client
	mu       sync.Mutex
	seen     map[string]int
	received int
}

func subscribe(ctx context.Context, url string) (*platform, error) {
	p := &platform{seen: map[string]int{}}
	handler := func(_ paho.Client, m paho.Message) {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(m.Payload(), &v)
		p.mu.Lock()
		p.seen[v.ID]++
		p.received++
		p.mu.Unlock()
	}
	subscribed := make(chan error, 1)
	o := paho.NewClientOptions().AddBroker(url).SetClientID("platform-fleet").SetCleanSession(false).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectTimeout(5 * time.Second).
		SetOrderMatters(false).
		SetOnConnectHandler(func(c paho.Client) {
			t := c.Subscribe(passageFilter, 1, handler)
			t.WaitTimeout(10 * time.Second)
			select {
			case subscribed <- t.Error():
			default:
			}
		})
	o.SetDefaultPublishHandler(handler) // the restored session's messages may come before the subscription is made again
	p.c = paho.NewClient(o)
	if t := p.c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("fleet: subscriber: connect: %v", t.Error())
	}
	select {
	case err := <-subscribed:
		if err != nil {
			return nil, fmt.Errorf("fleet: subscriber: %w", err)
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(10 * time.Second):
		return nil, errors.New("fleet: subscriber: no SUBACK")
	}
	return p, nil
}

func (p *platform) unique() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

func (p *platform) counts() (received, unique int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.received, len(p.seen)
}

func (p *platform) close() { p.c.Disconnect(250) }
