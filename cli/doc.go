// Package cli is the h2ogpte-keys command line: cobra commands, settings
// (flags > environment > config file), output printers, the demo command
// and the dashboard's start-up. Everything it takes from the process comes
// in an Env, so tests run the whole command line in-process.
package cli
