package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/keytable"
	"h2ogpte-keys/ui/components/userpicker"
)

func (a *App) loadUsersCmd() tea.Cmd {
	if a.usersLoading {
		return nil
	}
	a.usersLoading = true
	return a.read("loading users…", func(ctx context.Context) func() tea.Msg { return loadUsers(ctx, a.api) })
}

func (a *App) loadLimitCmd() tea.Cmd {
	return a.read("reading the expiry limit…", func(ctx context.Context) func() tea.Msg { return loadLimit(ctx, a.api) })
}

// onUsers resolves --user, or opens the picker that was waiting for users.
func (a *App) onUsers(msg usersLoadedMsg) tea.Cmd {
	a.usersLoading = false
	if msg.err != nil {
		a.status.SetError(fmt.Errorf("%s (press u to try again)", describe(msg.err)))
		return nil
	}
	a.users, a.usersLoaded = msg.users, true
	next := a.afterUsers
	a.afterUsers = nil
	if next == nil {
		return nil
	}
	return next()
}

// resolveUser shows the keys of the user named name (--user), or says
// there is none and opens the picker.
func (a *App) resolveUser(name string) tea.Cmd {
	for _, u := range a.users {
		if u.Username == name {
			return a.switchUser(u)
		}
	}
	a.status.SetError(fmt.Errorf("there is no user named %q: choose one", model.CleanText(name)))
	return a.openPicker()
}

func (a *App) onLimit(msg limitLoadedMsg) tea.Cmd {
	if msg.err != nil {
		a.status.SetError(msg.err)
		return nil
	}
	a.limitDays, a.limitKnown = msg.days, true
	return nil
}

// needLimit refuses an expiry edit while the server's expiry limit is not
// known (it failed to load, or has not arrived), and asks for it again.
func (a *App) needLimit() tea.Cmd {
	if a.limitKnown {
		return nil
	}
	a.status.SetError(errors.New("the server's expiry limit is not known yet (it could not be read): reading it again, try once more"))
	return a.loadLimitCmd()
}

// openPicker opens the user picker ("All users" first), loading users
// first if need be.
func (a *App) openPicker() tea.Cmd {
	if !a.usersLoaded {
		if a.afterUsers == nil { // a pending --user resolves first, as before
			a.afterUsers = a.openPicker
		}
		return a.loadUsersCmd()
	}
	o := userpicker.Options{All: true, AllCurrent: a.allUsers}
	if a.hasUser && !a.allUsers {
		o.Current = a.user.Username
	}
	p := userpicker.NewWithOptions(a.dialogCommon(), a.users, o)
	return a.push(p, func() tea.Cmd {
		r, ok := p.Result()
		switch {
		case !ok:
			if !a.hasUser && len(a.dialogs) == 0 {
				a.status.SetInfo("No user chosen: press u to choose one.")
			}
			return nil
		case r.All:
			return a.switchAll()
		}
		return a.switchUser(r.User)
	})
}

// switchUser shows u's keys.
func (a *App) switchUser(u model.User) tea.Cmd {
	a.user, a.allUsers = u, false
	return a.switchScope()
}

// switchAll shows every user's keys in one table, with a User column.
func (a *App) switchAll() tea.Cmd {
	a.user, a.allUsers = model.User{}, true
	return a.switchScope()
}

// switchScope empties the table for the new scope: the old load is
// cancelled, the filters cleared, and a new load started.
func (a *App) switchScope() tea.Cmd {
	a.hasUser = true
	a.pendingOwner = ""
	a.setFilter("")
	a.endFilter()
	a.table.ClearFilters()
	a.table.Reset()
	a.table.SetShowUser(a.allUsers)
	return a.startLoad(false)
}

// scopeName names what the table shows, for messages: a username, or
// "all users".
func (a *App) scopeName() string {
	if a.allUsers {
		return "all users"
	}
	return model.CleanText(a.user.Username)
}

