package control

import (
	"encoding/json"
	"strings"
	"testing"

	config "sitegate/firmware-config"
	_ "sitegate/models/mud" // the mud scorers cameras name
)

const secretLocal = `site: s1
gateway: gw-01
store: {dir: data}
lanes:
  - id: exit-1
    scale: {port: /dev/ttyUSB0}
    cameras:
      - id: wheels
        url: "rtsp://192.168.1.64:554/Streaming/Channels/101?password=s3cret"
        username: admin
`

// TestRemotePartRedacts: the remotely settable part a gateway reports never carries a secret of
// a local camera URL (a password in its query, as some cameras take it).
func TestRemotePartRedacts(t *testing.T) {
	cfg, err := config.Parse([]byte(secretLocal), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rp, err := RemotePart(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rp), "s3cret") || !strings.Contains(string(rp), "192.168.1.64") {
		t.Fatalf("remote part %s", rp)
	}
	if !strings.Contains(cfg.Lanes[0].Cameras[0].URL, "s3cret") {
		t.Fatal("RemotePart changed the running config")
	}
	if !strings.Contains(string(rp), `"username":"admin"`) {
		t.Errorf("remote part %s lacks the camera's username", rp)
	}
}

// TestCandidateRefusesRemoteCredentials: a desired config cannot put credentials in a camera
// URL (they would travel the broker, sit in applied.json and come back in every report).
func TestCandidateRefusesRemoteCredentials(t *testing.T) {
	cfg, err := config.Parse([]byte(secretLocal), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	remote := json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0"},"cameras":[{"id":"wheels","url":"rtsp://admin:0ther@192.168.1.64:554/x"}]}]}`)
	_, err = Candidate(cfg, remote)
	ps, ok := err.(config.Problems)
	if !ok || len(ps) != 1 || ps[0].Path != "lanes[0].cameras[0].url" || !strings.Contains(ps[0].Msg, "must not carry credentials") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(ps.Error(), "0ther") {
		t.Fatalf("the secret is in the problems: %v", ps)
	}
}
