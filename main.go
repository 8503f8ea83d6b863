// Command h2ogpte-keys lets administrators of an h2oGPTe server manage every
// user's API keys: a keyboard-driven terminal dashboard, a command line for
// scripts and audits, and an SSH service. The work is done in package cli;
// this file only wires the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"h2ogpte-keys/cli"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	// Ctrl+C cancels the request in flight (and stops `demo`) instead of
	// killing the process mid-write.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := cli.OSEnv(version)
	// A second Ctrl+C quits at once (the signal's default): after the
	// first, changes in flight are read back for up to a few seconds.
	// Not for serve (cli decides), whose shutdown waits for changes.
	env.SecondInterruptQuits = func() { context.AfterFunc(ctx, stop) }
	code := cli.Run(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}