// refresh reloads the current keys (and the expiry limit) while the old
// rows stay on screen: r, which esc may cancel.
func (a *App) refresh() tea.Cmd { return a.reload(false) }

// refreshAfterChange is the reload that follows every change (and the
// secret's closing). The admin did not ask for it, so esc does not cancel
// it: esc pressed right after a change keeps its usual meaning (clear the
// selection, then the filters) instead of silently stopping the reload.
func (a *App) refreshAfterChange() tea.Cmd { return a.reload(true) }

func (a *App) reload(auto bool) tea.Cmd {
	if !a.hasUser {
		return a.openPicker()
	}
	cmd := a.startLoad(true)
	a.load.auto = auto
	if auto {
		// Like the keys' reload after a change, esc leaves this be.
		return tea.Batch(cmd, a.request("reading the expiry limit…", loadLimit(a.ctx, a.api)))
	}
	return tea.Batch(cmd, a.loadLimitCmd())
}

// startLoad starts streaming the current scope's keys under a new tag. Any
// load in flight is cancelled: its replies will no longer match. Pages are
// formatted as they arrive, in the streaming command, as of one clock
// reading for the whole load.
func (a *App) startLoad(refresh bool) tea.Cmd {
	if a.load != nil && !a.load.refresh {
		// A first load cut short (by r): its rows stay on screen, and
		// are all there is should the refresh be stopped too.
		a.partial = true
	}
	a.cancelLoad()
	a.seq++
	ctx, cancel := context.WithCancel(a.ctx)
	tag := loadTag{user: a.user.Username, all: a.allUsers, seq: a.seq}
	ch := make(chan keysEvent, 4)
	label := "loading keys of " + a.scopeName() + "…"
	if refresh {
		label = "refreshing…"
	}
	task, spin := a.status.Start(label)
	a.load = &keyLoad{tag: tag, ch: ch, cancel: cancel, task: task, refresh: refresh, started: time.Now()}
	if !refresh {
		a.partial = false
		a.table.SetEmptyText("Loading keys…")
	}
	now := a.c.Now()
	var build *keytable.Builder
	var bg *Background
	if refresh {
		build = keytable.NewBuilder(now, a.table.Len())
		// The old rows stay on screen meanwhile: unless they are none, or
		// a first load's part, the admin need not wait for the refresh,
		// which then leaves a processor to the screen.
		if !a.partial && a.table.Len() > 0 {
			bg = a.opts.Background
		}
	}
	a.load.bg = bg
	stream := streamKeys(ctx, a.api, tag.user, now, build, bg, ch)
	if build != nil && a.opts.Refresher != nil {
		stream = refreshElsewhere(ctx, a.opts.Refresher, tag.user, now, a.table.Len(), bg, ch, stream)
	}
	return tea.Batch(spin, stream, waitPage(tag, ch))
}

// cancelLoad drops the load in flight (its replies become stale).
func (a *App) cancelLoad() {
	if a.load == nil {
		return
	}
	a.load.cancel()
	a.status.Stop(a.load.task)
	a.load = nil
}

// stopReads stops every read in flight but the keys (users, the expiry
// limit, a new key's collections): each ends at once, and its reply is
// dropped. What waited for them (the picker, the form) is not opened.
// It returns what was stopped, for the status bar.
func (a *App) stopReads() []string {
	var stopped []string
	for id, r := range a.reads {
		if r.stopped {
			continue
		}
		r.stopped = true
		r.cancel()
		a.status.Stop(id)
		stopped = append(stopped, strings.TrimSuffix(r.label, "…"))
	}
	if len(stopped) > 0 {
		a.usersLoading, a.afterUsers = false, nil
		a.pendingOwner = ""
	}
	slices.Sort(stopped)
	return stopped
}

// liveReads reports whether a read esc can stop is in flight.
func (a *App) liveReads() bool {
	for _, r := range a.reads {
		if !r.stopped {
			return true
		}
	}
	return false
}

