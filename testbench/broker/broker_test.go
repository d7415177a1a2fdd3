package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// testBroker is what the shared suite needs from a broker.
type testBroker interface {
	URL() string
	restart(t *testing.T)
}

type mosq struct{ *Process }

func (m mosq) restart(t *testing.T) {
	if err := m.Restart(context.Background()); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

type mochi struct{ *Embedded }

func (m mochi) restart(t *testing.T) {
	if err := m.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
}

func TestBrokers(t *testing.T) {
	brokers := []struct {
		name  string
		start func(t *testing.T) testBroker
	}{
		{"mosquitto", func(t *testing.T) testBroker { return mosq{StartMosquitto(t)} }},
		{"mochi", func(t *testing.T) testBroker { return mochi{StartMochi(t)} }},
	}
	for _, b := range brokers {
		t.Run(b.name, func(t *testing.T) {
			br := b.start(t)
			url := br.URL()
			msgs := Subscribe(t, url, "test/#")
			waitLive(t, url, msgs)
			Publish(t, url, "test/a", []byte("one"), false)
			Publish(t, url, "test/r", []byte("kept"), true)
			// Two publishing connections: the broker may hand the two over in either order.
			expectAll(t, msgs, Msg{Topic: "test/a", Payload: []byte("one")}, Msg{Topic: "test/r", Payload: []byte("kept")})

			// A late subscriber sees the retained message, flagged as retained.
			late := Subscribe(t, url, "test/r")
			expect(t, late, Msg{Topic: "test/r", Payload: []byte("kept"), Retained: true})

			// After a restart on the same URL the first subscriber is back.
			br.restart(t)
			if br.URL() != url {
				t.Fatalf("URL after restart = %s, want %s", br.URL(), url)
			}
			waitLive(t, url, msgs)
		})
	}
}

// waitLive publishes probes until the subscriber on test/# receives one: its subscription is
// in force at the broker (a SUBACK alone does not promise that on every broker), and anything
// published from then on reaches it.
func waitLive(t *testing.T, url string, msgs <-chan Msg) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("the subscriber never received a probe")
		}
		_ = publishOnce(url, "test/probe", []byte(fmt.Sprint(i)), false)
		select {
		case m := <-msgs:
			if m.Topic == "test/probe" {
				for len(msgs) > 0 { // later probes, if any
					if m := <-msgs; m.Topic != "test/probe" {
						t.Fatalf("unexpected %s while probing", m.Topic)
					}
				}
				return
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// expectAll takes len(want) messages and checks they are want, in any order.
func expectAll(t *testing.T, ch <-chan Msg, want ...Msg) {
	t.Helper()
	left := append([]Msg(nil), want...)
	for len(left) > 0 {
		select {
		case m := <-ch:
			if m.Topic == "test/probe" {
				continue // a late probe from waitLive
			}
			found := false
			for i, w := range left {
				if m.Topic == w.Topic && string(m.Payload) == string(w.Payload) && m.Retained == w.Retained {
					left, found = append(left[:i], left[i+1:]...), true
					break
				}
			}
			if !found {
				t.Fatalf("unexpected %s %q retained=%v; still waiting for %v", m.Topic, m.Payload, m.Retained, left)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no message; still waiting for %v", left)
		}
	}
}

func expect(t *testing.T, ch <-chan Msg, want Msg) {
	t.Helper()
	select {
	case m := <-ch:
		if m.Topic != want.Topic || string(m.Payload) != string(want.Payload) || m.Retained != want.Retained {
			t.Fatalf("got %s %q retained=%v, want %s %q retained=%v", m.Topic, m.Payload, m.Retained, want.Topic, want.Payload, want.Retained)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no message, want %s %q", want.Topic, want.Payload)
	}
}

func TestMosquittoMissingBinary(t *testing.T) {
	_, err := Mosquitto(context.Background(), MosquittoOptions{Binary: "/nonexistent/mosquitto"})
	if !errors.Is(err, ErrNoMosquitto) {
		t.Fatalf("err = %v, want ErrNoMosquitto", err)
	}
}

func TestMosquittoPortInUse(t *testing.T) {
	p := StartMosquitto(t)
	_, ps, _ := net.SplitHostPort(p.Addr())
	port, _ := strconv.Atoi(ps)
	if q, err := Mosquitto(context.Background(), MosquittoOptions{Port: port}); err == nil {
		q.Stop()
		t.Fatal("a second mosquitto on a port in use started")
	}
}

func TestMochiKickSendsWill(t *testing.T) {
	e := StartMochi(t)
	msgs := Subscribe(t, e.URL(), "will/#")
	if err := e.Kick("nobody"); err == nil {
		t.Error("Kick of an unknown client succeeded")
	}
	c := paho.NewClient(paho.NewClientOptions().
		AddBroker(e.URL()).
		SetClientID("willing").
		SetAutoReconnect(false).
		SetWill("will/willing", "gone", 1, false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	if err := e.Kick("willing"); err != nil {
		t.Fatalf("Kick: %v", err)
	}
	expect(t, msgs, Msg{Topic: "will/willing", Payload: []byte("gone")})
}

func TestMochiCloseTwice(t *testing.T) {
	e, err := Mochi("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := e.Kick("x"); err == nil {
		t.Error("Kick on a closed broker succeeded")
	}
}

// TestMosquittoPersistentSession: with PersistDir, a persistent subscriber's session survives a
// restart, so a message published while the subscriber is away after it is delivered when the
// subscriber comes back. The fault tests rely on it.
func TestMosquittoPersistentSession(t *testing.T) {
	p, err := Mosquitto(context.Background(), MosquittoOptions{PersistDir: t.TempDir() + "/mosq"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	connect := func(id string, clean bool, h paho.MessageHandler) paho.Client {
		o := paho.NewClientOptions().AddBroker(p.URL()).SetClientID(id).SetCleanSession(clean).
			SetAutoReconnect(false).SetDefaultPublishHandler(h)
		c := paho.NewClient(o)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("%s: connect: %v", id, tok.Error())
		}
		return c
	}
	sub := connect("keeper", false, nil)
	if tok := sub.Subscribe("kept/#", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	sub.Disconnect(100)
	if err := p.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	pub := connect("publisher", true, nil)
	if tok := pub.Publish("kept/x", 1, false, "while away"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	pub.Disconnect(100)
	got := make(chan string, 1)
	sub = connect("keeper", false, func(_ paho.Client, m paho.Message) {
		select {
		case got <- string(m.Payload()):
		default:
		}
	})
	defer sub.Disconnect(100)
	select {
	case m := <-got:
		if m != "while away" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the session did not survive the restart; mosquitto said:\n%s", p.Log())
	}
}

// TestMochiCloseWhileClientsLeave: Close finishes while the broker's client map is being written,
// as it is when clients disconnect during shutdown. mochi v2.7.9's own shutdown path takes that
// map's read lock twice (mochi-mqtt/server#488), so a writer waiting between the two deadlocks it;
// a writer looping on the lock makes that near certain.
func TestMochiCloseWhileClientsLeave(t *testing.T) {
	e, err := Mochi("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.NewClientOptions().AddBroker(e.URL()).SetClientID("leaving").SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(0)
	clients := e.Server().Clients
	stop := make(chan struct{})
	writer := make(chan struct{})
	go func() {
		defer close(writer)
		for {
			select {
			case <-stop:
				return
			default:
			}
			clients.Lock()
			clients.Unlock()
		}
	}()
	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return while the client map was being written")
	}
	close(stop)
	<-writer
	if c.IsConnectionOpen() {
		// The broker drops its clients on Close; paho notices the closed socket at once.
		deadline := time.Now().Add(10 * time.Second)
		for c.IsConnectionOpen() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if c.IsConnectionOpen() {
			t.Error("the client is still connected after Close")
		}
	}
}
