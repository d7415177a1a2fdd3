package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// listenerID names the one TCP listener.
const listenerID = "tcp"

// Embedded is an in-process mochi-mqtt broker that accepts every client.
type Embedded struct {
	mu   sync.Mutex
	srv  *mqtt.Server
	addr string
	log  *slog.Logger
}

// Mochi starts an embedded broker with a TCP listener on addr. With port 0 (e.g.
// "127.0.0.1:0") a free port is chosen; Addr and URL report the real one.
func Mochi(addr string) (*Embedded, error) {
	return MochiWithLogger(addr, nil)
}

// MochiWithLogger is Mochi with the broker's log sent to log. The default sends errors only to
// slog.Default(): mochi reports every client that drops its connection as a warning.
func MochiWithLogger(addr string, log *slog.Logger) (*Embedded, error) {
	if log == nil {
		log = slog.New(minLevel{slog.Default().Handler(), slog.LevelError})
	}
	e := &Embedded{log: log.With("component", "mochi")}
	if err := e.start(addr); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Embedded) start(addr string) error {
	srv := mqtt.New(&mqtt.Options{Logger: e.log, InlineClient: true})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return fmt.Errorf("broker: mochi auth hook: %w", err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: listenerID, Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		return fmt.Errorf("broker: mochi listen on %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return fmt.Errorf("broker: mochi serve on %s: %w", addr, err)
	}
	e.srv, e.addr = srv, tcp.Address()
	return nil
}

// Addr is the listener's host:port.
func (e *Embedded) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addr
}

// URL is the broker's address for an MQTT client, tcp://host:port.
func (e *Embedded) URL() string { return "tcp://" + e.Addr() }

// Server is the underlying mochi server, for tests that inspect or inject.
func (e *Embedded) Server() *mqtt.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

// Kick drops a client's connection without a DISCONNECT packet, as a network failure would, so
// the broker publishes its Last Will.
func (e *Embedded) Kick(clientID string) error {
	srv := e.Server()
	if srv == nil {
		return errors.New("broker: mochi is closed")
	}
	cl, ok := srv.Clients.Get(clientID)
	if !ok {
		return fmt.Errorf("broker: no client %q", clientID)
	}
	// Close the connection rather than Stop the client: a client stopped before mochi starts
	// reading from it ends its session as if it had disconnected cleanly, without its Will.
	if cl.Net.Conn == nil {
		return fmt.Errorf("broker: client %q has no connection", clientID)
	}
	return cl.Net.Conn.Close()
}

// Close stops the broker and drops every client. Closing twice does nothing.
func (e *Embedded) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil {
		return nil
	}
	srv := e.srv
	// mochi v2.7.9's Server.Close lists a listener's clients holding the client map's read lock
	// twice over (mochi-mqtt/server#488): a client deleting itself between the two, as one that
	// disconnects during shutdown does, deadlocks the broker for good. So the listener is closed
	// here first, with a closer that lists the clients under one lock; Server.Close then finds it
	// closed and only waits for the clients to finish.
	srv.Listeners.Close(listenerID, func(id string) {
		for _, cl := range srv.Clients.GetAll() {
			if cl.Net.Listener == id && !cl.Closed() {
				_ = srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
			}
		}
	})
	err := srv.Close()
	e.srv = nil
	return err
}

// Restart closes the broker if it runs and starts a fresh one on the same address. Sessions and
// retained messages are lost.
func (e *Embedded) Restart() error {
	addr := e.Addr()
	if err := e.Close(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.start(addr)
}
