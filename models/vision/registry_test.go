package vision

import (
	"slices"
	"strings"
	"testing"
)

type factory func(model string) (string, error)

func TestRegistry(t *testing.T) {
	r := NewRegistry[factory]("test-check")
	r.Register("b", Info{NeedsModel: true}, func(m string) (string, error) { return "b:" + m, nil })
	r.Register("a", Info{}, func(string) (string, error) { return "a", nil })

	if r.Check() != "test-check" {
		t.Errorf("Check() = %q", r.Check())
	}
	if f, ok := r.Lookup("b"); !ok {
		t.Error("Lookup(b) found nothing")
	} else if got, _ := f("m.yaml"); got != "b:m.yaml" {
		t.Errorf("factory b made %q", got)
	}
	if _, ok := r.Lookup("c"); ok {
		t.Error("Lookup(c) found an unregistered scorer")
	}
	if got := r.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Names() = %v", got)
	}
	if got := Scorers("test-check"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Scorers(test-check) = %v", got)
	}
	if got := Scorers("no-such-check"); len(got) != 0 {
		t.Errorf("Scorers(no-such-check) = %v", got)
	}
	for _, tc := range []struct {
		check, name string
		info        Info
		ok          bool
	}{
		{"test-check", "a", Info{}, true},
		{"test-check", "b", Info{NeedsModel: true}, true},
		{"test-check", "c", Info{}, false},
		{"no-such-check", "a", Info{}, false},
	} {
		if info, ok := About(tc.check, tc.name); info != tc.info || ok != tc.ok {
			t.Errorf("About(%s, %s) = %+v, %v", tc.check, tc.name, info, ok)
		}
	}
}

func TestRegistryPanics(t *testing.T) {
	r := NewRegistry[factory]("panic-check")
	r.Register("a", Info{}, nil)
	for _, tc := range []struct {
		name string
		f    func()
		msg  string
	}{
		{"duplicate scorer", func() { r.Register("a", Info{}, nil) }, "twice: a"},
		{"no name", func() { r.Register("", Info{}, nil) }, "without a name"},
		{"second registry for a check", func() { NewRegistry[int]("panic-check") }, "two scorer registries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(p.(string), tc.msg) {
					t.Errorf("panic %v, want one mentioning %q", p, tc.msg)
				}
			}()
			tc.f()
		})
	}
}
