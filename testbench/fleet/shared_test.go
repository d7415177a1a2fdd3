package fleet

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/outbox"
	"sitegate/agent/uplink"
	"sitegate/testbench/broker"
)

// TestSharedSubscription: two platform consumers share $share/platform/sitegate/v1/+/+/passage
// on mosquitto while three gateways' uplinks drain their outboxes: every passage reaches
// exactly one of them, and each gets some.
func TestSharedSubscription(t *testing.T) {
	mq := broker.StartMosquitto(t)
	type consumer struct {
		mu   sync.Mutex
		seen map[string]int
	}
	var cs [2]*consumer
	for i := range cs {
		c := &consumer{seen: map[string]int{}}
		cs[i] = c
		cl := paho.NewClient(paho.NewClientOptions().AddBroker(mq.URL()).SetClientID(fmt.Sprintf("platform-%d", i)).
			SetAutoReconnect(false).SetOrderMatters(false))
		if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("consumer %d: connect: %v", i, tok.Error())
		}
		t.Cleanup(func() { cl.Disconnect(250) })
		tok := cl.Subscribe("$share/platform/"+passageFilter, 1, func(_ paho.Client, m paho.Message) {
			var v struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(m.Payload(), &v); err != nil || v.ID == "" {
				t.Errorf("consumer %d: %s: %q: %v", i, m.Topic(), m.Payload(), err)
			}
			c.mu.Lock()
			c.seen[v.ID]++
			c.mu.Unlock()
		})
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("consumer %d: subscribe: %v", i, tok.Error())
		}
	}

	const gateways, each = 3, 200
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	want := map[string]bool{}
	for g := range gateways {
		id := fmt.Sprintf("gw-%d", g)
		box := outbox.NewMemory()
		t.Cleanup(func() { box.Close() })
		for n := range each {
			want[passageID(id, n)] = true
			if _, err := box.AppendBatch(func(uint64) ([]outbox.Message, error) {
				return []outbox.Message{{Topic: "sitegate/v1/site-a/" + id + "/passage", QoS: 1, Payload: passagePayload(id, n, 300)}}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		up := uplink.New(uplink.Options{URL: mq.URL(), ClientID: "sitegate-" + id, Logger: quiet,
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, box)
		wg.Go(func() { _ = up.Run(ctx) })
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		total := 0
		for _, c := range cs {
			c.mu.Lock()
			total += len(c.seen)
			c.mu.Unlock()
		}
		if total >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumers got %d of %d passages", total, len(want))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	got := map[string]int{}
	for i, c := range cs {
		c.mu.Lock()
		if len(c.seen) == 0 {
			t.Errorf("consumer %d got nothing: the broker did not share the subscription", i)
		}
		for id, n := range c.seen {
			got[id] += n
		}
		t.Logf("consumer %d: %d passages", i, len(c.seen))
		c.mu.Unlock()
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("passage %s reached the consumers %d times, want exactly once", id, got[id])
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("unexpected passage %s", id)
		}
	}
}

var runFleet = flag.Bool("fleet", false, "run the fleet simulation (200 gateways, a broker restart; about a minute)")

// TestFleet runs the fleet simulation when -fleet is given (go test ./testbench/fleet -run
// TestFleet -fleet -v): 200 gateways against one mosquitto stopped for 5 s and restarted at
// once. Every passage must arrive; it logs the reconnect histogram, the drain time and the
// duplicates.
func TestFleet(t *testing.T) {
	if !*runFleet {
		t.Skip("the fleet simulation runs with -fleet")
	}
	for _, o := range []Options{{Outage: 5 * time.Second}, {Restart: true}} {
		r, err := Run(context.Background(), o)
		if r != nil {
			t.Logf("\n%s", r)
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Missing != 0 || r.Reconnected != r.Gateways {
			t.Errorf("%d passages missing, %d of %d gateways reconnected", r.Missing, r.Reconnected, r.Gateways)
		}
	}
}

// TestFleetSmall runs the simulation on a small fleet with short backoffs, in every test run:
// ten gateways, the broker restarted at once while passages keep coming; every passage arrives
// and every gateway reconnects.
func TestFleetSmall(t *testing.T) {
	r, err := Run(context.Background(), Options{Gateways: 10, Backlog: 20, Restart: true, Rate: 100,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, Timeout: time.Minute})
	if r != nil {
		t.Logf("\n%s", r)
	}
	if err != nil {
		t.Fatal(err)
	}
	if r.Missing != 0 || r.Reconnected != 10 || r.Unique != r.Passages || r.Passages < 200 {
		t.Errorf("passages %d, unique %d, missing %d, %d of 10 gateways reconnected", r.Passages, r.Unique, r.Missing, r.Reconnected)
	}
	if sum(r.Connects) < 10 {
		t.Errorf("histogram counts %d connects, want at least 10", sum(r.Connects))
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
