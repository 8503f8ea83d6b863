package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	tea "github.com/charmbracelet/bubbletea"
)

// Run runs the dashboard until the admin quits or ctx ends. It draws on the
// alternate screen, so no secret is left in the scrollback afterwards.
func Run(ctx context.Context, api API, opts Options) error {
	opts.Context = ctx
	procs, undo := spareProcessor()
	defer undo()
	if opts.Background == nil {
		opts.Background = NewBackground(procs - 1)
	}
	app := New(api, opts)
	defer app.Close() // the context may end the program with the secret shown
	popts := append(ProgramOptions(), tea.WithFPS(FPS), tea.WithContext(ctx))
	if in, err := openPollInput(int(os.Stdin.Fd())); err == nil {
		// Closed after the program, whose reader it ends: bubbletea
		// cannot stop a read of an input it did not open (its fallback
		// reader's Cancel returns false). So this input does not suit
		// tea.ExecProcess, Suspend or ReleaseTerminal, which the
		// dashboard does not use: a read under way would take the first
		// keys meant for what runs meanwhile.
		defer in.Close()
		popts = append(popts, tea.WithInput(in))
	}
	p := tea.NewProgram(app, popts...)
	_, err := p.Run()
	if opts.AfterQuit != nil {
		app.ReportAfterQuit(ctx, opts.AfterQuit)
	}
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// spareProcessor lets the Go runtime run one goroutine more at once than
// it would (GOMAXPROCS one over its default), for the screen. The
// background work (Background) takes the processors there were, but one,
// and the collector's mark worker, when it is behind, takes one of them
// too: in a runtime trace of a million-key refresh it held the one left
// for about 40 ms while the key's goroutines waited. With one more, the
// system's scheduler shares the machine's processors among the threads,
// and a thread woken by a key gets its turn as the others do. (Sorts on
// a key press split their work by GOMAXPROCS too, so into one part more.)
//
// It is left as it is when the admin set GOMAXPROCS, and when the
// default is under the machine's processors: a CPU quota (a container's)
// bounds it, and one thread more than the quota would have the system
// throttle the whole process, the very wait this is to spare. It returns
// the number of processors there were, and a function that gives the
// runtime its default back (and its updates of it, which setting
// GOMAXPROCS turns off). It is process-wide: for a process that runs one
// dashboard.
func spareProcessor() (procs int, undo func()) {
	procs = runtime.GOMAXPROCS(0)
	// The runtime takes a positive number only; anything else is unset.
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && n > 0 {
		return procs, func() {}
	}
	if procs < runtime.NumCPU() {
		return procs, func() {}
	}
	runtime.GOMAXPROCS(procs + 1)
	return procs, runtime.SetDefaultGOMAXPROCS
}

// FPS is how many times a second the local dashboard's screen may be
// redrawn: bubbletea's most. A key press waits for the next frame to be
// seen, up to 1/FPS: at bubbletea's default of 60 that was up to 16.7 ms of
// every press's latency (8.3 ms here). A frame with nothing new writes
// nothing, but bubbletea still compares it with the last, so the SSH
// service's sessions, whose presses wait on the network anyway, keep the
// default.
const FPS = 120

// ProgramOptions are the options every dashboard's program runs with, the
// local one and each SSH session's: the alternate screen, so that a secret
// shown once is not left in the terminal's scrollback afterwards.
func ProgramOptions() []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithAltScreen()}
}
