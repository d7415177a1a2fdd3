package config

import (
	"net"
	"time"
)

// Console is the technician's web console (docs/console.md): off unless Listen is set.
type Console struct {
	// Listen is the host:port the console is served on; empty: off.
	Listen string `yaml:"listen"`
	// UsersFile holds the logins (`sitegate console adduser`), with hashed passwords.
	UsersFile string `yaml:"users_file"`
	// TLS, when both files are set, serves the console over HTTPS.
	TLS ConsoleTLS `yaml:"tls"`
	// SessionTTL is how long a login lasts.
	SessionTTL Duration `yaml:"session_ttl"`
	// PollInterval is how often the live page asks for the gateway's state.
	PollInterval Duration `yaml:"poll_interval"`
}

// ConsoleTLS is the console's certificate and key (PEM).
type ConsoleTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// On reports whether the console is served.
func (c Console) On() bool { return c.Listen != "" }

// TLSOn reports whether the console is served over HTTPS.
func (c Console) TLSOn() bool { return c.TLS.CertFile != "" && c.TLS.KeyFile != "" }

func (c *Console) resolvePaths(abs func(*string)) {
	abs(&c.UsersFile)
	abs(&c.TLS.CertFile)
	abs(&c.TLS.KeyFile)
}

func validateConsole(c Console, ps *problems) {
	if c.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
			ps.add("console.listen", "%q is not host:port", c.Listen)
		}
		if c.UsersFile == "" {
			ps.add("console.users_file", "must be set when console.listen is (make it with sitegate console adduser)")
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		ps.add("console.tls", "cert_file and key_file are set together or not at all")
	}
	if d := c.SessionTTL.D(); d < time.Minute || d > 7*24*time.Hour {
		ps.add("console.session_ttl", "%s is out of range (1m to 168h)", c.SessionTTL)
	}
	if d := c.PollInterval.D(); d < 200*time.Millisecond || d > time.Minute {
		ps.add("console.poll_interval", "%s is out of range (200ms to 1m)", c.PollInterval)
	}
}

// checkFiles checks that the console's files can be read, when it is on.
func (c Console) checkFiles(ps *problems) {
	if !c.On() {
		return
	}
	readable(c.UsersFile, "console.users_file", ps)
	readable(c.TLS.CertFile, "console.tls.cert_file", ps)
	readable(c.TLS.KeyFile, "console.tls.key_file", ps)
}
