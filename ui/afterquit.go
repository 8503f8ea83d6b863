package ui

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Quitting while changes are on their way to the server ends their
// context: nothing more is sent, and the change pipeline reads back what
// was in flight, on a context of its own (change.ReadBackGrace). The
// dashboard is gone by then, so every change's report is kept on its
// flight entry until the dashboard has shown its result, and
// ReportAfterQuit writes out the reports it never showed.

// flight holds the changes under way and those whose result the
// dashboard has not shown yet.
type flight struct {
	mu      sync.Mutex
	entries []*flightEntry // not shown yet, oldest first
	idle    chan struct{}  // closed when none is running; made by wait
}

// flightEntry is one change command: its reports' lines, and whether it
// still runs.
type flightEntry struct {
	running bool
	lines   []string
}

type flightKey struct{}

// flightDoneMsg is a change command's result, with its entry.
type flightDoneMsg struct {
	e   *flightEntry
	msg tea.Msg
}

func (f *flight) start() *flightEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := &flightEntry{running: true}
	f.entries = append(f.entries, e)
	return e
}

func (f *flight) end(e *flightEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.running = false
	if f.idle != nil && f.runningLocked() == 0 {
		close(f.idle)
		f.idle = nil
	}
}

// shown drops e: the dashboard has shown its result.
func (f *flight) shown(e *flightEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.entries {
		if x == e {
			f.entries = append(f.entries[:i], f.entries[i+1:]...)
			return
		}
	}
}

func (f *flight) add(e *flightEntry, lines []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.lines = append(e.lines, lines...)
}

func (f *flight) runningLocked() int {
	n := 0
	for _, e := range f.entries {
		if e.running {
			n++
		}
	}
	return n
}

// pending is how many changes run, and how many have results not shown.
func (f *flight) pending() (running, unshown int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runningLocked(), len(f.entries)
}

// wait waits until no change runs, ctx ends or d has passed, and returns
// how many still run and the lines of every result not shown.
func (f *flight) wait(ctx context.Context, d time.Duration) (left int, lines []string) {
	f.mu.Lock()
	var idle chan struct{}
	if f.runningLocked() > 0 {
		if f.idle == nil {
			f.idle = make(chan struct{})
		}
		idle = f.idle
	}
	f.mu.Unlock()
	if idle != nil {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-idle:
		case <-ctx.Done():
		case <-t.C:
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		lines = append(lines, e.lines...)
	}
	return f.runningLocked(), lines
}

// inFlight runs a change's command (made with the context it is given)
// under a flight entry: the reports its change pipeline records are kept
// on the entry until Update has the result (flightDoneMsg).
func (a *App) inFlight(cmd func(ctx context.Context) func() tea.Msg) func() tea.Msg {
	return func() tea.Msg {
		e := a.flight.start()
		defer a.flight.end(e)
		return flightDoneMsg{e: e, msg: cmd(context.WithValue(a.ctx, flightKey{}, e))()}
	}
}

// flightRecorder hands every report to the Recorder there was (the audit
// log), and keeps its lines on the flight entry of the command it came
// from.
type flightRecorder struct {
	next change.Recorder
	f    *flight
}

func (r flightRecorder) Record(ctx context.Context, rep change.Report) error {
	if e, ok := ctx.Value(flightKey{}).(*flightEntry); ok {
		r.f.add(e, afterQuitLines(rep))
	}
	if r.next == nil {
		return nil
	}
	return r.next.Record(ctx, rep)
}

// afterQuitLines words each key of a report that came after the quit.
func afterQuitLines(rep change.Report) []string {
	var out []string
	for i, r := range rep.Results {
		what := rep.Action
		created := rep.Action == "create" || (rep.Action == "rotate" && i == 0)
		switch {
		case rep.Action == "rotate" && i == 0:
			what = "create (rotation)"
		case rep.Action == "rotate":
			what = "retire the old key (rotation)"
		}
		key := fmt.Sprintf("key %s", displayName(r.Key))
		if id := model.CleanText(r.Key.ID); id != "" && model.CleanText(r.Key.Name) != "" {
			key += " (" + id + ")"
		}
		if u := model.CleanText(r.Key.Username); u != "" {
			key += " of " + u
		}
		var line string
		switch r.Outcome {
		case model.Done:
			line = fmt.Sprintf("%s of %s: done", what, key)
			if created {
				line += "; its secret was never shown and cannot be shown again"
				if id := model.CleanText(r.Key.ID); id != "" {
					line += ": if it is not wanted, h2ogpte-keys delete " + id
				}
			}
		case model.NotDone:
			line = fmt.Sprintf("%s of %s: not done (%s)", what, key, describe(r.Err))
		default:
			line = fmt.Sprintf("%s of %s: unknown (%s); check with h2ogpte-keys list", what, key, describe(r.Err))
		}
		out = append(out, line)
	}
	return out
}

// ReportAfterQuit writes to w what became of the changes whose results the
// dashboard did not show before it quit: it waits for those still on
// their way (at most a little over change.ReadBackGrace; the end of ctx,
// Ctrl+C, stops the wait), then writes each key's outcome, and how many
// did not finish. Nothing is written when every result was shown.
func (a *App) ReportAfterQuit(ctx context.Context, w io.Writer) {
	if running, _ := a.flight.pending(); running > 0 {
		fmt.Fprintf(w, "h2ogpte-keys: %s under way at quit: reading back what was sent (at most %d s; Ctrl+C stops waiting)…\n",
			common.Count(running, "change"), int(change.ReadBackGrace/time.Second)+5)
	}
	left, lines := a.flight.wait(ctx, change.ReadBackGrace+5*time.Second)
	for _, l := range lines {
		fmt.Fprintln(w, "h2ogpte-keys: after quit: "+l)
	}
	if left > 0 {
		fmt.Fprintf(w, "h2ogpte-keys: %s did not finish: outcome unknown; check the keys with h2ogpte-keys list\n", common.Count(left, "change"))
	}
}
