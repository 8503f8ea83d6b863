// Package actions is one API key's details and the changes that can be
// made to it (edit its expiry, edit its inactivity interval, rotate it,
// deactivate it), or the changes for the selected keys together (NewBulk). It only
// shows and chooses; the root opens the dialog that does the work.
package actions

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Action is one entry of the menu.
type Action int

// The menu's actions, in menu order.
const (
	EditExpiry Action = iota
	EditInactivity
	// Rotate replaces the key with a new one of the same reach; a key's
	// own menu only, since each rotation shows its own secret.
	Rotate
	Deactivate
)

// entry is one action of the menu, declared once: its words for one key
// and for a selection, its shortcut, and whether it cannot be undone. A
// new action is a constant above and one entry here; the root opens its
// dialog when it is chosen.
type entry struct {
	action Action
	label  string
	// bulk words the action for n keys; nil for an action a selection is
	// not offered.
	bulk   func(n int) string
	key    string
	help   string
	danger bool
}

var entries = []entry{
	{action: EditExpiry, label: "Edit expiry", key: "e", help: "edit expiry",
		bulk: func(n int) string { return "Set expiry of " + common.Count(n, "key") }},
	{action: EditInactivity, label: "Edit inactivity interval", key: "i", help: "edit inactivity",
		bulk: func(n int) string { return "Set inactivity interval of " + common.Count(n, "key") }},
	// Not dangerous in itself: the old key is kept unless the admin
	// chooses otherwise, and that choice is confirmed on its own.
	{action: Rotate, label: "Rotate…", key: "r", help: "rotate"},
	{action: Deactivate, label: "Deactivate…", key: "d", help: "deactivate", danger: true,
		bulk: func(n int) string { return "Deactivate " + common.Count(n, "key") + "…" }},
}

func entryOf(a Action) (entry, bool) {
	for _, e := range entries {
		if e.action == a {
			return e, true
		}
	}
	return entry{}, false
}

// String names the action as the menu shows it.
func (a Action) String() string {
	if e, ok := entryOf(a); ok {
		return e.label
	}
	return "Unknown action"
}

// Chosen ends the menu with the action picked for Keys: the one key of a
// key's own menu, or the whole selection of a bulk menu (the root does
// the skipping).
type Chosen struct {
	Action Action
	Keys   []model.APIKey
}

// DialogResult marks Chosen as a dialog's outcome.
func (Chosen) DialogResult() {}

// KeyMap is the menu's keys. Shortcuts holds one binding per entry, in
// menu order; those of absent items are disabled so the help shows only
// what works.
type KeyMap struct {
	Up, Down, Choose, Cancel key.Binding
	Shortcuts                []key.Binding
}

func defaultKeyMap() KeyMap {
	k := KeyMap{
		Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
	for _, e := range entries {
		k.Shortcuts = append(k.Shortcuts, key.NewBinding(key.WithKeys(e.key), key.WithHelp(e.key, e.help)))
	}
	return k
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Choose, k.Cancel}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Choose, k.Cancel},
		k.Shortcuts,
	}
}

type item struct {
	action   Action
	shortcut string
	danger   bool
}

func itemOf(e entry) item { return item{action: e.action, shortcut: e.key, danger: e.danger} }

// Model is the actions menu for one key, or for several (bulk).
type Model struct {
	c      common.Common
	key    model.APIKey
	bulk   []model.APIKey // set for a bulk menu
	hidden int            // selected keys the filter hides (bulk)
	active int            // active keys of bulk, counted once: View names it on every frame
	items  []item
	cursor int
	keys   KeyMap
	// usage is the key's usage history, when the dashboard keeps one.
	usage *UsageView
	common.Ending[Chosen]
}

var _ common.Dialog = (*Model)(nil)

// New builds the details and actions of key. A deactivated key can never
// work again, so it is offered no change (only deletion, from the table),
// and nothing is offered in read-only mode: then the dialog is the details
// alone.
func New(c common.Common, key model.APIKey) *Model {
	m := &Model{c: c, key: key, keys: defaultKeyMap()}
	m.setItems(key.IsActive)
	return m
}

