package cli_test

import (
	"bytes"
	"context"
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
