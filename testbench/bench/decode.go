package bench

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	config "sitegate/firmware-config"
)

// Problem is one mistake in a scenario file, at Path (e.g. "timeline[2].truck.gross_kg").
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

// Problems is every mistake found in a scenario file; Load returns it as its error.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

func (ps *Problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Duration is a time.Duration written as "1.5s" in a scenario.
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes the duration as Go prints it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Round is the duration to a tenth of a second, for reports.
func (d Duration) Round() string { return time.Duration(d).Round(100 * time.Millisecond).String() }

// Size is a byte count written as "16MiB" in a scenario.
type Size int64

var (
	durationType = reflect.TypeOf(Duration(0))
	sizeType     = reflect.TypeOf(Size(0))
	nodeType     = reflect.TypeOf(yaml.Node{})
)

func join(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// decodeNode fills v from n strictly: an unknown key, a wrong kind or an unparsable scalar is a
// problem with its path, and decoding goes on so that every mistake is reported at once.
func decodeNode(n *yaml.Node, v reflect.Value, path string, ps *Problems) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	where := path
	if where == "" {
		where = "(top level)"
	}
	if n.Kind == yaml.AliasNode {
		// Not followed: nested aliases expand exponentially (a "billion laughs").
		ps.add(where, "aliases (*%s) are not supported in a scenario", n.Value)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Type() {
	case durationType:
		d, err := time.ParseDuration(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			ps.add(where, "%q is not a duration (such as 1.5s or 200ms)", n.Value)
			return
		}
		v.SetInt(int64(d))
		return
	case sizeType:
		s, err := config.ParseSize(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			ps.add(where, "%q is not a size (such as 16MiB)", n.Value)
			return
		}
		v.SetInt(int64(s))
		return
	case nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		decodeNode(n, nv.Elem(), path, ps)
		v.Set(nv)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			ps.add(where, "want a mapping, got %s", kindName(n))
			return
		}
		fields := map[string]int{}
		var known []string
		for i := 0; i < v.NumField(); i++ {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = i
				known = append(known, name)
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i].Value, n.Content[i+1]
			idx, ok := fields[k]
			if !ok {
				ps.add(join(path, k), "unknown key (known here: %s)", strings.Join(known, ", "))
				continue
			}
			if seen[k] {
				ps.add(join(path, k), "given twice")
			}
			seen[k] = true
			decodeNode(val, v.Field(idx), join(path, k), ps)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			ps.add(where, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, el := range n.Content {
			decodeNode(el, s.Index(i), fmt.Sprintf("%s[%d]", path, i), ps)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			ps.add(where, "want a mapping, got %s", kindName(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ev := reflect.New(v.Type().Elem()).Elem()
			decodeNode(n.Content[i+1], ev, join(path, k), ps)
			m.SetMapIndex(reflect.ValueOf(k), ev)
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			ps.add(where, "want a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || err != nil {
			ps.add(where, "%q is not true or false", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			ps.add(where, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			ps.add(where, "%q is not a number", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		ps.add(where, "cannot decode into %s", v.Type())
	}
}

func kindName(n *yaml.Node) string {
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
