package bench

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/agent/wire"
)

// platform is the enforcement platform's side of a run: a subscriber to the gateway's topics
// with a persistent session, so that nothing the broker took while it restarted is missed.
type platform struct {
	client paho.Client

	mu        sync.Mutex
	passages  []arrival
	decisions []wire.Decision
	drops     []wire.Drops
	evidence  map[string][]byte // passage id + "/" + name
	online    bool
	statusRaw []byte
	changed   chan struct{}
}

// arrival is one delivery of a passage.
type arrival struct {
	At      time.Time
	Passage wire.Passage
}

func newPlatform() *platform {
	return &platform{evidence: map[string][]byte{}, changed: make(chan struct{}, 1)}
}

// connect subscribes to topic on url and returns once the subscription is acknowledged.
func (p *platform) connect(url, username, password, topic string) error {
	var b [6]byte
	_, _ = rand.Read(b[:])
	subscribed := make(chan error, 1)
	opts := paho.NewClientOptions().AddBroker(url).
		SetClientID("sitegate-bench-" + hex.EncodeToString(b[:])).
		SetCleanSession(false).SetOrderMatters(true).SetAutoReconnect(true).
		SetMaxReconnectInterval(250 * time.Millisecond).SetConnectTimeout(5 * time.Second).
		SetKeepAlive(10 * time.Second).
		SetOnConnectHandler(func(c paho.Client) {
			t := c.Subscribe(topic, 1, p.handle)
			var err error
			if !t.WaitTimeout(10 * time.Second) {
				err = fmt.Errorf("subscribe %s: no answer", topic)
			} else {
				err = t.Error()
			}
			select {
			case subscribed <- err:
			default:
			}
		})
	if username != "" {
		opts.SetUsername(username).SetPassword(password)
	}
	p.client = paho.NewClient(opts)
	if t := p.client.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return fmt.Errorf("platform subscriber: connect %s: %v", url, t.Error())
	}
	select {
	case err := <-subscribed:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("platform subscriber: subscribe %s: no answer", topic)
	}
}

func (p *platform) close() {
	if p.client != nil {
		p.client.Disconnect(250)
	}
}

func (p *platform) handle(_ paho.Client, m paho.Message) {
	t, err := wire.Parse(m.Topic())
	if err != nil {
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch t.Kind {
	case wire.KindPassage, wire.KindAmendment:
		var ps wire.Passage
		if json.Unmarshal(m.Payload(), &ps) == nil {
			p.passages = append(p.passages, arrival{At: now, Passage: ps})
		}
	case wire.KindDecision:
		var d wire.Decision
		if json.Unmarshal(m.Payload(), &d) == nil {
			p.decisions = append(p.decisions, d)
		}
	case wire.KindDrops:
		var d wire.Drops
		if json.Unmarshal(m.Payload(), &d) == nil {
			p.drops = append(p.drops, d)
		}
	case wire.KindEvidence:
		if len(t.Rest) == 2 {
			p.evidence[t.Rest[0]+"/"+t.Rest[1]] = m.Payload()
		}
	case wire.KindStatus:
		var s struct {
			State string `json:"state"`
		}
		if json.Unmarshal(m.Payload(), &s) == nil {
			p.online = s.State == "online"
			p.statusRaw = m.Payload()
		}
	}
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// distinct is the number of distinct passage ids received.
func (p *platform) distinct() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, a := range p.passages {
		seen[a.Passage.ID] = true
	}
	return len(seen)
}

func (p *platform) isOnline() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.online
}

func (p *platform) decisionCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.decisions)
}

// snapshot copies what has been received.
func (p *platform) snapshot() (passages []arrival, decisions []wire.Decision, drops []wire.Drops, evidence map[string][]byte, online bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	evidence = make(map[string][]byte, len(p.evidence))
	for k, v := range p.evidence {
		evidence[k] = v
	}
	return append([]arrival(nil), p.passages...), append([]wire.Decision(nil), p.decisions...),
		append([]wire.Drops(nil), p.drops...), evidence, p.online
}
