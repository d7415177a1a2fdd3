// Command sitegate is the edge agent for construction-site exits and road checkpoints.
// See sitegate/agent/cli for its commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // site_timezone works on a gateway without /usr/share/zoneinfo (Debian's tzdata)

	"sitegate/agent/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
