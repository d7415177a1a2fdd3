package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitegate/agent/cli"
	"sitegate/agent/control"
	"sitegate/agent/wire"
	"sitegate/testbench/broker"
)

func runCLI(args ...string) (int, string) {
	var out syncBuffer
	code := cli.Run(context.Background(), args, &out, &out)
	return code, out.String()
}

// TestEvidenceArchiveEndToEnd: after delivery through mosquitto, `archive find --plate` lists
// the passage, `archive export` writes its JSON and files byte for byte as published, `verify`
// accepts the export and refuses it once one byte of an image changed, the status names the
// key `version --key` prints, and cmd/evidence sends the archived files in chunks that put
// together have the published sha256.
func TestEvidenceArchiveEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	all := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	status := await(t, msgs, 20*time.Second, "online status", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/status") && bytes.Contains(m.Payload, []byte(`"state":"online"`))
	})
	p, seen := truckCrossing(t, s, msgs)
	var published []byte
	images := map[string][]byte{}
	for _, m := range seen {
		if isPassage(m) {
			published = m.Payload
		}
		if i := strings.Index(m.Topic, "/evidence/"+p.ID+"/"); i >= 0 {
			images[m.Topic[i+len("/evidence/"+p.ID+"/"):]] = m.Payload
		}
	}
	if p.Signature == nil || p.Signature.Alg != "ed25519" {
		t.Fatalf("passage not signed: %s", published)
	}
	var st wire.Status
	_ = json.Unmarshal(status.Payload, &st)
	code, key := runCLI("version", "--key", "--config", s.config)
	if key = strings.TrimSpace(key); code != 0 || key != p.Signature.Key || st.PublicKey != key {
		t.Errorf("version --key: exit %d %q; status %q; passage signed by %q", code, key, st.PublicKey, p.Signature.Key)
	}
	// Every published file once: no two with the same bytes.
	sums := map[string]string{}
	for name, img := range images {
		sum := sha256.Sum256(img)
		h := hex.EncodeToString(sum[:])
		if other, dup := sums[h]; dup {
			t.Errorf("%s and %s were both published with the same bytes", name, other)
		}
		sums[h] = name
	}

	// The archive has it once the outbox has; find polls a little.
	deadline := time.Now().Add(10 * time.Second)
	var out string
	for {
		code, out = runCLI("archive", "find", "--config", s.config, "--plate", "浙F12345", "--json")
		if code == 0 && strings.Contains(out, p.ID) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 0 || !strings.Contains(out, p.ID) || !strings.Contains(out, `"count": 1`) {
		t.Fatalf("archive find: exit %d\n%s", code, out)
	}
	if code, out := runCLI("archive", "find", "--config", s.config, "--plate", "苏A99999"); code != 0 || !strings.Contains(out, "0 passages") {
		t.Errorf("archive find another plate: exit %d\n%s", code, out)
	}
	if code, out := runCLI("archive", "find", "--config", s.config, "--alarm", "overload", "--since", "2000-01-01"); code != 0 || !strings.Contains(out, p.ID) {
		t.Errorf("archive find --alarm: exit %d\n%s", code, out)
	}
	exp := filepath.Join(t.TempDir(), "export")
	if code, out := runCLI("archive", "export", "--config", s.config, "--id", p.ID, "--out", exp); code != 0 {
		t.Fatalf("archive export: exit %d\n%s", code, out)
	}
	if got, _ := os.ReadFile(filepath.Join(exp, "passage.json")); !bytes.Equal(got, published) {
		t.Errorf("exported passage.json is not the published passage:\n%s\n%s", got, published)
	}
	for _, e := range p.Evidence {
		got, err := os.ReadFile(filepath.Join(exp, e.Name))
		sum := sha256.Sum256(got)
		if err != nil || hex.EncodeToString(sum[:]) != e.SHA256 || !bytes.Equal(got, images[e.Name]) {
			t.Errorf("exported %s: %v, sha256 %x, published %s", e.Name, err, sum, e.SHA256)
		}
	}
	if _, err := os.Stat(filepath.Join(exp, "manifest.json")); err != nil {
		t.Error(err)
	}
	if code, out := runCLI("verify", "--key", key, exp); code != 0 {
		t.Errorf("verify the export: exit %d\n%s", code, out)
	}
	if len(p.Evidence) > 0 {
		f := filepath.Join(exp, p.Evidence[0].Name)
		img, _ := os.ReadFile(f)
		img[len(img)/2] ^= 0x01
		if err := os.WriteFile(f, img, 0o640); err != nil {
			t.Fatal(err)
		}
		if code, out := runCLI("verify", exp); code != 1 || !strings.Contains(out, "INVALID") {
			t.Errorf("verify a changed image: exit %d\n%s", code, out)
		}
	}
	if code, _ := runCLI("verify"); code != 2 {
		t.Errorf("verify without arguments: exit %d, want 2", code)
	}

	// cmd/evidence: the passage's files again, in chunks, through the outbox.
	broker.Publish(t, b.URL(), "sitegate/v1/e2e-site/gw-07/cmd/evidence",
		[]byte(`{"id":"fetch-1","args":{"id":"`+p.ID+`","chunk_bytes":16384}}`), false)
	// The chunks may come before the reply: both are taken as they come.
	var reply control.Reply
	want := map[string]string{"passage.json": hexSum(published)}
	for _, e := range p.Evidence {
		want[e.Name] = e.SHA256
	}
	files := map[string][]byte{}
	complete := 0
	await(t, msgs, 30*time.Second, "the reply and every chunk", func(m broker.Msg) bool {
		if strings.HasSuffix(m.Topic, "/cmd/evidence/reply") {
			if json.Unmarshal(m.Payload, &reply) != nil || !reply.OK || reply.ID != "fetch-1" {
				t.Fatalf("cmd/evidence: %s", m.Payload)
			}
			return complete == len(want)
		}
		if !strings.Contains(m.Topic, "/evidence_chunk/"+p.ID+"/") {
			return false
		}
		var c wire.EvidenceChunk
		if err := json.Unmarshal(m.Payload, &c); err != nil || c.Schema != wire.EvidenceChunkSchema || c.Request != "fetch-1" || len(c.Data) > 16384 {
			t.Errorf("chunk %s: %v %+v", m.Topic, err, c)
			return false
		}
		if int64(len(files[c.Name])) == c.Offset { // QoS 1: a resend repeats an offset
			files[c.Name] = append(files[c.Name], c.Data...)
		}
		if c.Index == c.Total-1 {
			if hexSum(files[c.Name]) != want[c.Name] || c.SHA256 != want[c.Name] {
				t.Errorf("%s put together: sha256 %s, want %s", c.Name, hexSum(files[c.Name]), want[c.Name])
			}
			complete++
		}
		return complete == len(want) && reply.OK
	})
	// Every message, signed passages and chunks among them, matches docs/asyncapi.yaml.
	if n := checkAll(t, all); n < 4 {
		t.Errorf("only %d messages checked against the schema", n)
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
