package cli

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
	"h2ogpte-keys/sshserve"
)

// remoteCall is what a command sent over SSH runs with. Everything here is
// the host's: the person cannot choose the server, the token, TLS settings
// or files on the host, only the command and its own flags.
type remoteCall struct {
	person   sshserve.Person
	client   *client.Client
	token    model.Secret
	cfg      settings
	recorder *auditRecorder
	// historyPath is the host's usage history file, resolved from the
	// host's environment when serve started ("" when history is off).
	historyPath string
}

// remoteRefusedFlags are the root's flags that name host files or change
// how the host talks to the h2oGPTe server; over SSH they are the host's
// business.
var remoteRefusedFlags = []string{
	"address", "api-key-file", "ca-cert", "insecure-skip-tls-verify",
	"timeout", "debug", "allow-http", "log-file",
}

// remoteRefusedCommands cannot run over SSH: they open the dashboard, run
// servers on the host, print shell scripts for the host, or (snapshot)
// are the host's own cron job.
var remoteRefusedCommands = []string{
	"serve", "demo", "completion", "snapshot", helperCmd, refreshHelperCmd, cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd,
}

// remoteRecordedChanges are the change commands that run through the
// change pipeline (app.runner), whose reports reach the audit log. Any
// other change command is refused over SSH, since nothing would record it.
var remoteRecordedChanges = []string{"create", "rotate", "delete", "deactivate", "expire", "inactivity"}

// runRemote runs one command sent over SSH for p: a fresh command line
// whose streams are the session's, on the host's client and settings, with
// changes recorded as p's. It returns the exit status.
func runRemote(ctx context.Context, rc remoteCall, args []string, e Env) int {
	e.Getenv = func(string) string { return "" }
	no := func() bool { return false }
	e.StdinTTY, e.StdoutTTY, e.StderrTTY = no, no, no
	e.ReadPassword = func() ([]byte, error) { return nil, errors.New("no terminal over ssh exec") }
	e.Dashboard = func(context.Context, DashboardDeps) error {
		return usageErrorf("the dashboard needs a terminal: connect with ssh and no command")
	}
	return run(ctx, args, e, &rc)
}

// restrictRemote shapes the command tree for a command sent over SSH: the
// root without a subcommand does not open a dashboard, and host-only
// commands and flags are refused before anything runs.
func (a *app) restrictRemote(root *cobra.Command) {
	root.CompletionOptions.DisableDefaultCmd = true
	root.RunE = a.action(func(context.Context, *cobra.Command, []string) error {
		return usageErrorf("the dashboard needs a terminal: connect with ssh and no command; or send a command such as `list --all`")
	})
	pre := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		for c := cmd; c != nil; c = c.Parent() {
			if slices.Contains(remoteRefusedCommands, c.Name()) {
				return usageErrorf("%s is not available over ssh", c.Name())
			}
		}
		return pre(cmd, args)
	}
}

// remoteSettings is loadSettings for a command sent over SSH: the host's
// settings, the person's role as read-only, and only the flags that shape
// output. The host's environment and config file are not read again.
func (a *app) remoteSettings(cmd *cobra.Command) error {
	for _, name := range remoteRefusedFlags {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return usageErrorf("--%s is a setting of the host and cannot be given over ssh", name)
		}
	}
	rc := a.remote
	s := rc.cfg
	s.Debug = false
	s.LogFile = ""
	s.AuditLog = ""
	s.NoColor = true
	s.ReadOnly, s.ReadOnlyFrom = sessionReadOnly(rc.person, rc.cfg)
	if !s.ReadOnly && a.flags.readOnly {
		s.ReadOnly, s.ReadOnlyFrom = true, "--read-only"
	}
	a.cfg = s
	changed := cmd.Flags().Changed
	var err error
	if a.format, err = chooseFormat(a.flags.output, changed("output"), false); err != nil {
		return err
	}
	a.color = false
	if cmd.Annotations[annChanges] != "true" || s.ReadOnly {
		return nil // preRun refuses a change in read-only mode itself
	}
	if !slices.Contains(remoteRecordedChanges, cmd.Name()) {
		return usageErrorf("%s is not available over ssh: it would not be recorded in the audit log; use the dashboard (ssh with no command)", cmd.Name())
	}
	return nil
}

// sessionReadOnly decides whether p's session may change nothing, and
// why: the host's own read-only setting is a ceiling over every person's
// role. The host's reason is not repeated, as it may name a host file.
func sessionReadOnly(p sshserve.Person, host settings) (bool, string) {
	switch {
	case host.ReadOnly:
		return true, "this server runs read-only"
	case !p.CanChange():
		return true, "your role on this server is " + p.Role.String()
	}
	return false, ""
}

// exec is the sshserve.ExecFunc of `serve`.
func (s *service) exec(ctx context.Context, p sshserve.Person, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s.log.Info("command", "person", p.Name, "fingerprint", p.Fingerprint, "role", p.Role.String(), "command", clipCommand(args))
	rc := remoteCall{
		person:   p,
		client:   s.client,
		token:    s.token,
		cfg:      s.cfg,
		recorder: s.recorderFor(p),

		historyPath: s.historyPath,
	}
	return runRemote(ctx, rc, args, Env{
		Stdin:   stdin,
		Stdout:  stdout,
		Stderr:  stderr,
		Now:     s.now,
		Version: s.version,
	})
}

// clipCommand is a command as the server's log shows it: cleaned and
// clipped, since the person typed it.
func clipCommand(args []string) string {
	return model.Clip(model.CleanText(strings.Join(args, " ")), model.ClipLen)
}
