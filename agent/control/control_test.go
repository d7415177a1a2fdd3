package control

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
)

const localYAML = `site: s1
gateway: gw-01
mqtt: {url: "tcp://127.0.0.1:1883"}
store: {dir: data}
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
rules: {overload: {tolerance_kg: 100}}
`

func local(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(localYAML), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var desiredCases = []struct {
	name    string
	payload string
	paths   []string // expected problem paths; nil: valid
}{
	{"good", `{"version":3,"config":{"lanes":[{"id":"exit-2","scale":{"port":"/dev/ttyS1"}}]}}`, nil},
	{"good with schema", `{"schema":"sitegate.config_desired/v1","version":1,"config":{"lanes":[],"rules":{}}}`, nil},
	{"no version", `{"config":{"lanes":[]}}`, []string{"version"}},
	{"zero version", `{"version":0,"config":{"lanes":[]}}`, []string{"version"}},
	{"string version", `{"version":"7","config":{"lanes":[]}}`, []string{"version"}},
	{"highest version", `{"version":9007199254740991,"config":{"lanes":[]}}`, nil},
	{"version above 2^53-1", `{"version":9007199254740992,"config":{"lanes":[]}}`, []string{"version"}},
	{"int64 max version", `{"version":9223372036854775807,"config":{"lanes":[]}}`, []string{"version"}},
	{"version beyond int64", `{"version":1e30,"config":{"lanes":[]}}`, []string{"version"}},
	{"fractional version", `{"version":2.5,"config":{"lanes":[]}}`, []string{"version"}},
	{"no config", `{"version":2}`, []string{"config"}},
	{"config not object", `{"version":2,"config":[1]}`, []string{"config"}},
	{"refused keys", `{"version":2,"config":{"mqtt":{"url":"tcp://evil:1883"},"store":{"dir":"/"},"lanes":[],"control":{}}}`, []string{"control", "mqtt", "store"}},
	{"identity refused", `{"version":2,"config":{"site":"x","gateway":"y"}}`, []string{"gateway", "site"}},
	{"unknown top key", `{"version":2,"config":{},"extra":1}`, []string{"extra"}},
	{"not json", `{"version":`, []string{""}},
	{"array", `[]`, []string{""}},
}

func TestParseDesired(t *testing.T) {
	for _, c := range desiredCases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDesired([]byte(c.payload))
			if c.paths == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if d.Version <= 0 || len(d.Config) == 0 {
					t.Fatalf("got %+v", d)
				}
				return
			}
			var ps config.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Path)
			}
			if strings.Join(got, ",") != strings.Join(c.paths, ",") {
				t.Fatalf("paths %q, want %q (%v)", got, c.paths, ps)
			}
		})
	}
}

// TestParseDesiredVersionBound: the message of an out-of-range version says the bound.
func TestParseDesiredVersionBound(t *testing.T) {
	_, err := ParseDesired([]byte(`{"version":9223372036854775807,"config":{}}`))
	var ps config.Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "version" || !strings.Contains(ps[0].Msg, "9007199254740991 (2^53-1)") {
		t.Fatalf("got %v", err)
	}
}

