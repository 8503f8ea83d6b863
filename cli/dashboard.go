package cli

import (
	"context"
	"fmt"
	"iter"
	"log"
	"os"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui"
	"h2ogpte-keys/ui/components/secret"
)

// OpenDashboard checks that the token may manage keys, then runs the
// dashboard until the admin quits. A rejected token or a non-admin's key is
// one clear line and exit 1, never an empty table.
func OpenDashboard(ctx context.Context, d DashboardDeps) error {
	if err := d.Client.CheckAdmin(ctx); err != nil {
		return fmt.Errorf("cannot open the dashboard: %w", err)
	}
	if d.NoColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	// The process is this one dashboard's: bound its heap (process-wide).
	defer ui.BoundHeap()()
	opts := ui.Options{
		Address:  d.Address,
		User:     d.User,
		ReadOnly: d.ReadOnly,
		Insecure: d.Insecure,
		Now:      d.Now,
		Recorder: d.Recorder,
		// The standard log is the dashboard's log file while it runs
		// (openDashboard).
		LoadLog: func(line string) { log.Print(line) },
	}
	if d.OpenHistory != nil {
		st, err := d.OpenHistory(ctx)
		switch {
		case err != nil:
			// The keys matter more than their history: the dashboard opens,
			// and says on its status bar why nothing is recorded.
			opts.History = brokenHistory{err: err}
		case st != nil && d.Helper != "":
			defer st.Close()
			// Descriptor 2 is the dashboard's log file by now.
			opts.History = newHelperHistory(st, d.Helper, os.Stderr)
		case st != nil:
			defer st.Close()
			opts.History = forgetful{st}
		}
	}
	if d.Helper != "" {
		// A refresh is read and built by a helper process; descriptor 2
		// (its debug log and errors) is the dashboard's log file.
		opts.Refresher = newHelperRefresher(d.Helper, d.Client.Config(), os.Stderr)
	}
	// Descriptor 2 is the log file while the dashboard runs; OSC 52
	// copies go to the terminal stderr was, and only to a terminal.
	if d.TTYStderr != nil && term.IsTerminal(int(d.TTYStderr.Fd())) {
		opts.Copier = secret.NewCopier(d.TTYStderr)
	} else {
		opts.Copier = secret.NewCopier(nil)
	}
	// What became of changes under way at quit goes where stderr was.
	if d.TTYStderr != nil {
		opts.AfterQuit = d.TTYStderr
	}
	return ui.Run(ctx, d.Client, opts)
}

// forgetful is the local dashboard's usage history: it reads usage once
// per load, right after recording it, so the store need not keep every
// key's state between loads (the SSH service's shared store does: its
// sessions read usage at any time).
type forgetful struct{ *history.Store }

func (f forgetful) UsageEach(ctx context.Context, now time.Time, ids []string, size func(int), each func(string, history.Usage)) error {
	defer f.Forget()
	return f.Store.UsageEach(ctx, now, ids, size, each)
}

// brokenHistory is a usage history that could not be opened: every use
// gives the reason, which the dashboard shows once per load.
type brokenHistory struct{ err error }

func (b brokenHistory) RecordSeq(context.Context, time.Time, iter.Seq[*model.APIKey]) error {
	return b.err
}

func (b brokenHistory) UsageEach(context.Context, time.Time, []string, func(int), func(string, history.Usage)) error {
	return b.err
}

func (b brokenHistory) Daily(context.Context, string, int, time.Time) ([]history.Day, time.Time, error) {
	return nil, time.Time{}, b.err
}
