package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/export"
	"h2ogpte-keys/ui/components/keytable"
	"h2ogpte-keys/ui/components/newkey"
)

// Every command here is built by a plain function from copied values: none
// reads the App, so none races with Update (no I/O in Update).

// refuseChanges is the one guard between read-only mode and the server:
// every changing request, and every dialog that leads to one, asks it first.
func (a *App) refuseChanges() tea.Cmd {
	if a.opts.ReadOnly {
		return common.Err(ErrReadOnly)
	}
	return nil
}

// request runs fn as a command with a spinner on the status bar labelled
// label, until the reply reaches Update.
func (a *App) request(label string, fn func() tea.Msg) tea.Cmd {
	id, spin := a.status.Start(label)
	return tea.Batch(spin, func() tea.Msg { return taskDoneMsg{task: id, msg: fn()} })
}

// read runs fn like request, under its own context that esc cancels
// (stopReads): a read the admin stops ends at once, and its reply, an
// error of the cancelled context, is dropped instead of shown.
func (a *App) read(label string, fn func(ctx context.Context) func() tea.Msg) tea.Cmd {
	ctx, cancel := context.WithCancel(a.ctx)
	id, spin := a.status.Start(label)
	a.reads[id] = &pendingRead{label: label, cancel: cancel}
	do := fn(ctx)
	return tea.Batch(spin, func() tea.Msg { return taskDoneMsg{task: id, msg: do()} })
}

// pendingRead is a read in flight that esc can stop.
type pendingRead struct {
	label   string
	cancel  context.CancelFunc
	stopped bool
}

func loadUsers(ctx context.Context, api API) func() tea.Msg {
	return func() tea.Msg {
		users, err := api.ListUsers(ctx)
		return usersLoadedMsg{users: users, err: err}
	}
}

func loadLimit(ctx context.Context, api API) func() tea.Msg {
	return func() tea.Msg {
		days, err := api.GlobalExpiryLimit(ctx)
		if err != nil {
			err = fmt.Errorf("read the expiry limit: %w", err)
		}
		return limitLoadedMsg{days: days, err: err}
	}
}

// streamKeys reads username's keys ("" = every user's) page by page into
// ch, then the end, and closes ch. Each page is formatted for the table
// here, as of now, so Update only appends ready rows: on a goroutine of
// its own, so the listing reads and checks the next pages meanwhile (at
// most formatAhead+2 pages are being formatted or wait to be sent), and
// sent in the listing's order. With build (a refresh, whose table shows
// the old rows until the new ones are complete), each page is indexed
// into build instead, in the listing's order, and only its count sent;
// the last event brings build; its decoding, formatting and indexing run
// on bg (when not nil), page by page. A send gives up when ctx is
// cancelled, so a superseded load's goroutine never blocks on a reader
// that has gone.
func streamKeys(ctx context.Context, api API, username string, now time.Time, build *keytable.Builder, bg *Background, ch chan<- keysEvent) tea.Cmd {
	if build == nil {
		bg = nil // a first load is what the admin waits for
	} else if bg != nil {
		ctx = client.WithDecodeGate(ctx, bg.Run)
	}
	return func() tea.Msg {
		defer close(ch)
		send := sendUnlessDone(ctx, ch)
		queue := make(chan chan keytable.Rows, formatAhead)
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			for rows := range queue {
				r := <-rows
				if build == nil {
					send(keysEvent{rows: r})
					continue
				}
				n := r.Len()
				bg.Run(func() { build.Add(&r) })
				send(keysEvent{indexed: n})
			}
		}()
		err := api.StreamKeys(ctx, username, func(page []model.APIKey) {
			if len(page) == 0 {
				return
			}
			rows := make(chan keytable.Rows, 1)
			go func() {
				var r keytable.Rows
				bg.Run(func() { r = keytable.FormatRows(page, now) })
				rows <- r
			}()
			select {
			case queue <- rows:
			case <-ctx.Done():
			}
		})
		close(queue)
		<-sent
		send(keysEvent{done: true, err: err, built: build})
		return nil
	}
}

