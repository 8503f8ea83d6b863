package newkey

import (
	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"

	"h2ogpte-keys/ui/common"
)

// optional is an input shown only while its toggle is on. huh v1 can hide
// whole groups but not single fields, and a group per toggle would split
// the form into pages; so the field stays in the one group and, while
// hidden, is skipped by navigation, draws nothing and reports no error.
type optional struct {
	*huh.Input
	shown func() bool
}

var _ huh.Field = (*optional)(nil)

func (o *optional) Skip() bool { return !o.shown() }

func (o *optional) View() string {
	if !o.shown() {
		return ""
	}
	return o.Input.View()
}

func (o *optional) Error() error {
	if !o.shown() {
		return nil
	}
	return o.Input.Error()
}

// Update keeps the wrapper in the group: huh stores whatever Update returns.
func (o *optional) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := o.Input.Update(msg)
	if in, ok := m.(*huh.Input); ok {
		o.Input = in
	}
	return o, cmd
}

func (o *optional) WithTheme(t *huh.Theme) huh.Field   { o.Input.WithTheme(t); return o }
func (o *optional) WithKeyMap(k *huh.KeyMap) huh.Field { o.Input.WithKeyMap(k); return o }
func (o *optional) WithWidth(w int) huh.Field          { o.Input.WithWidth(w); return o }
func (o *optional) WithHeight(h int) huh.Field         { o.Input.WithHeight(h); return o }
func (o *optional) WithPosition(p huh.FieldPosition) huh.Field {
	o.Input.WithPosition(p)
	return o
}

// newTheme dresses huh in the dashboard's palette. Every colour of
// ThemeBase that is set is replaced. A toggle's chosen answer is marked ●
// (the other ○) as well as coloured, so it shows without colour (NO_COLOR).
// Its styles come from the renderer the dashboard's styles were built
// for, so an SSH session's form matches that session's terminal.
func newTheme(st *common.Styles) *huh.Theme {
	t := st.Theme
	r := st.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	th := huh.ThemeBase()
	plain := r.NewStyle()
	th.FieldSeparator = plain.SetString("\n")

	f := &th.Focused
	f.Base = plain.PaddingLeft(1).BorderStyle(lipgloss.ThickBorder()).BorderLeft(true).BorderForeground(t.Primary)
	f.Card = f.Base
	f.Title = plain.Bold(true).Foreground(t.Primary)
	f.NoteTitle = f.Title
	f.Description = plain.Foreground(t.Muted)
	f.ErrorIndicator = plain.Foreground(t.Danger).SetString(" *")
	f.ErrorMessage = plain.Foreground(t.Danger)
	f.SelectSelector = plain.Foreground(t.Primary).SetString("› ")
	f.Option = plain
	f.SelectedOption = plain.Bold(true).Foreground(t.Primary)
	f.UnselectedOption = plain
	f.NextIndicator = plain.MarginLeft(1).Foreground(t.Primary).SetString("→")
	f.PrevIndicator = plain.MarginRight(1).Foreground(t.Primary).SetString("←")
	f.MultiSelectSelector = plain.Foreground(t.Primary).SetString("› ")
	f.SelectedPrefix = plain.Foreground(t.Success).SetString("[•] ")
	f.UnselectedPrefix = plain.Foreground(t.Muted).SetString("[ ] ")
	button := plain.Padding(0, 1).MarginRight(1)
	f.Next = button.Bold(true).Foreground(t.BadgeFg).Background(t.Primary)
	// huh draws the button matching the value with FocusedButton.
	f.FocusedButton = f.Next.SetString("●")
	f.BlurredButton = button.Foreground(t.Muted).SetString("○")
	f.TextInput = huh.TextInputStyles{
		Cursor:      plain.Foreground(t.Primary),
		CursorText:  plain,
		Placeholder: plain.Foreground(t.Muted),
		Prompt:      plain.Foreground(t.Primary),
		Text:        plain,
	}

	th.Blurred = th.Focused
	b := &th.Blurred
	b.Base = f.Base.BorderStyle(lipgloss.HiddenBorder())
	b.Card = b.Base
	b.Title = plain
	b.NextIndicator = plain
	b.PrevIndicator = plain
	b.SelectedOption = plain.Foreground(t.Primary)
	b.FocusedButton = button.Bold(true).Foreground(t.Primary).SetString("●")
	b.TextInput.Prompt = plain.Foreground(t.Muted)

	th.Group.Title = f.Title
	th.Group.Description = f.Description
	th.Help = help.Styles{
		Ellipsis:       plain.Foreground(t.Muted),
		ShortKey:       plain.Foreground(t.Primary),
		ShortDesc:      plain.Foreground(t.Muted),
		ShortSeparator: plain.Foreground(t.Subtle),
		FullKey:        plain.Foreground(t.Primary),
		FullDesc:       plain.Foreground(t.Muted),
		FullSeparator:  plain.Foreground(t.Subtle),
	}
	return th
}
