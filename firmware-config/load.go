package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
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
	return Parse(data, filepath.Dir(abs))
}

// Parse decodes and validates a config given as YAML, with dir as the folder relative paths
// are resolved against.
func Parse(data []byte, dir string) (*Config, error) {
	cfg, ps := decode(data)
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	cfg.Dir = dir
	cfg.resolvePaths()
	validate(cfg, ps)
	if len(ps.list) > 0 {
		return nil, ps.list
	}
	return cfg, nil
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
	abs(&c.MQTT.PasswordFile)
	abs(&c.MQTT.TLS.CAFile)
	abs(&c.MQTT.TLS.CertFile)
	abs(&c.MQTT.TLS.KeyFile)
	for i := range c.Lanes {
		for j := range c.Lanes[i].Cameras {
			cam := &c.Lanes[i].Cameras[j]
			if cam.URL != "" && !strings.Contains(cam.URL, "://") {
				abs(&cam.URL)
			}
			abs(&cam.Mud.Model)
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
