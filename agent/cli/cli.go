// Package cli is the sitegate command line: run, demo, config validate and version
// (CONTRACT section 1). main only wires signals to Run, so tests drive every command here.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"

	"sitegate/agent/gateway"
	_ "sitegate/drivers/indicator/all"
	config "sitegate/firmware-config"
	"sitegate/testbench/demo"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitRuntime = 1
	ExitUsage   = 2
)

const usage = `usage: sitegate <command> [flags]

commands:
  run --config FILE          run the agent until SIGINT or SIGTERM
  demo [--forever] [--dir D] the whole system on this machine: broker, emulated indicator,
                             plate camera and video camera, the agent, and a live view
  config validate FILE       check a config file; prints one line per problem
  config example             print the commented example config
  version                    version, commit, Go and OpenCV versions
  version --key [--config FILE]
                             the gateway's public key (base64 ed25519) that signs its passages
`

// command is a further top-level command, kept in its own file and added with register.
type command struct {
	name  string
	usage string // lines for the help text, each starting with two spaces
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var extra []command

// register adds a top-level command; each command file calls it from init.
func register(c command) { extra = append(extra, c) }

// Run runs one command and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "run":
		return runAgent(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "config":
		return runConfig(args[1:], stdout, stderr)
	case "version", "--version":
		if len(args) > 1 {
			return runVersionKey(args[1:], stdout, stderr)
		}
		fmt.Fprintln(stdout, versionLine())
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		for _, c := range extra {
			fmt.Fprint(stdout, c.usage)
		}
		return ExitOK
	}
	for _, c := range extra {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sitegate: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

func versionLine() string {
	commit := gateway.Commit
	if info, ok := debug.ReadBuildInfo(); ok && commit == "unknown" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return fmt.Sprintf("sitegate %s (commit %s) %s %s/%s, OpenCV %s",
		gateway.Version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, openCVVersion())
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sitegate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	path := fs.String("config", "", "the config file")
	level := fs.String("log-level", "", "override log.level (debug, info, warn, error)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: sitegate run --config FILE")
		return ExitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		reportConfigError(stderr, *path, err)
		return ExitUsage
	}
	if *level != "" {
		cfg.Log.Level = *level
	}
	logLevel := levelVar(cfg.Log.Level)
	log := newLevelLogger(stderr, cfg.Log, logLevel)
	if limit, from := applyMemoryLimit(cfg.Process.MemoryLimit); limit > 0 {
		log.Info("memory limit", "bytes", limit, "from", from)
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: log, LogLevel: logLevel})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitUsage
	}
	if err := g.Run(ctx); err != nil {
		log.Error("sitegate stopped", "err", err)
		return ExitRuntime
	}
	return ExitOK
}

// applyMemoryLimit sets the Go runtime's soft memory limit from the config, unless GOMEMLIMIT
// set it already. It returns the limit in force and where it came from.
func applyMemoryLimit(configured config.Size) (int64, string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	}
	if configured <= 0 {
		return 0, ""
	}
	debug.SetMemoryLimit(int64(configured))
	return int64(configured), "process.memory_limit"
}

func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == "example" {
		stdout.Write(config.ExampleYAML())
		return ExitOK
	}
	if len(args) != 2 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: sitegate config validate FILE | sitegate config example")
		return ExitUsage
	}
	cfg, err := config.Load(args[1])
	if err != nil {
		reportConfigError(stdout, args[1], err)
		return ExitUsage
	}
	fmt.Fprintln(stdout, cfg.Summary())
	return ExitOK
}

func reportConfigError(w io.Writer, path string, err error) {
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", path, err)
}

func newLogger(w io.Writer, lc config.Log) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(lc.Level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	forever := fs.Bool("forever", false, "keep sending trucks until interrupted")
	dir := fs.String("dir", "", "where the demo keeps its data and the evidence it receives (default: a new folder under the system temp dir)")
	verbose := fs.Bool("v", false, "show the agent's log")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "sitegate-demo-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return ExitRuntime
		}
		*dir = d
	}
	logLevel := "warn"
	if *verbose {
		logLevel = "info"
	}
	err := demo.Run(ctx, demo.Options{Dir: *dir, Forever: *forever, Out: stdout, Log: newLogger(stderr, config.Log{Level: logLevel, Format: "text"})})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return ExitRuntime
	}
	return ExitOK
}
