package uplink

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sitegate/agent/mqttconn"
	"sitegate/testbench/broker"
)

// TestTLS runs the uplink against mosquitto's TLS listener with certificates made here: server
// TLS with the right CA, mutual TLS with and without a client certificate, and a wrong CA.
func TestTLS(t *testing.T) {
	pki, err := broker.NewPKI("site")
	if err != nil {
		t.Fatal(err)
	}
	files, err := pki.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := broker.NewPKI("impostor")
	if err != nil {
		t.Fatal(err)
	}
	otherFiles, err := other.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca, cert, key := filepath.Join(files, "ca.pem"), filepath.Join(files, "client.pem"), filepath.Join(files, "client.key")
	cases := []struct {
		name       string
		mutual     bool
		ca         string
		cert, key  string
		wantErr    string // in Status().LastError; "" means delivered
		wantNoSend bool
	}{
		{"server TLS", false, ca, "", "", "", false},
		{"mutual TLS", true, ca, cert, key, "", false},
		{"mutual TLS without a client certificate", true, ca, "", "", "connect", true},
		{"wrong CA", false, filepath.Join(otherFiles, "ca.pem"), "", "", "certificate", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := broker.Mosquitto(context.Background(), broker.MosquittoOptions{
				TLS: &broker.TLSListener{CA: pki.CA, Cert: pki.ServerCert, Key: pki.ServerKey, RequireClientCert: c.mutual},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Stop() })
			tc, err := mqttconn.LoadTLS(c.ca, c.cert, c.key, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			box := openBox(t)
			msgs := broker.Subscribe(t, p.URL(), root+"/#")
			appendN(t, box, 0, 3)
			opts := testOptions(p.TLSURL())
			opts.TLS = tc
			u := New(opts, box)
			run(t, u)
			if !u.Status().TLS {
				t.Error("Status.TLS is false on ssl://")
			}
			if c.wantErr == "" {
				var col collector
				col.until(t, msgs, 3)
				return
			}
			waitFor(t, "the connection to be refused", func() bool { return u.Status().LastError != "" })
			if st := u.Status(); !strings.Contains(st.LastError, c.wantErr) || st.Connected || st.Published != 0 {
				t.Errorf("Status = %+v, want refused with %q", st, c.wantErr)
			}
			if box.Stats().Depth != 3 {
				t.Errorf("outbox depth %d, want all 3 kept", box.Stats().Depth)
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, ca, cert, key, want string }{
		{"missing CA file", filepath.Join(dir, "nope.pem"), "", "", "ca_file"},
		{"cert without key", "", filepath.Join(dir, "c.pem"), "", "go together"},
		{"missing cert", "", filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"), "cert_file"},
	}
	for _, c := range cases {
		if _, err := mqttconn.LoadTLS(c.ca, c.cert, c.key, "h"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestInsecureRefused: plain tcp:// to a host that is not this machine never dials (the
// password would cross the network in clear) unless AllowInsecure.
func TestInsecureRefused(t *testing.T) {
	cases := []struct {
		host  string
		allow bool
		want  bool // refused as insecure
	}{
		{"192.0.2.1", false, true},
		{"broker.example.com", false, true},
		{"192.0.2.1", true, false},
		{"127.0.0.1", false, false},
		{"localhost", false, false},
		{"[::1]", false, false},
	}
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			opts := testOptions("tcp://" + c.host + ":1")
			opts.AllowInsecure = c.allow
			opts.ConnectTimeout = 200 * time.Millisecond
			u := New(opts, openBox(t))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := u.session(ctx)
			if got := errors.Is(err, ErrInsecure); got != c.want {
				t.Errorf("session error %v; refused as insecure = %v, want %v", err, got, c.want)
			}
		})
	}
}

// TestJitter: waits spread over [backoff/2, backoff], so a fleet does not reconnect in lockstep.
func TestJitter(t *testing.T) {
	for _, b := range []time.Duration{time.Second, 20 * time.Millisecond, 60 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			w := jitter(b)
			if w < b/2 || w > b {
				t.Fatalf("jitter(%v) = %v, outside [%v, %v]", b, w, b/2, b)
			}
			seen[w] = true
		}
		if len(seen) < 50 {
			t.Errorf("jitter(%v): only %d distinct waits in 200", b, len(seen))
		}
	}
}

// TestLostWait: the first wait after a lost connection spreads over the whole [0, backoff], its
// lower half included, so a fleet cut off at once does not come back within half a backoff.
func TestLostWait(t *testing.T) {
	for _, b := range []time.Duration{time.Second, 20 * time.Millisecond} {
		seen := map[time.Duration]bool{}
		low := 0
		for range 400 {
			w := lostWait(b)
			if w < 0 || w > b {
				t.Fatalf("lostWait(%v) = %v, outside [0, %v]", b, w, b)
			}
			if w < b/2 {
				low++
			}
			seen[w] = true
		}
		if len(seen) < 100 || low < 100 || low > 300 {
			t.Errorf("lostWait(%v): %d distinct waits in 400, %d below half", b, len(seen), low)
		}
	}
}

// TestBirthCarriesReconnects: the online status published on a connect already counts it.
func TestBirthCarriesReconnects(t *testing.T) {
	b := broker.StartMochi(t)
	px := newProxy(t, b.URL())
	msgs := broker.Subscribe(t, b.URL(), root+"/status")
	opts := testOptions(px.url())
	var u *Uplink
	opts.Online = func() []byte { return []byte("online reconnects=" + itoa(u.Status().Reconnects)) }
	u = New(opts, openBox(t))
	run(t, u)
	next(t, msgs, "first birth", payloadIs(opts.StatusTopic, "online reconnects=0"))
	px.cut()
	next(t, msgs, "birth after a reconnect", payloadIs(opts.StatusTopic, "online reconnects=1"))
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
