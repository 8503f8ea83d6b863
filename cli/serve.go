package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"

	"h2ogpte-keys/audit"
	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
	"h2ogpte-keys/sshserve"
	"h2ogpte-keys/ui"
)

// service is one running `serve`: the host's client and settings, shared by
// every session, and the audit log every change is written to.
type service struct {
	client  *client.Client
	token   model.Secret
	cfg     settings
	address string
	audit   *audit.Log
	log     *log.Logger
	now     func() time.Time
	version string
	// history is the host's usage history, one Store shared by every
	// session (it is safe for concurrent use); nil when history is off.
	history ui.History
	// historyPath is the history file commands sent over SSH open (""
	// when history is off or its file cannot be found).
	historyPath string
	// background runs every session's work the admin need not wait for
	// (refreshes, history recordings) on all the host's processors but
	// one, which stays free for the sessions' screens.
	background *ui.Background
}

func (a *app) newServeCmd() *cobra.Command {
	var (
		o         sshserve.Options
		auditPath string
	)
	cmd := &cobra.Command{
		Use:   "serve --authorized-keys FILE [--listen ADDR] [--host-key FILE] [--audit-log FILE]",
		Short: "Serve the dashboard and the commands over SSH",
		Long: `Serve the dashboard over SSH, so admins reach it with their own SSH key and
nothing installed: ssh -p 23234 HOST opens the dashboard, and
ssh -p 23234 HOST list --all -o csv runs a command.

The h2oGPTe server address and admin API key are this host's settings (as for
every command: H2OGPTE_ADDRESS, H2OGPTE_API_KEY or --api-key-file, or
config.yaml); they never leave the host.

--authorized-keys (required) is an OpenSSH authorized_keys file: each line's
comment names the person, and the option role=read-only lets a person look
but not change. It is re-read when it changes, and on SIGHUP.

Every change made through the service is appended to the audit log (default
audit_log from config.yaml, else $XDG_STATE_HOME/h2ogpte-keys/audit.log) as
one JSON line, synced before the result is shown.

The host key is created once (ed25519, mode 0600); its fingerprint is printed
at start-up so people can check what their ssh client shows.`,
		Example: `  h2ogpte-keys serve --authorized-keys ~/.config/h2ogpte-keys/authorized_keys
  h2ogpte-keys serve --listen :23234 --authorized-keys /etc/h2ogpte-keys/authorized_keys`,
		Args: cobra.NoArgs,
		RunE: a.action(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
			if o.AuthorizedKeysPath == "" {
				return usageErrorf("serve needs --authorized-keys FILE: %v", sshserve.ErrNoAuthorizedKeys)
			}
			path, err := auditLogPath(auditPath, a.cfg.AuditLog, a.Getenv)
			if err != nil {
				return err
			}
			c, err := a.connect()
			if err != nil {
				return err
			}
			// A token that cannot manage keys fails here, once, rather
			// than in every session.
			if err := c.CheckAdmin(ctx); err != nil {
				return fmt.Errorf("cannot serve: %w", err)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return usageErrorf("audit log: %v", err)
			}
			al, err := audit.Open(path, audit.WithClock(a.Now))
			if err != nil {
				return usageError{err}
			}
			defer al.Close()

			logger := log.NewWithOptions(a.Stderr, log.Options{ReportTimestamp: true, Prefix: "serve"})
			svc := &service{
				client: c, token: a.token, cfg: a.cfg, address: a.cfg.Address,
				audit: al, log: logger, now: a.Now, version: a.Version,
				background: ui.NewBackground(0),
			}
			// The keys matter more than their history: a store that cannot
			// be opened is logged, and the sessions run without one.
			if st, err := a.historyStore(ctx); err != nil {
				logger.Warn("usage history off", "err", err)
			} else if st != nil {
				defer st.Close()
				svc.history = st
				svc.historyPath, _ = a.historyPath()
			}
			o.Logger = logger
			o.Getenv = a.Getenv
			o.Now = a.Now
			o.Dashboard = svc.dashboard
			o.Exec = svc.exec
			srv, err := sshserve.New(o)
			if err != nil {
				if errors.Is(err, sshserve.ErrNoAuthorizedKeys) {
					return usageError{err}
				}
				return fmt.Errorf("serve: %w", err)
			}
			fmt.Fprintf(a.Stdout, "h2ogpte-keys serve on %s\nHost key fingerprint: %s\nAudit log: %s\n",
				srv.Addr(), srv.Fingerprint(), path)

			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-hup:
						_ = srv.Reload() // logged inside
					}
				}
			}()
			return srv.Serve(ctx)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", sshserve.DefaultListen, "address to listen on (:23234 for every interface)")
	f.StringVar(&o.HostKeyPath, "host-key", "", "the host's private key `FILE`, created when missing (default $XDG_DATA_HOME/h2ogpte-keys/ssh_host_ed25519_key)")
	f.StringVar(&o.AuthorizedKeysPath, "authorized-keys", "", "who may enter: an OpenSSH authorized_keys `FILE` (comment = person, role=read-only)")
	f.StringVar(&auditPath, "audit-log", "", "append every change to this JSON-lines `FILE` (default audit_log from config.yaml, else $XDG_STATE_HOME/h2ogpte-keys/audit.log)")
	f.IntVar(&o.MaxSessions, "max-sessions", sshserve.DefaultMaxSessions, "most sessions at once")
	f.DurationVar(&o.IdleTimeout, "idle-timeout", sshserve.DefaultIdleTimeout, "close a session after this long without a keystroke (negative: never)")
	f.DurationVar(&o.MaxSessionTime, "max-session-time", sshserve.DefaultMaxSessionTime, "close any session this long after it started (negative: never)")
	return cmd
}

