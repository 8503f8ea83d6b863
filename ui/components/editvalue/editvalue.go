// Package editvalue holds the one-line dialogs that change a key's expiry or
// inactivity interval. They check what is typed as it is typed, with the
// same rules the CLI uses, and refuse to submit anything the server would
// reject for being past its expiry limit.
package editvalue

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Chosen ends the dialog with a validated value for Keys: the one key of
// a single dialog, or every key of a bulk one. An expiry dialog sets
// Expiry (Never removes it); an inactivity dialog sets Days (0 removes
// the interval).
type Chosen struct {
	Keys   []model.APIKey
	Expiry model.Expiry
	Days   int
}

// DialogResult marks Chosen as a dialog's outcome.
func (Chosen) DialogResult() {}

// KeyMap is the dialog's keys; the text input has its own editing keys.
type KeyMap struct {
	Submit, Cancel key.Binding
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Submit, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

type kind int

const (
	expiry kind = iota
	inactivity
)

// Model is an edit dialog for one value of one key.
type Model struct {
	c         common.Common
	key       model.APIKey
	bulk      []model.APIKey // set when one value goes to several keys
	kind      kind
	limitDays int
	input     textinput.Model
	keys      KeyMap
	// tried is set once enter was pressed, so an empty field is reported
	// only after an attempt to submit it, not while the dialog opens.
	tried bool
	common.Ending[Chosen]
}

var _ common.Dialog = (*Model)(nil)

// NewExpiry edits key's expiry under the server's limit of limitDays (0 =
// no limit). It accepts a date (2026-12-31), a duration from now (30d, 12h,
// 6 months) or never.
func NewExpiry(c common.Common, key model.APIKey, limitDays int) *Model {
	return newModel(c, key, expiry, max(limitDays, 0), "30d, 12h, 2026-12-31 or never", "save expiry")
}

// NewInactivity edits key's inactivity interval: whole days, or none.
func NewInactivity(c common.Common, key model.APIKey) *Model {
	return newModel(c, key, inactivity, 0, "days, or none", "save interval")
}

// NewBulkExpiry asks for one expiry for every key in keys, under the same
// rules as NewExpiry.
func NewBulkExpiry(c common.Common, keys []model.APIKey, limitDays int) *Model {
	m := newModel(c, model.APIKey{}, expiry, max(limitDays, 0), "30d, 12h, 2026-12-31 or never", "next")
	m.bulk = keys
	return m
}

// NewBulkInactivity asks for one inactivity interval for every key in keys.
func NewBulkInactivity(c common.Common, keys []model.APIKey) *Model {
	m := newModel(c, model.APIKey{}, inactivity, 0, "days, or none", "next")
	m.bulk = keys
	return m
}

func newModel(c common.Common, k model.APIKey, kd kind, limitDays int, placeholder, submitHelp string) *Model {
	in := textinput.New()
	in.Placeholder = placeholder
	in.CharLimit = 40
	in.Prompt = "› "
	in.PromptStyle = c.Styles.Input
	in.Cursor.Style = c.Styles.Input
	in.PlaceholderStyle = c.Styles.Hint
	m := &Model{
		c: c, key: k, kind: kd, limitDays: limitDays, input: in,
		keys: KeyMap{
			Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", submitHelp)),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		},
	}
	m.input.Focus()
	m.SetSize(c.Width, c.Height)
	return m
}

// Value returns the text typed so far.
func (m *Model) Value() string { return m.input.Value() }

// Err returns what is wrong with the text as typed; nil when it would be
// accepted. An empty field is an error only after a submit attempt.
func (m *Model) Err() error {
	_, err := m.check()
	if err != nil && strings.TrimSpace(m.input.Value()) == "" && !m.tried {
		return nil
	}
	return err
}

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.Width, m.c.Height = width, height
	inner := m.innerWidth()
	m.input.Width = max(inner-len([]rune(m.input.Prompt))-1, 1)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.keys.ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.keys.FullHelp() }

// Init implements common.Dialog.
func (m *Model) Init() tea.Cmd { return textinput.Blink }

// Update implements common.Dialog.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, m.keys.Cancel):
			return m, m.Cancel()
		case key.Matches(km, m.keys.Submit):
			m.tried = true
			result, err := m.check()
			if err != nil {
				return m, nil
			}
			return m, m.End(result)
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// check parses the input with the clock's current time and returns the
// dialog's result, or why it would be refused.
func (m *Model) check() (Chosen, error) {
	text := m.input.Value()
	keys := m.bulk
	if keys == nil {
		keys = []model.APIKey{m.key}
	}
	if m.kind == inactivity {
		days, err := model.ParseInactivityDays(text)
		if err != nil {
			return Chosen{}, err
		}
		return Chosen{Keys: keys, Days: days}, nil
	}
	now := m.now()
	e, err := model.ParseExpiry(text, now)
	if err != nil {
		return Chosen{}, err
	}
	// Only an explicit date past the limit is refused here; "never" is
	// sent even under a limit (nothing published says the server refuses
	// it), and a server that does shows its own answer.
	if err := model.CheckExpiry(e, m.limitDays, now); err != nil {
		return Chosen{}, err
	}
	return Chosen{Keys: keys, Expiry: e}, nil
}

// now reads the injected clock; a Common without one falls back to the
// system clock rather than panicking.
func (m *Model) now() time.Time {
	if m.c.Now == nil {
		return time.Now()
	}
	return m.c.Now()
}

const preferredWidth = 68

func (m *Model) innerWidth() int {
	st := m.c.Styles
	return max(min(preferredWidth, m.c.Width)-st.Dialog.GetHorizontalFrameSize(), 1)
}

// View implements common.Component.
func (m *Model) View() string {
	st := m.c.Styles
	w := min(preferredWidth, m.c.Width)
	inner := m.innerWidth()
	now := m.now()

	var lines []string
	if m.bulk != nil {
		title := "Set expiry of " + common.Count(len(m.bulk), "key")
		if m.kind == inactivity {
			title = "Set inactivity interval of " + common.Count(len(m.bulk), "key")
		}
		lines = []string{
			st.DialogTitle.Render(ansi.Truncate(title, inner, "…")),
			common.Wrap("One value for every selected key; you confirm before anything is sent.", inner),
		}
		if m.kind == expiry {
			lines = append(lines, st.Hint.Render(common.Wrap(limitLine(m.limitDays, now), inner)))
		}
	} else {
		title := "Edit expiry"
		if m.kind == inactivity {
			title = "Edit inactivity interval"
		}
		name := model.CleanText(m.key.Name)
		lines = []string{
			st.DialogTitle.Render(ansi.Truncate(title, inner, "…")),
			ansi.Truncate("Key: "+name+"  "+st.Hint.Render(common.MaskedSecret(m.key.Hint)), inner, "…"),
		}
		if m.kind == expiry {
			lines = append(lines, common.Wrap("Current expiry: "+currentExpiry(m.key, now), inner))
			lines = append(lines, st.Hint.Render(common.Wrap(limitLine(m.limitDays, now), inner)))
		} else {
			lines = append(lines, common.Wrap("Current interval: "+currentInactivity(m.key), inner))
		}
	}
	lines = append(lines, "", m.input.View(), m.feedback(inner))

	maxLines := m.c.Height - st.Dialog.GetVerticalFrameSize()
	content := common.FitLines(strings.Join(lines, "\n"), maxLines)
	return st.Dialog.Width(w - st.Dialog.GetHorizontalBorderSize()).Render(content)
}

// feedback is the line under the input: the error, or what the value will
// do. It is never empty, so the dialog does not jump as it changes.
func (m *Model) feedback(width int) string {
	st := m.c.Styles
	if err := m.Err(); err != nil {
		return st.InputError.Render(common.Wrap(model.CleanText(err.Error()), width))
	}
	if strings.TrimSpace(m.input.Value()) == "" {
		return " "
	}
	r, err := m.check()
	text := ""
	switch {
	case err != nil:
	case m.kind == inactivity:
		text = inactivityEffect(r.Days)
	default:
		text = expiryEffect(r.Expiry, m.now())
	}
	return st.Hint.Render(common.Wrap(text, width))
}

func expiryEffect(e model.Expiry, now time.Time) string {
	if e.Never {
		return "removes the expiry: the key will never expire"
	}
	return fmt.Sprintf("expires %s (%s)", common.DateTime(e.At), common.Relative(e.At, now))
}

func inactivityEffect(d int) string {
	if d == 0 {
		return "removes the interval: unused keys keep working"
	}
	return fmt.Sprintf("stops working after %s without use", common.Count(d, "day"))
}

func currentExpiry(k model.APIKey, now time.Time) string {
	if k.Expires == nil {
		return "never"
	}
	at := k.Expires.In(now.Location())
	return fmt.Sprintf("%s (%s)", common.DateTime(at), common.Relative(at, now))
}

func currentInactivity(k model.APIKey) string {
	d, ok := k.InactivityDays.Get()
	switch {
	case !k.InactivityReported():
		return "not reported by this server"
	case !ok || d <= 0:
		return "none"
	}
	return common.Count(d, "day")
}

func limitLine(limitDays int, now time.Time) string {
	latest, ok := model.LatestExpiry(limitDays, now)
	if !ok {
		return "Server limit: none"
	}
	return fmt.Sprintf("Server limit: %s (latest %s)", common.Count(limitDays, "day"), common.DateTime(latest))
}
