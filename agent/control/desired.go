package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"sitegate/agent/wire"
	config "sitegate/firmware-config"
)

// RemoteKeys are the top-level config keys config/desired may set. Everything else (identity,
// broker, credentials, store, registry file, trust) comes only from the local file.
var RemoteKeys = []string{"lanes", "rules"}

// Desired is a config/desired message.
type Desired = wire.Desired

// ParseDesired decodes a config/desired payload: a JSON object with a version from 1 to MaxVersion
// and a config object holding only RemoteKeys. Signature fields (sig, expires_at) are allowed and
// checked elsewhere. Every problem is returned at once, with its path.
func ParseDesired(payload []byte) (Desired, error) {
	if err := CheckSize("config/desired", payload, MaxDesiredBytes); err != nil {
		return Desired{}, config.Problems{{Msg: err.Error()}}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil {
		return Desired{}, config.Problems{{Msg: "not a JSON object: " + err.Error()}}
	}
	var ps config.Problems
	for k := range raw {
		if !slices.Contains([]string{"schema", "version", "config", SigField, ExpiresField}, k) {
			ps = append(ps, config.Problem{Path: k, Msg: "unknown key"})
		}
	}
	var d Desired
	if v, ok := raw["version"]; !ok {
		ps = append(ps, config.Problem{Path: "version", Msg: "must be set"})
	} else if err := json.Unmarshal(v, &d.Version); err != nil || d.Version <= 0 {
		ps = append(ps, config.Problem{Path: "version", Msg: fmt.Sprintf("must be a positive integer, at most %d", MaxVersion)})
	} else if d.Version > MaxVersion {
		ps = append(ps, config.Problem{Path: "version", Msg: fmt.Sprintf("%d is above %d (2^53-1), the largest integer JSON consumers keep exact", d.Version, MaxVersion)})
	}
	c, ok := raw["config"]
	var keys map[string]json.RawMessage
	switch {
	case !ok:
		ps = append(ps, config.Problem{Path: "config", Msg: "must be set"})
	case json.Unmarshal(c, &keys) != nil || keys == nil:
		ps = append(ps, config.Problem{Path: "config", Msg: "must be an object"})
	default:
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !slices.Contains(RemoteKeys, k) {
				ps = append(ps, config.Problem{Path: k, Msg: "is set only in the gateway's local file, never remotely"})
			}
		}
		d.Config = c
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Path < ps[j].Path })
	if len(ps) > 0 {
		return Desired{}, ps
	}
	return d, nil
}

// Candidate lays a desired config's remote part over the local file's config and validates the
// result as a whole config: the candidate a gateway would run. Relative paths in remote are
// resolved against local.Dir. Its problems carry config paths (lanes[0].scale.baud).
func Candidate(local *config.Config, remote json.RawMessage) (*config.Config, error) {
	base, err := yaml.Marshal(local)
	if err != nil {
		return nil, fmt.Errorf("local config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("local config: %w", err)
	}
	var rem yaml.Node
	if err := yaml.Unmarshal(remote, &rem); err != nil || len(rem.Content) == 0 || rem.Content[0].Kind != yaml.MappingNode {
		return nil, config.Problems{{Path: "config", Msg: "must be an object"}}
	}
	root := doc.Content[0]
	// Drop the remotely settable keys of the local config: what the desired config leaves out
	// takes the built-in default, so a desired config means the same on every gateway.
	var kept []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if !slices.Contains(RemoteKeys, root.Content[i].Value) {
			kept = append(kept, root.Content[i], root.Content[i+1])
		}
	}
	root.Content = append(kept, rem.Content[0].Content...)
	merged, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	cfg, err := config.Parse(merged, local.Dir)
	if err != nil {
		return nil, err
	}
	if ps := append(remoteOnly(local, cfg), config.CheckLaneFiles(cfg)...); len(ps) > 0 {
		return nil, ps
	}
	return cfg, nil
}

// ListenHosts are the hosts (config.ListenHost) a desired config may put listeners on besides
// loopback, and where they come from: the local file's control.remote_listen, or else the
// hosts its lanes listen on.
func ListenHosts(local *config.Config) ([]string, string) {
	var hosts []string
	add := func(h string) {
		if h = config.ListenHost(h); !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if len(local.Control.RemoteListen) > 0 {
		for _, h := range local.Control.RemoteListen {
			add(h)
		}
		return hosts, "control.remote_listen"
	}
	for _, l := range local.Lanes {
		if h, _, err := net.SplitHostPort(l.Plate.Listen); err == nil {
			add(h)
		}
	}
	return hosts, "the hosts of the local file's plate listeners; more with control.remote_listen"
}

func isLoopback(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// DesiredProblems is every problem of a desired config that ParseDesired refused with err: its
// own, then, when its config is an object, those of the remotely settable keys in it as a
// candidate over local. A config/desired report lists them all at once.
func DesiredProblems(local *config.Config, payload []byte, err error) config.Problems {
	var ps config.Problems
	if !errors.As(err, &ps) {
		ps = config.Problems{{Msg: err.Error()}}
	}
	var msg struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if json.Unmarshal(payload, &msg) != nil || msg.Config == nil || len(payload) > MaxDesiredBytes {
		return ps
	}
	rem := map[string]json.RawMessage{}
	for _, k := range RemoteKeys {
		if v, ok := msg.Config[k]; ok {
			rem[k] = v
		}
	}
	b, _ := json.Marshal(rem)
	if _, cerr := Candidate(local, b); cerr != nil {
		var cps config.Problems
		if errors.As(cerr, &cps) {
			ps = append(ps, cps...)
		}
	}
	return ps
}

// remoteOnly are the rules a desired config obeys beyond those of a local file.
func remoteOnly(local, cfg *config.Config) config.Problems {
	var ps config.Problems
	allowed, from := ListenHosts(local)
	for i, l := range cfg.Lanes {
		if l.Plate.Listen == "" {
			continue
		}
		host, _, err := net.SplitHostPort(l.Plate.Listen)
		if err != nil {
			continue // reported by validation
		}
		// Every interface allowed ("*") covers any one host.
		if h := config.ListenHost(host); !slices.Contains(allowed, h) && !slices.Contains(allowed, "*") && !isLoopback(h) {
			ps = append(ps, config.Problem{Path: fmt.Sprintf("lanes[%d].plate.listen", i),
				Msg: fmt.Sprintf("%q: a desired config may listen only on loopback or %s (%s)", l.Plate.Listen, strings.Join(allowed, ", "), from)})
		}
	}
	return ps
}

// RemotePart is the remotely settable part of cfg, as config/desired would carry it, with
// every URL redacted (config.RedactURL): it is reported on the broker.
func RemotePart(cfg *config.Config) (json.RawMessage, error) {
	lanes := make([]config.Lane, len(cfg.Lanes))
	for i, l := range cfg.Lanes {
		l.Cameras = slices.Clone(l.Cameras)
		for j := range l.Cameras {
			l.Cameras[j].URL = config.RedactURL(l.Cameras[j].URL)
		}
		l.Plate.Cameras = slices.Clone(l.Plate.Cameras)
		for j := range l.Plate.Cameras {
			l.Plate.Cameras[j].URL = config.RedactURL(l.Plate.Cameras[j].URL)
		}
		lanes[i] = l
	}
	b, err := yaml.Marshal(struct {
		Lanes []config.Lane `yaml:"lanes"`
		Rules config.Rules  `yaml:"rules"`
	}{lanes, cfg.Rules})
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
