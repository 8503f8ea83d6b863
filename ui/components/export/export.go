// Package export is the dialog that writes the keys shown in the table to
// a CSV or JSON file: it asks for the path (prefilled), and the extension
// decides the format. The records are the CLI's (model.KeyRecord), so a
// file from the dashboard and one from `list --output csv|json` agree.
package export

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Format is what an export writes, chosen by the path's extension.
type Format int

// The formats.
const (
	CSV Format = iota
	JSON
)

// String names the format as the notices do.
func (f Format) String() string {
	if f == JSON {
		return "JSON"
	}
	return "CSV"
}

// ErrExtension is the answer to a path that ends in neither .csv nor .json.
var ErrExtension = errors.New("the file name must end in .csv or .json (that decides the format)")

// FormatOf reads the format from path's extension, in any case.
func FormatOf(path string) (Format, error) {
	if strings.TrimSpace(path) == "" {
		return 0, errors.New("type a file name ending in .csv or .json")
	}
	switch strings.ToLower(filepath.Ext(strings.TrimSpace(path))) {
	case ".csv":
		return CSV, nil
	case ".json":
		return JSON, nil
	}
	return 0, ErrExtension
}

// DefaultPath is the prefilled path: in the working directory, named after
// the view (a username, or "all-users") and the time, so two exports never
// collide: ./h2ogpte-keys-alice-20261126-150405.csv.
func DefaultPath(scope string, now time.Time) string {
	return "./h2ogpte-keys-" + safeName(scope) + "-" + now.Format("20060102-150405") + ".csv"
}

// safeName keeps letters, digits, dot, dash and underscore of a username,
// so a name from the server cannot make a path of its own.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "keys"
	}
	return b.String()
}

// Chosen ends the dialog with where to write, and in which format.
type Chosen struct {
	Path   string
	Format Format
}

// DialogResult marks Chosen as a dialog's outcome.
func (Chosen) DialogResult() {}

// Options describe one export.
type Options struct {
	// Path is the prefilled path (see DefaultPath).
	Path string
	// Count is how many keys will be written.
	Count int
	// Notes are shown above the path (e.g. that the load was stopped).
	Notes []string
}

// KeyMap is the dialog's keys; the text input has its own editing keys.
type KeyMap struct {
	Submit, Cancel key.Binding
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Submit, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Model is the export dialog.
type Model struct {
	c     common.Common
	o     Options
	input textinput.Model
	keys  KeyMap
	tried bool
	common.Ending[Chosen]
}

var _ common.Dialog = (*Model)(nil)

// New opens the dialog with the path prefilled and the cursor at its end.
func New(c common.Common, o Options) *Model {
	in := textinput.New()
	in.Prompt = "File: "
	in.PromptStyle = c.Styles.Hint
	in.TextStyle = c.Styles.Input
	in.Cursor.Style = c.Styles.Input
	in.CharLimit = 4096
	in.SetValue(o.Path)
	in.CursorEnd()
	// A static cursor keeps the dialog still between key presses (and
	// its golden files stable), as the other inputs do.
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Focus()
	m := &Model{c: c, o: o, input: in, keys: KeyMap{
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "export")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}}
	m.SetSize(c.Width, c.Height)
	return m
}

// Value returns the path as typed.
func (m *Model) Value() string { return m.input.Value() }

// Err is what is wrong with the path as typed, nil when it would do.
func (m *Model) Err() error {
	_, err := FormatOf(m.input.Value())
	return err
}

const preferredWidth = 76

func (m *Model) innerWidth() int {
	return max(min(preferredWidth, m.c.Width)-m.c.Styles.Dialog.GetHorizontalFrameSize(), 1)
}

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.Width, m.c.Height = width, height
	m.input.Width = max(m.innerWidth()-ansi.StringWidth(m.input.Prompt)-1, 1)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.keys.FullHelp() }

// Init implements common.Dialog: nothing to start (the cursor is static).
func (m *Model) Init() tea.Cmd { return nil }

// Update implements common.Dialog.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, m.keys.Cancel):
			return m, m.Cancel()
		case key.Matches(km, m.keys.Submit):
			m.tried = true
			path := strings.TrimSpace(m.input.Value())
			f, err := FormatOf(path)
			if err != nil {
				return m, nil
			}
			return m, m.End(Chosen{Path: path, Format: f})
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// View implements common.Component.
func (m *Model) View() string {
	st := m.c.Styles
	w := min(preferredWidth, m.c.Width)
	inner := m.innerWidth()
	lines := []string{
		st.DialogTitle.Render(ansi.Truncate("Export "+common.Count(m.o.Count, "key"), inner, "…")),
		common.Wrap("The rows shown now, after filters and sort, with every column and status. No secret is ever exported.", inner),
	}
	for _, n := range m.o.Notes {
		lines = append(lines, st.InputError.Render(common.Wrap(model.CleanText(n), inner)))
	}
	lines = append(lines, "", m.input.View(), m.feedback(inner))
	content := common.FitLines(strings.Join(lines, "\n"), m.c.Height-st.Dialog.GetVerticalFrameSize())
	return st.Dialog.Width(w - st.Dialog.GetHorizontalBorderSize()).Render(content)
}

// feedback says what the path will write, or what is wrong with it.
func (m *Model) feedback(width int) string {
	st := m.c.Styles
	f, err := FormatOf(m.input.Value())
	if err != nil {
		if !m.tried && strings.TrimSpace(m.input.Value()) == "" {
			return st.Hint.Render("Ends in .csv or .json: that decides the format.")
		}
		return st.InputError.Render(common.Wrap(err.Error(), width))
	}
	text := "CSV: a header row, then one row per key (the CLI's list --output csv)."
	if f == JSON {
		text = "JSON: an array of key records (the CLI's list --output json)."
	}
	return st.Hint.Render(common.Wrap(text, width))
}
