package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed defaults.yaml
var defaultsYAML []byte

//go:embed example.yaml
var exampleYAML []byte

//go:embed demo.yaml
var demoYAML string

// DemoTemplate returns the text/template of the config `sitegate demo` runs the agent with.
func DemoTemplate() string { return demoYAML }

// DefaultsYAML returns the built-in defaults file.
func DefaultsYAML() []byte { return bytes.Clone(defaultsYAML) }

// ExampleYAML returns the commented example config.
func ExampleYAML() []byte { return bytes.Clone(exampleYAML) }

// MaxFileBytes bounds a config file; anything larger is not a config.
const MaxFileBytes = 1 << 20

// Load reads, decodes and validates a config file. Relative paths in it are resolved against
// the file's folder. A bad config returns Problems listing every mistake.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, Problems{{Msg: fmt.Sprintf("%s is larger than %d bytes", path, MaxFileBytes)}}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	cfg, ps := parse(data, filepath.Dir(abs))
	if cfg != nil {
		checkFiles(cfg, false, ps)
	}
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	return cfg, nil
}

// Parse decodes and validates a config given as YAML, with dir as the folder relative paths
// are resolved against. Unlike Load it does not look at the file system: the files the config
// names are checked by Load (CheckFiles, CheckLaneFiles).
func Parse(data []byte, dir string) (*Config, error) {
	cfg, ps := parse(data, dir)
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	return cfg, nil
}

// parse decodes and validates in one pass: unknown keys, values that do not decode and every
// other problem are reported together. The config is nil only when the text is not a YAML
// mapping at all.
func parse(data []byte, dir string) (*Config, *problems) {
	cfg, ps := decode(data)
	if cfg == nil {
		return nil, ps
	}
	cfg.Dir = dir
	cfg.resolvePaths()
	var failed []string // values that did not decode, left at zero
	for _, p := range ps.list {
		if !strings.HasPrefix(p.Msg, "unknown key") && p.Msg != "key given twice" {
			failed = append(failed, p.Path)
		}
	}
	var vs problems
	validate(cfg, &vs)
	for _, p := range vs.list {
		// A value left at zero by a decode problem would only be reported again as zero.
		if !under(p.Path, failed) {
			ps.list = append(ps.list, p)
		}
	}
	return cfg, ps
}

// under reports whether path is one of paths or inside one of them.
func under(path string, paths []string) bool {
	for _, f := range paths {
		if path == f || strings.HasPrefix(path, f+".") || strings.HasPrefix(path, f+"[") {
			return true
		}
	}
	return false
}

// CheckFiles checks on this machine what the config names: the broker's password and TLS
// files, the registry file and the plate cameras' password files exist and can be read, and
// store.dir is a folder or can be created in one. Load does this; a config from elsewhere (a
// desired config laid over the local file) is checked with CheckLaneFiles.
func CheckFiles(c *Config) Problems {
	var ps problems
	checkFiles(c, false, &ps)
	return ps.list
}

// CheckLaneFiles checks the files the lanes name (the cameras' password files), the
// part of a config that a desired config sets; relative paths were resolved against the local
// config's folder.
func CheckLaneFiles(c *Config) Problems {
	var ps problems
	checkFiles(c, true, &ps)
	return ps.list
}

