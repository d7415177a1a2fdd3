// Package layout holds the test of the house rules the package docs state (shared STYLE): data
// flows one way, so drivers import neither models, agent, firmware-config nor testbench; models
// import neither agent nor testbench; agent/wire imports no other agent package; nothing but the
// CLI and the demo imports agent/gateway.
package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rule forbids packages under from to import packages under any of to. Packages under
// exceptFrom are not bound by it, and imports of packages under allowTo are allowed.
type rule struct {
	from       string
	to         []string
	exceptFrom []string
	allowTo    []string
	why        string
}

var rules = []rule{
	{"drivers", []string{"models", "agent", "firmware-config", "testbench"}, nil, nil, "drivers turn bytes into readings and know nothing above them"},
	{"models", []string{"agent"}, nil, nil, "models judge readings and know nothing of orchestration"},
	// The training programs draw their frames with the scene generators; the models they fit don't.
	{"models", []string{"testbench"}, []string{"models/mud/train", "models/cover/train"}, nil, "models know nothing of the emulated world"},
	{"agent/wire", []string{"agent"}, nil, []string{"agent/wire"}, "the wire contract is a leaf every agent package imports"},
	{"agent/checks", []string{"agent"}, nil, []string{"agent/checks", "agent/wire"}, "checks are judged from facts; they know no lane or gateway"},
	{"agent", []string{"agent/gateway"}, []string{"agent/gateway", "agent/cli"}, nil, "only the CLI wires a whole gateway"},
	{"firmware-config", []string{"agent", "testbench"}, nil, nil, "what a gateway is told knows nothing of how it runs"},
}

// imports maps each package directory (relative to the module root) to what its non-test files
// import from the module, with the file that imports it.
func imports(t *testing.T, root string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if dep, ok := strings.CutPrefix(p, "sitegate/"); ok {
				if out[rel] == nil {
					out[rel] = map[string]string{}
				}
				out[rel][dep] = filepath.Base(path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func under(pkg, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

func broken(pkg, dep string, r rule) bool {
	if !under(pkg, r.from) {
		return false
	}
	for _, e := range r.exceptFrom {
		if under(pkg, e) {
			return false
		}
	}
	for _, a := range r.allowTo {
		if under(dep, a) {
			return false
		}
	}
	for _, to := range r.to {
		if under(dep, to) {
			return true
		}
	}
	return false
}

func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	pkgs := imports(t, root)
	if len(pkgs["agent/gateway"]) == 0 || len(pkgs["drivers/indicator/yaohua"]) == 0 {
		t.Fatalf("the walk found too little (%d packages): the test would prove nothing", len(pkgs))
	}
	for pkg, deps := range pkgs {
		for dep, file := range deps {
			for _, r := range rules {
				if broken(pkg, dep, r) {
					t.Errorf("%s/%s imports sitegate/%s: %s", pkg, file, dep, r.why)
				}
			}
		}
	}
}

// TestRulesCatchABreak: each rule flags the import it exists to forbid, so a rule that can
// never fail is caught here.
func TestRulesCatchABreak(t *testing.T) {
	cases := []struct {
		pkg, dep string
		want     bool
	}{
		{"drivers/plate", "models/registry", true},
		{"drivers/indicator/yaohua", "agent/outbox", true},
		{"drivers/camera", "testbench/pty", true},
		{"drivers/plate/generic", "drivers/plate", false},
		{"models/mud", "agent/checks", true},
		{"models/mud", "drivers/camera", false},
		{"models/mud", "testbench/scene", true},
		{"models/mud/train/classic", "testbench/scene", false},
		{"models/cover", "testbench/coverscene", true},
		{"models/cover/train", "testbench/coversim", false},
		{"agent/wire", "agent/lane", true},
		{"agent/wire", "models/overload", false},
		{"agent/checks/mud", "agent/lane", true},
		{"agent/checks/mud", "agent/checks", false},
		{"agent/lane", "agent/gateway", true},
		{"agent/cli", "agent/gateway", false},
		{"firmware-config", "agent/wire", true},
	}
	for _, c := range cases {
		got := false
		for _, r := range rules {
			got = got || broken(c.pkg, c.dep, r)
		}
		if got != c.want {
			t.Errorf("%s importing %s: broken=%v, want %v", c.pkg, c.dep, got, c.want)
		}
	}
}
