package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/agent/seal"
	"sitegate/agent/wire"
)

// TestVerifyFolderOfExports: a folder of exports is checked passage by passage and as a chain;
// a removed passage is a gap (exit 1), a changed file is invalid, bad usage is exit 2.
func TestVerifyFolderOfExports(t *testing.T) {
	s, err := seal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	img := []byte("a jpeg, as it were")
	for i := uint64(1); i <= 3; i++ {
		p := &wire.Passage{Schema: wire.PassageSchema, ID: fmt.Sprintf("p-%d", i), Seq: i, Site: "s", Gateway: "g",
			Evidence: []wire.EvidenceInfo{{Name: "wheels.jpg", Camera: "wheels", Bytes: len(img), SHA256: hexSum(img)}}}
		var body []byte
		if err := s.Store(func(seal func(*wire.Passage) ([]byte, error)) error {
			body, err = seal(p)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		exp := filepath.Join(dir, p.ID)
		_ = os.MkdirAll(exp, 0o750)
		_ = os.WriteFile(filepath.Join(exp, "passage.json"), body, 0o640)
		_ = os.WriteFile(filepath.Join(exp, "wheels.jpg"), img, 0o640)
	}
	if code, out := runCLI("verify", "--key", s.PublicKey(), dir); code != 0 || !strings.Contains(out, "3 passages linked, no gap") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
	one := filepath.Join(dir, "p-1", "passage.json")
	if code, out := runCLI("verify", one, filepath.Join(dir, "p-1", "wheels.jpg")); code != 0 {
		t.Errorf("verify one with its file: exit %d\n%s", code, out)
	}
	if err := os.RemoveAll(filepath.Join(dir, "p-2")); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI("verify", dir); code != 1 || !strings.Contains(out, "GAP") || !strings.Contains(out, "seq 2") {
		t.Errorf("verify with seq 2 removed: exit %d\n%s", code, out)
	}
	if code, out := runCLI("verify", "--key", "AAAA", one); code != 1 || !strings.Contains(out, "INVALID") {
		t.Errorf("verify with another key: exit %d\n%s", code, out)
	}
	if code, _ := runCLI("verify", filepath.Join(dir, "nothing.json")); code != 2 {
		t.Errorf("verify a missing file: exit %d, want 2", code)
	}
}
