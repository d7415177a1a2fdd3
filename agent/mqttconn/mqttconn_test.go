package mqttconn

import (
	"context"
	"crypto/tls"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"sitegate/testbench/broker"
)

func TestClientOptions(t *testing.T) {
	tc := &tls.Config{ServerName: "broker"}
	cases := []struct {
		name  string
		p     Params
		check func(t *testing.T, o *paho.ClientOptions)
	}{
		{"what every client shares", Params{URL: "tcp://127.0.0.1:1883", ClientID: "gw"}, func(t *testing.T, o *paho.ClientOptions) {
			if len(o.Servers) != 1 || o.Servers[0].String() != "tcp://127.0.0.1:1883" || o.ClientID != "gw" {
				t.Errorf("servers %v, client id %q", o.Servers, o.ClientID)
			}
			if o.ProtocolVersion != 4 || !o.CleanSession || o.ConnectRetry || o.ResumeSubs {
				t.Errorf("protocol %d, clean %v, connect retry %v, resume subs %v; want 4, true, false, false",
					o.ProtocolVersion, o.CleanSession, o.ConnectRetry, o.ResumeSubs)
			}
			if o.Order || o.AutoReconnect {
				t.Errorf("order matters %v, auto-reconnect %v; want both off unless asked", o.Order, o.AutoReconnect)
			}
			if o.Username != "" || o.Password != "" || o.TLSConfig == tc {
				t.Errorf("credentials %q/%q or TLS set unasked", o.Username, o.Password)
			}
		}},
		{"paho's timeouts unless given", Params{URL: "tcp://h:1"}, func(t *testing.T, o *paho.ClientOptions) {
			if o.KeepAlive != 30 || o.ConnectTimeout != 30*time.Second || o.PingTimeout != 10*time.Second || o.WriteTimeout != 0 {
				t.Errorf("keepalive %ds, connect %v, ping %v, write %v", o.KeepAlive, o.ConnectTimeout, o.PingTimeout, o.WriteTimeout)
			}
		}},
		{"timeouts given", Params{URL: "tcp://h:1", KeepAlive: 15 * time.Second, ConnectTimeout: 5 * time.Second}, func(t *testing.T, o *paho.ClientOptions) {
			if o.KeepAlive != 15 || o.ConnectTimeout != 5*time.Second || o.PingTimeout != 5*time.Second || o.WriteTimeout != 5*time.Second {
				t.Errorf("keepalive %ds, connect %v, ping %v, write %v", o.KeepAlive, o.ConnectTimeout, o.PingTimeout, o.WriteTimeout)
			}
		}},
		{"credentials", Params{URL: "tcp://h:1", Username: "site/gw", Password: "s3cret"}, func(t *testing.T, o *paho.ClientOptions) {
			if o.Username != "site/gw" || o.Password != "s3cret" {
				t.Errorf("credentials %q/%q", o.Username, o.Password)
			}
		}},
		{"no password without a username", Params{URL: "tcp://h:1", Password: "s3cret"}, func(t *testing.T, o *paho.ClientOptions) {
			if o.Username != "" || o.Password != "" {
				t.Errorf("credentials %q/%q, want none", o.Username, o.Password)
			}
		}},
		{"TLS, ordered, reconnecting", Params{URL: "ssl://h:8883", TLS: tc, Ordered: true, AutoReconnect: true}, func(t *testing.T, o *paho.ClientOptions) {
			if o.TLSConfig != tc || !o.Order || !o.AutoReconnect {
				t.Errorf("TLS %v, order matters %v, auto-reconnect %v", o.TLSConfig == tc, o.Order, o.AutoReconnect)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, ClientOptions(c.p)) })
	}
}