// NewBulk builds the menu for the selected keys, hidden of which the
// current filter hides. Every change skips the deactivated keys (they can
// never work again), so the items count the active ones, and a selection of
// deactivated keys alone is offered nothing, as a single deactivated key
// is; nothing is offered in read-only mode either. The result carries the
// whole selection: the root does the skipping.
func NewBulk(c common.Common, keys []model.APIKey, hidden int) *Model {
	m := &Model{c: c, bulk: keys, hidden: hidden, active: activeCount(keys), keys: defaultKeyMap()}
	m.setItems(m.active > 0)
	return m
}

func activeCount(keys []model.APIKey) int {
	n := 0
	for _, k := range keys {
		if k.IsActive {
			n++
		}
	}
	return n
}

// setItems offers every entry when offer holds (an active key, or a
// selection with one, outside read-only mode), else none.
func (m *Model) setItems(offer bool) {
	if !m.c.ReadOnly && offer {
		for _, e := range entries {
			if m.bulk != nil && e.bulk == nil {
				continue
			}
			m.items = append(m.items, itemOf(e))
		}
	}
	m.updateKeys()
}

// Without leaves action a out of the menu: the root knows the server
// does not support it (an older server without inactivity intervals).
func (m *Model) Without(a Action) *Model {
	m.items = slices.DeleteFunc(m.items, func(it item) bool { return it.action == a })
	m.cursor = min(m.cursor, max(len(m.items)-1, 0))
	m.updateKeys()
	return m
}

func (m *Model) updateKeys() {
	for i, e := range entries {
		m.keys.Shortcuts[i].SetEnabled(m.has(e.action))
	}
	some := len(m.items) > 0
	m.keys.Up.SetEnabled(some)
	m.keys.Down.SetEnabled(some)
	m.keys.Choose.SetEnabled(some)
	if !some {
		// Only details to read: enter, which opened them, closes them too.
		m.keys.Cancel.SetKeys("esc", "enter")
		m.keys.Cancel.SetHelp("enter/esc", "close")
	}
}

// Bulk reports whether the menu acts on a selection.
func (m *Model) Bulk() bool { return m.bulk != nil }

func (m *Model) has(a Action) bool {
	for _, it := range m.items {
		if it.action == a {
			return true
		}
	}
	return false
}

// Actions lists the items the menu offers, in order.
func (m *Model) Actions() []Action {
	out := make([]Action, len(m.items))
	for i, it := range m.items {
		out[i] = it.action
	}
	return out
}

// Cursor returns the action under the cursor; ok is false when the menu is
// empty (read-only).
func (m *Model) Cursor() (a Action, ok bool) {
	if len(m.items) == 0 {
		return 0, false
	}
	return m.items[m.cursor].action, true
}

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.Width, m.c.Height = width, height
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.keys.FullHelp() }

// Init implements common.Dialog.
func (m *Model) Init() tea.Cmd { return nil }

// Update implements common.Dialog.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(km, m.keys.Cancel):
		return m, m.Cancel()
	case key.Matches(km, m.keys.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(km, m.keys.Down):
		if m.cursor < len(m.items)-1 {
			m.cursor++
		}
	case key.Matches(km, m.keys.Choose) && len(m.items) > 0:
		return m, m.choose(m.items[m.cursor].action)
	}
	for i, e := range entries {
		if key.Matches(km, m.keys.Shortcuts[i]) {
			return m, m.choose(e.action)
		}
	}
	return m, nil
}

func (m *Model) choose(a Action) tea.Cmd {
	if !m.has(a) {
		return nil
	}
	if m.bulk != nil {
		return m.End(Chosen{Action: a, Keys: m.bulk})
	}
	return m.End(Chosen{Action: a, Keys: []model.APIKey{m.key}})
}

// label is the item's text: the action, and for a bulk menu how many keys
// it touches.
func (m *Model) label(a Action) string {
	if m.bulk == nil {
		return a.String()
	}
	if e, ok := entryOf(a); ok && e.bulk != nil {
		return e.bulk(m.active) // the deactivated ones are skipped
	}
	return a.String()
}

