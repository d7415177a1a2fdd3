package cli_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitegate/agent/cli"
	"sitegate/agent/control"
	"sitegate/agent/lane"
	"sitegate/agent/wire"
	config "sitegate/firmware-config"
	"sitegate/testbench/broker"
)

const ctlSite, ctlGW = "e2e-site", "gw-07"

// ctl runs `sitegate ctl` against url and returns its exit code and output.
func ctl(t *testing.T, url string, args ...string) (int, string) {
	t.Helper()
	var out syncBuffer
	full := append([]string{"ctl", "--broker", url, "--site", ctlSite, "--gateway", ctlGW, "--timeout", "20s"}, args...)
	code := cli.Run(context.Background(), full, &out, &out)
	return code, out.String()
}

// withControl appends a control section to a site's config file.
func withControl(t *testing.T, s *site, section string) {
	t.Helper()
	f, err := os.OpenFile(s.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(section); err != nil {
		t.Fatal(err)
	}
}

// desiredFile writes a desired config: the site's own config with edit applied.
func desiredFile(t *testing.T, s *site, version int64, edit func(c *config.Config)) string {
	t.Helper()
	cfg, err := config.Load(s.config)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	rp, err := control.RemotePart(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"version": version, "config": rp})
	return writeTemp(t, b)
}

func writeTemp(t testing.TB, b []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "doc-*.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

func latestReport(t *testing.T, msgs <-chan broker.Msg, version int64) control.Reported {
	t.Helper()
	var rep control.Reported
	await(t, msgs, 20*time.Second, "config report", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/config/reported") && json.Unmarshal(m.Payload, &rep) == nil && rep.Version == version
	})
	return rep
}

func plateOnly(t *testing.T, s *site, msgs <-chan broker.Msg, text string) lane.Passage {
	t.Helper()
	pushPlate(t, s, text)
	var p lane.Passage
	await(t, msgs, 30*time.Second, "plate-only passage of "+text, func(m broker.Msg) bool {
		return isPassage(m) && json.Unmarshal(m.Payload, &p) == nil && p.Plate != nil && p.Plate.Text == text
	})
	return p
}

func TestControlPlaneMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	withControl(t, s, "control: {apply_timeout: 3s, allow_unsigned: true}\n")
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	// Everything that crosses the broker is checked against docs/asyncapi.yaml at the end.
	all := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	defer func() {
		if n := checkAll(t, all); n < 20 {
			t.Errorf("only %d payloads checked against the schemas", n)
		}
	}()
	runAgent(t, s)
	await(t, msgs, 20*time.Second, "online status", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/status") && bytes.Contains(m.Payload, []byte(`"state":"online"`))
	})

	// A good push: applied and reported, with the new settings running.
	good := desiredFile(t, s, 1, func(c *config.Config) {
		c.Lanes[0].PlateOnlyTimeout = config.Duration(time.Second)
		c.Rules.Overload.ToleranceKg = 100
	})
	if code, out := ctl(t, b.URL(), "config", "push", good); code != 0 || !strings.Contains(out, "version 1 applied") {
		t.Fatalf("good push: exit %d\n%s", code, out)
	}
	rep := latestReport(t, msgs, 1)
	if rep.Status != control.Applied || rep.RunningVersion != 1 || len(rep.Errors) != 0 {
		t.Fatalf("report %+v", rep)
	}

	// A bad push: rejected with every error's path; version 1 keeps running.
	bad := writeTemp(t, []byte(`{"version": 2, "config": {"mqtt": {"url": "tcp://evil:1883"},
		"lanes": [{"id": "exit-1", "scale": {"port": "/dev/ttyUSB0", "baud": 9601}}]}}`))
	code, out := ctl(t, b.URL(), "config", "push", bad)
	if code == 0 || !strings.Contains(out, "mqtt: is set only in the gateway's local file") {
		t.Fatalf("bad push: exit %d\n%s", code, out)
	}
	bad2 := desiredFile(t, s, 3, func(c *config.Config) { c.Lanes[0].Scale.Baud = 9601; c.Rules.Overload.ToleranceKg = -5 })
	code, out = ctl(t, b.URL(), "config", "push", bad2)
	if code == 0 || !strings.Contains(out, "lanes[0].scale.baud: 9601 is not a standard rate") || !strings.Contains(out, "rules.overload.tolerance_kg") {
		t.Fatalf("bad values: exit %d\n%s", code, out)
	}
	rep = latestReport(t, msgs, 3)
	if rep.Status != control.Rejected || rep.RunningVersion != 1 {
		t.Fatalf("rejected report %+v", rep)
	}

	// A push whose serial port does not exist: rolled back after apply_timeout.
	missing := desiredFile(t, s, 4, func(c *config.Config) {
		c.Lanes[0].PlateOnlyTimeout = config.Duration(time.Second)
		c.Lanes[0].Scale.Port = "/dev/ttyNOSUCH9"
	})
	code, out = ctl(t, b.URL(), "config", "push", missing)
	if code == 0 || !strings.Contains(out, "rolled back") || !strings.Contains(out, "ttyNOSUCH9") {
		t.Fatalf("missing port: exit %d\n%s", code, out)
	}
	rep = latestReport(t, msgs, 4)
	if rep.Status != control.RolledBack || rep.RunningVersion != 1 || rep.Reason == "" {
		t.Fatalf("rollback report %+v", rep)
	}

	// Replaying version 1 is ignored.
	if code, out := ctl(t, b.URL(), "config", "push", good); code == 0 || !strings.Contains(out, "ignored") {
		t.Fatalf("replay: exit %d\n%s", code, out)
	}
	if code, out := ctl(t, b.URL(), "config", "get"); code != 0 || !strings.Contains(out, `"running_version": 1`) {
		t.Fatalf("config get: exit %d\n%s", code, out)
	}

	// The rolled-back lane runs again (the config of version 1): a plate-only passage after 1 s.
	p := plateOnly(t, s, msgs, "苏A99999")
	if p.Checks.Registry.Verdict != "alarm" || p.Checks.Permit.Verdict != "unknown" {
		t.Fatalf("before the registry sync: %+v", p.Checks)
	}
	// A registry update changes the verdict, and its version shows in status.
	reg := writeTemp(t, []byte(`{"version": 9, "vehicles": [{"plate": "苏A99999", "axles": 2,
		"permit": {"valid_from": "2000-01-01", "valid_to": "2000-12-31"}}]}`))
	if code, out := ctl(t, b.URL(), "registry", "push", reg); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("registry push: exit %d\n%s", code, out)
	}
	await(t, msgs, 40*time.Second, "status with registry 9", func(m broker.Msg) bool {
		var st wire.Status
		return strings.HasSuffix(m.Topic, "/status") && json.Unmarshal(m.Payload, &st) == nil && st.Registry != nil && st.Registry.Version == 9
	})
	p = plateOnly(t, s, msgs, "苏A99999")
	if p.Checks.Registry.Verdict != "ok" || p.Checks.Permit.Verdict != "alarm" || !strings.Contains(strings.Join(p.Alarms, ","), "permit") {
		t.Fatalf("after the registry sync: %+v %v", p.Checks, p.Alarms)
	}

	// Commands.
	cmds := []struct {
		name string
		args []string
		ok   bool
		want string
	}{
		{"ping", nil, true, `"pong": true`},
		{"outbox", nil, true, `"depth"`},
		{"selftest", nil, true, `"kind": "scale"`},
		{"snapshot", []string{"--arg", "camera=wheels"}, true, `"name": "wheels.jpg"`},
		{"snapshot", []string{"--arg", "camera=nope"}, false, "no camera"},
		{"set_log_level", []string{"--arg", "level=warn"}, true, `"level": "WARN"`},
		{"set_log_level", []string{"--arg", "level=loud"}, false, "bad arguments"},
		{"ping", []string{"--arg", "x=1"}, false, "unknown argument"},
		{"reboot_now", nil, false, "unknown command"},
	}
	for _, c := range cmds {
		if !withCV && c.name == "snapshot" && c.ok {
			continue // a weighbridge-only site has no camera to snapshot
		}
		code, out := ctl(t, b.URL(), append([]string{"cmd", c.name}, c.args...)...)
		if (code == 0) != c.ok || !strings.Contains(out, c.want) {
			t.Errorf("cmd %s %v: exit %d\n%s", c.name, c.args, code, out)
		}
	}
	// Malformed and expired requests get ok:false with the reason.
	replies := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/gw-07/cmd/+/reply")
	for _, c := range []struct{ payload, want string }{
		{`{"id":`, "not a JSON object"},
		{`{"id":"old","expires_at":"2001-01-01T00:00:00Z"}`, "expired"},
	} {
		broker.Publish(t, b.URL(), "sitegate/v1/e2e-site/gw-07/cmd/ping", []byte(c.payload), false)
		var r control.Reply
		await(t, replies, 10*time.Second, "reply to "+c.payload, func(m broker.Msg) bool {
			return json.Unmarshal(m.Payload, &r) == nil && !r.OK && strings.Contains(r.Error, c.want)
		})
	}
}

func TestControlSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	dir := t.TempDir()
	var out syncBuffer
	prefix := filepath.Join(dir, "ops")
	if code := cli.Run(context.Background(), []string{"ctl", "keygen", "--out", prefix}, &out, &out); code != 0 {
		t.Fatalf("keygen: %s", out.String())
	}
	pub := strings.TrimSpace(strings.SplitN(out.String(), "\n", 2)[0])
	if k, err := base64.StdEncoding.DecodeString(pub); err != nil || len(k) != ed25519.PublicKeySize {
		t.Fatalf("keygen printed %q", pub)
	}
	if code := cli.Run(context.Background(), []string{"ctl", "keygen", "--out", filepath.Join(dir, "other")}, &out, &out); code != 0 {
		t.Fatal(out.String())
	}
	withControl(t, s, "control: {apply_timeout: 3s, trusted_keys: ["+pub+"]}\n")
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	await(t, msgs, 20*time.Second, "online status", func(m broker.Msg) bool { return strings.HasSuffix(m.Topic, "/status") })

	doc := desiredFile(t, s, 1, func(c *config.Config) { c.Rules.Overload.ToleranceKg = 50 })
	if code, out := ctl(t, b.URL(), "config", "push", doc); code == 0 || !strings.Contains(out, "sig: signature required") {
		t.Fatalf("unsigned: exit %d\n%s", code, out)
	}
	doc2 := desiredFile(t, s, 2, func(c *config.Config) { c.Rules.Overload.ToleranceKg = 50 })
	if code, out := ctl(t, b.URL(), "--key", filepath.Join(dir, "other.key"), "config", "push", doc2); code == 0 || !strings.Contains(out, "not trusted") {
		t.Fatalf("untrusted key: exit %d\n%s", code, out)
	}
	doc3 := desiredFile(t, s, 3, func(c *config.Config) { c.Rules.Overload.ToleranceKg = 50 })
	if code, out := ctl(t, b.URL(), "--key", prefix+".key", "config", "push", doc3); code != 0 {
		t.Fatalf("signed: exit %d\n%s", code, out)
	}
	if code, out := ctl(t, b.URL(), "cmd", "ping"); code == 0 || !strings.Contains(out, "signature required") {
		t.Fatalf("unsigned command: exit %d\n%s", code, out)
	}
	if code, out := ctl(t, b.URL(), "--key", prefix+".key", "cmd", "ping"); code != 0 {
		t.Fatalf("signed command: exit %d\n%s", code, out)
	}
	// A signed command sent twice runs once.
	var signed syncBuffer
	req := writeTemp(t, []byte(`{"id":"once","args":{}}`))
	topic := "sitegate/v1/e2e-site/gw-07/cmd/ping"
	if code := cli.Run(context.Background(), []string{"ctl", "--key", prefix + ".key", "sign", "--topic", topic, req}, &signed, &signed); code != 0 {
		t.Fatal(signed.String())
	}
	replies := broker.Subscribe(t, b.URL(), topic+"/reply")
	for i, want := range []bool{true, false} {
		broker.Publish(t, b.URL(), topic, bytes.TrimSpace([]byte(signed.String())), false)
		var r control.Reply
		await(t, replies, 10*time.Second, "reply", func(m broker.Msg) bool { return json.Unmarshal(m.Payload, &r) == nil && r.ID == "once" })
		if r.OK != want || (!want && !strings.Contains(r.Error, "replayed")) {
			t.Fatalf("send %d: %+v", i, r)
		}
	}
	// An unsigned registry is refused.
	reg := writeTemp(t, []byte(`{"version": 9, "vehicles": []}`))
	if code, out := ctl(t, b.URL(), "registry", "push", reg); code == 0 || !strings.Contains(out, "signature required") {
		t.Fatalf("unsigned registry: exit %d\n%s", code, out)
	}
}

func TestRestartCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMochi(t)
	s := newSite(t, b.URL())
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	done := make(chan int, 1)
	var logs syncBuffer
	go func() { done <- cli.Run(context.Background(), []string{"run", "--config", s.config}, &logs, &logs) }()
	await(t, msgs, 20*time.Second, "online status", func(m broker.Msg) bool { return strings.HasSuffix(m.Topic, "/status") })
	if code, out := ctl(t, b.URL(), "cmd", "restart"); code != 0 || !strings.Contains(out, `"restarting": true`) {
		t.Fatalf("restart: exit %d\n%s", code, out)
	}
	select {
	case code := <-done:
		if code != cli.ExitRuntime || !strings.Contains(logs.String(), "restart requested") {
			t.Fatalf("exit %d; log:\n%s", code, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not exit after restart")
	}
	await(t, msgs, 10*time.Second, "offline status", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/status") && bytes.Contains(m.Payload, []byte(`"offline"`))
	})
}

