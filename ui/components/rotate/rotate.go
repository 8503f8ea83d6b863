// Package rotate is the dialog that plans a key's rotation: it states the
// replacement in words (owner, name, collection or global, inactivity,
// expiry), lets the admin change the expiry (and name the new key when the
// old key's name may not be given to it), and asks what happens to the
// old key once the new one exists. Keeping it is the default, since the new
// secret has to be deployed first; deactivating or deleting it at once is
// confirmed naming the key, starting on Cancel. Running the plan and
// showing the secret are the root's: the dialog only decides.
package rotate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/confirm"
)

// Chosen ends the dialog with the plan to run (its expiry as the admin left
// it) and what to do with the old key afterwards.
type Chosen struct {
	Plan change.RotationPlan
	Then change.Retire
}

// DialogResult marks Chosen as a dialog's outcome.
func (Chosen) DialogResult() {}

// KeyMap is the plan screen's keys; the expiry field has its own editing
// keys, and the confirmation its own.
type KeyMap struct {
	Up, Down, Submit, Cancel key.Binding
	// Field moves between the name and the expiry fields; enabled only
	// when the dialog asks for a name.
	Field key.Binding
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Field, k.Up, k.Submit, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Field}, {k.Up, k.Down}, {k.Submit, k.Cancel}}
}

// choices are the old key's fates, in the order shown.
var choices = [...]change.Retire{change.RetireKeep, change.RetireDeactivate, change.RetireDelete}

// Model is the rotation dialog.
type Model struct {
	c      common.Common
	plan   change.RotationPlan
	choice int
	input  textinput.Model
	// name is the new key's name field, when the plan has none (the old
	// key's name may not be given to a new key); nil otherwise.
	name *textinput.Model
	// onName: the name field has the focus.
	onName bool
	// dropped names the character last left out of what was typed into
	// the name field, for as long as the name is being edited.
	dropped string
	keys    KeyMap
	// confirming is the confirmation of a destructive choice, on top of
	// the plan screen while it is open.
	confirming *confirm.Model
	result     *Chosen
	cancelled  bool
}

var _ common.Dialog = (*Model)(nil)

// New opens the plan screen for plan (from change.PlanRotation, with the
// server's limit it was made under). A plan without a name (PlanRotation's
// ErrNameNotReusable) opens with a name field, which the admin must fill
// before the dialog ends.
func New(c common.Common, plan change.RotationPlan) *Model {
	in := textinput.New()
	in.Placeholder = "as planned; or 30d, 2026-12-31, never"
	in.CharLimit = 40
	in.Prompt = "New expiry › "
	in.PromptStyle = c.Styles.Input
	in.Cursor.Style = c.Styles.Input
	in.PlaceholderStyle = c.Styles.Hint
	m := &Model{
		c: c, plan: plan, input: in,
		keys: KeyMap{
			Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "old key: keep, deactivate, delete")),
			Down:   key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "next choice")),
			Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "create the new key")),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
			Field:  key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "name / expiry"), key.WithDisabled()),
		},
	}
	if plan.Name == "" {
		name := textinput.New()
		name.Placeholder = "required: the old name cannot be given to a new key"
		name.CharLimit = model.MaxKeyNameLen
		name.Prompt = "New name   › "
		name.PromptStyle = c.Styles.Input
		name.Cursor.Style = c.Styles.Input
		name.PlaceholderStyle = c.Styles.Hint
		m.name, m.onName = &name, true
		m.keys.Field.SetEnabled(true)
		m.name.Focus()
	} else {
		m.input.Focus()
	}
	m.SetSize(c.Width, c.Height)
	return m
}

// Done reports whether the dialog has ended, chosen or cancelled.
func (m *Model) Done() bool { return m.result != nil || m.cancelled }

// Result is the admin's decision; ok is false until one was made (and
// after a cancel).
func (m *Model) Result() (Chosen, bool) {
	if m.result == nil {
		return Chosen{}, false
	}
	return *m.result, true
}

// Then is the old key's fate as currently chosen.
func (m *Model) Then() change.Retire { return choices[m.choice] }

