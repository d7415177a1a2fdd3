package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/agent/cli"
)

// validate runs `sitegate config validate` on text written as a config file in dir.
func validate(t *testing.T, dir, text string) (int, string) {
	t.Helper()
	path := filepath.Join(dir, "sitegate.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code := cli.Run(context.Background(), []string{"config", "validate", path}, &out, &out)
	return code, out.String()
}

// TestValidateRedacts: `config validate` refuses a broker URL with credentials, says where
// they go, and prints the secret neither in its problems nor in the summary of a valid file.
func TestValidateRedacts(t *testing.T) {
	dir := t.TempDir()
	code, out := validate(t, dir, `site: s
gateway: gw-01
mqtt: {url: "tcp://ops:s3cret@broker.example:1883"}
lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]
`)
	if code != cli.ExitUsage || !strings.Contains(out, "mqtt.url: ") || !strings.Contains(out, "mqtt.password_file") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "s3cret") {
		t.Fatalf("the secret is printed:\n%s", out)
	}
	code, out = validate(t, dir, `site: s
gateway: gw-01
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
    plate: {cameras: [{id: front, mode: pull, vendor: hikvision, url: "ftp://admin:s3cret@cam"}]}
`)
	if code != cli.ExitUsage || strings.Contains(out, "s3cret") {
		t.Fatalf("plate camera: exit %d:\n%s", code, out)
	}
}

// TestValidateOnePass: a file with 50 problems of every kind (unknown keys, values that do
// not decode, bad values, missing files, a store folder that cannot be created, lanes on one
// serial port, a plate listener on the metrics port) prints all 50 at once.
func TestValidateOnePass(t *testing.T) {
	var b strings.Builder
	b.WriteString(`site: Bad Site
gateway: gw-01
sitee: x
mqtt:
  url: tcp://127.0.0.1:1883
  username: u
  password_file: nope.pass
  tls: {ca_file: ca.pem}
  keep_alive: 1s
store: {dir: missing/data, max_bytes: 1MiB}
registry: {file: reg.json}
log: {level: loud}
status: {interval: 0s}
control: {metrics_listen: "127.0.0.1:9108", apply_timeout: 0s}
lanes:
  - id: lane-0
    plate_window: soon
    scale: {port: /dev/ttyS0, baud: 9601, on_dek_kg: 1}
    plate: {listen: "127.0.0.1:9108", cameras: [{id: front, username: u, password_file: front.pass}]}
`)
	want := []string{"site:", "sitee: unknown key", "mqtt.password_file:", "mqtt.tls.ca_file:", "mqtt.tls:", "mqtt.keep_alive:",
		"store.dir:", "store.max_bytes:", "registry.file:", "log.level:", "status.interval:", "control.apply_timeout:",
		"lanes[0].plate_window:", "lanes[0].scale.baud:", "lanes[0].scale.on_dek_kg: unknown key", "lanes[0].plate.listen:",
		"lanes[0].plate.cameras[0].password_file:"}
	for i := 1; i <= 11; i++ {
		fmt.Fprintf(&b, "  - {id: lane-%d, scale: {port: /dev/ttyS0, baud: 9601, on_dek_kg: 1}}\n", i)
		p := fmt.Sprintf("lanes[%d].scale.", i)
		want = append(want, p+"baud:", p+"on_dek_kg: unknown key", p+"port: \"/dev/ttyS0\" is also the port of lane lane-0")
	}
	code, out := validate(t, t.TempDir(), b.String())
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != cli.ExitUsage || len(lines) != 50 || len(want) != 50 {
		t.Fatalf("exit %d, %d lines (want %d):\n%s", code, len(lines), len(want), out)
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no line starts with %q", w)
		}
	}
}
