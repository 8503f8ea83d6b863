// Package newkey is the "New API key" form: a huh form embedded in the
// dashboard, laid out like the web page's dialog (name, collection, "Allow
// key to expire", "Set inactivity interval"), checking each value as it is
// typed and keeping everything typed when a create fails.
package newkey

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// MaxNameLen is the longest key name the form accepts, in characters:
// model.MaxKeyNameLen, the rule every caller shares.
const MaxNameLen = model.MaxKeyNameLen

// Draft is everything typed into the form, valid or not, so a failed create
// can reopen the form as it was.
type Draft struct {
	Name, CollectionID string
	Expire             bool
	Expiry             string
	SetInactivity      bool
	Inactivity         string
}

// Submitted ends the form with a validated request for User, and the Draft
// to reopen the form with should the create fail.
type Submitted struct {
	User  model.User
	Key   model.NewKey
	Draft Draft
}

// DialogResult marks Submitted as a dialog's outcome.
func (Submitted) DialogResult() {}

// KeyMap is the form's own key; the focused field's keys come from huh.
type KeyMap struct {
	Cancel key.Binding
}

// Model is the new-key form.
type Model struct {
	c         common.Common
	user      model.User
	colls     []model.Collection
	limitDays int
	lastErr   error
	// dropped names the character last left out of what was typed into
	// the name ("" when nothing was).
	dropped string
	keys    KeyMap

	// v is what huh's fields write to; a pointer so the fields' accessors
	// stay valid while the Model is passed around.
	v *Draft

	form                  *huh.Form
	name                  *huh.Input
	collection            *huh.Select[string]
	expire, setInactivity *huh.Confirm
	expiry, inactivity    *optional
	common.Ending[Submitted]
}

var _ common.Dialog = (*Model)(nil)

// New builds the form for user. Only collections owned by user are offered
// (others are ignored, whatever the caller passed); limitDays is the
// server's expiry limit (0 = none); draft fills the fields and lastErr, from
// a failed create, is shown at the top.
//
// The "Allow key to expire" toggle starts off, as on the web page, unless
// the server has an expiry limit: then it starts on, at the limit. It can
// still be turned off: the expiry stays optional under a limit, and a
// server that refuses a key without one says so in its answer.
func New(c common.Common, user model.User, collections []model.Collection, limitDays int, draft Draft, lastErr error) *Model {
	m := &Model{
		c: c, user: user, limitDays: max(limitDays, 0), lastErr: lastErr,
		keys: KeyMap{Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))},
	}
	for _, col := range collections {
		if col.Username == user.Username && col.ID != "" {
			m.colls = append(m.colls, col)
		}
	}
	d := draft
	if m.limitDays > 0 && d == (Draft{}) {
		d.Expire, d.Expiry = true, fmt.Sprintf("%dd", m.limitDays)
	}
	m.v = &d
	m.build()
	return m
}

// Draft returns what the form holds now.
func (m *Model) Draft() Draft { return *m.v }

// Collections returns the collections the form offers (the user's own).
func (m *Model) Collections() []model.Collection { return m.colls }

// Focused names the field with the focus: "name", "collection", "expire",
// "expiry", "set_inactivity" or "inactivity"; "" once the form is done.
func (m *Model) Focused() string {
	if m.form.State != huh.StateNormal {
		return ""
	}
	return m.form.GetFocusedField().GetKey()
}

const titleWidth = 25 // widest inline title, "Set inactivity interval", and a gap

func pad(s string) string { return s + strings.Repeat(" ", max(titleWidth-len(s), 1)) }

