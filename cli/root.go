package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // an operation failed (server said no, network, partial failure)
	exitUsage = 2 // bad flags or values, missing configuration, refused by read-only
)

// annChanges marks a command that changes keys on the server. The root's
// PersistentPreRunE refuses every such command in read-only mode, so the
// rule lives in one place.
const annChanges = "changes"

// usageError is a mistake in how the tool was called; it exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitError ends the run with code after the command has already said what
// happened (a bulk delete printed every outcome); msg, if any, is the one
// summary line for stderr.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// Env is everything the tool takes from the process, injected so tests run
// the whole command line in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
	// StdinTTY, StdoutTTY and StderrTTY report which streams are a
	// terminal: stdout picks the default output format; stdin and stderr
	// (where the question is written) allow confirmation prompts.
	StdinTTY  func() bool
	StdoutTTY func() bool
	StderrTTY func() bool
	// Version is what --version prints and the User-Agent carries.
	Version string
	// ReadPassword reads one line from the terminal without echo, for the
	// token prompt; nil means golang.org/x/term on Stdin.
	ReadPassword func() ([]byte, error)
	// Dashboard opens the terminal dashboard; nil means the real one
	// (OpenDashboard). Tests put a recorder in its place.
	Dashboard func(ctx context.Context, d DashboardDeps) error
	// SecondInterruptQuits, when set, makes a second Ctrl+C end the
	// process at once (the first ends Run's context, and changes in flight
	// are read back for a few seconds). Every command but serve calls it:
	// serve's shutdown must let changes and their audit lines finish.
	SecondInterruptQuits func()
	// Executable is this program's file, which the local dashboard runs
	// as its usage history's helper (history-helper); "" records in the
	// dashboard's own process (tests, whose binary is not this program).
	Executable string
}

// OSEnv is the real process environment.
func OSEnv(version string) Env {
	return Env{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Getenv:     os.Getenv,
		Now:        time.Now,
		StdinTTY:   func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		StdoutTTY:  func() bool { return term.IsTerminal(int(os.Stdout.Fd())) },
		StderrTTY:  func() bool { return term.IsTerminal(int(os.Stderr.Fd())) },
		Version:    version,
		Executable: executable(),
	}
}

// executable is this program's file, or "" when it cannot be known.
func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// app is one run of the command line.
type app struct {
	Env
	flags globalFlags
	// user is the root's and demo's --user: the user the dashboard opens on.
	user string

	// Set by the root's PersistentPreRunE.
	cfg    settings
	format outputFormat
	color  bool

	// inRun is set once a command's own RunE starts; errors before that
	// come from parsing the command line and exit 2.
	inRun bool

	// token is the admin token once loaded; the scrubber cuts its value out
	// of everything printed on stderr.
	token model.Secret
	scrub *scrubber
	// ctx is the running command's context, set by action.
	ctx context.Context
	// debugOut receives the client's --debug log: stderr, or the log file
	// while the dashboard runs.
	debugOut *switchWriter
	// remote is set for a command sent over SSH (see runRemote): settings,
	// client and audit come from the host, never from the command line.
	remote *remoteCall
}

// Run executes the command line args and returns the exit code.
func Run(ctx context.Context, args []string, e Env) int {
	return run(ctx, args, e, nil)
}

// run is Run, or with remote set, one command sent over SSH.
func run(ctx context.Context, args []string, e Env, remote *remoteCall) (code int) {
	if e.Dashboard == nil {
		e.Dashboard = OpenDashboard
	}
	if e.Version == "" {
		e.Version = "dev"
	}
	a := &app{Env: e, remote: remote}
	if remote != nil {
		// Known from the start, so the scrubber cuts it from everything.
		a.token = remote.token
	}
	// One choke point for stderr: errors, warnings, prompts and the debug
	// log all pass the scrubber, so the token never reaches the screen.
	a.scrub = newScrubber(args, func() []string {
		return []string{a.token.Reveal(), strings.TrimSpace(e.Getenv(envToken))}
	})
	a.Stderr = &scrubWriter{w: e.Stderr, s: a.scrub}
	a.debugOut = &switchWriter{w: a.Stderr}
	defer func() {
		// A panic's message and stack could hold the token or a pasted
		// key: they are printed scrubbed, and the run fails.
		if r := recover(); r != nil {
			fmt.Fprintf(a.Stderr, "h2ogpte-keys: internal error: %s\n%s", a.scrub.scrub(fmt.Sprint(r)), debug.Stack())
			code = exitFail
		}
	}()
	root := a.newRootCmd()
	if remote != nil {
		a.restrictRemote(root)
	}
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(a.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code, msg := a.classify(cmd, err)
	if msg != "" {
		fmt.Fprintln(a.Stderr, "h2ogpte-keys: "+msg)
	}
	return code
}

// classify picks the exit code and the one line to print for err.
func (a *app) classify(cmd *cobra.Command, err error) (int, string) {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code, oneLine(a.scrub.scrub(ee.msg))
	}
	msg := oneLine(a.scrub.scrub(err.Error()))
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage, msg
	case !a.inRun:
		// cobra's own parse errors (unknown flag, missing argument...):
		// point at the help, still on one line.
		path := "h2ogpte-keys"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		return exitUsage, msg + " (see '" + path + " --help')"
	case errors.Is(err, context.Canceled):
		return exitFail, "interrupted"
	}
	return exitFail, msg
}

