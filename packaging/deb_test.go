package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// needTools skips where packages cannot be built or installed (not root, no dpkg).
func needTools(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("installing into a scratch root with dpkg --root needs root")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "readelf", "useradd", "systemctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

var binDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "sitegate-packaging-")
	if err != nil {
		panic(err)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

var buildOnce sync.Once

// buildNoCV builds the static weighbridge-only agent for this machine, once for all tests.
func buildNoCV(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "sitegate")
	buildOnce.Do(func() {
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "sitegate/agent/cmd/sitegate")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-tags=nocv")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(bin)
			t.Errorf("go build: %v\n%s", err, out)
		}
	})
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no agent binary to package: %v", err)
	}
	return bin
}

func buildDeb(t *testing.T, bin, version, out string) string {
	t.Helper()
	return strings.TrimSpace(run(t, nil, "./build-deb.sh", "-a", runtime.GOARCH, "-f", "nocv", "-b", bin, "-v", version, "-o", out))
}

func TestBuildDebRefuses(t *testing.T) {
	needTools(t)
	bin := buildNoCV(t)
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "usage"},
		{"32-bit ARM", []string{"-a", "armhf", "-f", "nocv", "-b", bin, "-v", "1", "-o", t.TempDir()}, "not supported"},
		{"binary for another arch", []string{"-a", other, "-f", "nocv", "-b", bin, "-v", "1", "-o", t.TempDir()}, "not " + other},
		{"unknown flavor", []string{"-a", runtime.GOARCH, "-f", "gpu", "-b", bin, "-v", "1", "-o", t.TempDir()}, "not cv or nocv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command("./build-deb.sh", c.args...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), c.want) {
				t.Fatalf("err = %v, output %q; want a failure saying %q", err, out, c.want)
			}
		})
	}
}

func TestScriptsParse(t *testing.T) {
	for _, s := range []string{"debian/postinst", "debian/prerm", "debian/postrm", "build-deb.sh", "../cross/arm64-sysroot.sh", "../cross/qemu-arm64"} {
		t.Run(s, func(t *testing.T) {
			if out, err := exec.Command("sh", "-n", s).CombinedOutput(); err != nil {
				t.Fatalf("sh -n %s: %v\n%s", s, err, out)
			}
			fi, err := os.Stat(s)
			if err != nil || fi.Mode()&0o111 == 0 {
				t.Fatalf("%s is not executable (%v)", s, err)
			}
		})
	}
}

// scratchRoot is an empty system for dpkg --root: a dpkg database, the accounts a Debian base
// has (with the dialout and video groups) and the host's systemd units, for systemctl --root and
// systemd-analyze verify --root. Packages are for the test binary's architecture, which under
// emulation is not the host dpkg's, hence --force-architecture.
func scratchRoot(t *testing.T) string {
	t.Helper()
	r := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc/systemd/system", "lib/systemd", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"var/lib/dpkg/status":    "",
		"var/lib/dpkg/available": "",
		"etc/passwd":             "root:x:0:0:root:/root:/bin/sh\n",
		"etc/shadow":             "root:*:19000:0:99999:7:::\n",
		"etc/group":              "root:x:0:\ndialout:x:20:\nvideo:x:44:\n",
		"etc/gshadow":            "root:*::\ndialout:*::\nvideo:*::\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(r, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, nil, "cp", "-a", "/lib/systemd/system", filepath.Join(r, "lib/systemd/"))
	return r
}

func dpkgRoot(t *testing.T, root string, args ...string) string {
	t.Helper()
	return run(t, nil, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-depends", "--force-architecture", "--force-confold", "--no-triggers"}, args...)...)
}

func field(line, sep string, i int) string {
	f := strings.Split(line, sep)
	if i < len(f) {
		return f[i]
	}
	return ""
}

// account returns the line for name in root's etc/FILE.
func account(t *testing.T, root, file, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if field(l, ":", 0) == name {
			return l
		}
	}
	return ""
}

func TestPackageContents(t *testing.T) {
	needTools(t)
	deb := buildDeb(t, buildNoCV(t), "1.0", t.TempDir())
	if want := "sitegate-nocv_1.0_" + runtime.GOARCH + ".deb"; filepath.Base(deb) != want {
		t.Errorf("package file %s, want %s", filepath.Base(deb), want)
	}
	contents := run(t, nil, "dpkg-deb", "-c", deb)
	for _, want := range []string{
		"-rwxr-xr-x root/root", "./usr/bin/sitegate",
		"-rw-r--r-- root/root", "./lib/systemd/system/sitegate.service",
		"./etc/sitegate/sitegate.yaml",
	} {
		if !strings.Contains(contents, want) {
			t.Errorf("dpkg-deb -c lacks %q:\n%s", want, contents)
		}
	}
	if strings.Contains(contents, "./var/lib/sitegate") {
		t.Errorf("the package ships /var/lib/sitegate: an upgrade could replace the outbox\n%s", contents)
	}
	info := run(t, nil, "dpkg-deb", "-I", deb)
	for _, want := range []string{"Package: sitegate-nocv", "Version: 1.0", "Architecture: " + runtime.GOARCH,
		"Conflicts: sitegate", "Depends: passwd\n", "conffiles", "postinst", "prerm", "postrm"} {
		if !strings.Contains(info, want) {
			t.Errorf("dpkg-deb -I lacks %q:\n%s", want, info)
		}
	}
	if got := run(t, nil, "dpkg-deb", "-f", deb, "Depends"); strings.Contains(got, "libopencv") {
		t.Errorf("the nocv package depends on OpenCV: %s", got)
	}
	x := t.TempDir()
	run(t, nil, "dpkg-deb", "-e", deb, x)
	if b, _ := os.ReadFile(filepath.Join(x, "conffiles")); string(b) != "/etc/sitegate/sitegate.yaml\n" {
		t.Errorf("conffiles = %q", b)
	}
	run(t, nil, "dpkg-deb", "-x", deb, x)
	conf := filepath.Join(x, "etc/sitegate/sitegate.yaml")
	run(t, nil, "sh", "-c", exe(filepath.Join(x, "usr/bin/sitegate"))+` config validate "$0"`, conf)
	// The outbox must be where the hardened unit lets the agent write.
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "\n  dir: /var/lib/sitegate") {
		t.Errorf("the packaged config keeps its outbox elsewhere than /var/lib/sitegate:\n%s", b)
	}
}

