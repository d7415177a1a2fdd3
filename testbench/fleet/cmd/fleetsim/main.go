package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"sitegate/testbench/fleet"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fleetsim:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fleetsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o fleet.Options
	fs.IntVar(&o.Gateways, "gateways", 200, "gateways (uplink and outbox each)")
	fs.IntVar(&o.Backlog, "backlog", 100, "passages each gateway stores while the broker is down")
	fs.DurationVar(&o.Outage, "outage", 0, "how long the broker stays down (default 5s)")
	fs.BoolVar(&o.Restart, "restart", false, "restart the broker at once instead of an outage")
	fs.IntVar(&o.Rate, "rate", 200, "passages per second the fleet keeps producing (-1: none)")
	fs.StringVar(&o.Store, "store", "memory", "outbox of each gateway: memory or badger")
	fs.DurationVar(&o.MinBackoff, "min-backoff", 0, "uplink's first reconnect delay (default 1s)")
	fs.DurationVar(&o.MaxBackoff, "max-backoff", 0, "uplink's longest reconnect delay (default 60s)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "give up after (default 5m)")
	fs.StringVar(&o.Mosquitto, "mosquitto", "", "mosquitto binary (default /usr/sbin/mosquitto)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Log = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := fleet.Run(ctx, o)
	if r != nil {
		fmt.Fprint(stdout, r)
	}
	return err
}