// oneLine keeps an error on one line and free of terminal control
// sequences: server messages end up in it.
func oneLine(s string) string {
	return strings.Join(strings.Fields(model.CleanText(s)), " ")
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "h2ogpte-keys",
		Short: "Manage every user's API keys on an h2oGPTe server",
		Long: `h2ogpte-keys lets h2oGPTe administrators list, create, expire, deactivate and
delete the API keys of every user.

The server address comes from --address or H2OGPTE_ADDRESS, the admin API key
from H2OGPTE_API_KEY or --api-key-file (never from a flag value). Settings may
also be kept in $XDG_CONFIG_HOME/h2ogpte-keys/config.yaml (address,
api_key_file, ca_cert, timeout, read_only, audit_log, history,
history_raw_retention, history_daily_retention, max_keys); flags win over the environment,
the environment over the file.

Exit codes: 0 success; 1 an operation failed (the server refused, the network
failed, or some ids of a bulk command failed); 2 a usage error (bad flags or
values, missing settings, an unknown user or collection, an expiry past the
server's limit, or a change refused in read-only mode) - nothing was changed.

Try it without a server: h2ogpte-keys demo`,
		Version: a.Version,
		// Outcomes are printed by the commands and errors by run, as one
		// line; cobra's "Error:" lines and usage dumps would add a noisier
		// second copy.
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// Without a subcommand the root opens the dashboard.
		RunE: a.action(func(ctx context.Context, _ *cobra.Command, _ []string) error {
			c, err := a.connect()
			if err != nil {
				return err
			}
			return a.openDashboard(ctx, a.dashboardDeps(c, a.cfg.Address))
		}),
		PersistentPreRunE: a.preRun,
	}
	root.SetVersionTemplate("h2ogpte-keys {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%v (see '%s --help')", err, cmd.CommandPath())
	})

	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.address, "address", "", "server address, https://HOST (env "+envAddress+")")
	pf.StringVar(&a.flags.apiKeyFile, "api-key-file", "", "read the admin API key from `FILE` (- for stdin) instead of "+envToken)
	pf.StringVar(&a.flags.caCert, "ca-cert", "", "trust the CA certificates in `FILE` (PEM) for the server")
	pf.BoolVar(&a.flags.insecure, "insecure-skip-tls-verify", false, "do not verify the server's TLS certificate (unsafe)")
	pf.DurationVar(&a.flags.timeout, "timeout", defaultTimeout, "per-request timeout")
	pf.IntVar(&a.flags.maxKeys, "max-keys", defaultMaxKeys, "stop a listing with an error past `N` keys (a server whose paging never ends)")
	pf.StringVarP(&a.flags.output, "output", "o", "", "output format: table, json or csv (default table on a terminal, json otherwise)")
	pf.BoolVar(&a.flags.noColor, "no-color", false, "no colours (also when NO_COLOR is set)")
	pf.BoolVar(&a.flags.readOnly, "read-only", false, "refuse every command that changes keys")
	pf.BoolVar(&a.flags.debug, "debug", false, "log HTTP requests and responses to stderr (secrets redacted; to --log-file while the dashboard runs)")
	pf.BoolVar(&a.flags.noHistory, "no-history", false, "neither record nor read the usage history (also history: false in config.yaml)")
	pf.BoolVar(&a.flags.allowHTTP, "allow-http", false, "allow a plain http:// address to a host other than this machine (the admin key travels unencrypted)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]string{"table", "json", "csv"}, cobra.ShellCompDirectiveNoFileComp))

	root.Flags().StringVar(&a.user, "user", "", "open the dashboard on this user's keys")
	root.Flags().StringVar(&a.flags.logFile, "log-file", "", "while the dashboard runs, write logs and stray error output to `FILE` (default $XDG_STATE_HOME/h2ogpte-keys/dashboard.log)")
	_ = root.RegisterFlagCompletionFunc("user", a.completeUsers)

	root.AddCommand(
		a.newUsersCmd(),
		a.newListCmd(),
		a.newCreateCmd(),
		a.newDeactivateCmd(),
		a.newDeleteCmd(),
		a.newExpireCmd(),
		a.newInactivityCmd(),
		a.newRotateCmd(),
		a.newSnapshotCmd(),
		a.newHistoryCmd(),
		a.newDemoCmd(),
		a.newServeCmd(),
		a.newHistoryHelperCmd(),
		a.newRefreshHelperCmd(),
	)
	return root
}

