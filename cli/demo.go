package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
)

// DashboardDeps is what the dashboard needs from the command line.
type DashboardDeps struct {
	Client *client.Client
	// Address is the server as the admin knows it, for the title bar.
	Address string
	// User is the user to open on ("" = let the admin pick).
	User     string
	ReadOnly bool
	// Insecure says TLS verification is off, so the dashboard can say so.
	Insecure bool
	Now      func() time.Time
	NoColor  bool
	// TTYStderr is the process's stderr as it was before the dashboard
	// sent descriptor 2 to the log file: where an OSC 52 copy may go.
	TTYStderr *os.File
	// Recorder gets every change's report before the dashboard shows it:
	// the audit log when config.yaml sets audit_log, else nil.
	Recorder change.Recorder
	// OpenHistory opens the usage history the dashboard records its reads
	// in; nil (or a nil Store) when history is off. The dashboard closes it.
	OpenHistory func(ctx context.Context) (*history.Store, error)
	// Helper is the executable that records the history's loads, and
	// reads and builds each refresh, in processes of their own
	// (Env.Executable); "" does both in this one.
	Helper string
}

func (a *app) dashboardDeps(c *client.Client, address string) DashboardDeps {
	return DashboardDeps{
		Client:   c,
		Address:  address,
		User:     strings.TrimSpace(a.user),
		ReadOnly: a.cfg.ReadOnly,
		Insecure: a.cfg.Insecure,
		Recorder: a.recorder(),
		Now:      a.Now,
		NoColor:  a.cfg.NoColor,
		// The history of the configured server (a.historyStore keys it
		// by a.cfg.Address); the demo replaces it.
		OpenHistory: a.historyStore,
		Helper:      a.Executable,
	}
}

func (a *app) newDemoCmd() *cobra.Command {
	var (
		listen    string
		serveOnly bool
		keys      int
		traffic   int
	)
	cmd := &cobra.Command{
		Use:   "demo [--listen ADDR] [--serve-only] [--keys N] [--traffic N]",
		Short: "Run a demo h2oGPTe server with sample users and keys",
		Long: `Run an in-process h2oGPTe admin API with sample users, collections and keys
in every state, so the tool can be tried without a server. It needs no
address and no token.

With --serve-only it prints the address and the demo admin token (public, and
accepted only by this demo server) and serves until interrupted, so other
commands can be pointed at it.`,
		Example: `  h2ogpte-keys demo --serve-only --listen 127.0.0.1:8080
  h2ogpte-keys demo --keys 100000   # a big server, for scale
  h2ogpte-keys demo --keys 100000 --traffic 5000   # and a busy one`,
		Args: cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			if keys < 0 || keys > demoserver.MaxExtraKeys {
				return usageErrorf("--keys %d is out of range: want 0 to %d", keys, demoserver.MaxExtraKeys)
			}
			if traffic < 0 || traffic > maxDemoTraffic {
				return usageErrorf("--traffic %d is out of range: want 0 to %d calls a second", traffic, maxDemoTraffic)
			}
			// A closed terminal (SIGHUP) ends the demo like Ctrl+C, so its
			// temporary history directory is removed. Only here: for serve,
			// SIGHUP means "re-read the authorized keys".
			ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
			defer stop()
			srv, err := demoserver.Start(listen, demoserver.Options{Now: a.Now, Seed: 1, ExtraKeys: keys})
			if err != nil {
				return fmt.Errorf("start demo server: %w", err)
			}
			defer srv.Close()
			go srv.Server.Traffic(ctx, traffic)
			if !serveOnly {
				// Only the demo's address and token: ca_cert, TLS and
				// timeout settings are for the real server and would
				// break (or slow) a loopback demo.
				c, err := client.New(client.Config{
					Address:   srv.URL,
					Token:     model.NewSecret(demoserver.DemoToken),
					UserAgent: "h2ogpte-keys/" + a.Version,
					Debug:     a.cfg.Debug,
					DebugOut:  a.debugOut,
					MaxItems:  a.cfg.MaxKeys,
				})
				if err != nil {
					return err
				}
				deps := a.dashboardDeps(c, srv.URL)
				deps.Insecure = false
				open, remove, err := a.demoHistory(srv.URL)
				if err != nil {
					return err
				}
				defer remove()
				deps.OpenHistory = open
				return a.openDashboard(ctx, deps)
			}
			fmt.Fprintf(a.Stdout, `h2ogpte-keys demo server on %[1]s
Demo admin token (public; accepted only by this demo server): %[2]s

In another shell:
  export %[3]s=%[1]s
  export %[4]s=%[2]s
  h2ogpte-keys list --all

Serving until interrupted (Ctrl+C).
`, srv.URL, demoserver.DemoToken, envAddress, envToken)
			<-ctx.Done()
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	f.BoolVar(&serveOnly, "serve-only", false, "only serve the API; print how to point the tool at it")
	f.IntVar(&keys, "keys", 0, fmt.Sprintf("seed this many extra keys (at most %d) over generated users, for scale demos", demoserver.MaxExtraKeys))
	f.StringVar(&a.user, "user", "", "open the dashboard on this user's keys")
	f.IntVar(&traffic, "traffic", 0, "make this many API calls a second with random keys, so their totals and last-used times move between reads as on a busy server")
	return cmd
}

// maxDemoTraffic is the most calls a second --traffic makes: a tenth of
// them every 100 ms under the demo server's lock, which listings wait for.
const maxDemoTraffic = 100_000

// demoHistory is the demo dashboard's usage history: a file in a new
// temporary directory, removed by remove, so the demo shows calls per day
// without leaving a random-port server's history in the admin's state
// directory. open gives nil when history is off (--no-history).
func (a *app) demoHistory(address string) (open func(context.Context) (*history.Store, error), remove func(), err error) {
	if !a.cfg.History {
		return func(context.Context) (*history.Store, error) { return nil, nil }, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "h2ogpte-keys-demo-")
	if err != nil {
		return nil, nil, fmt.Errorf("demo usage history: %w", err)
	}
	open = func(ctx context.Context) (*history.Store, error) {
		st, err := history.Open(ctx, filepath.Join(dir, "history.db"), address, history.Options{Now: a.Now})
		if err != nil {
			return nil, fmt.Errorf("demo usage history: %w", err)
		}
		return st, nil
	}
	return open, func() { os.RemoveAll(dir) }, nil
}