// onRead closes the read of task, if it was one; false means its reply
// must be dropped (esc stopped it).
func (a *App) onRead(task int) bool {
	r, ok := a.reads[task]
	if !ok {
		return true
	}
	delete(a.reads, task)
	return !r.stopped
}

// stopLoad is esc while loading: every load ends (keys, users, the
// expiry limit, collections), and what has arrived stays; a refresh's old
// rows stay as they were.
func (a *App) stopLoad() {
	if stopped := a.stopReads(); len(stopped) > 0 && a.load == nil {
		a.status.SetInfo("Stopped " + strings.Join(stopped, ", ") + " (u loads users, r reloads).")
		return
	}
	l := a.load
	if l == nil {
		return
	}
	a.cancelLoad()
	if l.refresh {
		a.status.SetInfo("Refresh cancelled: the keys shown are from before it (r refreshes).")
		return
	}
	a.partial = true
	a.table.SetEmptyText("Loading stopped before any key arrived. Press r to load the keys.")
	// Pages held aside for a merge are dropped with the load.
	a.status.SetInfo(fmt.Sprintf("Loading stopped: %s loaded, there may be more (r loads them all).", common.Count(a.table.Len(), "key")))
}

// directRows is how many keys a first load appends to the table page by
// page, on Update. Past it, merging a page into the sorted order costs a
// copy of the whole order per page, so pages are held aside and merged off
// Update (keytable.PrepareAppend), one merge at a time, and no frame waits
// for one. When a merge starts is mergeAt's.
const directRows = 20_000

// mergeAt is how many rows a first load holds aside before it merges
// them, for a table of n rows. Under a sort or a filter a merge costs the
// whole table (it is sorted and filtered again), so the table doubles
// step by step (all steps together cost about twice the last). Otherwise
// a merge costs only the rows it adds, and a step of a sixteenth of the
// table keeps the last one small: it is the part of the load that runs
// after the last page has arrived (with doubling, a third of the keys,
// half a second at a million).
func mergeAt(n int, cheap bool) int {
	if cheap {
		return max(directRows, n/16)
	}
	return max(directRows, n)
}

// onKeysPage takes pages of the current load and drops any other load's.
// The rows come measured: this only appends or holds them. A refresh's
// pages are indexed into a table of its own as they arrive (streamKeys)
// and only counted here; after the last, that table is sorted and filtered
// off Update (keytable.PrepareBuilt, in a command) and swapped in when it
// comes back: on a million keys that work is far longer than a frame. The
// load stays current meanwhile, so esc, r or another user still drop its
// reply.
func (a *App) onKeysPage(msg keysPageMsg) tea.Cmd {
	l := a.load
	if l == nil || msg.tag != l.tag {
		return nil // stale: another user or a newer load
	}
	if msg.rows.Prepared() {
		a.table.SetRows(msg.rows)
		l.preparing = false
		if l.refresh {
			a.partial = false
			return a.finishLoad(l)
		}
		return a.nextMerge(l)
	}
	// A refresher that hands the refresh back takes its count back
	// (refreshElsewhere): n may be negative.
	if n := msg.rows.Len() + msg.indexed; n != 0 {
		l.count += n
		switch {
		case l.refresh:
			// Indexed as they came, into the refresh's own table.
		case !l.preparing && l.rows.Len() == 0 && a.table.Len()+n <= directRows:
			a.table.AppendRows(msg.rows)
		default:
			l.rows = l.rows.Append(msg.rows)
		}
		label := fmt.Sprintf("loaded %s keys…", common.Grouped(int64(l.count)))
		if l.refresh {
			label = "refreshing: " + label
		}
		a.status.SetLabel(l.task, label)
	}
	if !msg.done {
		return tea.Batch(waitPage(l.tag, l.ch), a.nextMerge(l))
	}
	if msg.err != nil {
		a.cancelLoad()
		if !l.refresh {
			a.partial = true
		}
		a.status.SetError(fmt.Errorf("could not load the keys of %s: %s", a.tagName(l.tag), describe(msg.err)))
		a.table.SetEmptyText("Could not load keys. Press r to try again.")
		return nil
	}
	l.done = true
	if l.refresh {
		if msg.built == nil {
			// The listing was stopped before its end (its channel closed
			// without the last event): there is no new table to show.
			a.cancelLoad()
			return nil
		}
		a.status.SetLabel(l.task, fmt.Sprintf("refreshing: sorting %s keys…", common.Grouped(int64(l.count))))
		prepare, bg := a.table.PrepareBuilt(msg.built), l.bg
		return prepareRows(l.tag, func() (rows keytable.Rows) {
			bg.Run(func() { rows = prepare() })
			return rows
		})
	}
	return a.nextMerge(l)
}

