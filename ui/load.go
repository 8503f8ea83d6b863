package ui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/userpicker"
)

func (a *App) loadUsersCmd() tea.Cmd {
	if a.usersLoading {
		return nil
	}
	a.usersLoading = true
	return a.request("loading users…", loadUsers(a.ctx, a.api))
}

func (a *App) loadLimitCmd() tea.Cmd {
	return a.request("reading the expiry limit…", loadLimit(a.ctx, a.api))
}

// onUsers resolves --user, or opens the picker that was waiting for users.
func (a *App) onUsers(msg usersLoadedMsg) tea.Cmd {
	a.usersLoading = false
	if msg.err != nil {
		a.status.SetError(fmt.Errorf("%s (press u to try again)", describe(msg.err)))
		return nil
	}
	a.users, a.usersLoaded = msg.users, true
	if name := a.pendingUser; name != "" {
		a.pendingUser = ""
		for _, u := range a.users {
			if u.Username == name {
				return a.switchUser(u)
			}
		}
		a.status.SetError(fmt.Errorf("there is no user named %q: choose one", model.CleanText(name)))
		return a.openPicker()
	}
	if a.wantPicker {
		a.wantPicker = false
		return a.openPicker()
	}
	return nil
}

func (a *App) onLimit(msg limitLoadedMsg) tea.Cmd {
	if msg.err != nil {
		a.status.SetError(msg.err)
		return nil
	}
	a.limitDays = msg.days
	return nil
}

// openPicker opens the user picker, loading users first if need be.
func (a *App) openPicker() tea.Cmd {
	if !a.usersLoaded {
		a.wantPicker = true
		return a.loadUsersCmd()
	}
	return a.push(userpicker.New(a.dialogCommon(), a.users, a.user.Username))
}

// switchUser shows u's keys: the old load is cancelled, the table emptied,
// the filter cleared, and a new load started.
func (a *App) switchUser(u model.User) tea.Cmd {
	a.user, a.hasUser = u, true
	a.setFilter("")
	a.endFilter()
	a.table.Reset()
	return a.startLoad(false)
}

// refresh reloads the current user's keys (and the expiry limit) while the
// old rows stay on screen.
func (a *App) refresh() tea.Cmd {
	if !a.hasUser {
		return a.openPicker()
	}
	return tea.Batch(a.startLoad(true), a.loadLimitCmd())
}

// startLoad starts streaming the current user's keys under a new tag. Any
// load in flight is cancelled: its replies will no longer match.
func (a *App) startLoad(refresh bool) tea.Cmd {
	a.cancelLoad()
	a.seq++
	ctx, cancel := context.WithCancel(a.ctx)
	tag := loadTag{user: a.user.Username, seq: a.seq}
	ch := make(chan keysEvent, 4)
	label := "loading keys of " + model.CleanText(a.user.Username) + "…"
	if refresh {
		label = "refreshing…"
	}
	task, spin := a.status.Start(label)
	a.load = &keyLoad{tag: tag, ch: ch, cancel: cancel, task: task, refresh: refresh}
	a.table.SetEmptyText("Loading keys…")
	return tea.Batch(spin, streamKeys(ctx, a.api, tag.user, ch), waitPage(tag, ch))
}

func (a *App) cancelLoad() {
	if a.load == nil {
		return
	}
	a.load.cancel()
	a.status.Stop(a.load.task)
	a.load = nil
}

// onKeysPage takes pages of the current load and drops any other load's.
func (a *App) onKeysPage(msg keysPageMsg) tea.Cmd {
	l := a.load
	if l == nil || msg.tag != l.tag {
		return nil // stale: another user or a newer load
	}
	if len(msg.keys) > 0 {
		l.count += len(msg.keys)
		if l.refresh {
			l.keys = append(l.keys, msg.keys...)
		} else {
			a.table.AppendKeys(msg.keys)
		}
		verb := "loading"
		if l.refresh {
			verb = "refreshing"
		}
		a.status.SetLabel(l.task, fmt.Sprintf("%s… %s keys", verb, common.Grouped(int64(l.count))))
	}
	if !msg.done {
		return waitPage(l.tag, l.ch)
	}
	a.status.Stop(l.task)
	l.cancel()
	a.load = nil
	if msg.err != nil {
		a.status.SetError(fmt.Errorf("could not load the keys of %s: %s", model.CleanText(l.tag.user), describe(msg.err)))
		a.table.SetEmptyText("Could not load keys. Press r to try again.")
		return nil
	}
	if l.refresh {
		a.table.SetKeys(l.keys)
	}
	a.table.SetEmptyText(fmt.Sprintf("%s has no API keys.", model.CleanText(l.tag.user)))
	if a.focusID != "" {
		a.table.GoTo(a.focusID)
		a.focusID = ""
	}
	return nil
}
