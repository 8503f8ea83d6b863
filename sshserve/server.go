package sshserve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/log"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/charmbracelet/wish/logging"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"
)

// ErrShuttingDown refuses a change or session once shutdown has begun.
var ErrShuttingDown = errors.New("the server is shutting down")

// stopGrace is how long a session told to stop may take to restore the
// client's terminal before its channel is closed under it.
const stopGrace = 5 * time.Second

// Server is the SSH service. Build it with New, then call Serve (or Close).
type Server struct {
	opts     Options
	log      *log.Logger
	ssh      *ssh.Server
	ln       net.Listener
	hostFP   string
	keys     atomic.Pointer[KeySet]
	changes  changeTracker
	reloadMu sync.Mutex
	loaded   fileStamp

	mu       sync.Mutex
	sessions map[*session]struct{}
	draining bool
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// New validates opts, loads the authorized keys (an unreadable or broken
// file is an error), loads or creates the host key and starts listening, so
// a busy port or a bad file fails before Serve. The host key's fingerprint
// is logged; Fingerprint returns it.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: o.Logger, sessions: map[*session]struct{}{}}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	signer, created, err := loadOrCreateHostKey(o.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s.hostFP = gossh.FingerprintSHA256(signer.PublicKey())

	srv, err := wish.NewServer(
		// The host key goes in as an option: wish writes a fresh
		// ./id_ed25519 pair into the working directory when a server has
		// no host key by the end of its options.
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithPublicKeyAuth(s.authorize),
		wish.WithMiddleware(
			bubbletea.MiddlewareWithProgramHandler(s.program, termenv.Ascii),
			activeterm.Middleware(),
			s.route,
			s.admit,
			logging.StructuredMiddlewareWithLogger(s.log, log.InfoLevel),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	// Only a public key handler is set, so password and keyboard-interactive
	// are never offered; the config callback only caps attempts.
	srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
		return &gossh.ServerConfig{MaxAuthTries: o.MaxAuthTries}
	}
	if o.MaxSessionTime > 0 {
		// A backstop under the per-session limit, which says why it closes.
		srv.MaxTimeout = o.MaxSessionTime + stopGrace
	}
	s.ssh = srv

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.Listen, err)
	}
	s.ln = ln
	msg := "host key"
	if created {
		msg = "host key created"
	}
	s.log.Info(msg, "path", o.HostKeyPath, "fingerprint", s.hostFP)
	s.log.Info("listening", "addr", ln.Addr().String(), "people", s.keys.Load().Len())
	return s, nil
}

// Fingerprint is the host key's SHA256 fingerprint, for admins to check
// against what their ssh client shows on first connection.
func (s *Server) Fingerprint() string { return s.hostFP }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops a server whose Serve was never called (or cuts one short):
// the listener and every connection close at once.
func (s *Server) Close() error {
	err := s.ssh.Close()
	if cerr := s.ln.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// Reload re-reads the authorized keys file. On error the previous set stays
// in force (the error is logged and returned); on success sessions of keys
// no longer listed, or whose role changed, are closed. Serve calls it when
// the file's modification time or size changes; call it on SIGHUP too.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	path := s.opts.AuthorizedKeysPath
	st, err := os.Stat(path)
	if err == nil {
		s.loaded = fileStamp{mod: st.ModTime(), size: st.Size()}
		var data []byte
		data, err = os.ReadFile(path)
		if err == nil {
			var set *KeySet
			set, err = ParseAuthorizedKeys(data)
			if err == nil {
				first := s.keys.Load() == nil
				s.keys.Store(set)
				if !first {
					s.log.Info("authorized keys reloaded", "path", path, "people", set.Len())
					s.revoke(set)
				}
				return nil
			}
		}
	}
	err = fmt.Errorf("authorized keys %s: %w", path, err)
	if s.keys.Load() != nil {
		s.log.Error("reload failed; keeping the previous authorized keys", "err", err)
	}
	return err
}

// changed reports whether the authorized keys file differs (by modification
// time or size) from the one last read.
func (s *Server) changed() bool {
	st, err := os.Stat(s.opts.AuthorizedKeysPath)
	if err != nil {
		// A missing file is worth one logged error per change, not one per poll.
		return s.loaded != (fileStamp{})
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.loaded != fileStamp{mod: st.ModTime(), size: st.Size()}
}

// revoke stops sessions whose key is gone from set or whose role changed:
// the dashboard they run was built for the old role.
func (s *Server) revoke(set *KeySet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		a, ok := set.lookup(ss.PublicKey())
		switch {
		case !ok:
			ss.stop("your key is no longer authorized")
		case a.role != ss.person.Role:
			ss.stop(fmt.Sprintf("your role changed to %s; connect again", a.role))
		}
	}
}

