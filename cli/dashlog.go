package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sync"
)

// switchWriter is a writer whose target can change while writers hold it:
// the client's debug log goes to stderr, and to the log file while the
// dashboard owns the screen.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *switchWriter) set(w io.Writer) io.Writer {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.w
	s.w = w
	return old
}

// logFilePath is --log-file, or $XDG_STATE_HOME/h2ogpte-keys/dashboard.log
// (~/.local/state when XDG_STATE_HOME is unset or relative, as XDG says).
func logFilePath(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "h2ogpte-keys", "dashboard.log"), nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "h2ogpte-keys", "dashboard.log"), nil
	}
	return "", usageErrorf("no place for the dashboard's log: set HOME or XDG_STATE_HOME, or pass --log-file FILE")
}

// openDashboard runs the dashboard with everything but the dashboard kept
// off the screen: the standard log package (net/http writes through it),
// --debug output and any stray write to the process's stderr go to the log
// file, mode 0600, until the dashboard returns. Whatever the dashboard
// returns is printed on the real stderr afterwards.
func (a *app) openDashboard(ctx context.Context, deps DashboardDeps) error {
	path, err := logFilePath(a.cfg.LogFile, a.Getenv)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return usageErrorf("dashboard log: %v; pass --log-file FILE", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return usageErrorf("dashboard log: %v; pass --log-file FILE", err)
	}
	defer f.Close()
	// O_CREATE's mode does not apply to a file that already exists.
	if err := f.Chmod(0o600); err != nil {
		return usageErrorf("dashboard log %s: %v", path, err)
	}
	logOut := &scrubWriter{w: f, s: a.scrub}

	prevLog, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(logOut)
	log.SetFlags(log.LstdFlags)
	defer func() { log.SetOutput(prevLog); log.SetFlags(prevFlags) }()
	prevDebug := a.debugOut.set(logOut)
	defer a.debugOut.set(prevDebug)

	tty, restore, err := redirectStderr(f)
	if err != nil {
		return fmt.Errorf("dashboard log: %w", err)
	}
	defer restore()
	deps.TTYStderr = tty
	return a.Dashboard(ctx, deps)
}