// Confirming reports whether the confirmation of a destructive choice is
// open.
func (m *Model) Confirming() bool { return m.confirming != nil }

// Err is why the typed name or expiry would be refused; nil when both are
// accepted (an empty expiry field keeps the planned expiry; an empty name
// field, when there is one, is refused).
func (m *Model) Err() error {
	_, err := m.chosenPlan()
	return err
}

// NameField reports whether the dialog asks for the new key's name, and
// whether that field has the focus.
func (m *Model) NameField() (asked, focused bool) { return m.name != nil, m.onName }

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.Width, m.c.Height = width, height
	m.input.Width = max(m.innerWidth()-len([]rune(m.input.Prompt))-1, 1)
	if m.name != nil {
		m.name.Width = max(m.innerWidth()-len([]rune(m.name.Prompt))-1, 1)
	}
	if m.confirming != nil {
		m.confirming.SetSize(width, height)
	}
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	if m.confirming != nil {
		return m.confirming.ShortHelp()
	}
	return m.keys.ShortHelp()
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	if m.confirming != nil {
		return m.confirming.FullHelp()
	}
	return m.keys.FullHelp()
}

// Init implements common.Dialog.
func (m *Model) Init() tea.Cmd { return textinput.Blink }

// Update implements common.Dialog. The dialog ends by returning Chosen or
// common.Cancelled as a command, like every dialog; Result and Done tell
// the same after Update.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	if m.Done() {
		return m, nil
	}
	if m.confirming != nil {
		return m, m.updateConfirm(msg)
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, m.updateField(msg)
	}
	switch {
	case key.Matches(km, m.keys.Field):
		m.onName = !m.onName
		if m.onName {
			m.input.Blur()
			return m, m.name.Focus()
		}
		m.name.Blur()
		m.dropped = ""
		return m, m.input.Focus()
	case key.Matches(km, m.keys.Cancel):
		m.cancelled = true
		return m, common.Cancel
	case key.Matches(km, m.keys.Up):
		m.choice = max(m.choice-1, 0)
		return m, nil
	case key.Matches(km, m.keys.Down):
		m.choice = min(m.choice+1, len(choices)-1)
		return m, nil
	case key.Matches(km, m.keys.Submit):
		plan, err := m.chosenPlan()
		if err != nil {
			return m, nil
		}
		if m.Then() == change.RetireKeep {
			return m, m.finish(plan)
		}
		m.confirming = confirm.New(m.c, m.confirmOptions())
		return m, nil
	}
	if m.onName {
		if msg, ok = common.NameKey(km, &m.dropped); !ok {
			return m, nil
		}
	}
	return m, m.updateField(msg)
}

// updateField hands msg to the focused field.
func (m *Model) updateField(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	if m.onName {
		*m.name, cmd = m.name.Update(msg)
		if m.name.Value() == "" {
			m.dropped = ""
		}
		return cmd
	}
	m.input, cmd = m.input.Update(msg)
	return cmd
}

// updateConfirm routes a message to the confirmation. Its commands are
// Emit and Cancel, which only carry its typed result, so running one here
// reads that result without waiting a round trip.
func (m *Model) updateConfirm(msg tea.Msg) tea.Cmd {
	_, cmd := m.confirming.Update(msg)
	if cmd == nil {
		return nil
	}
	switch cmd().(type) {
	case confirm.Confirmed:
		m.confirming = nil
		plan, err := m.chosenPlan()
		if err != nil {
			// The clock moved an expiry past the limit while the
			// confirmation was open: back to the plan, which shows why.
			return nil
		}
		return m.finish(plan)
	case common.Cancelled:
		// Back to the plan, not out of the rotation: the admin may
		// still keep the old key.
		m.confirming = nil
	}
	return nil
}

func (m *Model) finish(plan change.RotationPlan) tea.Cmd {
	m.result = &Chosen{Plan: plan, Then: m.Then()}
	return common.Emit(*m.result)
}

