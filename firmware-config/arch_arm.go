//go:build arm

package config

// unsupportedArch refuses 32-bit ARM: the outbox's Badger store memory-maps its files, and a
// 32-bit address space (about 3 GiB for a process, fragmented) cannot hold the maps of a store
// of useful size, so the agent would fail at an unpredictable moment in the field.
const unsupportedArch = "32-bit ARM (GOARCH=arm, armv7/armhf) is not supported: the outbox's memory-mapped store needs a 64-bit address space; install the arm64 (aarch64) build on a 64-bit OS instead"
