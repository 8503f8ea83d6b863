package ui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/ui/components/keytable"
)

// Refresher reads a refresh's keys and builds their table (decoding,
// measuring, indexing and the name order) somewhere other than the
// dashboard's process: the local dashboard's refresh helper, a process in
// a session of its own, so that a million keys' work is not weighed with
// the screen's threads when the system shares its processors between
// sessions (Linux's autogroups). Only taking the finished table over
// (keytable.ReadBuilder) is the dashboard's.
type Refresher interface {
	// Refresh lists username's keys ("" = every user's) as of now and
	// returns them built. sizeHint is about how many there will be;
	// progress is told of keys read as they are (how many more each
	// time); gate runs the taking over in this process, when it sees fit
	// (the dashboard's Background). An error matching ErrRefreshHere
	// means nothing it read is to be used and the dashboard is to refresh
	// in its own process (reading again changes nothing on the server);
	// any other is the refresh's failure, with words for the status bar
	// (as describe gives them).
	Refresh(ctx context.Context, username string, now time.Time, sizeHint int, progress func(n int), gate func(func())) (*keytable.Builder, error)
}

// ErrRefreshHere is a Refresher's answer when it could not start, or
// stopped without a whole answer: the dashboard then refreshes in its own
// process, as without one.
var ErrRefreshHere = errors.New("refresh in this process")

// refreshElsewhere is streamKeys for a refresh through r: the keys' count
// comes as they are read, and the built table as the last event. A
// refresher that answers ErrRefreshHere hands over to here (streamKeys in
// this process) on the same channel.
func refreshElsewhere(ctx context.Context, r Refresher, username string, now time.Time, sizeHint int, bg *Background, ch chan<- keysEvent, here tea.Cmd) tea.Cmd {
	return func() tea.Msg {
		send := sendUnlessDone(ctx, ch)
		gate := func(f func()) { f() }
		if bg != nil {
			gate = bg.Run
		}
		counted := 0
		b, err := r.Refresh(ctx, username, now, sizeHint, func(n int) {
			counted += n
			send(keysEvent{indexed: n})
		}, gate)
		if errors.Is(err, ErrRefreshHere) {
			// What it counted is dropped with what it read: the
			// status bar counts the keys read here from nought.
			if counted > 0 {
				send(keysEvent{indexed: -counted})
			}
			return here()
		}
		defer close(ch)
		if err != nil {
			b = nil
		}
		send(keysEvent{done: true, err: err, built: b})
		return nil
	}
}
