package ui

import (
	"github.com/charmbracelet/bubbles/key"

	"h2ogpte-keys/ui/components/keytable"
)

// keyMap is the root's keys: those that act on the screen as a whole or on
// the keys in the table. The table's own keys (moving, selecting, sorting)
// live in keytable.KeyMap.
type keyMap struct {
	Quit, ForceQuit, Help              key.Binding
	User, Refresh, Filter, ClearFilter key.Binding
	Actions, New, Delete, Export       key.Binding
	// Rotate opens the rotation of the active key under the cursor.
	// RotateRefused is the same key on a deactivated one: it says why
	// that cannot be rotated, and no help offers it.
	Rotate, RotateRefused key.Binding
	// CancelLoad stops a load in flight (esc, before anything else esc
	// does), except the refresh that follows a change.
	CancelLoad key.Binding
	// While typing a filter.
	FilterDone, FilterCancel key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:          key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:          key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		User:          key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "user")),
		Refresh:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Filter:        key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filters")),
		CancelLoad:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop loading")),
		Export:        key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export")),
		Actions:       key.NewBinding(key.WithKeys("enter", "a"), key.WithHelp("enter/a", "actions")),
		New:           key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new key")),
		Delete:        key.NewBinding(key.WithKeys("D", "delete"), key.WithHelp("D", "delete")),
		Rotate:        key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rotate")),
		RotateRefused: key.NewBinding(key.WithKeys("R")),
		FilterDone:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter")),
		FilterCancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// keyState is what decides which keys work.
type keyState struct {
	readOnly      bool
	hasUser       bool // a user, or all users, is on screen
	hasRow        bool // a key is under the cursor
	rowActive     bool // and it is active
	hasRows       bool // the user has keys at all
	hasShown      bool // some key is shown
	hasSelection  bool
	filterApplied bool // a text or quick filter
	// stoppable: a load or refresh esc may stop is in flight (a first
	// load, or r), not the refresh that follows a change.
	stoppable  bool
	refreshing bool // that load is a refresh
}

// update enables only the keys that do something now, so the help line
// never offers a key that does nothing. Read-only mode switches off every
// changing key here; App.refuseChanges backs it up at the request.
func (k *keyMap) update(s keyState) {
	k.User.SetEnabled(true)
	k.Refresh.SetEnabled(true)
	k.Filter.SetEnabled(s.hasRows)
	k.CancelLoad.SetEnabled(s.stoppable)
	if s.refreshing {
		k.CancelLoad.SetHelp("esc", "cancel refresh")
	} else {
		k.CancelLoad.SetHelp("esc", "stop loading")
	}
	k.ClearFilter.SetEnabled(s.filterApplied && !s.hasSelection && !s.stoppable)
	// Read-only mode still shows a key's details; only they open.
	k.Actions.SetEnabled(s.hasRow || (!s.readOnly && s.hasSelection))
	if s.readOnly {
		k.Actions.SetHelp("enter/a", "details")
	} else {
		k.Actions.SetHelp("enter/a", "actions")
	}
	k.New.SetEnabled(!s.readOnly && s.hasUser)
	k.Delete.SetEnabled(!s.readOnly && (s.hasRow || s.hasSelection))
	k.Rotate.SetEnabled(!s.readOnly && s.rowActive)
	k.RotateRefused.SetEnabled(!s.readOnly && s.hasRow && !s.rowActive)
	k.Export.SetEnabled(s.hasShown)
}

// mainHelp is the help for the key table with the root's keys around it.
type mainHelp struct {
	app   keyMap
	table keytable.KeyMap
}

// ShortHelp is ordered by use: what one does to a key first.
func (h mainHelp) ShortHelp() []key.Binding {
	return []key.Binding{
		h.app.CancelLoad, h.app.Actions, h.app.New, h.app.Delete, h.table.Toggle, h.table.ClearSelection,
		h.app.Filter, h.table.Quicks, h.app.ClearFilter, h.table.Sort, h.app.Export, h.app.User,
		h.app.Refresh, h.app.Help, h.app.Quit,
	}
}

// PinnedHelp keeps "? more keys" and "q quit", ShortHelp's last two, on
// a narrow line: the entries before them give way instead.
func (h mainHelp) PinnedHelp() int { return 2 }

// FullHelp is every key, by group, in four columns of at most seven shown
// that fit an 80-column terminal: moving, acting on keys, filtering,
// ordering and the rest. The last column declares eight, but esc shows as
// one of clear selection and stop loading at a time (focusedHelp).
func (h mainHelp) FullHelp() [][]key.Binding {
	t := h.table
	return [][]key.Binding{
		{t.Up, t.Down, t.Top, t.Bottom, t.PageUp, t.PageDown, h.app.Help},
		{h.app.Actions, h.app.New, h.app.Rotate, h.app.Delete, h.app.Export, t.Toggle, h.app.Quit},
		append(append([]key.Binding{h.app.Filter}, t.Quick[:]...), h.app.ClearFilter),
		{t.Sort, t.Reverse, t.SelectAll, t.ClearSelection, h.app.User, h.app.Refresh, h.app.CancelLoad, h.app.ForceQuit},
	}
}

// filterHelp is the help while typing a filter.
type filterHelp struct{ app keyMap }

func (h filterHelp) ShortHelp() []key.Binding {
	return []key.Binding{h.app.FilterDone, h.app.FilterCancel, h.app.ForceQuit}
}

func (h filterHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }
