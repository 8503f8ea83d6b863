// Package statusbar is the dashboard's bottom line: the one place errors and
// notices appear, a spinner while any request runs, and the help for
// whatever has focus.
package statusbar

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// PinnedKeyMap is a keymap whose one-line help ends with keys that must
// always show (more keys, quit). When the line is too narrow, the entries
// before them give way from the end, so the list is in order of use,
// instead of the line being cut where the pinned keys would be.
type PinnedKeyMap interface {
	help.KeyMap
	// PinnedHelp is how many of ShortHelp's last entries always show.
	PinnedHelp() int
}

// Model is the status bar. Use New.
type Model struct {
	styles  *common.Styles
	help    help.Model
	spin    spinner.Model
	ticking bool

	err, info string
	tasks     []task // running requests, oldest first
	nextID    int
	width     int

	// The full help's height, measured by rendering it, for the width
	// and the enabled keys (fullKey) it was measured with.
	fullKey    string
	fullHeight int
	// The one-line help as last drawn, for the width and keys (shortKey)
	// it was drawn with: fitting it takes several renders, and the keys
	// rarely change between frames.
	shortKey, shortView string
	// keys are the focused component's, whose help the bar shows.
	keys help.KeyMap
}

var _ common.Component = (*Model)(nil)

// SetHelp sets the keys the help line shows: the focused component's
// (only its enabled keys show). The root sets them after every Update.
func (m *Model) SetHelp(keys help.KeyMap) { m.keys = keys }

// ShortHelp implements help.KeyMap: the bar has no keys of its own; it
// shows the focused component's.
func (m *Model) ShortHelp() []key.Binding { return nil }

// FullHelp implements help.KeyMap; see ShortHelp.
func (m *Model) FullHelp() [][]key.Binding { return nil }

type task struct {
	id    int
	label string
}

// New returns an idle status bar.
func New(c common.Common) *Model {
	s := c.Styles
	if s == nil {
		s = common.NewStyles(common.DefaultTheme())
	}
	h := help.New()
	// Two spaces between the full help's columns, so four fit in 80.
	h.FullSeparator = "  "
	subtle := s.HelpSubtle
	h.Styles = help.Styles{
		Ellipsis:       subtle,
		ShortKey:       s.ToolbarKey,
		ShortDesc:      s.Hint,
		ShortSeparator: subtle,
		FullKey:        s.ToolbarKey,
		FullDesc:       s.Hint,
		FullSeparator:  subtle,
	}
	m := &Model{
		styles: s,
		help:   h,
		spin:   spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(s.Spinner)),
	}
	m.SetSize(c.Width, c.Height)
	return m
}

// SetSize sets the width; the height follows from the content (see Height).
func (m *Model) SetSize(width, _ int) {
	m.width = width
	m.help.Width = max(0, width-m.styles.StatusBar.GetHorizontalFrameSize())
}

// SetError shows err until the next key press, replacing any notice.
func (m *Model) SetError(err error) {
	if err == nil {
		return
	}
	m.err, m.info = model.CleanText(err.Error()), ""
}

// SetInfo shows a notice until the next key press, replacing any error.
func (m *Model) SetInfo(text string) { m.err, m.info = "", model.CleanText(text) }

// ClearNotice removes the error or notice: a key press has acknowledged it.
func (m *Model) ClearNotice() { m.err, m.info = "", "" }

// Notice returns the error or notice shown, and whether it is an error.
func (m *Model) Notice() (text string, isErr bool) {
	if m.err != "" {
		return m.err, true
	}
	return m.info, false
}

// Start records a running request and returns its id, for Stop, and the
// command that starts the spinner (nil when it already spins).
func (m *Model) Start(label string) (int, tea.Cmd) {
	m.nextID++
	m.tasks = append(m.tasks, task{id: m.nextID, label: model.CleanText(label)})
	if m.ticking {
		return m.nextID, nil
	}
	m.ticking = true
	return m.nextID, m.spin.Tick
}

// SetLabel changes a running request's label (progress: "loading… 200 keys").
func (m *Model) SetLabel(id int, label string) {
	if i := m.find(id); i >= 0 {
		m.tasks[i].label = model.CleanText(label)
	}
}

// Stop forgets a request; stopping an unknown or stopped id does nothing,
// so a dropped stale reply may stop its task again safely.
func (m *Model) Stop(id int) {
	if i := m.find(id); i >= 0 {
		m.tasks = slices.Delete(m.tasks, i, i+1)
	}
}

func (m *Model) find(id int) int {
	return slices.IndexFunc(m.tasks, func(t task) bool { return t.id == id })
}

// Busy reports whether any request runs.
func (m *Model) Busy() bool { return len(m.tasks) > 0 }

