// Package confirm is the yes/no dialog in front of every change that cannot
// be taken back. It names what it will touch and starts on Cancel, so a
// stray enter does nothing.
package confirm

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Options describe one confirmation.
type Options struct {
	// Title is the question, e.g. "Deactivate API key?".
	Title string
	// Lines name what will be touched and say what cannot be undone. Long
	// lists are cut to fit with "…and N more".
	Lines []string
	// ConfirmLabel is the confirm button's text, e.g. "Deactivate".
	ConfirmLabel string
	// Danger colours the confirm button (and title) as destructive.
	Danger bool
	// Acknowledge makes the dialog a report with one button, ConfirmLabel
	// (default "OK"), focused: there is nothing to decide, so there is no
	// Cancel to choose. Enter sends Confirmed; esc cancels.
	Acknowledge bool
}

// Confirmed ends the dialog when the confirm button was activated. What
// was confirmed is the caller's to know: it keeps its own continuation
// rather than a tag that rides through the dialog.
type Confirmed struct{}

// DialogResult marks Confirmed as a dialog's outcome.
func (Confirmed) DialogResult() {}

// KeyMap is the dialog's keys. There is deliberately no single-key "yes":
// confirming takes moving to the button and pressing enter.
type KeyMap struct {
	Left, Right, Switch, Activate, Cancel key.Binding
}

func defaultKeyMap() KeyMap {
	return KeyMap{
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "to Cancel")),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "to confirm")),
		Switch:   key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab/←/→", "switch button")),
		Activate: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "press button")),
		Cancel:   key.NewBinding(key.WithKeys("esc", "n"), key.WithHelp("esc/n", "cancel")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Switch, k.Activate, k.Cancel}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Left, k.Right, k.Switch}, {k.Activate, k.Cancel}}
}

// Model is a confirmation dialog.
type Model struct {
	c         common.Common
	o         Options
	onConfirm bool
	keys      KeyMap
	common.Ending[Confirmed]
}

var _ common.Dialog = (*Model)(nil)

// New builds a confirmation with the focus on Cancel, or a report with
// its one button (Options.Acknowledge).
func New(c common.Common, o Options) *Model {
	m := &Model{c: c, o: o, keys: defaultKeyMap()}
	if o.Acknowledge {
		m.onConfirm = true
		m.keys.Left.SetEnabled(false)
		m.keys.Right.SetEnabled(false)
		m.keys.Switch.SetEnabled(false)
		m.keys.Activate.SetHelp("enter", "close")
		m.keys.Cancel.SetKeys("esc")
		m.keys.Cancel.SetHelp("esc", "close")
	}
	if strings.TrimSpace(m.o.ConfirmLabel) == "" {
		m.o.ConfirmLabel = "Confirm"
		if o.Acknowledge {
			m.o.ConfirmLabel = "OK"
		}
	}
	return m
}

// OnConfirm reports whether the focus is on the confirm button.
func (m *Model) OnConfirm() bool { return m.onConfirm }

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) { m.c.Width, m.c.Height = width, height }

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
	case key.Matches(km, m.keys.Left):
		m.onConfirm = false
	case key.Matches(km, m.keys.Right):
		m.onConfirm = true
	case key.Matches(km, m.keys.Switch):
		m.onConfirm = !m.onConfirm
	case key.Matches(km, m.keys.Activate):
		if m.onConfirm {
			return m, m.End(Confirmed{})
		}
		return m, m.Cancel()
	}
	return m, nil
}

const preferredWidth = 64

// View implements common.Component.
func (m *Model) View() string {
	st := m.c.Styles
	w := min(preferredWidth, m.c.Width)
	inner := max(w-st.Dialog.GetHorizontalFrameSize(), 1)

	titleStyle := st.DialogTitle
	if m.o.Danger {
		titleStyle = st.DialogDanger.MarginBottom(1)
	}
	title := titleStyle.Render(common.Wrap(model.CleanText(m.o.Title), inner))
	buttons := m.buttons()

	// Rows left for the lines once the frame, title, the gap and the
	// buttons are drawn.
	budget := m.c.Height - st.Dialog.GetVerticalFrameSize() -
		lipgloss.Height(title) - 1 - lipgloss.Height(buttons)
	body := fitBody(m.o.Lines, inner, budget)

	parts := []string{title}
	if body != "" {
		parts = append(parts, body, "")
	}
	parts = append(parts, buttons)
	return st.Dialog.Width(w - st.Dialog.GetHorizontalBorderSize()).Render(strings.Join(parts, "\n"))
}

// buttons draws [Cancel] [Label], or the one [Label] of a report. The
// focused one is bracketed as well as coloured, so the focus shows without
// colour (NO_COLOR).
func (m *Model) buttons() string {
	st := m.c.Styles
	label := func(s string, focused bool) string {
		if focused {
			return "[" + s + "]"
		}
		return " " + s + " "
	}
	cancel := st.Button.Render(label("Cancel", false))
	if !m.onConfirm {
		cancel = st.ButtonActive.Render(label("Cancel", true))
	}
	text := model.CleanText(m.o.ConfirmLabel)
	ok := st.Button.Render(label(text, false))
	if m.onConfirm {
		ok = st.ButtonActive.Render(label(text, true))
		if m.o.Danger {
			ok = st.ButtonDanger.Render(label(text, true))
		}
	}
	if m.o.Acknowledge {
		return ok
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, cancel, "  ", ok)
}

// fitBody wraps each line to width and keeps as many whole lines as fit in
// budget rows, ending with "…and N more" when some are left out.
func fitBody(lines []string, width, budget int) string {
	if len(lines) == 0 {
		return ""
	}
	budget = max(budget, 1)
	var rows []string
	for i, l := range lines {
		wrapped := strings.Split(common.Wrap(model.CleanText(l), width), "\n")
		room := budget - len(rows)
		if i < len(lines)-1 {
			room-- // keep a row for "…and N more"
		}
		if len(wrapped) > room {
			// Every earlier pass left that row free, so this fits.
			rows = append(rows, fmt.Sprintf("…and %d more", len(lines)-i))
			break
		}
		rows = append(rows, wrapped...)
	}
	return strings.Join(rows, "\n")
}
