package sshserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/log"
)

// Defaults for Options' zero fields.
const (
	DefaultListen         = "127.0.0.1:23234"
	DefaultMaxSessions    = 10
	DefaultIdleTimeout    = 15 * time.Minute
	DefaultMaxSessionTime = 8 * time.Hour
	DefaultMaxAuthTries   = 6
	DefaultShutdownGrace  = 30 * time.Second
	DefaultReloadInterval = 2 * time.Second
)

// Terminal is what a dashboard session gets: who is there, and how to draw
// on and write to their terminal.
type Terminal struct {
	// Person is who is on the other end.
	Person Person
	// Renderer draws for this client: its colour profile (from its TERM and
	// environment) and its background. Build every lipgloss style of this
	// session from it, never from lipgloss's default renderer, which
	// describes the server's own terminal.
	Renderer *lipgloss.Renderer
	// Output writes to this client's terminal, in turn with the program's own
	// frames: OSC 52 (copy to clipboard) written here reaches this person's
	// clipboard, and nobody else's.
	Output io.Writer
	// Width and Height are the terminal's size at the start; changes arrive
	// as tea.WindowSizeMsg.
	Width, Height int
	// Term is the client's TERM.
	Term string
	// Context ends with the session.
	Context context.Context
	// BeginChange must be called before a change is sent and its end called
	// once the change's result is on record. Shutdown waits (up to the
	// grace) for changes begun; once shutdown has started it refuses with
	// ErrShuttingDown, and the change must not be sent.
	BeginChange func() (end func(), err error)
}

// DashboardFunc builds the Bubble Tea program of one terminal session. The
// input and output options are added after the returned ones; a nil model
// refuses the session.
type DashboardFunc func(t Terminal) (tea.Model, []tea.ProgramOption)

// ExecFunc runs a command sent without a terminal session (`ssh host list
// --all -o csv`) and returns its exit status. ctx ends when the session is
// cut short (idle, time limit, key revoked, forced shutdown). The whole
// command counts as a change for shutdown: it is let finish within the grace.
type ExecFunc func(ctx context.Context, p Person, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Options configure a Server. Zero fields take the defaults above; for
// IdleTimeout and MaxSessionTime a negative value means no limit.
type Options struct {
	// Listen is the TCP address to listen on.
	Listen string
	// HostKeyPath is the host's private key, created (ed25519, 0600) when
	// missing; default $XDG_DATA_HOME/h2ogpte-keys/ssh_host_ed25519_key.
	HostKeyPath string
	// AuthorizedKeysPath lists who may enter (OpenSSH format, see
	// ParseAuthorizedKeys). Required: New refuses to start without it.
	AuthorizedKeysPath string
	// MaxSessions is the most sessions at once; the next is told to try later.
	MaxSessions int
	// IdleTimeout closes a terminal session after this long without a
	// keystroke (an exec session: without input or output).
	IdleTimeout time.Duration
	// MaxSessionTime closes any session this long after it started.
	MaxSessionTime time.Duration
	// MaxAuthTries is the most failed authentication attempts per connection.
	MaxAuthTries int
	// ShutdownGrace bounds how long Serve waits, after its context ends, for
	// running changes and commands before closing every connection.
	ShutdownGrace time.Duration
	// ReloadInterval is how often the authorized keys file's modification
	// time and size are checked for a change.
	ReloadInterval time.Duration
	// Logger receives connections, refusals, reloads and the host key
	// fingerprint; default: stderr.
	Logger *log.Logger
	// Getenv reads the environment (XDG_DATA_HOME, HOME); default os.Getenv.
	Getenv func(string) string
	// Now is the clock for idle and session limits; default time.Now.
	Now func() time.Time

	// Dashboard serves terminal sessions; nil refuses them with a message.
	Dashboard DashboardFunc
	// Exec serves commands; nil refuses them with a message.
	Exec ExecFunc
}

// ErrNoAuthorizedKeys is returned by New without an authorized keys file:
// the service never runs open to anyone.
var ErrNoAuthorizedKeys = errors.New("an authorized keys file is required: nobody could be let in without one")

func (o Options) withDefaults() (Options, error) {
	if o.AuthorizedKeysPath == "" {
		return o, ErrNoAuthorizedKeys
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.HostKeyPath == "" {
		p, err := DefaultHostKeyPath(o.Getenv)
		if err != nil {
			return o, err
		}
		o.HostKeyPath = p
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxSessionTime == 0 {
		o.MaxSessionTime = DefaultMaxSessionTime
	}
	if o.MaxAuthTries <= 0 {
		o.MaxAuthTries = DefaultMaxAuthTries
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = DefaultShutdownGrace
	}
	if o.ReloadInterval <= 0 {
		o.ReloadInterval = DefaultReloadInterval
	}
	if o.Logger == nil {
		o.Logger = log.NewWithOptions(os.Stderr, log.Options{ReportTimestamp: true, Prefix: "serve"})
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// DefaultHostKeyPath is $XDG_DATA_HOME/h2ogpte-keys/ssh_host_ed25519_key,
// with XDG's fallback of ~/.local/share.
func DefaultHostKeyPath(getenv func(string) string) (string, error) {
	dir := getenv("XDG_DATA_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("host key: neither XDG_DATA_HOME nor HOME is set; give a host key path")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "h2ogpte-keys", "ssh_host_ed25519_key"), nil
}