// Label is the newest running request's label, "" when idle.
func (m *Model) Label() string {
	if len(m.tasks) == 0 {
		return ""
	}
	return m.tasks[len(m.tasks)-1].label
}

// Update animates the spinner while busy and lets the tick chain end when
// idle, so an idle dashboard does not redraw ten times a second.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	tick, ok := msg.(spinner.TickMsg)
	if !ok || tick.ID != m.spin.ID() {
		return nil
	}
	if !m.Busy() {
		m.ticking = false
		return nil
	}
	var cmd tea.Cmd
	m.spin, cmd = m.spin.Update(msg)
	return cmd
}

// SetFullHelp switches between the one-line and the full help.
func (m *Model) SetFullHelp(on bool) { m.help.ShowAll = on }

// ShowsFullHelp reports whether the full help shows.
func (m *Model) ShowsFullHelp() bool { return m.help.ShowAll }

// Height is the number of lines View will take with the keys set. The
// root asks after every Update, so it must not render: the message line
// and the one-line help are both cut to the width, one line each; the
// full help is measured once per width and set of keys.
func (m *Model) Height() int {
	keys := m.keys
	if !m.help.ShowAll || keys == nil {
		return 2 + m.styles.StatusBar.GetVerticalFrameSize()
	}
	if k := helpKey(m.width, 0, keys.FullHelp()); k != m.fullKey || m.fullHeight == 0 {
		m.fullKey, m.fullHeight = k, lipgloss.Height(m.View())
	}
	return m.fullHeight
}

// helpKey identifies what a help view depends on: the width, the number
// of pinned keys, and each group's keys, enabled or not (a disabled key
// still decides which keys are pinned), with their help.
func helpKey(width, pinned int, groups [][]key.Binding) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(width))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(pinned))
	for _, col := range groups {
		b.WriteByte('\x1f')
		for _, k := range col {
			if k.Enabled() {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			h := k.Help()
			b.WriteString(h.Key)
			b.WriteByte('\x1e')
			b.WriteString(h.Desc)
			b.WriteByte('\x1e')
		}
	}
	return b.String()
}

// View renders the message line and the help for the keys set (SetHelp).
func (m *Model) View() string {
	keys := m.keys
	inner := max(0, m.width-m.styles.StatusBar.GetHorizontalFrameSize())
	var parts []string
	if m.Busy() {
		parts = append(parts, m.spin.View()+" "+m.Label())
	}
	switch {
	case m.err != "":
		parts = append(parts, m.styles.StatusError.Render("Error: "+m.err))
	case m.info != "":
		parts = append(parts, m.styles.StatusInfo.Render(m.info))
	}
	line := ansi.Truncate(strings.Join(parts, "  "), inner, "…")
	helpView := ""
	switch {
	case keys == nil:
	case m.help.ShowAll:
		helpView = m.help.View(keys)
	default:
		// Cut to the width, as the message line is: a help line that
		// wrapped would take more lines than Height promised.
		helpView = m.shortHelp(keys)
		if m.width > 0 {
			helpView = ansi.Truncate(helpView, inner, "…")
		}
	}
	return m.styles.StatusBar.Width(max(0, m.width)).Render(line + "\n" + helpView)
}

// shortHelp is the one-line help, drawn again only when the width or the
// keys changed.
func (m *Model) shortHelp(keys help.KeyMap) string {
	pinned := -1
	if p, ok := keys.(PinnedKeyMap); ok {
		pinned = p.PinnedHelp()
	}
	k := helpKey(m.help.Width, pinned, [][]key.Binding{keys.ShortHelp()})
	if k != m.shortKey {
		m.shortKey, m.shortView = k, m.fitShortHelp(keys)
	}
	return m.shortView
}

// fitShortHelp draws the one-line help. For a PinnedKeyMap it drops
// entries from before the pinned ones, last first, until the line fits.
func (m *Model) fitShortHelp(keys help.KeyMap) string {
	p, ok := keys.(PinnedKeyMap)
	if !ok {
		return m.help.ShortHelpView(keys.ShortHelp())
	}
	all := keys.ShortHelp()
	pinned := max(0, min(p.PinnedHelp(), len(all)))
	var rest []key.Binding
	for _, b := range all[:len(all)-pinned] {
		if b.Enabled() {
			rest = append(rest, b)
		}
	}
	tail := all[len(all)-pinned:]
	// Measured without a width, so nothing is cut with "…" before the
	// line is known to fit.
	measure := m.help
	measure.Width = 0
	for n := len(rest); n > 0; n-- {
		line := append(rest[:n:n], tail...)
		if m.help.Width <= 0 || lipgloss.Width(measure.ShortHelpView(line)) <= m.help.Width {
			return m.help.ShortHelpView(line)
		}
	}
	return m.help.ShortHelpView(tail)
}