// TestBrokerACL runs the agent against mosquitto with the ACL file of docs/control-plane.md:
// the gateway works, and cannot publish outside its root nor read another gateway's commands.
func TestBrokerACL(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	// mosquitto drops to its own user: its files live in a folder it can read.
	dir, err := os.MkdirTemp("", "sitegate-acl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pwFile, aclFile := filepath.Join(dir, "passwd"), filepath.Join(dir, "acl")
	users := map[string]string{"ops": "ops-pw", "e2e-site/gw-07": "gw7-pw", "e2e-site/gw-08": "gw8-pw"}
	for u, pw := range users {
		args := []string{"-b", pwFile, u, pw}
		if _, err := os.Stat(pwFile); err != nil {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command("mosquitto_passwd", args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v %s", err, out)
		}
	}
	_ = os.Chmod(pwFile, 0o644)
	if err := os.WriteFile(aclFile, []byte(control.OperatorACL("ops")+control.ACL("e2e-site", "gw-07")+control.ACL("e2e-site", "gw-08")), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := broker.Mosquitto(context.Background(), broker.MosquittoOptions{Extra: []string{
		"password_file " + pwFile, "acl_file " + aclFile}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	url := func(user string) string {
		return (&neturl.URL{Scheme: "tcp", Host: p.Addr(), User: neturl.UserPassword(user, users[user])}).String()
	}

	s := newSite(t, p.URL())
	if err := os.WriteFile(filepath.Join(s.dir, "pw"), []byte(users["e2e-site/gw-07"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgText, _ := os.ReadFile(s.config)
	cfgText = bytes.Replace(cfgText, []byte("mqtt: {url: "), []byte(`mqtt: {username: "e2e-site/gw-07", password_file: pw, url: `), 1)
	if err := os.WriteFile(s.config, cfgText, 0o644); err != nil {
		t.Fatal(err)
	}
	ops := broker.Subscribe(t, url("ops"), "sitegate/#")
	runAgent(t, s)
	await(t, ops, 20*time.Second, "online status through the ACL", func(m broker.Msg) bool {
		return m.Topic == "sitegate/v1/e2e-site/gw-07/status"
	})
	var o syncBuffer
	code := cli.Run(context.Background(), []string{"ctl", "--broker", p.URL(), "--username", "ops", "--password-file", writeTemp(t, []byte("ops-pw")),
		"--site", ctlSite, "--gateway", ctlGW, "--timeout", "20s", "cmd", "ping"}, &o, &o)
	if code != 0 {
		t.Fatalf("ping through the ACL: %s", o.String())
	}
	// gw-08 cannot publish into gw-07's root or its desired config, nor read gw-07's commands.
	spy := broker.Subscribe(t, url("e2e-site/gw-08"), "sitegate/v1/e2e-site/gw-07/#")
	broker.Publish(t, url("e2e-site/gw-08"), "sitegate/v1/e2e-site/gw-07/passage", []byte(`{"forged":true}`), false)
	broker.Publish(t, url("e2e-site/gw-08"), "sitegate/v1/e2e-site/gw-07/config/desired", []byte(`{"forged":true}`), false)
	broker.Publish(t, url("e2e-site/gw-08"), "sitegate/v1/e2e-site/registry", []byte(`{"forged":true}`), false)
	broker.Publish(t, url("ops"), "sitegate/v1/e2e-site/gw-07/cmd/ping", []byte(`{"id":"acl"}`), false)
	await(t, ops, 10*time.Second, "ops' own command", func(m broker.Msg) bool { return strings.HasSuffix(m.Topic, "/cmd/ping/reply") })
	quiet := time.After(2 * time.Second)
	for done := false; !done; {
		select {
		case m := <-ops:
			if bytes.Contains(m.Payload, []byte("forged")) {
				t.Fatalf("a forged message got through: %s %s", m.Topic, m.Payload)
			}
		case m := <-spy:
			t.Fatalf("gw-08 read %s of gw-07", m.Topic)
		case <-quiet:
			done = true
		}
	}
}