// authorize is the public key handler: only keys in the current set pass,
// before any session starts.
//
// It also enforces MaxAuthTries itself: x/crypto/ssh forgives refused key
// queries (keys offered without a signature) up to its own limit, which
// would let a client try twice as many keys. Once a connection has had
// MaxAuthTries keys refused, every key is refused, a listed one too, until
// the client gives up or the library disconnects it.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	refused, _ := ctx.Value(authFailuresKey{}).(*atomic.Int32)
	if refused == nil {
		refused = new(atomic.Int32)
		ctx.SetValue(authFailuresKey{}, refused)
	}
	fp := gossh.FingerprintSHA256(key)
	if int(refused.Load()) >= s.opts.MaxAuthTries {
		s.log.Warn("too many keys tried; refused", "fingerprint", fp, "remote", ctx.RemoteAddr().String())
		return false
	}
	if _, ok := s.keys.Load().lookup(key); ok {
		return true
	}
	refused.Add(1)
	s.log.Warn("unknown key refused", "fingerprint", fp, "remote", ctx.RemoteAddr().String())
	return false
}

// authFailuresKey holds a connection's count of refused keys in its context.
type authFailuresKey struct{}

// Serve serves until ctx ends, then shuts down: it stops accepting, refuses
// new sessions and changes, waits up to ShutdownGrace for changes and
// commands already running, tells every session why it ends, and closes what
// is left. It returns nil after a shutdown, or the error that stopped serving.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.ssh.Serve(s.ln) }()
	// The poller ends with Serve, not only with ctx: serving can stop on
	// its own (Close, a broken listener) while ctx is still live.
	pollCtx, stopPoll := context.WithCancel(ctx)
	pollDone := make(chan struct{})
	go s.poll(pollCtx, pollDone)
	defer func() { stopPoll(); <-pollDone }()

	select {
	case err := <-errc:
		_ = s.ssh.Close()
		return fmt.Errorf("ssh server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.opts.ShutdownGrace)
	grace, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer cancel()

	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	// No new connections from here. Only the listener is closed, not the
	// ssh server (Close below ends the connections): its Shutdown waits
	// for connections in a way the race detector rightly flags when one is
	// being accepted at that moment (charmbracelet/ssh adds to a WaitGroup
	// Shutdown is already waiting on), and its wait is not needed.
	_ = s.ln.Close()

	select {
	case <-s.changes.drain():
	case <-grace.Done():
		s.log.Warn("changes still running at the end of the grace period", "running", s.changes.running())
	}
	s.stopAll("the server is shutting down")
	s.waitSessions(grace)
	err := s.ssh.Close()
	<-errc
	if err != nil {
		return fmt.Errorf("close ssh server: %w", err)
	}
	return nil
}

func (s *Server) poll(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.changed() {
				_ = s.Reload() // logged inside
			}
		}
	}
}

func (s *Server) stopAll(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		ss.stop(reason)
	}
}

// waitSessions waits for sessions to end, until ctx ends or, at most,
// stopGrace: a stopped session restores its client's terminal quickly.
func (s *Server) waitSessions(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, stopGrace)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		s.mu.Lock()
		n := len(s.sessions)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// admit is the outermost session middleware: it names the person from the
// current key set, enforces the session limit, registers the session for
// limits and shutdown, and after the session says why it was cut short.
func (s *Server) admit(next ssh.Handler) ssh.Handler {
	return func(raw ssh.Session) {
		a, ok := s.keys.Load().lookup(raw.PublicKey())
		if !ok {
			// Removed between authentication and this session.
			refuse(raw, "your key is not authorized")
			return
		}
		_, _, isPty := raw.Pty()
		ss := &session{
			Session: raw,
			person: Person{
				Name: a.name, Fingerprint: a.fingerprint, Role: a.role,
				RemoteAddr: raw.RemoteAddr().String(),
			},
			start:        s.opts.Now(),
			now:          s.opts.Now,
			touchOnWrite: !isPty || len(raw.Command()) > 0,
			done:         make(chan struct{}),
		}
		ss.touch()
		if msg := s.register(ss); msg != "" {
			refuse(raw, msg)
			return
		}
		defer s.unregister(ss)
		go s.watch(ss)
		next(ss)
		if reason := ss.complete(); reason != "" {
			s.log.Info("session stopped", "person", ss.person.Name, "reason", reason)
			_, _ = fmt.Fprintf(raw.Stderr(), "\n%s\n", reason)
			_ = raw.Exit(1)
			return
		}
		_ = raw.Exit(ss.exitCode)
	}
}