func (m *Model) build() {
	v := m.v
	m.name = huh.NewInput().Key("name").Title(pad("Name")).Prompt("› ").
		Placeholder("what the key is for").CharLimit(MaxNameLen).Inline(true).
		Value(&v.Name).Validate(checkName)

	opts := []huh.Option[string]{huh.NewOption("none — global key", "")}
	for _, col := range m.colls {
		// One row per option, whatever the name: the layout counts rows.
		name := ansi.Truncate(model.CleanText(col.Name), maxCollectionName, "…")
		opts = append(opts, huh.NewOption(fmt.Sprintf("%s (%s)", name, shortID(col.ID)), col.ID))
	}
	m.collection = huh.NewSelect[string]().Key("collection").Title("Collection").
		Options(opts...).Value(&v.CollectionID)

	m.expire = huh.NewConfirm().Key("expire").Title(pad("Allow key to expire")).
		Affirmative("Yes").Negative("No").Inline(true).Value(&v.Expire)
	m.expiry = &optional{
		Input: huh.NewInput().Key("expiry").Title(pad("Expires")).Prompt("› ").
			Placeholder("30d, 12h, 6 months or 2026-12-31").Inline(true).
			Value(&v.Expiry).Validate(func(s string) error { _, err := m.checkExpiry(s); return err }),
		shown: func() bool { return v.Expire },
	}
	m.setInactivity = huh.NewConfirm().Key("set_inactivity").Title(pad("Set inactivity interval")).
		Affirmative("Yes").Negative("No").Inline(true).Value(&v.SetInactivity)
	m.inactivity = &optional{
		Input: huh.NewInput().Key("inactivity").Title(pad("Inactive days")).Prompt("› ").
			Placeholder("whole days, e.g. 60").Inline(true).
			Value(&v.Inactivity).Validate(func(s string) error { _, err := checkInactivity(s); return err }),
		shown: func() bool { return v.SetInactivity },
	}

	m.form = huh.NewForm(huh.NewGroup(m.name, m.collection, m.expire, m.expiry, m.setInactivity, m.inactivity)).
		WithTheme(newTheme(m.c.Styles)).
		WithShowHelp(false).
		// Errors are shown under the form, one line for the focused field,
		// rather than in huh's footer that would change the form's height.
		WithShowErrors(false)
	m.SetSize(m.c.Width, m.c.Height)
}

// shortID keeps enough of an id to tell two same-named collections apart.
func shortID(id string) string {
	id = model.CleanText(id)
	if r := []rune(id); len(r) > 8 {
		return string(r[:8])
	}
	return id
}

// checkName applies model.CheckKeyName, the CLI's rule too, as the name
// is typed: a pasted control, bidi-override or zero-width character is
// refused with the reason (worded, never quoted), before anything is sent.
func checkName(s string) error {
	t := strings.TrimSpace(s)
	if t == "" {
		return errors.New("name is required")
	}
	if err := model.CheckKeyName(t); err != nil {
		return fmt.Errorf("name refused: %w", err)
	}
	return nil
}

func (m *Model) checkExpiry(s string) (model.Expiry, error) {
	now := m.now()
	e, err := model.ParseExpiry(s, now)
	if err != nil {
		return e, err
	}
	if e.Never {
		return e, errors.New(`for a key that never expires, set "Allow key to expire" to No`)
	}
	return e, model.CheckExpiry(e, m.limitDays, now)
}

func checkInactivity(s string) (int, error) {
	d, err := model.ParseInactivityDays(s)
	if err == nil && d == 0 {
		err = errors.New(`give whole days (at least 1), or set "Set inactivity interval" to No`)
	}
	return d, err
}

// submission checks every value again, as the server will see it.
func (m *Model) submission() (Submitted, error) {
	v := *m.v
	if m.user.ID == "" {
		return Submitted{}, fmt.Errorf("user %s has no id to create a key for", model.CleanText(m.user.Username))
	}
	if err := checkName(v.Name); err != nil {
		return Submitted{}, err
	}
	nk := model.NewKey{UserID: m.user.ID, Name: strings.TrimSpace(v.Name)}
	if v.CollectionID != "" {
		found := false
		for _, col := range m.colls {
			found = found || col.ID == v.CollectionID
		}
		if !found {
			return Submitted{}, fmt.Errorf("collection %s is not owned by %s", model.CleanText(v.CollectionID), model.CleanText(m.user.Username))
		}
		nk.CollectionID = v.CollectionID
	}
	if v.Expire {
		e, err := m.checkExpiry(v.Expiry)
		if err != nil {
			return Submitted{}, err
		}
		nk.Expiry = &e
	}
	if v.SetInactivity {
		d, err := checkInactivity(v.Inactivity)
		if err != nil {
			return Submitted{}, err
		}
		nk.InactivityDays = d
	}
	return Submitted{User: m.user, Key: nk, Draft: v}, nil
}