func TestCut(t *testing.T) {
	cases := []struct{ in, want string }{
		{"short", "short"},
		{"0123456789", "0123456789"},
		{"0123456789ab", "0123456789 ... (2 more bytes cut)"},
		{"012345678浙", "012345678 ... (3 more bytes cut)"}, // never half a character
	}
	for _, c := range cases {
		if got := Cut(c.in, 10); got != c.want {
			t.Errorf("Cut(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseDesiredTooLarge(t *testing.T) {
	big := `{"version":1,"config":{"lanes":[],"x":"` + strings.Repeat("a", MaxDesiredBytes) + `"}}`
	_, err := ParseDesired([]byte(big))
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v", err)
	}
}

func FuzzParseDesired(f *testing.F) {
	for _, c := range desiredCases {
		f.Add([]byte(c.payload))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDesired(b)
		if err == nil && d.Version <= 0 {
			t.Fatalf("accepted version %d", d.Version)
		}
		if err == nil {
			// Anything accepted must be safe to lay over a config.
			_, _ = Candidate(fuzzLocal, d.Config)
		}
	})
}

var fuzzLocal = func() *config.Config {
	cfg, err := config.Parse([]byte(localYAML), "/tmp")
	if err != nil {
		panic(err)
	}
	return cfg
}()

func TestCandidate(t *testing.T) {
	loc := local(t)
	cases := []struct {
		name   string
		remote string
		check  func(t *testing.T, c *config.Config)
		paths  []string
	}{
		{"lanes replaced, local kept", `{"lanes":[{"id":"exit-2","scale":{"port":"/dev/ttyS1","baud":19200}}],"rules":{"overload":{"tolerance_kg":250}}}`,
			func(t *testing.T, c *config.Config) {
				if c.Site != "s1" || c.MQTT.URL != "tcp://127.0.0.1:1883" || c.Store.Dir != loc.Store.Dir {
					t.Fatalf("local keys changed: %+v", c)
				}
				if len(c.Lanes) != 1 || c.Lanes[0].ID != "exit-2" || c.Lanes[0].Scale.Baud != 19200 || c.Lanes[0].Scale.Protocol != "yaohua-tf0" {
					t.Fatalf("lanes %+v", c.Lanes)
				}
				if c.Rules.Overload.ToleranceKg != 250 {
					t.Fatalf("rules %+v", c.Rules)
				}
			}, nil},
		{"rules left out take the default", `{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"}}]}`,
			func(t *testing.T, c *config.Config) {
				if c.Rules.Overload.ToleranceKg != 0 {
					t.Fatalf("tolerance %g", c.Rules.Overload.ToleranceKg)
				}
			}, nil},
		{"bad values with paths", `{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0","baud":9601}},{"id":"Exit","scale":{"port":"tty"}}],"rules":{"overload":{"tolerance_kg":-1}}}`,
			nil, []string{"lanes[0].scale.baud", "lanes[1].id", "lanes[1].scale.port", "rules.overload.tolerance_kg"}},
		{"unknown key", `{"lanes":[{"id":"exit-1","scale":{"port":"/dev/x","bauds":1}}]}`, nil, []string{"lanes[0].scale.bauds"}},
		{"no lanes", `{"lanes":[]}`, nil, []string{"lanes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Candidate(loc, json.RawMessage(c.remote))
			if c.paths == nil {
				if err != nil {
					t.Fatal(err)
				}
				c.check(t, cfg)
				return
			}
			var ps config.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %v", err)
			}
			got := map[string]bool{}
			for _, p := range ps {
				got[p.Path] = true
			}
			for _, p := range c.paths {
				if !got[p] {
					t.Errorf("missing problem at %s; got %v", p, ps)
				}
			}
		})
	}
}

func TestRemotePartRoundTrip(t *testing.T) {
	loc := local(t)
	rp, err := RemotePart(loc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Candidate(loc, rp)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Lanes[0].Scale.Port != "/dev/ttyUSB0" || cfg.Rules.Overload.ToleranceKg != 100 {
		t.Fatalf("round trip lost values: %+v %+v", cfg.Lanes[0].Scale, cfg.Rules)
	}
}

func TestStore(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "control")}
	a, err := s.LoadApplied()
	if err != nil || a.Version != 0 {
		t.Fatalf("empty store: %+v %v", a, err)
	}
	want := AppliedState{Version: 9, Config: json.RawMessage(`{"lanes":[]}`), Time: "t"}
	if err := s.SaveApplied(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadApplied()
	if err != nil || got.Version != 9 || string(got.Config) != `{"lanes":[]}` {
		t.Fatalf("got %+v %v", got, err)
	}
	if err := s.Remove(CandidateFile); err != nil {
		t.Fatal(err)
	}
}

