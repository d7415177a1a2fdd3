package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"sitegate/agent/control"
	"sitegate/agent/mqttconn"
	"sitegate/agent/uplink"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
)

func init() {
	register(command{name: "ctl", run: runCtl, usage: `  ctl --broker URL --site S [--gateway G] [--key FILE] [--ca F --cert F --key-file F] SUBCOMMAND
                             operate gateways over MQTT: config push FILE | config get |
                             registry push FILE | cmd NAME [--arg k=v ...] | watch |
                             keygen [--out PREFIX] | sign --topic T FILE
`})
}

const ctlUsage = `usage: sitegate ctl [flags] SUBCOMMAND
  config push FILE           publish FILE ({version, config}, JSON or YAML) as the gateway's desired
                             config and wait for its report; exits 1 if rejected or rolled back
  config get                 print the gateway's reported config
  registry push FILE         publish FILE as the site registry; with --gateway, wait for its report
  cmd NAME [--arg k=v ...]   run a command on the gateway and print the reply; exits 1 if not ok
  watch                      print passages and status of the site (or --gateway) until interrupted
  keygen [--out PREFIX]      write PREFIX.key (private) and PREFIX.pub; prints the public key
  sign --topic T FILE        print FILE (JSON) signed for topic T with --key
flags:
`

type ctlFlags struct {
	broker, site, gw, key  string
	ca, cert, keyFile      string
	username, passwordFile string
	timeout, validity      time.Duration
	allowInsecure          bool
	out                    io.Writer
	errOut                 io.Writer
}

func runCtl(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ctl", stderr)
	var f ctlFlags
	fs.StringVar(&f.broker, "broker", "tcp://127.0.0.1:1883", "broker URL (tcp:// or ssl://)")
	fs.StringVar(&f.site, "site", "", "site id")
	fs.StringVar(&f.gw, "gateway", "", "gateway id")
	fs.StringVar(&f.key, "key", "", "private key file (from keygen) to sign what is sent")
	fs.StringVar(&f.ca, "ca", "", "CA bundle (PEM) for ssl://")
	fs.StringVar(&f.cert, "cert", "", "client certificate (PEM) for mutual TLS")
	fs.StringVar(&f.keyFile, "key-file", "", "client certificate's key (PEM)")
	fs.StringVar(&f.username, "username", "", "broker user name")
	fs.StringVar(&f.passwordFile, "password-file", "", "file holding the broker password")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for a reply")
	fs.DurationVar(&f.validity, "valid-for", 10*time.Minute, "how long a signed message stays valid")
	fs.BoolVar(&f.allowInsecure, "allow-insecure", false, "allow plain tcp:// to a host that is not this machine")
	fs.Usage = func() { fmt.Fprint(stderr, ctlUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	f.out, f.errOut = stdout, stderr
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return ExitUsage
	}
	var err error
	switch {
	case rest[0] == "keygen":
		return ctlKeygen(rest[1:], stdout, stderr)
	case rest[0] == "sign":
		return ctlSign(f, rest[1:])
	case len(rest) == 3 && rest[0] == "config" && rest[1] == "push":
		err = f.need(true, func() error { return ctlConfigPush(ctx, f, rest[2]) })
	case len(rest) == 2 && rest[0] == "config" && rest[1] == "get":
		err = f.need(true, func() error { return ctlConfigGet(ctx, f) })
	case len(rest) == 3 && rest[0] == "registry" && rest[1] == "push":
		err = f.need(false, func() error { return ctlRegistryPush(ctx, f, rest[2]) })
	case len(rest) >= 2 && rest[0] == "cmd":
		err = f.need(true, func() error { return ctlCmd(ctx, f, rest[1], rest[2:]) })
	case len(rest) == 1 && rest[0] == "watch":
		err = f.need(false, func() error { return ctlWatch(ctx, f) })
	default:
		fs.Usage()
		return ExitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "sitegate ctl:", err)
		return ExitUsage
	default:
		fmt.Fprintln(stderr, "sitegate ctl:", err)
		return ExitRuntime
	}
}

type usageError string

func (u usageError) Error() string { return string(u) }

func (f ctlFlags) need(gw bool, run func() error) error {
	if f.site == "" || (gw && f.gw == "") {
		if gw {
			return usageError("--site and --gateway are required")
		}
		return usageError("--site is required")
	}
	return run()
}