// nextMerge starts merging the pages a first load holds aside, when none
// is being merged and enough are held (all of them, once the last page
// is in); with nothing left to merge after the last page, the load ends.
func (a *App) nextMerge(l *keyLoad) tea.Cmd {
	if l.refresh || l.preparing {
		return nil
	}
	held := l.rows.Len()
	switch {
	case held == 0 && l.done:
		return a.finishLoad(l)
	case held == 0 || !l.done && held < mergeAt(a.table.Len(), a.table.MergesCheaply()):
		return nil
	}
	l.preparing = true
	rows := l.rows
	l.rows = keytable.Rows{}
	return prepareRows(l.tag, a.table.PrepareAppend(rows, l.done))
}

// prepareRows runs prepare (a first load's merge step, or a refresh's
// sorting and filtering) and brings its rows back as a message of the load.
func prepareRows(tag loadTag, prepare func() keytable.Rows) tea.Cmd {
	return func() tea.Msg { return keysPageMsg{tag: tag, rows: prepare(), done: true} }
}

// finishLoad ends load l, complete, and records its keys in the usage
// history (in a command) when there is one.
func (a *App) finishLoad(l *keyLoad) tea.Cmd {
	a.status.Stop(l.task)
	l.cancel()
	a.load = nil
	if l.tag.all {
		a.table.SetEmptyText("There are no API keys on this server.")
	} else {
		a.table.SetEmptyText(fmt.Sprintf("%s has no API keys.", model.CleanText(l.tag.user)))
	}
	if a.focusID != "" {
		a.table.GoTo(a.focusID)
		a.focusID = ""
	}
	var logLine tea.Cmd // written in a command: a file write has no place on Update
	if write := a.opts.LoadLog; write != nil {
		what := "read"
		if l.refresh {
			what = "refreshed"
		}
		line := fmt.Sprintf("%s %s keys of %s in %.2f s", what, model.GroupDigits(int64(a.table.Len())),
			a.tagName(l.tag), time.Since(l.started).Seconds())
		logLine = func() tea.Msg { write(line); return nil }
	}
	if a.opts.History == nil {
		return logLine
	}
	return tea.Batch(logLine, recordUsage(a.ctx, a.opts.History, a.opts.Background, l.tag, a.table.AsOf(), a.table.KeysSnapshot()))
}

func (a *App) tagName(t loadTag) string {
	if t.all {
		return "all users"
	}
	return model.CleanText(t.user)
}

// keyLoad is the load of keys in flight.
type keyLoad struct {
	tag    loadTag
	ch     <-chan keysEvent
	cancel context.CancelFunc
	task   int
	// refresh keeps the rows on screen until the new list is complete;
	// a first load shows pages as they arrive instead.
	refresh bool
	// auto marks the refresh that follows a change: esc leaves it be.
	auto bool
	// bg is where a refresh's work runs (nil: at once, for a first load
	// and for a refresh the admin waits on; see startLoad).
	bg *Background
	// started is when the load was asked for (for Options.LoadLog).
	started time.Time
	// rows are pages held aside: a big first load's since the last
	// merge (a refresh indexes its pages as they come: streamKeys).
	rows  keytable.Rows
	count int
	// done: the last page is in. preparing: a first load's merge step is
	// under way off Update.
	done, preparing bool
}