// auditLogPath is --audit-log, else audit_log from config.yaml, else
// $XDG_STATE_HOME/h2ogpte-keys/audit.log: serve always keeps a log.
func auditLogPath(flag, fromConfig string, getenv func(string) string) (string, error) {
	switch {
	case flag != "":
		return flag, nil
	case fromConfig != "":
		return fromConfig, nil
	}
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "h2ogpte-keys", "audit.log"), nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "h2ogpte-keys", "audit.log"), nil
	}
	return "", usageErrorf("no place for the audit log: set HOME or XDG_STATE_HOME, or pass --audit-log FILE")
}

// recorderFor is the audit recorder of p's changes.
func (s *service) recorderFor(p sshserve.Person) *auditRecorder {
	return &auditRecorder{log: s.audit, who: auditWho{Person: p.Name, Fingerprint: p.Fingerprint, RemoteAddr: p.RemoteAddr}}
}

// dashboard is the sshserve.DashboardFunc of `serve`: one dashboard per
// terminal session, drawn for that client, copying to that client's
// clipboard, read-only for read-only people and on a read-only host (the
// dashboard's change pipeline refuses, not only its screens), and every
// change recorded as that person's.
func (s *service) dashboard(t sshserve.Terminal) (tea.Model, []tea.ProgramOption) {
	s.log.Info("dashboard", "person", t.Person.Name, "fingerprint", t.Person.Fingerprint, "role", t.Person.Role.String())
	readOnly, _ := sessionReadOnly(t.Person, s.cfg)
	api := &sessionAPI{API: s.client, sess: t.Context, begin: t.BeginChange}
	rec := &sessionRecorder{rec: s.recorderFor(t.Person), api: api}
	app := ui.New(api, ui.Options{
		Context:      t.Context,
		Address:      s.address,
		ReadOnly:     readOnly,
		Insecure:     s.cfg.Insecure,
		Now:          s.now,
		Renderer:     t.Renderer,
		ClipboardOut: t.Output,
		Recorder:     rec,
		History:      s.history,
		Background:   s.background,
		NoExport:     "Over SSH, export with: ssh … list --all -o csv > keys.csv (e would write the file on the host)",
	})
	// A session that ends (disconnect, limits, shutdown) gives back a
	// change span it still holds, once a change under way has had time to
	// read back and record (its recording gives the span back itself).
	context.AfterFunc(t.Context, func() { time.AfterFunc(change.ReadBackGrace+5*time.Second, api.release) })
	// A cut session closes no dialog: wipe a secret still shown.
	context.AfterFunc(t.Context, app.Close)
	// The alternate screen keeps a shown secret out of the client's
	// scrollback once the dashboard ends.
	return app, ui.ProgramOptions()
}

// sessionAPI is one terminal session's view of the h2oGPTe API. Reads end
// with the session. Changes run inside the server's change span
// (Terminal.BeginChange), which shutdown waits for: the first change of a
// report opens it and the report's recording closes it (sessionRecorder),
// so a change and its audit line both finish before the server exits.
// Once shutdown has begun no new change is sent.
type sessionAPI struct {
	ui.API
	sess  context.Context
	begin func() (end func(), err error)

	mu  sync.Mutex
	end func() // the open change span, if any
}

func (s *sessionAPI) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end != nil {
		return nil
	}
	end, err := s.begin()
	if err != nil {
		return fmt.Errorf("not sent: %w", err)
	}
	s.end = end
	return nil
}

func (s *sessionAPI) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end != nil {
		s.end()
		s.end = nil
	}
}

// read derives a request context that also ends with the session, unless
// it is a change's read back on a context of its own (change.ReadingBack:
// the dashboard's context had ended, with the session, say), which the
// change pipeline bounds by change.ReadBackGrace: the audit log then gets
// the true outcome of a change under way when the session ended.
func (s *sessionAPI) read(ctx context.Context) (context.Context, context.CancelFunc) {
	if change.ReadingBack(ctx) {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.sess, cancel)
	return ctx, func() { stop(); cancel() }
}

// ListUsers reads users for the session.
func (s *sessionAPI) ListUsers(ctx context.Context) ([]model.User, error) {
	ctx, done := s.read(ctx)
	defer done()
	return s.API.ListUsers(ctx)
}

// StreamKeys reads keys for the session.
func (s *sessionAPI) StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error {
	ctx, done := s.read(ctx)
	defer done()
	return s.API.StreamKeys(ctx, username, onPage)
}

// ListCollections reads collections for the session.
func (s *sessionAPI) ListCollections(ctx context.Context, username string) ([]model.Collection, error) {
	ctx, done := s.read(ctx)
	defer done()
	return s.API.ListCollections(ctx, username)
}

// GlobalExpiryLimit reads the expiry limit for the session.
func (s *sessionAPI) GlobalExpiryLimit(ctx context.Context) (int, error) {
	ctx, done := s.read(ctx)
	defer done()
	return s.API.GlobalExpiryLimit(ctx)
}

// CreateKey creates a key inside the change span.
func (s *sessionAPI) CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error) {
	if err := s.enter(); err != nil {
		return model.CreatedKey{}, err
	}
	return s.API.CreateKey(ctx, k)
}

// Deactivate deactivates a key inside the change span.
func (s *sessionAPI) Deactivate(ctx context.Context, keyID string) error {
	if err := s.enter(); err != nil {
		return err
	}
	return s.API.Deactivate(ctx, keyID)
}

// SetExpiry sets a key's expiry inside the change span.
func (s *sessionAPI) SetExpiry(ctx context.Context, keyID string, e model.Expiry) error {
	if err := s.enter(); err != nil {
		return err
	}
	return s.API.SetExpiry(ctx, keyID, e)
}

// SetInactivity sets a key's inactivity interval inside the change span.
func (s *sessionAPI) SetInactivity(ctx context.Context, keyID string, days int) error {
	if err := s.enter(); err != nil {
		return err
	}
	return s.API.SetInactivity(ctx, keyID, days)
}

// Delete deletes a key inside the change span.
func (s *sessionAPI) Delete(ctx context.Context, keyID string) error {
	if err := s.enter(); err != nil {
		return err
	}
	return s.API.Delete(ctx, keyID)
}

// sessionRecorder records a session's report, then closes the change span
// its changes opened.
type sessionRecorder struct {
	rec *auditRecorder
	api *sessionAPI
}

// Record writes the report to the audit log and ends the change span.
func (r *sessionRecorder) Record(ctx context.Context, rep change.Report) error {
	defer r.api.release()
	return r.rec.Record(ctx, rep)
}