// exe is how to run a binary built for the test's architecture: directly, or through the
// emulator $SITEGATE_TEST_EXEC names (`make test-arm64`).
func exe(bin string) string {
	if w := os.Getenv("SITEGATE_TEST_EXEC"); w != "" {
		return w + " " + bin
	}
	return bin
}

// TestInstallUpgradeRemovePurge installs the package into a scratch root with dpkg, as a
// gateway image build would, and follows it through an upgrade, a removal and a purge.
func TestInstallUpgradeRemovePurge(t *testing.T) {
	needTools(t)
	bin := buildNoCV(t)
	out := t.TempDir()
	v1, v2 := buildDeb(t, bin, "1.0", out), buildDeb(t, bin, "1.1", out)
	root := scratchRoot(t)

	dpkgRoot(t, root, "-i", v1)
	pw := account(t, root, "passwd", "sitegate")
	if pw == "" || field(pw, ":", 5) != "/var/lib/sitegate" || field(pw, ":", 6) != "/usr/sbin/nologin" {
		t.Fatalf("user sitegate: %q", pw)
	}
	for _, g := range []string{"dialout", "video"} {
		if members := field(account(t, root, "group", g), ":", 3); !strings.Contains(","+members+",", ",sitegate,") {
			t.Errorf("group %s members %q, want sitegate", g, members)
		}
	}
	uid, gid := field(pw, ":", 2), field(pw, ":", 3)
	stat := func(p string) string {
		return strings.TrimSpace(run(t, nil, "stat", "-c", "%a %u:%g", filepath.Join(root, p)))
	}
	checks := map[string]string{
		"var/lib/sitegate":                    "750 " + uid + ":" + gid,
		"etc/sitegate":                        "750 0:" + gid,
		"etc/sitegate/sitegate.yaml":          "640 0:" + gid,
		"usr/bin/sitegate":                    "755 0:0",
		"lib/systemd/system/sitegate.service": "644 0:0",
	}
	for p, want := range checks {
		if got := stat(p); got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants/sitegate.service")
	if _, err := os.Lstat(wants); err != nil {
		t.Errorf("the unit is not enabled: %v", err)
	}
	// The unit as installed, binary included, passes systemd's own checks.
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		if v := run(t, nil, "systemd-analyze", "verify", "--root="+root, "sitegate.service"); strings.TrimSpace(v) != "" {
			t.Errorf("systemd-analyze verify: %s", v)
		}
	}

	// The operator configures the gateway; the agent has passages waiting in its outbox.
	conf := filepath.Join(root, "etc/sitegate/sitegate.yaml")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "site: demo-site", "site: exit-north", 1)
	if err := os.WriteFile(conf, []byte(edited), 0o640); err != nil {
		t.Fatal(err)
	}
	waiting := filepath.Join(root, "var/lib/sitegate/outbox/000001.vlog")
	if err := os.MkdirAll(filepath.Dir(waiting), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(waiting, []byte("passages not yet acknowledged"), 0o640); err != nil {
		t.Fatal(err)
	}

	dpkgRoot(t, root, "-i", v2)
	if st := run(t, nil, "dpkg", "--root="+root, "-s", "sitegate-nocv"); !strings.Contains(st, "Version: 1.1") || !strings.Contains(st, "Status: install ok installed") {
		t.Errorf("after upgrade: %s", st)
	}
	if b, _ := os.ReadFile(conf); string(b) != edited {
		t.Error("the upgrade replaced the operator's config")
	}
	if b, _ := os.ReadFile(waiting); string(b) != "passages not yet acknowledged" {
		t.Error("the upgrade lost the outbox")
	}
	if n := strings.Count(run(t, nil, "cat", filepath.Join(root, "etc/passwd")), "\nsitegate:"); n != 1 {
		t.Errorf("%d sitegate users after upgrade", n)
	}

	dpkgRoot(t, root, "-r", "sitegate-nocv")
	for _, gone := range []string{"usr/bin/sitegate", "lib/systemd/system/sitegate.service"} {
		if _, err := os.Stat(filepath.Join(root, gone)); err == nil {
			t.Errorf("remove left %s", gone)
		}
	}
	if _, err := os.Lstat(wants); err == nil {
		t.Error("remove left the unit enabled")
	}
	for _, kept := range []string{"etc/sitegate/sitegate.yaml", "var/lib/sitegate/outbox/000001.vlog"} {
		if _, err := os.Stat(filepath.Join(root, kept)); err != nil {
			t.Errorf("remove (not purge) removed %s", kept)
		}
	}

	dpkgRoot(t, root, "-P", "sitegate-nocv")
	for _, gone := range []string{"etc/sitegate", "var/lib/sitegate"} {
		if _, err := os.Stat(filepath.Join(root, gone)); err == nil {
			t.Errorf("purge left %s", gone)
		}
	}
}
