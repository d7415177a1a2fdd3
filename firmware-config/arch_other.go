//go:build !arm

package config

// unsupportedArch is empty: this architecture is supported.
const unsupportedArch = ""
