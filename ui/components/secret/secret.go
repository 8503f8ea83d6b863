// Package secret is the dialog that shows a new key's secret, once. The
// secret sits alone on a plain line (no border, no colour, no padding) so
// it can be selected by hand; it is copied at once, and closing the dialog
// takes a deliberate enter that wipes it from memory.
package secret

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Closed ends the dialog. The secret has been wiped before it is sent; Key
// is the new key, for the table.
type Closed struct{ Key model.APIKey }

// DialogResult marks Closed as a dialog's outcome.
func (Closed) DialogResult() {}

// copiedMsg reports a copy. from is the dialog that asked (compared, never
// read by the command), so a late reply never lands on another one; no
// package-level counter is needed for that.
type copiedMsg struct {
	from  *Model
	dests []string
}

// KeyMap is the dialog's keys. esc is deliberately not a way out: it only
// explains how to leave.
type KeyMap struct {
	Copy, Close, Esc key.Binding
}

func defaultKeyMap() KeyMap {
	return KeyMap{
		Copy:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy again")),
		Close: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "close (wipes the secret)")),
		Esc:   key.NewBinding(key.WithKeys("esc")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Copy, k.Close} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Model is the show-once secret dialog.
type Model struct {
	c       common.Common
	created model.CreatedKey
	copier  Copier
	keys    KeyMap

	copying bool
	copied  bool     // a copy reply has arrived
	dests   []string // where the last copy went
	escHint bool
	closed  bool
	common.Ending[Closed]
}

var _ common.Dialog = (*Model)(nil)

// New shows created's secret. Init copies it with copier.
func New(c common.Common, created model.CreatedKey, copier Copier) *Model {
	m := &Model{c: c, created: created, copier: copier, keys: defaultKeyMap()}
	// Init is about to copy: say so from the first frame.
	m.copying = copier != nil && !created.Secret.Empty()
	return m
}

// Wipe destroys the secret without closing, for a root that quits (ctrl+c)
// while the dialog is open.
func (m *Model) Wipe() {
	m.closed = true
	m.created.Secret.Wipe()
}

// Destinations returns where the last copy went (nil before the first reply).
func (m *Model) Destinations() []string { return m.dests }

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) { m.c.Width, m.c.Height = width, height }

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.keys.FullHelp() }

// Init copies the secret at once.
func (m *Model) Init() tea.Cmd { return m.copy() }

// copy reveals the secret here, on the Update goroutine, and hands the
// command a string: the command never touches the Secret, so wiping it
// cannot race with a copy still running.
func (m *Model) copy() tea.Cmd {
	if m.copier == nil || m.created.Secret.Empty() {
		return nil
	}
	text := plain(m.created.Secret)
	from, cp := m, m.copier
	m.copying = true
	return func() tea.Msg { return copiedMsg{from: from, dests: cp.Copy(text)} }
}

// Update implements common.Dialog.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	switch msg := msg.(type) {
	case copiedMsg:
		if msg.from == m {
			m.copying, m.copied, m.dests = false, true, msg.dests
		}
	case tea.KeyMsg:
		switch {
		case m.closed:
		case key.Matches(msg, m.keys.Close):
			m.Wipe()
			return m, m.End(Closed{Key: m.created.Key})
		case key.Matches(msg, m.keys.Copy):
			m.escHint = false
			return m, m.copy()
		case key.Matches(msg, m.keys.Esc):
			m.escHint = true
		}
	}
	return m, nil
}

const preferredWidth = 76

// View implements common.Component. There is no side border: a border on
// the secret's line would be selected and pasted along with it.
func (m *Model) View() string {
	st := m.c.Styles
	w := max(min(preferredWidth, m.c.Width), 1)
	name := model.CleanText(m.created.Key.Name)
	rule := st.Rule.Render(strings.Repeat("─", w))

	var lines []string
	add := func(s string) { lines = append(lines, strings.Split(s, "\n")...) }
	add(rule)
	add(st.DialogTitle.UnsetMarginBottom().Render(ansi.Truncate("Secret key for "+name+" — shown once", w, "…")))
	add("")
	add(st.Warn.Render(common.Wrap("Store it now: it cannot be shown again.", w)))
	add("")
	secretLine := len(lines)
	if m.created.Secret.Empty() {
		add(st.Hint.Render("(secret wiped)"))
	} else {
		// Plain text, first column, never wrapped: what is selected is
		// exactly the secret.
		lines = append(lines, plain(m.created.Secret))
	}
	add("")
	switch {
	case m.copying && !m.copied:
		add(st.Hint.Render("Copying…"))
	case len(m.dests) == 0:
		add(st.InputError.Render(common.Wrap("Could not copy automatically: select the line above.", w)))
	default:
		// A clipboard tool reports success; an OSC 52 sequence is only
		// sent, and the terminal may ignore it. Say which is which.
		var copied, sent []string
		for _, d := range m.dests {
			if strings.Contains(d, "OSC 52") {
				sent = append(sent, d)
			} else {
				copied = append(copied, d)
			}
		}
		if len(copied) > 0 {
			add(common.Wrap("Copied to: "+strings.Join(copied, ", "), w))
		}
		if len(sent) > 0 {
			add(common.Wrap("Sent to: "+strings.Join(sent, ", "), w))
			hint := "Terminals may ignore OSC 52; if pasting fails, select the line above."
			if strings.Contains(strings.Join(sent, ""), "tmux") {
				hint = "tmux passes OSC 52 on with set-clipboard on or allow-passthrough on; if pasting fails, select the line above."
			}
			add(st.Hint.Render(common.Wrap(hint, w)))
		}
	}
	add("")
	if m.escHint {
		add(st.StatusInfo.Render(common.Wrap("press enter to close; the secret will not be shown again", w)))
	}
	add(st.ToolbarKey.Render("c") + " " + st.ToolbarLabel.Render("copy again") + "   " +
		st.ToolbarKey.Render("enter") + " " + st.ToolbarLabel.Render("close (the secret is then wiped)"))
	add(rule)

	lines = fit(lines, secretLine, m.c.Height)
	// Pad with plain spaces so the dialog covers what is under it; spaces
	// carry no colour and trim away when the secret is selected.
	for i, l := range lines {
		if pad := w - ansi.StringWidth(l); pad > 0 {
			lines[i] = l + strings.Repeat(" ", pad)
		}
	}
	return strings.Join(lines, "\n")
}

// fit drops blank lines, then the last lines, until the view fits in
// height rows. The secret's line (index keep) is never dropped.
func fit(lines []string, keep, height int) []string {
	if height <= 0 || len(lines) <= height {
		return lines
	}
	out := make([]string, 0, len(lines))
	excess := len(lines) - height
	kept := 0
	for i, l := range lines {
		if excess > 0 && i != keep && strings.TrimSpace(l) == "" {
			excess--
			continue
		}
		if i == keep {
			kept = len(out)
		}
		out = append(out, l)
	}
	for excess > 0 && len(out)-1 > kept {
		out = out[:len(out)-1]
		excess--
	}
	return out
}

// plain is the secret as shown and copied: stripped of anything a hostile
// server could use to drive the terminal.
func plain(s model.Secret) string { return model.CleanText(s.Reveal()) }
