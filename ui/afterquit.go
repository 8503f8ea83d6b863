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
// dashboard is gone by then, so flight keeps the reports of changes that
// finish after the quit, and ReportAfterQuit writes them out.

// flight counts the changes under way and keeps, once the dashboard has
// quit, the report lines of those that finish afterwards.
type flight struct {
	mu    sync.Mutex
	n     int
	quit  bool
	lines []string
	idle  chan struct{} // closed when n reaches 0; made by wait
}

func (f *flight) start() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *flight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
}

// quitNow marks the dashboard as quit: reports from now on are kept.
func (f *flight) quitNow() {
	f.mu.Lock()
	f.quit = true
	f.mu.Unlock()
}

// keep adds rep's lines when the dashboard has quit.
func (f *flight) keep(rep change.Report) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.quit {
		f.lines = append(f.lines, afterQuitLines(rep)...)
	}
}

// wait waits until no change is under way, ctx ends or d has passed, and
// returns how many are still under way and the lines kept.
func (f *flight) wait(ctx context.Context, d time.Duration) (left int, lines []string) {
	f.mu.Lock()
	var idle chan struct{}
	if f.n > 0 {
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
	return f.n, append([]string(nil), f.lines...)
}

// underWay is how many changes are on their way.
func (f *flight) underWay() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// inFlight counts fn, a change's command, as under way while it runs.
func (a *App) inFlight(fn func() tea.Msg) func() tea.Msg {
	return func() tea.Msg {
		a.flight.start()
		defer a.flight.end()
		return fn()
	}
}

// flightRecorder hands every report to the Recorder there was (the audit
// log), and keeps those that come after the dashboard quit.
type flightRecorder struct {
	next change.Recorder
	f    *flight
}

func (r flightRecorder) Record(ctx context.Context, rep change.Report) error {
	r.f.keep(rep)
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

// ReportAfterQuit writes to w what became of the changes that were on
// their way when the dashboard quit: it waits for them (at most a little
// over change.ReadBackGrace; the end of ctx, Ctrl+C, stops the wait), then
// writes each key's outcome, and how many did not finish. Nothing is
// written when no change was under way or finished after the quit.
func (a *App) ReportAfterQuit(ctx context.Context, w io.Writer) {
	a.flight.quitNow()
	if n := a.flight.underWay(); n > 0 {
		fmt.Fprintf(w, "h2ogpte-keys: %s under way at quit: reading back what was sent (at most %d s; Ctrl+C stops waiting)…\n",
			common.Count(n, "change"), int(change.ReadBackGrace/time.Second)+5)
	}
	left, lines := a.flight.wait(ctx, change.ReadBackGrace+5*time.Second)
	for _, l := range lines {
		fmt.Fprintln(w, "h2ogpte-keys: after quit: "+l)
	}
	if left > 0 {
		fmt.Fprintf(w, "h2ogpte-keys: %s did not finish: outcome unknown; check the keys with h2ogpte-keys list\n", common.Count(left, "change"))
	}
}