// action wraps a RunE so that errors from it count as operation failures
// (exit 1) unless they are usageErrors.
func (a *app) action(fn func(ctx context.Context, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.inRun = true
		a.ctx = cmd.Context()
		return fn(cmd.Context(), cmd, args)
	}
}

// isCobraBuiltin reports whether cmd is help or shell completion, which
// need no settings (and must work with a broken config file).
func isCobraBuiltin(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return true
		}
	}
	return false
}

// preRun resolves settings and enforces read-only mode for every command.
func (a *app) preRun(cmd *cobra.Command, _ []string) error {
	if isCobraBuiltin(cmd) {
		return nil
	}
	if err := a.loadSettings(cmd); err != nil {
		return err
	}
	if cmd.Annotations[annChanges] == "true" && a.cfg.ReadOnly {
		return usageErrorf("%s changes keys and is refused in read-only mode (%s)", cmd.Name(), a.cfg.ReadOnlyFrom)
	}
	if cmd.Name() != "serve" && a.SecondInterruptQuits != nil {
		a.SecondInterruptQuits()
	}
	return nil
}

// loadSettings reads the config file and applies flags and environment.
func (a *app) loadSettings(cmd *cobra.Command) error {
	if a.remote != nil {
		return a.remoteSettings(cmd)
	}
	path := configPath(a.Getenv)
	fc, err := loadConfigFile(path)
	if err != nil {
		return usageError{err}
	}
	changed := func(name string) bool {
		f := cmd.Flags().Lookup(name)
		return f != nil && f.Changed
	}
	s, err := resolveSettings(a.flags, changed, a.Getenv, fc, path)
	if err != nil {
		return err
	}
	a.cfg = s
	stdoutTTY := a.StdoutTTY()
	if a.format, err = chooseFormat(a.flags.output, changed("output"), stdoutTTY); err != nil {
		return err
	}
	a.color = stdoutTTY && !s.NoColor && a.Getenv("TERM") != "dumb"
	return nil
}

// connect builds the API client, or says in one line what is missing or
// wrong. Nothing is sent before the address has been vetted.
func (a *app) connect() (*client.Client, error) {
	if a.remote != nil {
		return a.remote.client, nil
	}
	tok, err := loadToken(a.cmdContext(), a.cfg, a.tokenIO())
	if err != nil {
		return nil, err
	}
	a.token = tok
	if msg := missingMessage(a.cfg.Address, tok); msg != "" {
		return nil, usageError{errors.New(msg)}
	}
	if err := a.checkAddress(a.cfg.Address, a.cfg.AddressFrom); err != nil {
		return nil, err
	}
	if t := strings.ToLower(tok.Reveal()); strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
		return nil, usageErrorf("the admin API key looks like a server address; did you swap %s and %s?", envAddress, envToken)
	}
	return a.newClient(a.cfg.Address, tok)
}

func (a *app) newClient(address string, tok model.Secret) (*client.Client, error) {
	if a.cfg.Insecure {
		warnf(a.Stderr, "TLS certificate verification is off (--insecure-skip-tls-verify): anyone on the network path can read the admin key")
	}
	c, err := client.New(client.Config{
		Address:               address,
		Token:                 tok,
		CACertFile:            a.cfg.CACert,
		InsecureSkipTLSVerify: a.cfg.Insecure,
		Timeout:               a.cfg.Timeout,
		MaxItems:              a.cfg.MaxKeys,
		UserAgent:             "h2ogpte-keys/" + a.Version,
		Debug:                 a.cfg.Debug,
		DebugOut:              a.debugOut,
	})
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// printer renders output for this run; its clock reading is taken once so
// that every row of a listing is judged at the same instant.
func (a *app) printer() printer {
	return printer{w: a.Stdout, format: a.format, now: a.Now(), color: a.color}
}
