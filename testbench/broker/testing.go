package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// StartMosquitto starts mosquitto for a test on a free loopback port and stops it at cleanup.
// A missing mosquitto fails the test: CI installs it, and a skipped check can never fail.
func StartMosquitto(t testing.TB) *Process {
	t.Helper()
	p, err := Mosquitto(context.Background(), MosquittoOptions{})
	if errors.Is(err, ErrNoMosquitto) {
		t.Fatalf("mosquitto is required for this test (Debian: apt-get install mosquitto): %v", err)
	}
	if err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stop mosquitto: %v", err)
		}
	})
	return p
}

// StartMochi starts an embedded broker for a test on a free loopback port and closes it at
// cleanup.
func StartMochi(t testing.TB) *Embedded {
	t.Helper()
	e, err := Mochi("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start mochi: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Msg is one message a test subscriber received.
type Msg struct {
	Topic    string
	Payload  []byte
	Retained bool
}

var clientSeq atomic.Uint64

func testClientID(kind string) string {
	return fmt.Sprintf("test-%s-%d-%d", kind, time.Now().UnixNano()%1e9, clientSeq.Add(1))
}

// Subscribe connects a QoS 1 subscriber to topic (a filter; wildcards allowed) and returns the
// messages it receives, in arrival order. It reconnects and resubscribes after a broker restart.
// It returns once the first subscription is acknowledged; the channel is closed at cleanup.
func Subscribe(t testing.TB, url, topic string) <-chan Msg {
	t.Helper()
	return subscribe(t, url, topic, testClientID("sub"), true)
}

// SubscribeSession is Subscribe with a persistent session (clean session off) under clientID:
// with a broker that persists sessions, what it acknowledged while the subscriber was away or
// the broker restarting is delivered when the subscriber is back.
func SubscribeSession(t testing.TB, url, topic, clientID string) <-chan Msg {
	t.Helper()
	return subscribe(t, url, topic, clientID, false)
}

func subscribe(t testing.TB, url, topic, clientID string, clean bool) <-chan Msg {
	t.Helper()
	ch := make(chan Msg, 1<<16)
	done := make(chan struct{})
	var mu sync.Mutex
	closed := false
	subscribed := make(chan error, 1)

	handler := func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return
		}
		select {
		case ch <- Msg{Topic: m.Topic(), Payload: m.Payload(), Retained: m.Retained()}:
		case <-done:
		}
	}
	opts := paho.NewClientOptions().
		AddBroker(url).
		SetClientID(clientID).
		SetCleanSession(clean).
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(200 * time.Millisecond).
		SetConnectTimeout(5 * time.Second).
		SetKeepAlive(10 * time.Second).
		SetOnConnectHandler(func(c paho.Client) {
			tok := c.Subscribe(topic, 1, handler)
			var err error
			if !tok.WaitTimeout(10 * time.Second) {
				err = errors.New("subscribe timed out")
			} else {
				err = tok.Error()
			}
			select {
			case subscribed <- err:
			default:
			}
		})
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("subscriber: connect to %s timed out", url)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("subscriber: connect to %s: %v", url, err)
	}
	select {
	case err := <-subscribed:
		if err != nil {
			c.Disconnect(0)
			t.Fatalf("subscriber: subscribe %q on %s: %v", topic, url, err)
		}
	case <-time.After(10 * time.Second):
		c.Disconnect(0)
		t.Fatalf("subscriber: subscribe %q on %s: no answer", topic, url)
	}
	t.Cleanup(func() {
		close(done)
		c.Disconnect(250)
		mu.Lock()
		closed = true
		close(ch)
		mu.Unlock()
	})
	return ch
}

// Publish sends one QoS 1 message with a short-lived client and waits for its PUBACK.
func Publish(t testing.TB, url, topic string, payload []byte, retained bool) {
	t.Helper()
	if err := publishOnce(url, topic, payload, retained); err != nil {
		t.Fatalf("publish %s to %s: %v", topic, url, err)
	}
}

func publishOnce(url, topic string, payload []byte, retained bool) error {
	c := paho.NewClient(paho.NewClientOptions().
		AddBroker(url).
		SetClientID(testClientID("pub")).
		SetConnectTimeout(5 * time.Second).
		SetAutoReconnect(false))
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return err
	}
	defer c.Disconnect(250)
	pt := c.Publish(topic, 1, retained, payload)
	if !pt.WaitTimeout(10 * time.Second) {
		return errors.New("no PUBACK")
	}
	return pt.Error()
}