// chosenPlan is the plan with the typed name, if asked for, and the typed
// expiry, checked against the limit at the clock's current time (the
// planned one when nothing is typed).
func (m *Model) chosenPlan() (change.RotationPlan, error) {
	plan, err := m.namedPlan()
	if err != nil {
		return plan, err
	}
	plan, err = m.expiryPlan(plan)
	return plan, err
}

// errNameRequired is the empty name field's refusal.
var errNameRequired = errors.New("a name is required: the old key's name cannot be given to a new key")

// namedPlan is the plan with the typed name when the dialog asks for one.
func (m *Model) namedPlan() (change.RotationPlan, error) {
	if m.name == nil {
		return m.plan, nil
	}
	text := strings.TrimSpace(m.name.Value())
	if text == "" {
		return m.plan, errNameRequired
	}
	p, err := m.plan.WithName(text)
	if err != nil {
		return m.plan, fmt.Errorf("name refused: %w", err)
	}
	return p, nil
}

// expiryPlan is plan with the typed expiry.
func (m *Model) expiryPlan(plan change.RotationPlan) (change.RotationPlan, error) {
	text := strings.TrimSpace(m.input.Value())
	if text == "" {
		return plan, nil
	}
	now := m.now()
	e, err := model.ParseExpiry(text, now)
	if err != nil {
		return plan, err
	}
	return plan.WithExpiry(e, now)
}

func (m *Model) confirmOptions() confirm.Options {
	old := m.plan.Old
	verb, label, lasting := "Deactivate", "Rotate and deactivate", "Deactivation cannot be undone."
	if m.Then() == change.RetireDelete {
		verb, label, lasting = "Delete", "Rotate and delete", "Deletion cannot be undone."
	}
	return confirm.Options{
		Title: verb + " the old key once the new one exists?",
		Lines: []string{
			keyLabel(old),
			"Anything still using the old secret stops working at once, before the new secret is deployed. " + lasting,
		},
		ConfirmLabel: label,
		Danger:       true,
	}
}

func keyLabel(k model.APIKey) string {
	return model.CleanText(k.Name) + " (" + common.MaskedSecret(k.Hint) + ") of " + model.CleanText(k.Username)
}

func (m *Model) now() time.Time {
	if m.c.Now == nil {
		return time.Now()
	}
	return m.c.Now()
}

const preferredWidth = 76

func (m *Model) innerWidth() int {
	return max(min(preferredWidth, m.c.Width)-m.c.Styles.Dialog.GetHorizontalFrameSize(), 1)
}

// View implements common.Component.
func (m *Model) View() string {
	if m.confirming != nil {
		return m.confirming.View()
	}
	st := m.c.Styles
	w := min(preferredWidth, m.c.Width)
	inner := m.innerWidth()
	now := m.now()
	p := m.plan
	row := func(label, value string) string {
		return ansi.Truncate(fmt.Sprintf("  %-11s %s", label, value), inner, "…")
	}
	named, nameErr := m.namedPlan()
	name := model.CleanText(named.Name)
	if m.name != nil && nameErr != nil {
		name = "(give one below)"
	}
	lines := []string{
		st.DialogTitle.Render(ansi.Truncate("Rotate "+keyLabel(p.Old), inner, "…")),
		ansi.Truncate("A new key with the same reach; its secret is shown once:", inner, "…"),
		row("Owner", model.CleanText(p.Old.Username)),
		row("Name", name),
		row("Reach", reach(p)),
		row("Inactivity", inactivity(p.InactivityDays)),
	}
	shown, err := m.expiryPlan(p)
	lines = append(lines, row("Expiry", expiryText(shown, now)))
	if why := expiryWhy(shown); why != "" {
		const indent = "              " // under the values of the rows above
		for _, l := range strings.Split(common.Wrap(why, max(inner-len(indent), 10)), "\n") {
			lines = append(lines, st.Hint.Render(ansi.Truncate(indent+l, inner, "…")))
		}
	}
	if m.name != nil {
		// Two lines and the field's own: the plan still fits 80x24.
		style := st.Hint
		if nameErr != nil && nameErr != errNameRequired {
			style = st.InputError
		}
		lines = append(lines, "", m.name.View(), style.Render(ansi.Truncate(m.nameNote(nameErr), inner, "…")))
	} else {
		lines = append(lines, "")
	}
	lines = append(lines, m.input.View())
	switch {
	case err != nil:
		lines = append(lines, st.InputError.Render(ansi.Truncate(model.CleanText(err.Error()), inner, "…")))
	default:
		lines = append(lines, st.Hint.Render(ansi.Truncate(limitLine(p.LimitDays), inner, "…")))
	}
	lines = append(lines, "", "Then the old key:")
	for i, c := range choices {
		mark := "( ) "
		style := st.MenuItem
		if i == m.choice {
			mark, style = "(•) ", st.MenuCursor.PaddingLeft(2)
		}
		lines = append(lines, style.Render(ansi.Truncate(mark+choiceText(c), inner-2, "…")))
	}
	maxLines := m.c.Height - st.Dialog.GetVerticalFrameSize()
	content := common.FitLines(strings.Join(lines, "\n"), maxLines)
	return st.Dialog.Width(w - st.Dialog.GetHorizontalBorderSize()).Render(content)
}

