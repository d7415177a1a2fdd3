package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestApplyMemoryLimit: process.memory_limit becomes the runtime's soft limit, unless GOMEMLIMIT
// is set, which wins.
func TestApplyMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	if got, from := applyMemoryLimit(48 << 20); got != 48<<20 || from != "process.memory_limit" {
		t.Fatalf("applyMemoryLimit = %d, %q", got, from)
	}
	if got := debug.SetMemoryLimit(-1); got != 48<<20 {
		t.Fatalf("runtime limit %d, want 48 MiB", got)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	if got, _ := applyMemoryLimit(0); got != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("a zero limit changed the runtime's: %d", got)
	}

	t.Setenv("GOMEMLIMIT", "100MiB")
	debug.SetMemoryLimit(100 << 20) // what the runtime read from the environment at start
	if got, from := applyMemoryLimit(48 << 20); got != 100<<20 || from != "GOMEMLIMIT" {
		t.Fatalf("with GOMEMLIMIT: %d, %q", got, from)
	}
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Fatalf("the config overrode GOMEMLIMIT: %d", got)
	}
}
