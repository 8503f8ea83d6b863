package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui"
	"h2ogpte-keys/ui/common"
)

// helperGCPercent is the history helper's garbage collection pace
// (GOGC): the heap may grow a quarter over what the last collection found
// live, as the dashboard's own recording was paced (ui.BoundHeap).
const helperGCPercent = 25

// helperCmd is the hidden command a dashboard runs to record a read of
// keys in the usage history (history.ServeRecording).
const helperCmd = "history-helper"

// helperNice is the history helper's priority: the lowest.
const helperNice = 19

// newHistoryHelperCmd is the history helper: a process the local dashboard
// starts for each recording, in a session of its own (its own scheduling
// group on Linux) at the lowest priority. It reads one request on stdin
// and answers on stdout; it needs no token and reads no settings: what it
// opens is on its command line.
func (a *app) newHistoryHelperCmd() *cobra.Command {
	var (
		path, server          string
		raw, daily, pruneEach time.Duration
		busy                  time.Duration
	)
	cmd := a.helperCommand(helperCmd, "Record one read of keys in the usage history (run by the dashboard)", helperNice,
		func(cmd *cobra.Command) error {
			// Its garbage (rows on their way into SQLite) is short-lived:
			// a tighter pace holds its peak down, for CPU that is the
			// lowest priority's. A GOGC the admin set is left as it is.
			if a.Getenv("GOGC") == "" {
				debug.SetGCPercent(helperGCPercent)
			}
			open := func(ctx context.Context) (*history.Store, error) {
				return history.Open(ctx, path, server, history.Options{
					RawRetention: raw, DailyRetention: daily, PruneEvery: pruneEach, BusyTimeout: busy,
				})
			}
			return history.ServeRecording(cmd.Context(), open, a.Stdin, a.Stdout, ui.UsageShown)
		})
	f := cmd.Flags()
	f.StringVar(&path, "path", "", "the history file")
	f.StringVar(&server, "server", "", "the server the history is of")
	f.DurationVar(&raw, "raw-retention", 0, "how long raw observations are kept")
	f.DurationVar(&daily, "daily-retention", 0, "how long daily roll-ups are kept")
	f.DurationVar(&pruneEach, "prune-every", 0, "the least time between two prunes")
	f.DurationVar(&busy, "busy-timeout", 0, "how long to wait for another writer")
	return cmd
}

// helperHistory is the local dashboard's usage history when this program's
// executable is known: each load is recorded, and its usage read, by a
// history helper process; the details dialog's daily calls are read in
// this process.
type helperHistory struct {
	forgetful
	// argv runs the helper on the store's file.
	argv []string
	// env is the helper's environment: this process's without the token.
	env []string
	// stderr gets the helper's own errors: the dashboard's log file.
	stderr io.Writer
	// one is held by the helper at work: a refresh's recording waits for
	// the last one's end here, as it waited for the store's lock in the
	// dashboard's process. Two helpers at once would meet at the file's
	// lock instead, whose busy timeout (15 s) a million keys' recording
	// at the lowest priority can outlast.
	one chan struct{}
}

// newHelperHistory records st's loads with the executable exe.
func newHelperHistory(st *history.Store, exe string, stderr io.Writer) helperHistory {
	o := st.Options()
	argv := []string{exe, helperCmd,
		"--path", st.Path(), "--server", st.Server(),
		"--raw-retention", o.RawRetention.String(), "--daily-retention", o.DailyRetention.String(),
		"--prune-every", o.PruneEvery.String(), "--busy-timeout", o.BusyTimeout.String(),
	}
	return helperHistory{forgetful: forgetful{st}, argv: argv, env: helperEnv(os.Environ()), stderr: stderr, one: make(chan struct{}, 1)}
}

