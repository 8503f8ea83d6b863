// Command h2ogpte-keys lets administrators of an h2oGPTe server manage every
// user's API keys: a command line for scripts and audits, and (soon) a
// keyboard-driven terminal dashboard.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	// Ctrl+C cancels the request in flight (and stops `demo`) instead of
	// killing the process mid-write.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], osEnv())
	stop()
	os.Exit(code)
}
