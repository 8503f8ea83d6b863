package keytable

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the table's own keys: moving, selecting, sorting and the quick
// filters. The root adds the keys that act on rows (actions, delete,
// export, the text filter).
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Toggle, SelectAll, ClearSelection       key.Binding
	Sort, Reverse                           key.Binding
	// Quick toggles each quick filter (1 to 6; 6 only with usage history).
	Quick [NumQuick]key.Binding
	// Quicks stands for all of them on the one-line help ("1-5 quick
	// filters", "1-6" with usage history); it matches the same keys.
	Quicks key.Binding
}

// DefaultKeyMap is vim-style and arrows both.
func DefaultKeyMap() KeyMap {
	k := KeyMap{
		Up:             key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:           key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:            key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/home", "top")),
		Bottom:         key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G/end", "bottom")),
		PageUp:         key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:       key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Toggle:         key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "select")),
		SelectAll:      key.NewBinding(key.WithKeys("ctrl+a"), key.WithHelp("ctrl+a", "select all shown")),
		ClearSelection: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear selection")),
		Sort:           key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Reverse:        key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
	}
	var all []string
	for q := range NumQuick {
		k.Quick[q] = key.NewBinding(key.WithKeys(q.Key()), key.WithHelp(q.Key(), q.Label()))
		all = append(all, q.Key())
	}
	k.Quicks = key.NewBinding(key.WithKeys(all...), key.WithHelp("1-5", "quick filters"))
	return k
}

// ShortHelp lists the table keys worth a place on the one-line help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Toggle, k.ClearSelection, k.Sort}
}

// FullHelp lists every table key, by group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Toggle, k.SelectAll, k.ClearSelection, k.Sort, k.Reverse},
		k.Quick[:],
	}
}