// helperCommand is a hidden command the local dashboard runs as a helper
// process (history-helper, refresh-helper): no arguments; settings,
// config file and token are the dashboard's business, so its hook
// replaces the root's, and refuses a run over SSH itself (a person must
// not write files or read keys on the host's terms); run starts once the
// process is at nice value nice (lowerPriorityTo).
func (a *app) helperCommand(name, short string, nice int, run func(*cobra.Command) error) *cobra.Command {
	return &cobra.Command{
		Use:    name,
		Short:  short,
		Hidden: true,
		Args:   cobra.NoArgs,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if a.remote != nil {
				return usageErrorf("%s is not available over ssh", name)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.inRun = true
			lowerPriorityTo(name, nice)
			return run(cmd)
		},
	}
}

// reexecEnv marks a helper that has started itself again at its
// priority (reexecAt, Linux): it is not started a third time.
const reexecEnv = "H2OGPTE_KEYS_HELPER_REEXEC"

// helperEnv is env without the admin token (the history helper never
// talks to the server; the refresh helper gets it on stdin) and without
// reexecEnv, which a helper sets for itself alone.
func helperEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, envToken+"=") && !strings.HasPrefix(kv, reexecEnv+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// RecordUsage runs the helper on one read (ui.RecordingHistory). A helper
// that does not start is ui.ErrRecordHere: nothing was sent, and the
// dashboard records in this process.
func (h helperHistory) RecordUsage(ctx context.Context, readAt time.Time, keys iter.Seq[*model.APIKey], each func(string, history.Usage)) error {
	select {
	case h.one <- struct{}{}:
		defer func() { <-h.one }()
	case <-ctx.Done():
		return ctx.Err()
	}
	cmd, stdin, stdout, err := startHelper(ctx, h.argv, h.env, h.stderr)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Printf("usage history: the history helper did not start (%v): recording in the dashboard's process", err)
		return fmt.Errorf("%w: the history helper did not start: %v", ui.ErrRecordHere, err)
	}
	// The helper reads the whole request before it answers: the request
	// is written whole, then the answer read whole, on this goroutine.
	start, sent, shown := time.Now(), 0, 0
	counted := func(yield func(*model.APIKey) bool) {
		for k := range keys {
			sent++
			if !yield(k) {
				return
			}
		}
	}
	werr := history.WriteRecording(stdin, readAt, counted)
	cerr := stdin.Close()
	answer, rerr := io.ReadAll(stdout)
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err = history.ReadUsages(bytes.NewReader(answer), func(id string, u history.Usage) {
		shown++
		each(id, u)
	})
	if err == nil {
		peak := ""
		if mib, ok := peakMiB(cmd.ProcessState); ok {
			peak = fmt.Sprintf(", its peak RSS %.0f MiB", mib)
		}
		log.Printf("usage history: %s recorded by the history helper (pid %d) in %.2f s%s; %s with usage to show",
			common.Count(sent, "key"), cmd.Process.Pid, time.Since(start).Seconds(), peak, common.Count(shown, "key"))
	}
	if errors.Is(err, history.ErrHelperCut) {
		// Say why: the request could not be sent, or the helper ended.
		switch {
		case werr != nil:
			// The end mark may not have reached the helper, which
			// records nothing without it.
			return fmt.Errorf("not recorded: the keys could not be sent to the history helper: %v", werr)
		case cerr != nil:
			return fmt.Errorf("%w (sending the keys: %v)", err, cerr)
		case rerr != nil:
			return fmt.Errorf("%w (reading its answer: %v)", err, rerr)
		case waitErr != nil:
			return fmt.Errorf("%w (%v)", err, waitErr)
		}
	}
	return err
}

// startHelper starts a helper process (argv) as the dashboard runs its
// helpers: in a session of its own (ownSession), with env, its stderr to
// stderr, ended with ctx, and pipes to its stdin and from its stdout.
func startHelper(ctx context.Context, argv, env []string, stderr io.Writer) (*exec.Cmd, io.WriteCloser, io.ReadCloser, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	ownSession(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close()
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	return cmd, stdin, stdout, nil
}
