package cli

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// TestDashboardRefusesTokensThatCannotManageKeys: before the first screen the
// dashboard checks the token; a non-admin's key or a rejected token is one
// clear line and exit 1, never an empty table. The binary runs without a
// terminal, so reaching the TUI at all would fail differently.
func TestDashboardRefusesTokensThatCannotManageKeys(t *testing.T) {
	e := newE2E(t)
	_, secret := e.create("--user", "alice", "--name", "not-admin", "--expires", "1d")
	for _, tc := range []struct {
		name, token, want string
	}{
		{"non-admin key", secret, "not an administrator"},
		{"rejected token", "sk-" + strings.Repeat("z", 48), "token was rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.token = tc.token
			r := e.run("--user", "alice")
			assertOneLine(t, r, exitFail, "cannot open the dashboard", tc.want)
			if strings.Contains(r.Stderr, tc.token) {
				t.Error("the token is in the error")
			}
		})
	}
}

// TestDashboardLogsNeverReachTheScreen: while the dashboard runs, the log
// package (net/http's channel), --debug lines and stray writes to the
// process's stderr land in the log file (mode 0600), never on the streams
// the dashboard draws on; afterwards stderr is stderr again.
func TestDashboardLogsNeverReachTheScreen(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	logFile := filepath.Join(t.TempDir(), "state", "dash.log")
	dash := func(ctx context.Context, d DashboardDeps) error {
		log.Print("log-package-line http: Unsolicited response received on idle HTTP channel")
		fmt.Fprintln(os.Stderr, "stray-stderr-line")
		if _, err := d.Client.ListUsers(ctx); err != nil {
			return err
		}
		return nil
	}
	r := runCLI(t, harness{env: ts.adminEnv(), dashboard: dash}, "--debug", "--log-file", logFile)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"log-package-line", "stray-stderr-line", "/api/v1/users"} {
		if !strings.Contains(got, want) {
			t.Errorf("log file lacks %q:\n%s", want, got)
		}
		if strings.Contains(r.Stderr, want) || strings.Contains(r.Stdout, want) {
			t.Errorf("%q reached the screen", want)
		}
	}
	if strings.Contains(got, demoserver.DemoToken) {
		t.Error("the token is in the log file")
	}
	if fi, err := os.Stat(logFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if log.Writer() != os.Stderr {
		t.Error("the log package was not given back its output")
	}

	// The default is under XDG_STATE_HOME.
	state := t.TempDir()
	env := ts.adminEnv()
	env["XDG_STATE_HOME"] = state
	r = runCLI(t, harness{env: env, dashboard: func(context.Context, DashboardDeps) error {
		log.Print("default-place")
		return nil
	}})
	if b, err := os.ReadFile(filepath.Join(state, "h2ogpte-keys", "dashboard.log")); r.code != 0 || err != nil || !strings.Contains(string(b), "default-place") {
		t.Errorf("default log file: exit %d, %v, %q", r.code, err, b)
	}
}