func (f ctlFlags) topics() wire.Gateway { return wire.Topics(f.site, f.gw) }

// connect opens an MQTT client; on is called with every message of the subscriptions, made
// before connect returns.
func (f ctlFlags) connect(subs []string, on func(topic string, payload []byte, retained bool)) (paho.Client, error) {
	u, err := url.Parse(f.broker)
	if err != nil {
		return nil, usageError("--broker: " + err.Error())
	}
	if u.Scheme == "tcp" && !f.allowInsecure && !uplink.IsLoopback(u.Hostname()) {
		return nil, usageError("--broker: plain tcp:// to another host is refused; use ssl:// or --allow-insecure")
	}
	p := mqttconn.Params{URL: f.broker, ClientID: "sitegate-ctl-" + uuid.NewString()[:8], Username: f.username,
		ConnectTimeout: 10 * time.Second, Ordered: true}
	if f.username != "" && f.passwordFile != "" {
		pw, err := mqttconn.ReadPasswordFile(f.passwordFile)
		if err != nil {
			return nil, err
		}
		p.Password = pw
	}
	if u.Scheme == "ssl" {
		tc, err := mqttconn.LoadTLS(f.ca, f.cert, f.keyFile, u.Hostname())
		if err != nil {
			return nil, err
		}
		p.TLS = tc
	}
	c := paho.NewClient(mqttconn.ClientOptions(p))
	if t := c.Connect(); !t.WaitTimeout(15*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("connect %s: %v", f.broker, t.Error())
	}
	for _, s := range subs {
		t := c.Subscribe(s, 1, func(_ paho.Client, m paho.Message) { on(m.Topic(), m.Payload(), m.Retained()) })
		if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
			c.Disconnect(100)
			return nil, fmt.Errorf("subscribe %s: %v", s, t.Error())
		}
	}
	return c, nil
}

func publish(c paho.Client, topic string, payload []byte, retained bool) error {
	t := c.Publish(topic, 1, retained, payload)
	if !t.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("publish %s: no acknowledgement", topic)
	}
	return t.Error()
}

// readDoc reads a JSON or YAML file as JSON.
func readDoc(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		return t, nil
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return json.Marshal(v)
}

// sign signs payload for topic when --key is set.
func (f ctlFlags) sign(topic string, payload []byte) ([]byte, error) {
	if f.key == "" {
		return payload, nil
	}
	priv, err := loadKey(f.key)
	if err != nil {
		return nil, err
	}
	return control.Sign(priv, topic, payload, time.Now().Add(f.validity))
}

func loadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a key written by sitegate ctl keygen", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// wait returns the first message on ch that match accepts, or an error after the timeout.
func (f ctlFlags) wait(ctx context.Context, ch <-chan []byte, what string, match func([]byte) bool) ([]byte, error) {
	t := time.NewTimer(f.timeout)
	defer t.Stop()
	for {
		select {
		case b := <-ch:
			if match(b) {
				return b, nil
			}
		case <-t.C:
			return nil, fmt.Errorf("no %s within %s", what, f.timeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func ctlConfigPush(ctx context.Context, f ctlFlags, path string) error {
	doc, err := readDoc(path)
	if err != nil {
		return err
	}
	var d struct {
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || d.Version <= 0 {
		return usageError(path + ": needs a positive version and a config")
	}
	topic := f.topics().ConfigDesired()
	payload, err := f.sign(topic, doc)
	if err != nil {
		return err
	}
	reports := make(chan []byte, 16)
	// The retained report is the state before this push; only a fresh one answers it.
	c, err := f.connect([]string{f.topics().ConfigReported()}, func(_ string, b []byte, retained bool) {
		if !retained {
			reports <- b
		}
	})
	if err != nil {
		return err
	}
	defer c.Disconnect(250)
	if err := publish(c, topic, payload, true); err != nil {
		return err
	}
	var rep wire.Reported
	b, err := f.wait(ctx, reports, "config report for version "+fmt.Sprint(d.Version), func(b []byte) bool {
		rep = wire.Reported{}
		if json.Unmarshal(b, &rep) != nil {
			return false
		}
		return rep.Version == d.Version || (rep.Ignored != nil && rep.Ignored.Version == d.Version)
	})
	if err != nil {
		return err
	}
	_ = b
	switch {
	case rep.Ignored != nil && rep.Ignored.Version == d.Version:
		return fmt.Errorf("version %d ignored: %s", d.Version, rep.Ignored.Reason)
	case rep.Status == wire.Applied:
		fmt.Fprintf(f.out, "version %d applied\n", d.Version)
		return nil
	case rep.Status == wire.RolledBack:
		return fmt.Errorf("version %d rolled back: %s", d.Version, rep.Reason)
	default:
		for _, p := range rep.Errors {
			fmt.Fprintf(f.out, "%s: %s\n", p.Path, p.Msg)
		}
		return fmt.Errorf("version %d rejected (%d error(s))", d.Version, len(rep.Errors))
	}
}

func ctlConfigGet(ctx context.Context, f ctlFlags) error {
	reports := make(chan []byte, 4)
	c, err := f.connect([]string{f.topics().ConfigReported()}, func(_ string, b []byte, _ bool) { reports <- b })
	if err != nil {
		return err
	}
	defer c.Disconnect(250)
	b, err := f.wait(ctx, reports, "config report", func([]byte) bool { return true })
	if err != nil {
		return err
	}
	return prettyJSON(f.out, b)
}

func prettyJSON(w io.Writer, b []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		_, err = w.Write(append(b, '\n'))
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

func ctlRegistryPush(ctx context.Context, f ctlFlags, path string) error {
	doc, err := readDoc(path)
	if err != nil {
		return err
	}
	var d struct {
		Version int64 `json:"version"`
	}
	_ = json.Unmarshal(doc, &d)
	topic := wire.SiteRegistryTopic(f.site)
	payload, err := f.sign(topic, doc)
	if err != nil {
		return err
	}
	reports := make(chan []byte, 16)
	var subs []string
	if f.gw != "" {
		subs = append(subs, f.topics().RegistryReported())
	}
	c, err := f.connect(subs, func(_ string, b []byte, retained bool) {
		if !retained {
			reports <- b
		}
	})
	if err != nil {
		return err
	}
	defer c.Disconnect(250)
	if err := publish(c, topic, payload, true); err != nil {
		return err
	}
	if f.gw == "" {
		fmt.Fprintf(f.out, "registry version %d published for site %s\n", d.Version, f.site)
		return nil
	}
	var rep wire.RegistryReported
	if _, err := f.wait(ctx, reports, "registry report", func(b []byte) bool {
		return json.Unmarshal(b, &rep) == nil && rep.Version == d.Version
	}); err != nil {
		return err
	}
	if rep.Status != wire.Applied {
		return fmt.Errorf("registry version %d rejected by %s: %s", d.Version, f.gw, rep.Error)
	}
	fmt.Fprintf(f.out, "registry version %d applied on %s\n", d.Version, f.gw)
	return nil
}

func ctlCmd(ctx context.Context, f ctlFlags, name string, args []string) error {
	fs := flag.NewFlagSet("sitegate ctl cmd", flag.ContinueOnError)
	fs.SetOutput(f.errOut)
	argv := map[string]any{}
	fs.Func("arg", "k=v argument (repeatable); v is JSON if it parses, else a string", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return errors.New("want k=v")
		}
		var j any
		if json.Unmarshal([]byte(v), &j) == nil {
			argv[k] = j
		} else {
			argv[k] = v
		}
		return nil
	})
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError("cmd NAME [--arg k=v ...]")
	}
	id := uuid.NewString()
	req, _ := json.Marshal(map[string]any{"id": id, "args": argv, "expires_at": time.Now().Add(f.timeout).UTC().Format(time.RFC3339)})
	topic := f.topics().Cmd(name)
	payload, err := f.sign(topic, req)
	if err != nil {
		return err
	}
	replies := make(chan []byte, 16)
	c, err := f.connect([]string{topic + "/reply"}, func(_ string, b []byte, _ bool) { replies <- b })
	if err != nil {
		return err
	}
	defer c.Disconnect(250)
	if err := publish(c, topic, payload, false); err != nil {
		return err
	}
	var rep wire.Reply
	b, err := f.wait(ctx, replies, "reply to "+name, func(b []byte) bool {
		return json.Unmarshal(b, &rep) == nil && rep.ID == id
	})
	if err != nil {
		return err
	}
	if err := prettyJSON(f.out, b); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("%s failed: %s", name, rep.Error)
	}
	return nil
}

func ctlWatch(ctx context.Context, f ctlFlags) error {
	gw := f.gw
	if gw == "" {
		gw = "+"
	}
	t := wire.Topics(f.site, gw)
	type msg struct {
		topic   string
		payload []byte
	}
	msgs := make(chan msg, 256)
	c, err := f.connect([]string{t.Passage(), t.Status(), t.ConfigReported()}, func(t string, b []byte, _ bool) {
		select {
		case msgs <- msg{t, b}:
		default:
		}
	})
	if err != nil {
		return err
	}
	defer c.Disconnect(250)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			fmt.Fprintln(f.out, describe(m.topic, m.payload))
		}
	}
}