// nameNote is the line under the name field: what was left out of the
// typing, why a typed name is refused, or why the old name is not kept.
func (m *Model) nameNote(err error) string {
	switch {
	case m.dropped != "":
		return "Left out " + m.dropped + ": a key name may not hold it."
	case err != nil && err != errNameRequired:
		return model.CleanText(err.Error())
	}
	why := "it may not be given to a new key"
	if err := model.CheckKeyName(m.plan.Old.Name); err != nil {
		why = strings.TrimPrefix(err.Error(), model.ErrBadKeyName.Error()+": ")
	}
	return "Old name not kept: " + why + "."
}

func choiceText(r change.Retire) string {
	switch r {
	case change.RetireDeactivate:
		return "deactivate it now (cannot be undone)"
	case change.RetireDelete:
		return "delete it now (cannot be undone)"
	}
	return "keep it: deploy the new secret first, then retire it"
}

func reach(p change.RotationPlan) string {
	if p.Global() {
		return "global (every collection of the owner)"
	}
	name := model.CleanText(p.Old.CollectionName)
	if name == "" {
		return "collection " + model.CleanText(p.CollectionID)
	}
	return fmt.Sprintf("collection %q (%s)", name, model.CleanText(p.CollectionID))
}

func inactivity(days int) string {
	if days <= 0 {
		return "none"
	}
	return "stops after " + common.Count(days, "day") + " without use"
}

func expiryText(p change.RotationPlan, now time.Time) string {
	if p.Expiry.Never {
		return "none: never expires"
	}
	return fmt.Sprintf("%s (%s)", common.DateTime(p.Expiry.At), common.Relative(p.Expiry.At, now))
}

// expiryWhy says where the expiry comes from.
func expiryWhy(p change.RotationPlan) string {
	switch {
	case p.Edited:
		return "as you typed it"
	case p.Capped:
		return fmt.Sprintf("capped at the server's limit of %s (the old key's lifetime was %s)",
			common.Count(p.LimitDays, "day"), lifetime(p.Lifetime))
	case p.Expiry.Never:
		return "the old key had none"
	}
	return "the old key's lifetime of " + lifetime(p.Lifetime) + ", from now"
}

// lifetime words a duration in days, hours and minutes, leaving out the
// units that are zero ("45 days 45 minutes", not "64,845 minutes").
func lifetime(d time.Duration) string {
	days, rest := int(d/(24*time.Hour)), d%(24*time.Hour)
	hours, mins := int(rest/time.Hour), int(rest%time.Hour/time.Minute)
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "day"}, {hours, "hour"}, {mins, "minute"}} {
		if p.n > 0 {
			parts = append(parts, common.Count(p.n, p.unit))
		}
	}
	if len(parts) == 0 {
		return common.Count(0, "minute")
	}
	return strings.Join(parts, " ")
}

func limitLine(days int) string {
	if days <= 0 {
		return "Empty keeps the planned expiry; the server sets no expiry limit."
	}
	return fmt.Sprintf("Leave empty to keep the planned expiry. Server limit: %s.", common.Count(days, "day"))
}
