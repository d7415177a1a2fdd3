package vision

import (
	"maps"
	"slices"
	"sync"
)

// Info describes a scorer to config validation and help texts.
type Info struct {
	// NeedsModel: the scorer loads the model spec file that the check's `model` key names, which
	// must then be set.
	NeedsModel bool
}

// Registry holds one check's scorers by name. F is the check's own factory type, so that each
// check keeps its scorer interface and config; scorer packages fill it from init.
type Registry[F any] struct {
	check string
	mu    sync.RWMutex
	m     map[string]entry[F]
}

type entry[F any] struct {
	info Info
	f    F
}

// catalog is what the index of checks needs of a Registry, whatever its factory type.
type catalog interface {
	names() []string
	about(name string) (Info, bool)
}

var (
	checksMu sync.RWMutex
	checks   = map[string]catalog{}
)

// NewRegistry returns the scorer registry of a check and lists it in the index under check
// (the check's config key: "mud", "cover", "wash"). It panics if check already has one, which is
// a programming error.
func NewRegistry[F any](check string) *Registry[F] {
	r := &Registry[F]{check: check, m: map[string]entry[F]{}}
	checksMu.Lock()
	defer checksMu.Unlock()
	if _, dup := checks[check]; dup {
		panic("vision: two scorer registries for check " + check)
	}
	checks[check] = r
	return r
}

// Check is the check this registry holds the scorers of.
func (r *Registry[F]) Check() string { return r.check }

// Register adds a scorer under the name a config gives it. It panics on an empty or duplicate
// name, which is a programming error.
func (r *Registry[F]) Register(name string, info Info, f F) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		panic("vision: " + r.check + " scorer registered without a name")
	}
	if _, dup := r.m[name]; dup {
		panic("vision: " + r.check + " scorer registered twice: " + name)
	}
	r.m[name] = entry[F]{info: info, f: f}
}

// Lookup returns the factory of a scorer.
func (r *Registry[F]) Lookup(name string) (F, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.m[name]
	return e.f, ok
}

// Names lists the registered scorers, sorted.
func (r *Registry[F]) Names() []string { return r.names() }

func (r *Registry[F]) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.m))
}

func (r *Registry[F]) about(name string) (Info, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.m[name]
	return e.info, ok
}

// Scorers lists the scorers registered for check, sorted; none when no scorer package of that
// check is in the program.
func Scorers(check string) []string {
	if c := catalogOf(check); c != nil {
		return c.names()
	}
	return nil
}

// About describes a scorer of check; false when check has no scorer of that name.
func About(check, name string) (Info, bool) {
	if c := catalogOf(check); c != nil {
		return c.about(name)
	}
	return Info{}, false
}

func catalogOf(check string) catalog {
	checksMu.RLock()
	defer checksMu.RUnlock()
	return checks[check]
}
