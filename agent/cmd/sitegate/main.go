// Command sitegate is the edge agent for construction-site exits and road checkpoints.
// See sitegate/agent/cli for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"sitegate/agent/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