func keys(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestTrust(t *testing.T) {
	pub, priv := keys(t)
	_, other := keys(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tr, err := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, clock)
	if err != nil {
		t.Fatal(err)
	}
	const topic = "sitegate/v1/s1/gw-01/config/desired"
	body := []byte(`{"version":12345678901234567,"config":{"lanes":[{"id":"a"}]}}`)
	sign := func(k ed25519.PrivateKey, topic string, exp time.Time) []byte {
		b, err := Sign(k, topic, body, exp)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := sign(priv, topic, now.Add(time.Hour))
	tampered := []byte(strings.Replace(string(good), `"id":"a"`, `"id":"b"`, 1))
	cases := []struct {
		name    string
		topic   string
		payload []byte
		want    error
	}{
		{"good", topic, good, nil},
		{"unsigned", topic, body, ErrUnsigned},
		{"other key", topic, sign(other, topic, now.Add(time.Hour)), ErrUntrusted},
		{"tampered", topic, tampered, ErrBadSig},
		{"other topic", "sitegate/v1/s1/gw-02/config/desired", good, ErrBadSig},
		{"expired", topic, sign(priv, topic, now.Add(-time.Second)), ErrExpired},
		{"too far ahead", topic, sign(priv, topic, now.Add(MaxValidity+time.Hour)), ErrBadSig},
		{"not json", topic, []byte("nope"), ErrBadPayload},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tr.Verify(c.topic, c.payload)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// A signed message still parses as a desired config, with its large version intact; the
	// version of good (kept exact by the signature, which float64 would not) is above MaxVersion,
	// so it verifies but is refused as a version.
	highest, err := Sign(priv, topic, []byte(`{"version":9007199254740991,"config":{"lanes":[{"id":"a"}]}}`), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Verify(topic, highest); err != nil {
		t.Fatal(err)
	}
	d, err := ParseDesired(highest)
	if err != nil || d.Version != MaxVersion {
		t.Fatalf("signed desired: %+v %v", d, err)
	}
	if _, err := ParseDesired(good); err == nil || !strings.Contains(err.Error(), "version: 12345678901234567 is above") {
		t.Fatalf("signed desired above MaxVersion: %v", err)
	}
	// No keys: everything is accepted.
	open, _ := NewTrust(nil, clock)
	if _, err := open.Verify(topic, body); err != nil || open.Required() {
		t.Fatalf("open trust: %v", err)
	}
	if _, err := NewTrust([]string{"short"}, clock); err == nil {
		t.Fatal("bad key accepted")
	}
}

func FuzzVerify(f *testing.F) {
	pub, priv := keys(f)
	tr, _ := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, nil)
	good, _ := Sign(priv, "t", []byte(`{"id":"1"}`), time.Now().Add(time.Hour))
	f.Add(good)
	f.Add([]byte(`{"sig":{"key":"","ed25519":""}}`))
	f.Add([]byte(`{"sig":1,"expires_at":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := tr.Verify("t", b); err == nil && string(b) != string(good) {
			// Only re-encodings of the signed message may verify.
			if _, m, err := Canonical("t", b); err != nil || m[SigField] == nil {
				t.Fatalf("verified %q", b)
			}
		}
	})
}

func TestReplay(t *testing.T) {
	now := time.Unix(1000, 0)
	r := NewReplay(2)
	steps := []struct {
		id     string
		exp    time.Time
		at     time.Time
		replay bool
	}{
		{"a", now.Add(time.Minute), now, false},
		{"a", now.Add(time.Minute), now.Add(time.Second), true},
		{"b", now.Add(time.Second), now, false},
		{"c", now.Add(time.Minute), now, true},                       // full, nothing expired
		{"c", now.Add(time.Minute), now.Add(2 * time.Second), false}, // b expired and forgotten
		{"a", now.Add(2 * time.Minute), now.Add(2 * time.Minute), false},
	}
	for i, s := range steps {
		err := r.Check(s.id, s.exp, s.at)
		if got := errors.Is(err, ErrReplayed); got != s.replay {
			t.Fatalf("step %d (%s): replayed %v, want %v (%v)", i, s.id, got, s.replay, err)
		}
	}
}

// TestReplayPersists: a signed command run before a restart is refused after it, with the
// reason; expired ids are dropped from the file, and a full file is bounded.
func TestReplayPersists(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	pub, priv := keys(t)
	tr, _ := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, clock)
	st := Store{Dir: filepath.Join(t.TempDir(), "control")}
	ran := 0
	start := func() *Commands {
		t.Helper()
		r, err := OpenReplay(st, 3, now)
		if err != nil {
			t.Fatal(err)
		}
		c := &Commands{Now: clock, Verify: tr.Verify, Replay: r}
		c.Handle("restart", func(context.Context, Request) (any, error) { ran++; return nil, nil })
		return c
	}
	sign := func(id string, valid time.Duration) []byte {
		t.Helper()
		b, err := Sign(priv, "cmd/restart", fmt.Appendf(nil, `{"id":%q}`, id), now.Add(valid))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ctx := context.Background()
	first := sign("r1", time.Hour)
	if r := start().Execute(ctx, "restart", "cmd/restart", first); !r.OK {
		t.Fatalf("first: %+v", r)
	}
	r := start().Execute(ctx, "restart", "cmd/restart", first) // a restart, then the capture again
	if r.OK || !strings.Contains(r.Error, "replayed") || !strings.Contains(r.Error, `"restart/r1" was already run`) || ran != 1 {
		t.Fatalf("replay after restart: %+v, ran %d", r, ran)
	}
	// Once r1 has expired it is pruned from the file at the next signed command.
	now = now.Add(2 * time.Hour)
	c := start()
	for _, id := range []string{"r2", "r3", "r4"} {
		if r := c.Execute(ctx, "restart", "cmd/restart", sign(id, time.Hour)); !r.OK {
			t.Fatalf("%s: %+v", id, r)
		}
	}
	b, err := st.Load(ReplayFile)
	if err != nil || strings.Contains(string(b), "r1") || !strings.Contains(string(b), "r4") {
		t.Fatalf("replay file %s, %v", b, err)
	}
	// Bounded: a fourth live id is refused rather than one forgotten, across restarts too.
	if r := start().Execute(ctx, "restart", "cmd/restart", sign("r5", time.Hour)); r.OK || !strings.Contains(r.Error, "too many") {
		t.Fatalf("over the bound: %+v", r)
	}
	// A broken file is reported, and the cache still works.
	if err := st.Save(ReplayFile, []byte("{")); err != nil {
		t.Fatal(err)
	}
	rp, err := OpenReplay(st, 3, now)
	if err == nil || rp == nil || rp.Check("x", now.Add(time.Minute), now) != nil {
		t.Fatalf("broken file: %v", err)
	}
}

var requestCases = []struct {
	name    string
	payload string
	id      string
	err     string // substring; empty: valid
}{
	{"plain", `{"id":"r1","args":{}}`, "r1", ""},
	{"no args", `{"id":"r-2"}`, "r-2", ""},
	{"null args", `{"id":"r3","args":null}`, "r3", ""},
	{"expires", `{"id":"r4","expires_at":"2030-01-01T00:00:00Z"}`, "r4", ""},
	{"bad expires", `{"id":"r5","expires_at":"tomorrow"}`, "r5", "RFC 3339"},
	{"no id", `{"args":{}}`, "", "id must be"},
	{"bad id", `{"id":"a b"}`, "", "id must be"},
	{"numeric id", `{"id":7}`, "", "id must be"},
	{"args array", `{"id":"r6","args":[1]}`, "r6", "args must be an object"},
	{"unknown key", `{"id":"r7","what":1}`, "r7", "unknown key"},
	{"not json", `{`, "", "not a JSON object"},
}

func TestParseRequest(t *testing.T) {
	for _, c := range requestCases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(c.payload))
			if r.ID != c.id {
				t.Errorf("id %q, want %q", r.ID, c.id)
			}
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("err %v, want %q", err, c.err)
			}
		})
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, c := range requestCases {
		f.Add([]byte(c.payload))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err == nil && !idRe.MatchString(r.ID) {
			t.Fatalf("accepted id %q", r.ID)
		}
		c := &Commands{}
		c.Handle("ping", func(context.Context, Request) (any, error) { return "pong", nil })
		rep := c.Execute(context.Background(), "ping", "t", b)
		if rep.OK != (err == nil) {
			t.Fatalf("reply ok %v for parse error %v", rep.OK, err)
		}
	})
}

func TestCommands(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pub, priv := keys(t)
	tr, _ := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, func() time.Time { return now })
	replies := make(chan Reply, 8)
	c := &Commands{Now: func() time.Time { return now },
		Reply: func(name string, b []byte) {
			var r Reply
			if err := json.Unmarshal(b, &r); err != nil {
				t.Errorf("reply %s: %v", b, err)
			}
			replies <- r
		}}
	c.Handle("echo", func(_ context.Context, r Request) (any, error) {
		if err := r.Only("text"); err != nil {
			return nil, err
		}
		s, err := r.String("text", "")
		return map[string]string{"text": s}, err
	})
	cases := []struct {
		name, cmd, payload string
		verify             bool
		ok                 bool
		err                string
	}{
		{"ok", "echo", `{"id":"1","args":{"text":"hi"}}`, false, true, ""},
		{"unknown", "nope", `{"id":"2"}`, false, false, "unknown command"},
		{"bad arg type", "echo", `{"id":"3","args":{"text":5}}`, false, false, "bad arguments"},
		{"extra arg", "echo", `{"id":"4","args":{"x":1}}`, false, false, "unknown argument"},
		{"expired", "echo", `{"id":"5","expires_at":"2025-12-31T23:59:59Z"}`, false, false, "expired"},
		{"malformed", "echo", `{"id":`, false, false, "not a JSON object"},
		{"unsigned refused", "echo", `{"id":"6"}`, true, false, "signature required"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			c.Verify = nil
			if cs.verify {
				c.Verify = tr.Verify
			}
			r := c.Execute(context.Background(), cs.cmd, "cmd/"+cs.cmd, []byte(cs.payload))
			if r.OK != cs.ok || !strings.Contains(r.Error, cs.err) || r.Schema != ReplySchema {
				t.Fatalf("reply %+v", r)
			}
		})
	}
	// Signed requests run once; the same request again is a replay.
	c.Verify = tr.Verify
	signed, err := Sign(priv, "cmd/echo", []byte(`{"id":"s1","args":{"text":"x"}}`), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Execute(context.Background(), "echo", "cmd/echo", signed); !r.OK {
		t.Fatalf("signed: %+v", r)
	}
	if r := c.Execute(context.Background(), "echo", "cmd/echo", signed); r.OK || !strings.Contains(r.Error, "replayed") {
		t.Fatalf("replay: %+v", r)
	}
	// Through the queue: replies arrive from the worker.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	c.Verify = nil
	for i := range 3 {
		c.Deliver("echo", "cmd/echo", fmt.Appendf(nil, `{"id":"q%d","args":{"text":"x"}}`, i))
	}
	for i := range 3 {
		select {
		case r := <-replies:
			if !r.OK || r.ID != fmt.Sprintf("q%d", i) {
				t.Fatalf("queued reply %+v", r)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no reply from the worker")
		}
	}
}
