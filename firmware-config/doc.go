// Package config is what a gateway is told: the schema of sitegate's YAML config, its built-in
// defaults (defaults.yaml), a commented example (example.yaml) and the strict loader that reports
// every mistake with its path.
//
// Loading never touches hardware or the network. It may import sitegate/drivers registries (to
// know the protocol names, and to decode and check each indicator protocol's own settings
// through its registration) and the scorer registries of sitegate/models/vision (to know the
// scorer names), but no other sitegate/models package and never sitegate/agent. A program fills
// those registries by importing the protocol and scorer packages.
package config