// describe turns a message into one readable line.
func describe(topic string, b []byte) string {
	who := topic
	t, err := wire.Parse(topic)
	if err == nil {
		who = t.Gateway
	}
	switch t.Kind {
	case wire.KindPassage:
		var p wire.Passage
		if json.Unmarshal(b, &p) != nil {
			return who + " passage (unreadable)"
		}
		plate, weight := "-", "-"
		if p.Plate != nil {
			plate = p.Plate.Text
		}
		if p.Weight != nil {
			weight = fmt.Sprintf("%.0f kg", p.Weight.GrossKg)
		}
		alarms := "no alarm"
		if len(p.Alarms) > 0 {
			alarms = "ALARM " + strings.Join(p.Alarms, ",")
		}
		return fmt.Sprintf("%s %s passage #%d %s %s %s %s", p.EndedAt, who, p.Seq, p.Lane, plate, weight, alarms)
	case wire.KindStatus:
		var s wire.Status
		if json.Unmarshal(b, &s) != nil {
			return who + " status (unreadable)"
		}
		line := fmt.Sprintf("%s %s %s", s.Time, who, s.State)
		for _, l := range s.Lanes {
			line += fmt.Sprintf(" | %s scale %s deck %s %.0f kg", l.ID, l.Scale.State, l.Deck, l.LastKg)
		}
		if s.Outbox != nil {
			line += fmt.Sprintf(" | outbox %d", s.Outbox.Depth)
		}
		if s.Registry != nil {
			line += fmt.Sprintf(" | registry v%d", s.Registry.Version)
		}
		return line
	default:
		var r wire.Reported
		if json.Unmarshal(b, &r) != nil {
			return who + " config report (unreadable)"
		}
		return fmt.Sprintf("%s %s config version %d %s %s", r.Time, who, r.Version, r.Status, r.Reason)
	}
}

func ctlKeygen(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ctl keygen", stderr)
	out := fs.String("out", "sitegate-ops", "file prefix: PREFIX.key and PREFIX.pub")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return ExitUsage
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitRuntime
	}
	pubText := base64.StdEncoding.EncodeToString(pub)
	if err := os.WriteFile(*out+".key", []byte(base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitRuntime
	}
	if err := os.WriteFile(*out+".pub", []byte(pubText+"\n"), 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return ExitRuntime
	}
	fmt.Fprintf(stdout, "%s\n", pubText)
	fmt.Fprintf(stderr, "wrote %s.key (keep it secret) and %s.pub; add the public key to control.trusted_keys\n", *out, *out)
	return ExitOK
}

func ctlSign(f ctlFlags, args []string) int {
	fs := newFlags("ctl sign", f.errOut)
	topic := fs.String("topic", "", "the topic the message is for")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *topic == "" || f.key == "" {
		fmt.Fprintln(f.errOut, "usage: sitegate ctl --key FILE sign --topic T FILE")
		return ExitUsage
	}
	doc, err := readDoc(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(f.errOut, err)
		return ExitUsage
	}
	b, err := f.sign(*topic, doc)
	if err != nil {
		fmt.Fprintln(f.errOut, err)
		return ExitRuntime
	}
	fmt.Fprintf(f.out, "%s\n", b)
	return ExitOK
}

// levelVar is the agent's adjustable log level (the set_log_level command).
func levelVar(level string) *slog.LevelVar {
	lv := new(slog.LevelVar)
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err == nil {
		lv.Set(l)
	}
	return lv
}

func newLevelLogger(w io.Writer, lc config.Log, lv *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: lv}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