func refuse(sess ssh.Session, msg string) {
	_, _ = fmt.Fprintln(sess.Stderr(), msg)
	_ = sess.Exit(1)
}

func (s *Server) register(ss *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.draining:
		return ErrShuttingDown.Error() + "; try again later"
	case len(s.sessions) >= s.opts.MaxSessions:
		s.log.Warn("session limit reached", "person", ss.person.Name, "limit", s.opts.MaxSessions)
		return fmt.Sprintf("too many sessions (%d); try again later", s.opts.MaxSessions)
	}
	s.sessions[ss] = struct{}{}
	return ""
}

func (s *Server) unregister(ss *session) {
	close(ss.done)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, ss)
}

// watch stops ss when it has been idle too long or has run too long.
func (s *Server) watch(ss *session) {
	for {
		deadline, reason := ss.deadline(s.opts.IdleTimeout, s.opts.MaxSessionTime)
		if deadline.IsZero() {
			return
		}
		wait := deadline.Sub(s.opts.Now())
		if wait <= 0 {
			ss.stop(reason)
			select {
			case <-ss.done:
			case <-time.After(stopGrace):
				// The program did not quit: close the channel under it.
				_ = ss.Close()
			}
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ss.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// route sends commands to Exec and terminal sessions on to the dashboard.
func (s *Server) route(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ss := sess.(*session)
		if len(sess.Command()) == 0 {
			next(sess)
			return
		}
		if s.opts.Exec == nil {
			_, _ = fmt.Fprintln(sess.Stderr(), "commands are not available on this server")
			ss.exitCode = 1
			return
		}
		end, err := s.changes.begin()
		if err != nil {
			_, _ = fmt.Fprintln(sess.Stderr(), err)
			ss.exitCode = 1
			return
		}
		defer end()
		ctx, cancel := context.WithCancel(sess.Context())
		defer cancel()
		if !ss.setCancel(cancel) {
			return
		}
		execDone := make(chan struct{})
		stdin := io.Reader(sess)
		if _, _, isPty := sess.Pty(); isPty {
			// ssh -t: the client's terminal is raw, so its Ctrl+C arrives as
			// a byte (ETX), not a signal. Commands read no stdin over SSH
			// (no prompts, no token), so it is watched here instead.
			stdin = strings.NewReader("")
			// 130: as a shell reports a command ended by Ctrl+C. The
			// status sent later by the session's end is then refused.
			go cancelOnETX(sess, cancel, func() {
				select {
				case <-execDone: // ended by itself: its own status stands
				default:
					_ = sess.Exit(130)
				}
			})
		}
		ss.exitCode = s.opts.Exec(ctx, ss.person, sess.Command(), stdin, sess, sess.Stderr())
		close(execDone)
		// Before end(): once the change is over, shutdown must not turn
		// this command's status into a stop.
		ss.complete()
	}
}

// cancelOnETX reads r until it ends, calling cancel at its first Ctrl+C
// byte (ETX, 0x03) and quit at the next: the first lets a command read
// back what it had sent, the second ends the session at once.
func cancelOnETX(r io.Reader, cancel, quit func()) {
	buf := make([]byte, 256)
	seen := 0
	for {
		n, err := r.Read(buf)
		seen += bytes.Count(buf[:n], []byte{0x03})
		switch {
		case seen >= 2:
			cancel()
			quit()
			return
		case seen == 1:
			cancel()
		}
		if err != nil {
			return
		}
	}
}

// program builds the dashboard's tea.Program for a terminal session.
func (s *Server) program(sess ssh.Session) *tea.Program {
	ss := sess.(*session)
	if s.opts.Dashboard == nil {
		_, _ = fmt.Fprintln(sess.Stderr(), "the dashboard is not available on this server; send a command")
		ss.exitCode = 1
		return nil
	}
	pty, _, _ := sess.Pty()
	ctx, cancel := context.WithCancel(sess.Context())
	if !ss.setCancel(cancel) {
		cancel()
		return nil
	}
	m, opts := s.opts.Dashboard(Terminal{
		Person:      ss.person,
		Renderer:    bubbletea.MakeRenderer(sess),
		Output:      sess,
		Width:       pty.Window.Width,
		Height:      pty.Window.Height,
		Term:        pty.Term,
		Context:     ctx,
		BeginChange: s.changes.begin,
	})
	if m == nil {
		ss.exitCode = 1
		return nil
	}
	opts = append(opts, bubbletea.MakeOptions(sess)...)
	opts = append(opts, tea.WithContext(ctx))
	p := tea.NewProgram(m, opts...)
	if !ss.setProgram(p) {
		return nil
	}
	return p
}
