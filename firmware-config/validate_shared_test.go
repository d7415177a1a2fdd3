package config

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSharedPortsAndListeners: two lanes on one serial port, or on listeners that bind the
// same port under different addresses (or the metrics port), are refused; two lanes naming the
// same plate.listen share it.
func TestSharedPortsAndListeners(t *testing.T) {
	base := "site: s\ngateway: gw-01\n"
	cases := []struct {
		name, yaml string
		paths      []string
	}{
		{"one listener shared on purpose", `lanes:
  - {id: a, scale: {port: /dev/ttyS0}, plate: {listen: "0.0.0.0:8088"}}
  - {id: b, scale: {port: /dev/ttyS1}, plate: {listen: "0.0.0.0:8088"}}
`, nil},
		{"ports 0 never clash", `lanes:
  - {id: a, scale: {port: /dev/ttyS0}, plate: {listen: "127.0.0.1:0"}}
  - {id: b, scale: {port: /dev/ttyS1}, plate: {listen: "0.0.0.0:0"}}
`, nil},
		{"one serial port", `lanes:
  - {id: a, scale: {port: /dev/ttyS0}}
  - {id: b, scale: {port: /dev/../dev/ttyS0}}
`, []string{"lanes[1].scale.port"}},
		{"one usb adapter", `lanes:
  - {id: a, scale: {port: "usb:1A86:7523:X1"}}
  - {id: b, scale: {port: "usb:1a86:7523:X1"}}
  - {id: c, scale: {port: "usb:1a86:7523:X2"}}
  - {id: d, scale: {port: "usb:1a86:7523"}}
`, []string{"lanes[1].scale.port", "lanes[3].scale.port"}},
		{"wildcard and host on one port", `lanes:
  - {id: a, scale: {port: /dev/ttyS0}, plate: {listen: "127.0.0.1:8088"}}
  - {id: b, scale: {port: /dev/ttyS1}, plate: {listen: ":8088"}}
  - {id: c, scale: {port: /dev/ttyS2}, plate: {listen: "localhost:8088"}}
`, []string{"lanes[1].plate.listen", "lanes[2].plate.listen"}},
		{"plate on the metrics port", `control: {metrics_listen: "127.0.0.1:9108"}
lanes:
  - {id: a, scale: {port: /dev/ttyS0}, plate: {listen: "127.0.0.1:9108"}}
  - {id: b, scale: {port: /dev/ttyS1}, plate: {listen: "0.0.0.0:9108"}}
`, []string{"lanes[0].plate.listen", "lanes[1].plate.listen"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(base+c.yaml), "/srv")
			var got []string
			if ps, ok := err.(Problems); ok {
				for _, p := range ps {
					got = append(got, p.Path)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.paths) {
				t.Errorf("problems at %v, want %v\n%v", got, c.paths, err)
			}
		})
	}
}

// TestLoadChecksFiles: Load reports files that are missing or are folders, and a store folder
// that is a file; Parse does not look at the file system.
func TestLoadChecksFiles(t *testing.T) {
	dir := t.TempDir()
	text := minimal + "registry: {file: .}\nstore: {dir: site.yaml}\nmqtt: {password_file: none.pass, username: u}\n"
	path := dir + "/site.yaml"
	if err := writeFile(path, text); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	for _, w := range []string{"registry.file: " + dir + " is a folder", "store.dir: " + path + " is not a folder", "mqtt.password_file: " + dir + "/none.pass does not exist"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("no %q in %v", w, err)
		}
	}
	if _, err := Parse([]byte(text), dir); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }
