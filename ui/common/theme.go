package common

import (
	"github.com/charmbracelet/lipgloss"

	"h2ogpte-keys/model"
)

// Theme is the palette by meaning, each colour adaptive to light and dark
// terminals. Components never name a colour; they use Styles. Selected is
// a text colour and Cursor a background, so the row under the cursor never
// looks like a selected one, and a selected row under the cursor shows
// both.
type Theme struct {
	Primary, Muted, Subtle, Border, Selected, Cursor lipgloss.AdaptiveColor
	Success, Warning, Danger, Info                   lipgloss.AdaptiveColor
	BadgeFg                                          lipgloss.AdaptiveColor
}

// DefaultTheme works on light and dark backgrounds.
func DefaultTheme() Theme {
	return Theme{
		Primary:  lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#B4A0FF"},
		Muted:    lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#9A9A9A"},
		Subtle:   lipgloss.AdaptiveColor{Light: "#B0B0B0", Dark: "#5C5C5C"},
		Border:   lipgloss.AdaptiveColor{Light: "#9E9E9E", Dark: "#626262"},
		Selected: lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#B4A0FF"},
		Cursor:   lipgloss.AdaptiveColor{Light: "#D7D0F5", Dark: "#3B2F6B"},
		Success:  lipgloss.AdaptiveColor{Light: "#1E7F3C", Dark: "#5FD38A"},
		Warning:  lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#F2C14E"},
		Danger:   lipgloss.AdaptiveColor{Light: "#B3261E", Dark: "#FF6B6B"},
		Info:     lipgloss.AdaptiveColor{Light: "#0B63A8", Dark: "#6CB6FF"},
		BadgeFg:  lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#1A1A1A"},
	}
}

// Styles is built once from a Theme, for one terminal's renderer, and
// shared through Common: the one palette. Styles are keyed by role (the
// fields) and by model.Status (ForStatus); no view builds a style of its
// own.
type Styles struct {
	Theme Theme
	// Renderer is the terminal the styles were built for; a component
	// that dresses a library (huh's theme) builds from it too.
	Renderer *lipgloss.Renderer

	App          lipgloss.Style
	Header       lipgloss.Style
	HeaderTitle  lipgloss.Style
	HeaderInfo   lipgloss.Style
	BadgeWarn    lipgloss.Style
	BadgeDanger  lipgloss.Style
	Toolbar      lipgloss.Style
	ToolbarKey   lipgloss.Style
	ToolbarLabel lipgloss.Style
	ToolbarOn    lipgloss.Style

	TableHeader   lipgloss.Style
	TableCell     lipgloss.Style
	TableCursor   lipgloss.Style
	TableSelected lipgloss.Style
	TableMuted    lipgloss.Style

	// status colours a status word, by model.Status: see ForStatus.
	status map[model.Status]lipgloss.Style

	Dialog       lipgloss.Style
	DialogTitle  lipgloss.Style
	DialogDanger lipgloss.Style
	Button       lipgloss.Style
	ButtonActive lipgloss.Style
	ButtonDanger lipgloss.Style
	MenuItem     lipgloss.Style
	MenuCursor   lipgloss.Style
	Input        lipgloss.Style
	InputError   lipgloss.Style
	Hint         lipgloss.Style
	// Rule is a horizontal rule in the primary colour (the secret's frame).
	Rule lipgloss.Style
	// Warn is a bold warning line ("Store it now").
	Warn lipgloss.Style

	StatusBar   lipgloss.Style
	StatusError lipgloss.Style
	StatusInfo  lipgloss.Style
	Spinner     lipgloss.Style
	// HelpSubtle draws the help line's separators and ellipsis.
	HelpSubtle lipgloss.Style
}

// NewStyles builds the styles from a theme for the process's own terminal
// (lipgloss's default renderer).
func NewStyles(t Theme) *Styles {
	return NewStylesFor(lipgloss.DefaultRenderer(), t)
}

// NewStylesFor builds the styles from a theme for the terminal r renders
// to: its colour profile and dark or light background decide how the
// theme's adaptive colours come out, so two SSH sessions can differ.
func NewStylesFor(r *lipgloss.Renderer, t Theme) *Styles {
	s := &Styles{Theme: t, Renderer: r}
	base := r.NewStyle()
	s.App = base
	s.Header = base.Padding(0, 1)
	s.HeaderTitle = base.Bold(true).Foreground(t.Primary)
	s.HeaderInfo = base.Foreground(t.Muted)
	s.BadgeWarn = base.Bold(true).Padding(0, 1).Foreground(t.BadgeFg).Background(t.Warning)
	s.BadgeDanger = base.Bold(true).Padding(0, 1).Foreground(t.BadgeFg).Background(t.Danger)
	s.Toolbar = base.Padding(0, 1)
	s.ToolbarKey = base.Bold(true).Foreground(t.Primary)
	s.ToolbarLabel = base.Foreground(t.Muted)
	s.ToolbarOn = base.Bold(true).Foreground(t.Warning)

	s.TableHeader = base.Bold(true).Foreground(t.Muted)
	s.TableCell = base
	s.TableCursor = base.Bold(true).Background(t.Cursor)
	s.TableSelected = base.Foreground(t.Selected)
	s.TableMuted = base.Foreground(t.Muted)

	s.status = map[model.Status]lipgloss.Style{
		model.StatusActive:   base.Foreground(t.Success),
		model.StatusInactive: base.Foreground(t.Muted),
		model.StatusExpired:  base.Foreground(t.Danger),
		model.StatusIdle:     base.Foreground(t.Warning),
	}

	s.Dialog = base.Border(lipgloss.RoundedBorder()).BorderForeground(t.Primary).Padding(1, 2)
	s.DialogTitle = base.Bold(true).Foreground(t.Primary).MarginBottom(1)
	s.DialogDanger = base.Bold(true).Foreground(t.Danger)
	s.Button = base.Padding(0, 2).Foreground(t.Muted).Border(lipgloss.NormalBorder(), false, false, false, false)
	s.ButtonActive = base.Padding(0, 2).Bold(true).Foreground(t.BadgeFg).Background(t.Primary)
	s.ButtonDanger = base.Padding(0, 2).Bold(true).Foreground(t.BadgeFg).Background(t.Danger)
	s.MenuItem = base.PaddingLeft(2)
	s.MenuCursor = base.PaddingLeft(0).Bold(true).Foreground(t.Primary)
	s.Input = base.Foreground(t.Primary)
	s.InputError = base.Foreground(t.Danger)
	s.Hint = base.Foreground(t.Muted)
	s.Rule = base.Foreground(t.Primary)
	s.Warn = base.Bold(true).Foreground(t.Warning)

	s.StatusBar = base.Padding(0, 1)
	s.StatusError = base.Bold(true).Foreground(t.Danger)
	s.StatusInfo = base.Foreground(t.Info)
	s.Spinner = base.Foreground(t.Primary)
	s.HelpSubtle = base.Foreground(t.Subtle)
	return s
}

// ForStatus is the style that colours a key's status; a status the
// palette does not know is drawn like an inactive one.
func (s *Styles) ForStatus(st model.Status) lipgloss.Style {
	if style, ok := s.status[st]; ok {
		return style
	}
	return s.status[model.StatusInactive]
}