// sendUnlessDone sends a load's events on ch, giving up when ctx is
// done: a superseded load's goroutine never blocks on a reader that has
// gone.
func sendUnlessDone(ctx context.Context, ch chan<- keysEvent) func(keysEvent) {
	return func(ev keysEvent) {
		select {
		case ch <- ev:
		case <-ctx.Done():
		}
	}
}

// formatAhead is how many formatted (or formatting) pages of a load may
// queue for sending while the listing goes on; with the one being sent
// and the one the listing hands over, formatAhead+2 at most.
const formatAhead = 4

// waitPage waits for the next page of a load; pages already waiting are
// taken together, so a fast server costs one Update per batch, not per page.
func waitPage(tag loadTag, ch <-chan keysEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return keysPageMsg{tag: tag, done: true}
		}
		msg := keysPageMsg{tag: tag, rows: ev.rows, indexed: ev.indexed, built: ev.built, done: ev.done, err: ev.err}
		for !msg.done {
			select {
			case ev, ok := <-ch:
				if !ok {
					msg.done = true
					return msg
				}
				msg.rows = msg.rows.Append(ev.rows)
				msg.indexed += ev.indexed
				msg.built, msg.done, msg.err = ev.built, ev.done, ev.err
			default:
				return msg
			}
		}
		return msg
	}
}

// prepareNewKey fetches what the New API key form offers: the user's own
// collections, and the expiry limit fresh (it may have changed).
func prepareNewKey(ctx context.Context, api API, user model.User) func() tea.Msg {
	return func() tea.Msg {
		cols, err := api.ListCollections(ctx, user.Username)
		if err != nil {
			return newKeyReadyMsg{user: user, err: err}
		}
		limit, lerr := api.GlobalExpiryLimit(ctx)
		return newKeyReadyMsg{user: user, cols: cols, limit: limit, limitKnown: lerr == nil}
	}
}

// createKey sends one create through the pipeline, never retried: a
// repeat could make a second key. The reply carries what is needed to
// reopen the form as it was, for a create that surely did not happen.
func createKey(ctx context.Context, r *change.Runner, sub newkey.Submitted, cols []model.Collection, limit int) func() tea.Msg {
	return func() tea.Msg {
		rep, err := r.Create(ctx, sub.User.Username, sub.Key)
		return createdMsg{user: sub.User, cols: cols, limit: limit, draft: sub.Draft, report: rep, err: err}
	}
}

// writeExport writes keys (as of now) to path; the file is created only if
// absent unless overwrite is set.
func writeExport(path string, f export.Format, keys []model.APIKey, now time.Time, overwrite bool) func() tea.Msg {
	return func() tea.Msg {
		err := export.Write(path, f, keys, now, overwrite)
		msg := exportDoneMsg{path: path, format: f, keys: keys, now: now, err: err}
		if errors.Is(err, export.ErrExists) {
			msg.exists, msg.err = true, nil
		}
		return msg
	}
}

// DescribeError is err in the words the status bar gives it (describe):
// a refresh helper's failure reaches the dashboard as these words.
func DescribeError(err error) string { return describe(err) }

// describe words an error for the status bar: a server's answer without the
// client's operation prefix (the UI says what it was doing itself).
func describe(err error) string {
	if errors.Is(err, client.ErrPaging) {
		return "the server's listing does not end, so it was stopped and what is shown may be incomplete (" +
			model.CleanText(err.Error()) + ")"
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		e := *apiErr
		e.Op = ""
		return model.CleanText(e.Error())
	}
	return model.CleanText(err.Error())
}

// displayName is a key's name, safe to print.
func displayName(k model.APIKey) string {
	if name := model.CleanText(k.Name); name != "" {
		return name
	}
	return "(unnamed key " + model.CleanText(k.ID) + ")"
}
