package control

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	_ "sitegate/drivers/plate/all" // the plate vendors plate cameras name
	config "sitegate/firmware-config"
)

// TestCandidateOnePass: a desired config's unknown keys and bad values are reported together,
// and the files its lanes name (plate cameras' password files) must exist on the gateway,
// relative to the local config's folder.
func TestCandidateOnePass(t *testing.T) {
	loc := local(t)
	paths := func(err error) []string {
		ps, _ := err.(config.Problems)
		var out []string
		for _, p := range ps {
			out = append(out, p.Path)
		}
		slices.Sort(out)
		return out
	}
	_, err := Candidate(loc, json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/x","bauds":1,"baud":9601}}],"rules":{"overload":{"tolerance_kg":-1}}}`))
	if got := paths(err); !slices.Equal(got, []string{"lanes[0].scale.baud", "lanes[0].scale.bauds", "rules.overload.tolerance_kg"}) {
		t.Errorf("got %v", err)
	}
	withPass := json.RawMessage(`{"lanes":[{"id":"exit-1","scale":{"port":"/dev/x"},"plate":{"cameras":[{"id":"front","username":"u","password_file":"front.pass"}]}}]}`)
	if _, err := Candidate(loc, withPass); !slices.Equal(paths(err), []string{"lanes[0].plate.cameras[0].password_file"}) {
		t.Errorf("missing password file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(loc.Dir, "front.pass"), []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Candidate(loc, withPass); err != nil || c.Lanes[0].Plate.Cameras[0].PasswordFile != filepath.Join(loc.Dir, "front.pass") {
		t.Errorf("password file next to the local config: %v", err)
	}
}

// TestDesiredProblemsOnePass: keys a desired config may not set and the problems of the rest
// of it come in one report.
func TestDesiredProblemsOnePass(t *testing.T) {
	payload := []byte(`{"version":2,"config":{"mqtt":{"url":"tcp://evil:1883"},"lanes":[{"id":"exit-1","scale":{"port":"/dev/ttyUSB0","baud":9601}}]}}`)
	_, err := ParseDesired(payload)
	if err == nil {
		t.Fatal("accepted")
	}
	var got []string
	for _, p := range DesiredProblems(local(t), payload, err) {
		got = append(got, p.Path)
	}
	if !slices.Equal(got, []string{"mqtt", "lanes[0].scale.baud"}) {
		t.Errorf("got %v", got)
	}
}
