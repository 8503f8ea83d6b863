// Package userpicker is the dialog in which an admin picks whose keys to
// manage: type to filter by username or email, move, enter to choose.
// "All users", when offered, comes first: every key on the server in one
// table. It renders only the rows in its window, so thousands of users
// cost no more than twenty.
package userpicker

import (
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Chosen ends the picker with the user to show.
type Chosen struct {
	User model.User
	// All is set when "All users" was chosen; User is then empty.
	All bool
}

// Options shape a picker beyond its list of users.
type Options struct {
	// All offers "All users" as the first entry.
	All bool
	// Current is the username marked as current, under the cursor at first.
	Current string
	// AllCurrent marks "All users" as current instead.
	AllCurrent bool
	// Title replaces "Choose a user".
	Title string
}

// AllUsersLabel is the first entry's text when Options.All is set.
const AllUsersLabel = "All users"

// DialogResult marks Chosen as a dialog's outcome.
func (Chosen) DialogResult() {}

// KeyMap is the picker's keys. Letters go to the filter, so moving uses
// arrows and ctrl+j/ctrl+k (or ctrl+n/ctrl+p), as in fzf.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Choose, Cancel key.Binding
}

// DefaultKeyMap returns the picker's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "ctrl+k", "ctrl+p"), key.WithHelp("↑/ctrl+k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "ctrl+j", "ctrl+n"), key.WithHelp("↓/ctrl+j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Choose:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

type entry struct {
	user        model.User
	all         bool   // the "All users" entry
	name, email string // cleaned for display
	nameWidth   int
	search      string // lower-cased username, newline, lower-cased email
}

// Model is the user picker dialog. Use New.
type Model struct {
	c      common.Common
	keys   KeyMap
	input  textinput.Model
	all    []entry
	view   []int
	cursor int
	offset int
	o      Options
	users  int // entries that are users (not "All users")
	nameW  int
	width  int
	height int
	common.Ending[Chosen]
}

const (
	maxWidth  = 72
	maxHeight = 24
	nameMax   = 24
)

// New lists users sorted by username; current (a username) is marked and
// starts under the cursor.
func New(c common.Common, users []model.User, current string) *Model {
	return NewWithOptions(c, users, Options{Current: current})
}

// NewWithOptions lists users sorted by username, after "All users" when
// o.All is set.
func NewWithOptions(c common.Common, users []model.User, o Options) *Model {
	if c.Styles == nil {
		c.Styles = common.NewStyles(common.DefaultTheme())
	}
	if o.Title == "" {
		o.Title = "Choose a user"
	}
	in := textinput.New()
	in.Prompt = "Filter: "
	in.Placeholder = "username or email"
	in.PromptStyle = c.Styles.Hint
	in.PlaceholderStyle = c.Styles.Hint
	in.TextStyle = c.Styles.Input
	in.CharLimit = 256
	// A static cursor keeps the picker still between key presses (and its
	// golden files stable).
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Focus()

	m := &Model{c: c, keys: DefaultKeyMap(), input: in, o: o, users: len(users)}
	m.all = make([]entry, 0, len(users)+1)
	for _, u := range users {
		name, email := model.CleanText(u.Username), model.CleanText(u.Email)
		w := ansi.StringWidth(name)
		m.all = append(m.all, entry{user: u, name: name, email: email, nameWidth: w,
			search: strings.ToLower(name) + "\n" + strings.ToLower(email)})
		m.nameW = max(m.nameW, min(w, nameMax))
	}
	sort.SliceStable(m.all, func(i, j int) bool {
		return strings.ToLower(m.all[i].name) < strings.ToLower(m.all[j].name)
	})
	if o.All {
		w := ansi.StringWidth(AllUsersLabel)
		all := entry{all: true, name: AllUsersLabel, email: "every key on the server", nameWidth: w,
			search: strings.ToLower(AllUsersLabel)}
		m.all = append([]entry{all}, m.all...)
		m.nameW = max(m.nameW, w)
	}
	m.refilter()
	for i, v := range m.view {
		if m.isCurrent(&m.all[v]) {
			m.cursor = i
		}
	}
	m.SetSize(c.Width, c.Height)
	return m
}

func (m *Model) isCurrent(e *entry) bool {
	if e.all {
		return m.o.AllCurrent
	}
	return !m.o.AllCurrent && m.o.Current != "" && e.user.Username == m.o.Current
}

// Init starts nothing: the list is given, not loaded.
func (m *Model) Init() tea.Cmd { return nil }

// SetSize is the space the dialog may use; it takes at most 72x24 of it.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = min(width, maxWidth), min(height, maxHeight)
	m.input.Width = max(1, m.innerWidth()-ansi.StringWidth(m.input.Prompt)-1)
	m.moveTo(m.cursor)
}

func (m *Model) innerWidth() int {
	return max(1, m.width-m.c.Styles.Dialog.GetHorizontalFrameSize())
}

