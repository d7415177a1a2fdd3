package control

import (
	"encoding/json"
	"testing"

	config "sitegate/firmware-config"
)

// TestCandidateListenAllowList: a desired config moves a plate listener only to hosts the
// local file permits: those of control.remote_listen, or else those the local file's lanes
// use, and loopback.
func TestCandidateListenAllowList(t *testing.T) {
	lane := func(listen string) json.RawMessage {
		return json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"},"plate":{"listen":"` + listen + `"}}]}`)
	}
	parse := func(text string) *config.Config {
		cfg, err := config.Parse([]byte(text), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	const head = "site: s1\ngateway: gw-01\nstore: {dir: data}\n"
	byLanes := parse(head + "lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}, {id: exit-2, scale: {port: /dev/ttyUSB1}, plate: {listen: \"192.168.1.10:8090\"}}]\n")
	listed := parse(head + "lanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]\ncontrol: {remote_listen: [\"10.0.0.2\"]}\n")
	cases := []struct {
		name   string
		local  *config.Config
		listen string
		ok     bool
	}{
		{"same host, other port", byLanes, "127.0.0.1:9000", true},
		{"another host of the local file", byLanes, "192.168.1.10:8088", true},
		{"every interface", byLanes, "0.0.0.0:8088", false},
		{"every interface, empty host", byLanes, ":8088", false},
		{"a host the local file does not use", byLanes, "10.0.0.2:8088", false},
		{"listed", listed, "10.0.0.2:8088", true},
		{"loopback always", listed, "[::1]:8088", true},
		{"not listed", listed, "0.0.0.0:8088", false},
		{"off", byLanes, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Candidate(c.local, lane(c.listen))
			if c.ok && err != nil {
				t.Fatal(err)
			}
			if !c.ok {
				ps, _ := err.(config.Problems)
				if len(ps) != 1 || ps[0].Path != "lanes[0].plate.listen" {
					t.Fatalf("got %v", err)
				}
			}
		})
	}
}
