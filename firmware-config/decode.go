package config

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Problem is one mistake in a config, found at Path (e.g. "lanes[0].scale.baud").
type Problem struct {
	Path string `json:"path"`
	Msg  string `json:"msg"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Problems is every mistake found in a config; it is the error Load and Parse return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems during a decode or a validation.
type problems struct{ list Problems }

func (ps *problems) add(path, format string, args ...any) {
	ps.list = append(ps.list, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

func indexPath(base string, i int) string { return fmt.Sprintf("%s[%d]", base, i) }

// merge lays the user's node over the defaults node. Mappings merge key by key; a defaults
// sequence with exactly one mapping element is the template laid under every element of the
// user's sequence; anything else in the user's node replaces the default.
func merge(def, user *yaml.Node) *yaml.Node {
	if def == nil {
		return user
	}
	if user == nil {
		return withoutTemplates(def)
	}
	if user.Kind == yaml.ScalarNode && user.Tag == "!!null" {
		return withoutTemplates(def)
	}
	switch {
	case def.Kind == yaml.MappingNode && user.Kind == yaml.MappingNode:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: user.Tag, Line: user.Line, Column: user.Column}
		seen := map[string]bool{}
		for i := 0; i+1 < len(user.Content); i += 2 {
			k, v := user.Content[i], user.Content[i+1]
			seen[k.Value] = true
			out.Content = append(out.Content, k, merge(lookup(def, k.Value), v))
		}
		for i := 0; i+1 < len(def.Content); i += 2 {
			if k, v := def.Content[i], def.Content[i+1]; !seen[k.Value] {
				out.Content = append(out.Content, k, withoutTemplates(v))
			}
		}
		return out
	case isTemplate(def) && user.Kind == yaml.SequenceNode:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: user.Tag, Line: user.Line, Column: user.Column}
		for _, el := range user.Content {
			out.Content = append(out.Content, merge(def.Content[0], el))
		}
		return out
	}
	return user
}

// withoutTemplates is a defaults node as it applies where the file leaves it out: every list
// template in it, at any depth, is an empty list (a list the file leaves out is empty, not the
// template).
func withoutTemplates(n *yaml.Node) *yaml.Node {
	if isTemplate(n) {
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	if n.Kind != yaml.MappingNode {
		return n
	}
	out := *n
	out.Content = make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		if i%2 == 1 {
			c = withoutTemplates(c)
		}
		out.Content[i] = c
	}
	return &out
}

// isTemplate reports whether a defaults node is a list template: a list of exactly one mapping.
func isTemplate(n *yaml.Node) bool {
	return n.Kind == yaml.SequenceNode && len(n.Content) == 1 && n.Content[0].Kind == yaml.MappingNode
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

var (
	durationType = reflect.TypeOf(Duration(0))
	sizeType     = reflect.TypeOf(Size(0))
)

// decodeNode fills v from n strictly: unknown keys, wrong kinds and unparsable scalars are
// recorded with their path, and decoding goes on so that every mistake is reported at once.
func decodeNode(n *yaml.Node, v reflect.Value, path string, ps *problems) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	where := path
	if where == "" {
		where = "(top level)"
	}
	switch v.Type() {
	case durationType:
		if !scalar(n, where, ps) {
			return
		}
		d, err := parseDuration(n.Value)
		if err != nil {
			ps.add(where, "%q is not a duration (use e.g. 5s, 2m, 90d)", n.Value)
			return
		}
		v.SetInt(int64(d))
		return
	case sizeType:
		if !scalar(n, where, ps) {
			return
		}
		s, err := ParseSize(n.Value)
		if err != nil {
			ps.add(where, "%v", err)
			return
		}
		v.SetInt(int64(s))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			ps.add(where, "expected a mapping of keys, got %s", describe(n))
			return
		}
		fields := fieldsByKey(v.Type())
		// A struct with a ProtocolProfiles field also takes the registered protocols' blocks.
		blocks := inlineProfiles(v)
		var defaults map[string]any
		known := fields
		if blocks.IsValid() {
			defaults = protocolProfileDefaults()
			blocks.Set(reflect.MakeMapWithSize(protocolProfilesType, len(defaults)))
			known = maps.Clone(fields)
			for key := range defaults {
				if _, clash := known[key]; clash { // a protocol's mistake; its test says so
					delete(defaults, key)
					continue
				}
				known[key] = -1
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := joinPath(path, k.Value)
			if seen[k.Value] {
				ps.add(kp, "key given twice")
				continue
			}
			seen[k.Value] = true
			idx, ok := known[k.Value]
			if !ok {
				ps.add(kp, "unknown key%s", suggest(k.Value, known))
				continue
			}
			if idx < 0 {
				blocks.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(decodeProfile(val, defaults[k.Value], kp, ps)))
				continue
			}
			decodeNode(val, v.Field(idx), kp, ps)
		}
		for key, def := range defaults {
			if !seen[key] {
				blocks.SetMapIndex(reflect.ValueOf(key), reflect.ValueOf(def))
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if n.Kind != yaml.SequenceNode {
			ps.add(where, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, el := range n.Content {
			decodeNode(el, s.Index(i), indexPath(path, i), ps)
		}
		v.Set(s)
	case reflect.String:
		if !scalar(n, where, ps) {
			return
		}
		if n.Tag == "!!null" {
			v.SetString("")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if !scalar(n, where, ps) {
			return
		}
		b, err := strconv.ParseBool(n.Value)
		if err != nil || n.Tag != "!!bool" {
			ps.add(where, "%q is not true or false", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		if !scalar(n, where, ps) {
			return
		}
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			ps.add(where, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		if !scalar(n, where, ps) {
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			ps.add(where, "%q is not a number", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		ps.add(where, "unsupported field type %s", v.Type())
	}
}

func scalar(n *yaml.Node, where string, ps *problems) bool {
	if n.Kind != yaml.ScalarNode {
		ps.add(where, "expected a single value, got %s", describe(n))
		return false
	}
	return true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func fieldsByKey(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		out[tag] = i
	}
	return out
}

// suggest names the closest known key when a key looks like a typo of it.
func suggest(key string, fields map[string]int) string {
	best, bestD := "", 3
	for k := range fields {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseDuration is time.ParseDuration that also takes whole days, as 90d.
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