// detailsWidth leaves room for the details' longest values (a UUID, an
// exact time with its relative one) beside their labels; a bulk menu,
// without details, is narrower.
const (
	detailsWidth = 68
	bulkWidth    = 52
)

// View implements common.Component.
func (m *Model) View() string {
	st := m.c.Styles
	w := min(detailsWidth, m.c.Width)
	if m.bulk != nil {
		w = min(bulkWidth, m.c.Width)
	}
	inner := max(w-st.Dialog.GetHorizontalFrameSize(), 1)
	maxLines := max(m.c.Height-st.Dialog.GetVerticalFrameSize(), 1)

	var head, tail []string
	if m.bulk != nil {
		head = m.bulkHeader(inner)
	} else {
		head = m.detailsHeader(inner)
	}
	if len(m.items) == 0 {
		// The help line below says how to close it.
		tail = append(tail, st.Hint.Render(ansi.Wrap(m.nothingToChange(), inner, " ")))
	}
	for i, it := range m.items {
		tail = append(tail, m.renderItem(it, i == m.cursor, inner))
	}
	content := strings.Join(fitHead(head, maxLines-lipgloss.Height(strings.Join(tail, "\n")), st), "\n")
	content = common.FitLines(content+"\n"+strings.Join(tail, "\n"), maxLines)
	return st.Dialog.Width(w - st.Dialog.GetHorizontalBorderSize()).Render(content)
}

// nothingToChange says why the dialog offers no change.
func (m *Model) nothingToChange() string {
	switch {
	case m.c.ReadOnly:
		return "Read-only mode: nothing here can be changed."
	case m.bulk != nil:
		return "Every selected key is deactivated: deactivated keys cannot be changed or reactivated; delete them with D."
	}
	return "Deactivated keys cannot be changed or reactivated; delete it with D."
}

// fitHead keeps head within room lines, so the actions below it always
// show: the details are cut from the end, with a line saying so.
func fitHead(head []string, room int, st *common.Styles) []string {
	head = strings.Split(strings.Join(head, "\n"), "\n")
	if len(head) <= room {
		return head
	}
	if room < 2 {
		return head[:max(room, 1)]
	}
	return append(head[:room-2:room-2], st.Hint.Render("… (a taller terminal shows more)"), "")
}

// bulkHeader names the selection: how many keys, how many the filter
// hides, how many are deactivated (and so skipped by every change).
func (m *Model) bulkHeader(inner int) []string {
	st := m.c.Styles
	title := st.DialogTitle.UnsetMarginBottom().Render(ansi.Truncate(common.Count(len(m.bulk), "key")+" selected", inner, "…"))
	var notes []string
	if m.hidden > 0 {
		notes = append(notes, strconv.Itoa(m.hidden)+" hidden by the filter")
	}
	if n := len(m.bulk) - m.active; n > 0 && n < len(m.bulk) {
		notes = append(notes, strconv.Itoa(n)+" deactivated, skipped")
	}
	if len(notes) == 0 {
		notes = append(notes, "the change applies to each of them")
	}
	return []string{title, st.Hint.Render(ansi.Wrap(strings.Join(notes, " · "), inner, " ")), ""}
}

func (m *Model) renderItem(it item, current bool, width int) string {
	st := m.c.Styles
	label := m.label(it.action)
	// The shortcut sits at the right edge, muted, so the label stays the
	// thing read first.
	gap := max(width-2-lipgloss.Width(label)-len(it.shortcut), 1)
	shortcut := strings.Repeat(" ", gap) + st.Hint.Render(it.shortcut)
	if current {
		text := st.MenuCursor.Render("› " + label)
		if it.danger {
			text = st.DialogDanger.Render("› " + label)
		}
		return text + shortcut
	}
	text := label
	if it.danger {
		text = st.DialogDanger.UnsetBold().Render(label)
	}
	return st.MenuItem.Render(text) + shortcut
}

// now reads the injected clock; a Common without one falls back to the
// system clock rather than panicking.
func (m *Model) now() time.Time {
	if m.c.Now == nil {
		return time.Now()
	}
	return m.c.Now()
}
