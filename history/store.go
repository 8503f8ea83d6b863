package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	// The pure-Go driver keeps the binary free of cgo; it registers "sqlite".
	_ "modernc.org/sqlite"
)

// Default retention and timing values, used where Options leaves a field zero.
const (
	DefaultRawRetention   = 90 * 24 * time.Hour
	DefaultDailyRetention = 2 * 365 * 24 * time.Hour
	DefaultPruneEvery     = 24 * time.Hour
	DefaultBusyTimeout    = 15 * time.Second
)

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// Now is the clock used for pruning decisions; nil means time.Now.
	Now func() time.Time
	// RawRetention is how long raw observations are kept (default 90 days).
	// Windows reaching further back than this are reported as not covered.
	RawRetention time.Duration
	// DailyRetention is how long daily roll-ups are kept (default 2 years).
	DailyRetention time.Duration
	// PruneEvery is the least time between two prunes (default a day): a
	// Record prunes only when the last prune of the file is older than this.
	PruneEvery time.Duration
	// BusyTimeout is how long a writer waits for another one holding the
	// file (default 15 s) before giving up with an error.
	BusyTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RawRetention <= 0 {
		o.RawRetention = DefaultRawRetention
	}
	if o.DailyRetention <= 0 {
		o.DailyRetention = DefaultDailyRetention
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = DefaultPruneEvery
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	return o
}

// Store is the usage history of one server's keys in one SQLite file. It is
// safe for concurrent use, and several Stores (in one process or several) may
// share a file.
type Store struct {
	db       *sql.DB
	serverID int64
	server   string
	path     string
	opts     Options

	// mu guards cache: the last summary this Store read or wrote, reused
	// while the file's generation for the server is unchanged.
	mu    sync.Mutex
	cache *summary
	// states guards the key states of summaries: Record changes them in
	// place (a copy of a million states would cost hundreds of megabytes)
	// while holding it, Usage reads them while holding it for reading.
	states sync.RWMutex
}

// DefaultPath returns $XDG_STATE_HOME/h2ogpte-keys/history.db, or the same
// under ~/.local/state. A relative XDG_STATE_HOME is ignored, as XDG says.
func DefaultPath(getenv func(string) string) (string, error) {
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "h2ogpte-keys", "history.db"), nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "h2ogpte-keys", "history.db"), nil
	}
	return "", errors.New("history path: neither XDG_STATE_HOME nor HOME is set")
}

// NormalizeServer returns the form of a server address that keys the
// history: scheme and host lower-cased (https assumed when no scheme is
// given), default ports, user info, query, fragment and trailing slashes
// dropped. So "HTTPS://Example.com:443/" and "example.com" share a history,
// while two hosts, ports or path prefixes never do.
func NormalizeServer(address string) (string, error) {
	a := strings.TrimSpace(address)
	if a == "" {
		return "", errors.New("empty server address")
	}
	if !strings.Contains(a, "://") {
		a = "https://" + a
	}
	u, err := url.Parse(a)
	if err != nil {
		return "", fmt.Errorf("server address: %w", err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("server address %q has no host", address)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	return scheme + "://" + host + path, nil
}

// Open opens (creating if needed) the history file at path and returns the
// Store for server. The directory is created 0700 and the file 0600, the
// schema is brought up to date, and the file is put in WAL mode with a busy
// timeout so that the dashboard, a cron snapshot and the SSH service can
// write at the same time.
func Open(ctx context.Context, path, server string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	addr, err := NormalizeServer(server)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	if path == "" {
		return nil, errors.New("open history: empty path")
	}
	// The driver reads everything after '?' as parameters.
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open history: path %q contains '?' or '#'", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open history: create directory: %w", err)
	}
	// SQLite gives the -wal and -shm files the main file's mode, so creating
	// the main file 0600 first keeps all three private.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	f.Close()
	if err := os.Chmod(abs, 0o600); err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open history %s: %w", abs, err)
	}
	s := &Store{db: db, server: addr, path: abs, opts: opts}
	if err := migrate(ctx, db, len(migrations())); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", abs, err)
	}
	if err := s.loadServer(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open history %s: %w", abs, err)
	}
	return s, nil
}

// Server returns the normalised address this Store records for.
func (s *Store) Server() string { return s.server }

// Path returns the file's absolute path, and Options the options it was
// opened with (defaults filled in): another process opens the same history
// with them (cli's history helper).
func (s *Store) Path() string { return s.path }

// Options returns the options s was opened with; see Path.
func (s *Store) Options() Options { return s.opts }

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close history: %w", err)
	}
	return nil
}

func (s *Store) loadServer(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("server row: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO servers(address) VALUES (?)`, s.server); err != nil {
		return fmt.Errorf("server row: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT id FROM servers WHERE address = ?`, s.server).Scan(&s.serverID); err != nil {
		return fmt.Errorf("server row: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("server row: %w", err)
	}
	return nil
}

// WithLocked returns ctx carrying locked: a Store's RecordSeq or UsageEach
// under it calls locked once it holds what it waits for (the file's write
// lock and the states for RecordSeq, the states for UsageEach), before its
// work. A caller that bounds how much work runs at once (the dashboard's
// background work) takes its turn there, so it never holds a turn while
// it waits for another writer of the file.
func WithLocked(ctx context.Context, locked func()) context.Context {
	return context.WithValue(ctx, lockedKey{}, locked)
}

type lockedKey struct{}

// noteLocked calls ctx's locked function, if any.
func noteLocked(ctx context.Context) {
	if f, ok := ctx.Value(lockedKey{}).(func()); ok && f != nil {
		f()
	}
}