func checkFiles(c *Config, lanesOnly bool, ps *problems) {
	if !lanesOnly {
		readable(c.MQTT.PasswordFile, "mqtt.password_file", ps)
		readable(c.MQTT.TLS.CAFile, "mqtt.tls.ca_file", ps)
		readable(c.MQTT.TLS.CertFile, "mqtt.tls.cert_file", ps)
		readable(c.MQTT.TLS.KeyFile, "mqtt.tls.key_file", ps)
		readable(c.Registry.File, "registry.file", ps)
		readable(c.Manifests.File, "manifests.file", ps)
		c.Console.checkFiles(ps)
		if d := c.Store.Dir; d != "" {
			if fi, err := os.Stat(d); err == nil {
				if !fi.IsDir() {
					ps.add("store.dir", "%s is not a folder", d)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				ps.add("store.dir", "%s: %v", d, unwrapPath(err))
			} else if fi, err := os.Stat(filepath.Dir(d)); err != nil || !fi.IsDir() {
				ps.add("store.dir", "%s cannot be created: its parent %s is not a folder", d, filepath.Dir(d))
			}
		}
	}
	for i, l := range c.Lanes {
		for j, pc := range l.Plate.Cameras {
			readable(pc.PasswordFile, fmt.Sprintf("lanes[%d].plate.cameras[%d].password_file", i, j), ps)
		}
		for j, cam := range l.Cameras {
			readable(cam.PasswordFile, fmt.Sprintf("lanes[%d].cameras[%d].password_file", i, j), ps)
		}
	}
}

// readable adds a problem at path unless name is empty or a file this process can read.
func readable(name, path string, ps *problems) {
	if name == "" {
		return
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			ps.add(path, "%s does not exist", name)
		} else {
			ps.add(path, "%s cannot be read: %v", name, unwrapPath(err))
		}
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		ps.add(path, "%s is a folder, not a file", name)
	}
}

// unwrapPath drops the path an os error repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func decode(data []byte) (*Config, *problems) {
	ps := &problems{}
	var def yaml.Node
	if err := yaml.Unmarshal(defaultsYAML, &def); err != nil {
		panic("config: built-in defaults.yaml is broken: " + err.Error())
	}
	var user yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&user); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add("", "the config is empty")
		} else {
			ps.add("", "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil, ps
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		ps.add("", "the file holds more than one YAML document")
		return nil, ps
	}
	root := user.Content[0]
	if root.Kind != yaml.MappingNode {
		ps.add("", "expected a mapping of keys at the top level, got %s", describe(root))
		return nil, ps
	}
	applyProfiles(root, ps)
	merged := merge(def.Content[0], root)
	cfg := &Config{}
	decodeNode(merged, reflect.ValueOf(cfg).Elem(), "", ps)
	return cfg, ps
}

// resolvePaths makes the file's relative paths absolute, against the config's folder.
func (c *Config) resolvePaths() {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(c.Dir, *p)
		}
	}
	abs(&c.Store.Dir)
	abs(&c.Registry.File)
	abs(&c.Manifests.File)
	abs(&c.MQTT.PasswordFile)
	abs(&c.MQTT.TLS.CAFile)
	abs(&c.MQTT.TLS.CertFile)
	abs(&c.MQTT.TLS.KeyFile)
	c.Console.resolvePaths(abs)
	for i := range c.Lanes {
		for j := range c.Lanes[i].Cameras {
			cam := &c.Lanes[i].Cameras[j]
			if cam.URL != "" && !strings.Contains(cam.URL, "://") {
				abs(&cam.URL)
			}
			abs(&cam.Mud.Model)
			abs(&cam.Mud.Calibration)
			abs(&cam.Cover.Model)
			abs(&cam.Cover.Calibration)
			abs(&cam.PasswordFile)
		}
		for j := range c.Lanes[i].Plate.Cameras {
			abs(&c.Lanes[i].Plate.Cameras[j].PasswordFile)
		}
	}
}

// Summary is the one line `config validate` prints for a valid config.
func (c *Config) Summary() string {
	var lanes []string
	for _, l := range c.Lanes {
		lanes = append(lanes, fmt.Sprintf("%s (%s on %s, %d camera(s))", l.ID, l.Scale.Protocol, l.Scale.Port, len(l.Cameras)))
	}
	return fmt.Sprintf("ok: site %s, gateway %s, broker %s, %d lane(s): %s",
		c.Site, c.Gateway, RedactURL(c.MQTT.URL), len(c.Lanes), strings.Join(lanes, ", "))
}