// listRows is how many users fit: the inner height less the title (and its
// margin), the filter line and the count line; no more than there are
// users, so a short list makes a short dialog (that keeps its height while
// filtering).
func (m *Model) listRows() int {
	inner := m.height - m.c.Styles.Dialog.GetVerticalFrameSize()
	title := 1 + m.c.Styles.DialogTitle.GetVerticalFrameSize()
	return max(1, min(inner-title-2, len(m.all)))
}

func (m *Model) refilter() {
	f := strings.ToLower(strings.TrimSpace(m.input.Value()))
	m.view = m.view[:0]
	for i := range m.all {
		if f == "" || strings.Contains(m.all[i].search, f) {
			m.view = append(m.view, i)
		}
	}
	m.cursor, m.offset = 0, 0
}

func (m *Model) moveTo(i int) {
	n, rows := len(m.view), m.listRows()
	m.cursor = max(0, min(i, n-1))
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, n-rows))
}

// Selected returns the user under the cursor; ok is false when none is,
// or when it is "All users" (see SelectedAll).
func (m *Model) Selected() (model.User, bool) {
	if m.cursor >= len(m.view) || m.all[m.view[m.cursor]].all {
		return model.User{}, false
	}
	return m.all[m.view[m.cursor]].user, true
}

// SelectedAll reports whether "All users" is under the cursor.
func (m *Model) SelectedAll() bool {
	return m.cursor < len(m.view) && m.all[m.view[m.cursor]].all
}

// Shown is how many users match the filter ("All users" not counted).
func (m *Model) Shown() int {
	n := len(m.view)
	if n > 0 && m.all[m.view[0]].all {
		n--
	}
	return n
}

// Update handles keys: movement and choosing here, everything else goes to
// the filter.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	switch {
	case key.Matches(km, m.keys.Cancel):
		return m, m.Cancel()
	case key.Matches(km, m.keys.Choose):
		if m.SelectedAll() {
			return m, m.End(Chosen{All: true})
		}
		if u, ok := m.Selected(); ok {
			return m, m.End(Chosen{User: u})
		}
		return m, nil
	case key.Matches(km, m.keys.Up):
		m.moveTo(m.cursor - 1)
	case key.Matches(km, m.keys.Down):
		m.moveTo(m.cursor + 1)
	case key.Matches(km, m.keys.PageUp):
		m.moveTo(m.cursor - m.listRows())
	case key.Matches(km, m.keys.PageDown):
		m.moveTo(m.cursor + m.listRows())
	default:
		before := m.input.Value()
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		if m.input.Value() != before {
			m.refilter()
		}
		return m, cmd
	}
	return m, nil
}

// View renders the title, the filter, the count and the visible users.
func (m *Model) View() string {
	s := m.c.Styles
	inner := m.innerWidth()
	var b strings.Builder
	b.WriteString(s.DialogTitle.Render(ansi.Truncate(model.CleanText(m.o.Title), inner, "…")))
	b.WriteByte('\n')
	b.WriteString(m.input.View())
	b.WriteByte('\n')
	b.WriteString(s.Hint.Render(m.countText()))
	rows := m.listRows()
	if len(m.view) == 0 {
		b.WriteByte('\n')
		b.WriteString(s.Hint.Render("  No user matches."))
		rows--
	}
	for i := m.offset; i < m.offset+rows; i++ {
		b.WriteByte('\n')
		if i < len(m.view) {
			b.WriteString(m.renderRow(&m.all[m.view[i]], i == m.cursor, inner))
		}
	}
	return s.Dialog.Width(m.width - s.Dialog.GetHorizontalBorderSize()).Render(b.String())
}

// countText counts the users listed: "10 users", "2 of 10 users"; when
// "All users" is listed too it says so ("All users + 10 users"), so the
// count never seems one short of the entries below it.
func (m *Model) countText() string {
	count := strconv.Itoa(m.users) + " users"
	if m.users == 1 {
		count = "1 user"
	}
	if shown := m.Shown(); shown != m.users {
		count = strconv.Itoa(shown) + " of " + count
	}
	if len(m.view) > 0 && m.all[m.view[0]].all {
		count = AllUsersLabel + " + " + count
	}
	return count
}

func (m *Model) renderRow(e *entry, cursor bool, inner int) string {
	s := m.c.Styles
	name := e.name
	if e.nameWidth > m.nameW {
		name = ansi.Truncate(name, m.nameW, "…")
	}
	text := name + strings.Repeat(" ", max(0, m.nameW-ansi.StringWidth(name))) + "  " + e.email
	if m.isCurrent(e) {
		text += " (current)"
	}
	text = ansi.Truncate(text, inner-2, "…")
	if cursor {
		return s.MenuCursor.Render("› " + text)
	}
	return s.MenuItem.Render(text)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Choose, m.keys.Cancel}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Up, m.keys.Down, m.keys.PageUp, m.keys.PageDown}, {m.keys.Choose, m.keys.Cancel}}
}

var _ common.Dialog = (*Model)(nil)