// TestClientOptionsConnect: a client made from ClientOptions and LoadTLS connects to mosquitto
// over mutual TLS, publishes at QoS 1 and disconnects.
func TestClientOptionsConnect(t *testing.T) {
	pki, files := writePKI(t, "site")
	p, err := broker.Mosquitto(context.Background(), broker.MosquittoOptions{
		TLS: &broker.TLSListener{CA: pki.CA, Cert: pki.ServerCert, Key: pki.ServerKey, RequireClientCert: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	tc, err := LoadTLS(filepath.Join(files, "ca.pem"), filepath.Join(files, "client.pem"), filepath.Join(files, "client.key"), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(ClientOptions(Params{URL: p.TLSURL(), ClientID: "mqttconn-test", TLS: tc, ConnectTimeout: 5 * time.Second}))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(250)
	if tok := c.Publish("sitegate/v1/test/mqttconn", 1, false, []byte("hello")); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

// writePKI makes a throw-away PKI and writes its files into a temporary directory.
func writePKI(t *testing.T, name string) (*broker.PKI, string) {
	t.Helper()
	pki, err := broker.NewPKI(name)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := pki.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return pki, dir
}

// handshake runs a TLS handshake of client against a server with pki's server certificate,
// over loopback TCP; with mutual, the server requires a client certificate of pki.
func handshake(t *testing.T, pki *broker.PKI, mutual bool, client *tls.Config) error {
	t.Helper()
	cert, err := tls.X509KeyPair(pki.ServerCert, pki.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	sc := &tls.Config{Certificates: []tls.Certificate{cert}}
	if mutual {
		tmp, err := LoadTLS(writeFile(t, "ca.pem", string(pki.CA)), "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		sc.ClientCAs, sc.ClientAuth = tmp.RootCAs, tls.RequireAndVerifyClientCert
	}
	// A loopback TCP connection rather than net.Pipe: a side that gives up writes its alert
	// while the other may still be writing, which a pipe without buffering deadlocks.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srvErr := make(chan error, 1)
	go func() {
		sconn, err := l.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		s := tls.Server(sconn, sc)
		srvErr <- s.HandshakeContext(ctx)
		s.Close()
	}()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(cc, client)
	err = c.HandshakeContext(ctx)
	if err == nil {
		// A TLS 1.3 client learns that its certificate was refused on its first read; after a
		// good handshake the server's close arrives there.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err = c.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
			err = nil
		}
	}
	c.Close()
	if serr := <-srvErr; err == nil {
		err = serr
	}
	return err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTLS(t *testing.T) {
	pki, files := writePKI(t, "site")
	_, otherFiles := writePKI(t, "impostor")
	ca, cert, key := filepath.Join(files, "ca.pem"), filepath.Join(files, "client.pem"), filepath.Join(files, "client.key")
	cases := []struct {
		name      string
		ca        string
		cert, key string
		mutual    bool
		wantOK    bool
	}{
		{"server TLS with the CA", ca, "", "", false, true},
		{"mutual TLS", ca, cert, key, true, true},
		{"mutual TLS without a client certificate", ca, "", "", true, false},
		{"the wrong CA", filepath.Join(otherFiles, "ca.pem"), "", "", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tc, err := LoadTLS(c.ca, c.cert, c.key, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			if tc.MinVersion != tls.VersionTLS12 || tc.ServerName != "127.0.0.1" {
				t.Errorf("min version %x, server name %q", tc.MinVersion, tc.ServerName)
			}
			if err := handshake(t, pki, c.mutual, tc); (err == nil) != c.wantOK {
				t.Errorf("handshake: %v, want success %v", err, c.wantOK)
			}
		})
	}
	tc, err := LoadTLS("", "", "", "broker.example.com")
	if err != nil || tc.RootCAs != nil || tc.Certificates != nil || tc.MinVersion != tls.VersionTLS12 || tc.ServerName != "broker.example.com" {
		t.Errorf("no files: %+v, %v; want the system roots, TLS 1.2, the server name", tc, err)
	}
}

func TestLoadTLSErrors(t *testing.T) {
	_, files := writePKI(t, "site")
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.pem")
	notPEM := writeFile(t, "ca.pem", "not a certificate\n")
	cert, key, serverKey := filepath.Join(files, "client.pem"), filepath.Join(files, "client.key"), filepath.Join(files, "server.key")
	cases := []struct {
		name, ca, cert, key string
		want                []string // all in the error
	}{
		{"missing CA file", missing, "", "", []string{"mqtt.tls.ca_file: ", missing}},
		{"CA file without a certificate", notPEM, "", "", []string{"mqtt.tls.ca_file: no PEM certificate in " + notPEM}},
		{"cert without key", "", cert, "", []string{"mqtt.tls: cert_file and key_file go together"}},
		{"key without cert", "", "", key, []string{"go together"}},
		{"missing cert", "", missing, key, []string{"mqtt.tls.cert_file/key_file: ", missing}},
		{"key of another certificate", "", cert, serverKey, []string{"mqtt.tls.cert_file/key_file: "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tc, err := LoadTLS(c.ca, c.cert, c.key, "h")
			if err == nil || tc != nil {
				t.Fatalf("LoadTLS = %v, %v; want an error", tc, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := LoadTLS(missing, "", "", "h"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing CA file: %v is not fs.ErrNotExist", err)
	}
}

func TestReadPasswordFile(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"newline", "s3cret\n", "s3cret"},
		{"CRLF", "s3cret\r\n", "s3cret"},
		{"no line ending", "s3cret", "s3cret"},
		{"blank lines after", "s3cret\n\r\n\n", "s3cret"},
		{"spaces are the password's", " s3 cret \n", " s3 cret "},
		{"inner newline kept", "line1\nline2\n", "line1\nline2"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadPasswordFile(writeFile(t, "pw", c.content))
			if err != nil || got != c.want {
				t.Errorf("ReadPasswordFile = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := ReadPasswordFile(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
	dir := t.TempDir()
	if _, err := ReadPasswordFile(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("a directory: %v, want an error naming %s", err, dir)
	}
}

// TestImports keeps the package's promise: paho and the standard library only.
func TestImports(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path != "github.com/eclipse/paho.mqtt.golang" && strings.Contains(strings.Split(path, "/")[0], ".") {
				t.Errorf("%s imports %s", name, path)
			}
			if strings.HasPrefix(path, "sitegate/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