// now reads the injected clock; a Common without one falls back to the
// system clock rather than panicking.
func (m *Model) now() time.Time {
	if m.c.Now == nil {
		return time.Now()
	}
	return m.c.Now()
}

const (
	preferredWidth    = 76
	maxOptions        = 5 // collection rows shown before the list becomes a picker
	maxCollectionName = 40
	feedbackRows      = 2
)

func (m *Model) width() int { return max(min(preferredWidth, m.c.Width), 1) }

func (m *Model) innerWidth() int {
	return max(m.width()-m.c.Styles.Dialog.GetHorizontalFrameSize(), 10)
}

// SetSize implements common.Component. The form gets the rows left after
// the title, any error and the feedback lines. The collections are a list
// when they all fit, else a one-line picker (←/→, / to filter): huh v1's
// list scrolls its chosen option to the top, hiding those above it.
func (m *Model) SetSize(width, height int) {
	m.c.Width, m.c.Height = width, height
	inner := m.innerWidth()
	budget := height - m.c.Styles.Dialog.GetVerticalFrameSize() - lipgloss.Height(m.header(inner)) - 1 - feedbackRows
	const otherRows = 5 // name, two toggles, expiry, inactivity: a row each
	opts := len(m.colls) + 1
	if opts <= min(maxOptions, budget-otherRows-1) {
		m.collection.Inline(false)
		m.collection.Height(0) // as tall as its options
		m.form.WithWidth(inner).WithHeight(otherRows + 1 + opts)
		return
	}
	// Inline, the picker is its title and one row of options.
	m.collection.Inline(true)
	m.form.WithWidth(inner).WithHeight(max(min(budget, otherRows+2), 1))
}

// ShortHelp implements help.KeyMap: the focused field's keys, and esc.
func (m *Model) ShortHelp() []key.Binding {
	return append(m.fieldKeys(), m.keys.Cancel)
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.fieldKeys(), {m.keys.Cancel}}
}

func (m *Model) fieldKeys() []key.Binding {
	if m.form.State != huh.StateNormal {
		return nil
	}
	return m.form.KeyBinds()
}

// Init implements common.Dialog; it focuses the first field.
func (m *Model) Init() tea.Cmd { return m.form.Init() }

// Update implements common.Dialog. Every message goes to the form: huh
// moves between fields with messages of its own.
func (m *Model) Update(msg tea.Msg) (common.Dialog, tea.Cmd) {
	if m.Done() {
		return m, nil // a completed form may complete again on a later message
	}
	if km, ok := msg.(tea.KeyMsg); ok && key.Matches(km, m.keys.Cancel) && !m.collection.GetFiltering() {
		return m, m.Cancel()
	}
	if km, ok := msg.(tea.KeyMsg); ok && m.form.GetFocusedField() == huh.Field(m.name) {
		// The feedback line says what was left out for as long as the
		// name is being edited.
		if msg, ok = common.NameKey(km, &m.dropped); !ok {
			return m, nil
		}
	}
	f, cmd := m.form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		m.form = ff
	}
	if m.form.GetFocusedField() != huh.Field(m.name) || m.v.Name == "" {
		m.dropped = ""
	}
	switch m.form.State {
	case huh.StateAborted:
		return m, m.Cancel()
	case huh.StateCompleted:
		sub, err := m.submission()
		if err != nil {
			// huh let through something the final check refuses (a value
			// whose limit passed while the form was open): start over with
			// what was typed and say why.
			m.lastErr = err
			m.build()
			return m, m.form.Init()
		}
		return m, m.End(sub)
	}
	return m, cmd
}

