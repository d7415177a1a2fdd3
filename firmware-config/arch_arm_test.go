package config

import (
	"strings"
	"testing"
)

// TestRefusesArm32: on 32-bit ARM every config, even a valid one, is refused, saying why.
func TestRefusesArm32(t *testing.T) {
	_, err := Parse(ExampleYAML(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "32-bit ARM") || !strings.Contains(err.Error(), "arm64") {
		t.Fatalf("Parse on GOARCH=arm: %v, want the 32-bit ARM refusal", err)
	}
}
