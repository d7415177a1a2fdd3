package mqttconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Params are what one of sitegate's MQTT clients sets for itself; ClientOptions fills in the
// rest the same for every client.
type Params struct {
	URL      string      // tcp://host:port or ssl://host:port
	ClientID string      // MQTT client id
	Username string      // empty: no credentials
	Password string      // sent only with Username
	TLS      *tls.Config // for ssl://; nil uses paho's (the system roots)
	// KeepAlive is the PINGREQ interval; 0 keeps paho's 30 s.
	KeepAlive time.Duration
	// ConnectTimeout bounds the connect, the wait for a PINGRESP and each write; 0 keeps
	// paho's defaults (30 s to connect, 10 s for a PINGRESP, writes unbounded).
	ConnectTimeout time.Duration
	// Ordered hands a subscription's messages to their handler one at a time, in order, on
	// the client's goroutine. Without it each message gets a goroutine of its own, so a slow
	// handler does not stall the client.
	Ordered bool
	// AutoReconnect lets paho reconnect by itself after a lost connection. Without it the
	// connection stays lost and the caller decides when to connect again.
	AutoReconnect bool
}

// ClientOptions returns the paho options for p: MQTT 3.1.1 with a clean session, no retry of a
// failed connect and no resubscription by paho, messages in flight held in memory only. The
// caller may add to them (a Last Will, a dialer, handlers) before paho.NewClient.
func ClientOptions(p Params) *paho.ClientOptions {
	o := paho.NewClientOptions().
		AddBroker(p.URL).
		SetClientID(p.ClientID).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetOrderMatters(p.Ordered).
		SetAutoReconnect(p.AutoReconnect).
		SetConnectRetry(false).
		SetResumeSubs(false)
	if p.KeepAlive > 0 {
		o.SetKeepAlive(p.KeepAlive)
	}
	if p.ConnectTimeout > 0 {
		o.SetConnectTimeout(p.ConnectTimeout).
			SetPingTimeout(p.ConnectTimeout).
			SetWriteTimeout(p.ConnectTimeout)
	}
	if p.Username != "" {
		o.SetUsername(p.Username).SetPassword(p.Password)
	}
	if p.TLS != nil {
		o.SetTLSConfig(p.TLS)
	}
	return o
}

// LoadTLS builds the client TLS configuration (TLS 1.2 at least) for serverName: the CA
// bundle caFile (PEM; empty uses the system roots) and, for mutual TLS, the client certificate
// certFile with its key keyFile. An error names the file by its key in the config's mqtt.tls
// section.
func LoadTLS(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("mqtt.tls.ca_file: no PEM certificate in " + caFile)
		}
		tc.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("mqtt.tls: cert_file and key_file go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// ReadPasswordFile returns the broker password kept in the file at path, without the line
// ending an editor leaves after it (trailing CR and LF). Its error is the file system's, which
// names the file; the caller adds its own context (a config key, a flag).
func ReadPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