func (m *Model) header(width int) string {
	st := m.c.Styles
	title := st.DialogTitle.Render(ansi.Truncate("New API key for "+model.CleanText(m.user.Username), width, "…"))
	if m.lastErr == nil {
		return title
	}
	msg := common.Wrap("Could not create the key: "+model.CleanText(m.lastErr.Error()), width)
	return title + "\n" + st.InputError.Render(msg) + "\n"
}

// View implements common.Component.
func (m *Model) View() string {
	st := m.c.Styles
	inner := m.innerWidth()
	body := m.form.View()
	if m.form.State == huh.StateCompleted {
		body = st.Hint.Render("Creating the key…")
	}
	content := strings.Join([]string{m.header(inner), body, "", m.feedback(inner)}, "\n")
	maxLines := max(m.c.Height-st.Dialog.GetVerticalFrameSize(), 1)
	if lines := strings.Split(content, "\n"); len(lines) > maxLines {
		content = strings.Join(lines[:maxLines], "\n")
	}
	return st.Dialog.Width(m.width() - st.Dialog.GetHorizontalBorderSize()).Render(content)
}

// feedback is what the focused field's value means, or what is wrong with
// it, checked as it is typed. It always takes feedbackRows rows.
func (m *Model) feedback(width int) string {
	st := m.c.Styles
	text, bad := m.feedbackText()
	style := st.Hint
	if bad {
		style = st.InputError
	}
	rows := strings.Split(common.Wrap(model.CleanText(text), width), "\n")
	if len(rows) > feedbackRows {
		rows = rows[:feedbackRows]
		rows[feedbackRows-1] = ansi.Truncate(rows[feedbackRows-1]+" …", width, "…")
	}
	for len(rows) < feedbackRows {
		rows = append(rows, "")
	}
	for i := range rows {
		rows[i] = style.Render(rows[i])
	}
	return strings.Join(rows, "\n")
}

func (m *Model) feedbackText() (text string, bad bool) {
	v := m.v
	if m.form.State != huh.StateNormal {
		return "", false
	}
	switch m.form.GetFocusedField() {
	case huh.Field(m.name):
		if m.dropped != "" {
			return "Left out " + m.dropped + ": a key name may not hold it. The field shows what will be sent.", true
		}
		if v.Name != "" {
			if err := checkName(v.Name); err != nil {
				return err.Error(), true
			}
		}
		text = fmt.Sprintf("Required; up to %d characters.", MaxNameLen)
	case huh.Field(m.collection):
		text = "Global key: acts as " + model.CleanText(m.user.Username) + " everywhere."
		if v.CollectionID != "" {
			text = "Collection key: reaches only this collection."
		}
		if len(m.colls) == 0 {
			text = model.CleanText(m.user.Username) + " owns no collections: the key will be global."
		}
	case huh.Field(m.expire):
		text = m.limitText()
	case huh.Field(m.expiry):
		text = m.limitText()
		if strings.TrimSpace(v.Expiry) == "" {
			break
		}
		e, err := m.checkExpiry(v.Expiry)
		if err != nil {
			return err.Error(), true
		}
		text = fmt.Sprintf("expires %s (%s)", common.DateTime(e.At), common.Relative(e.At, m.now()))
	case huh.Field(m.setInactivity):
		text = "An interval stops the key after that many days without use."
	case huh.Field(m.inactivity):
		text = "Whole days, e.g. 60."
		if strings.TrimSpace(v.Inactivity) == "" {
			break
		}
		d, err := checkInactivity(v.Inactivity)
		if err != nil {
			return err.Error(), true
		}
		text = "stops working after " + common.Count(d, "day") + " without use"
	}
	// An error huh found on enter (an empty field), or one left on a field
	// that shift+tab skipped, blocks the submit; say which.
	if errs := m.form.Errors(); len(errs) > 0 {
		return errs[0].Error(), true
	}
	return text, false
}

func (m *Model) limitText() string {
	latest, ok := model.LatestExpiry(m.limitDays, m.now())
	if !ok {
		return "Server limit: none."
	}
	return fmt.Sprintf("Server limit: %s (latest %s).", common.Count(m.limitDays, "day"), common.DateTime(latest))
}
