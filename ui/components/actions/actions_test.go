package actions_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var now = time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)

func testCommon(readOnly bool) common.Common {
	return common.Common{
		Styles:   common.NewStyles(common.DefaultTheme()),
		Now:      func() time.Time { return now },
		Width:    80,
		Height:   24,
		ReadOnly: readOnly,
	}
}

func testKey(active bool) model.APIKey {
	return model.APIKey{
		ID: "key-1", Username: "alice", Name: "ci-pipeline", Hint: "abcd",
		Created: now.AddDate(0, -1, 0), IsActive: active, IsGlobal: true,
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys in order and returns the message of the last command
// (nil when there was none).
func press(m *actions.Model, keys ...string) tea.Msg {
	var msg tea.Msg
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		msg = nil
		if cmd != nil {
			msg = cmd()
		}
	}
	return msg
}

func TestItems(t *testing.T) {
	tests := []struct {
		name     string
		active   bool
		readOnly bool
		want     []actions.Action
	}{
		{"active key", true, false, []actions.Action{actions.EditExpiry, actions.EditInactivity, actions.Deactivate}},
		{"inactive key has no Deactivate", false, false, []actions.Action{actions.EditExpiry, actions.EditInactivity}},
		{"read-only has nothing", true, true, []actions.Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.New(testCommon(tt.readOnly), testKey(tt.active))
			if got := m.Actions(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Actions() = %v, want %v", got, tt.want)
			}
			view := m.View()
			if hasDeactivate := strings.Contains(view, "Deactivate"); hasDeactivate != (tt.active && !tt.readOnly) {
				t.Errorf("view shows Deactivate = %v:\n%s", hasDeactivate, view)
			}
			for _, b := range m.ShortHelp() {
				if tt.readOnly && b.Enabled() && b.Help().Key != "esc" {
					t.Errorf("read-only help offers %q", b.Help().Key)
				}
			}
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name   string
		active bool
		keys   []string
		want   tea.Msg
	}{
		{"enter picks the first item", true, []string{"enter"}, actions.Chosen{Action: actions.EditExpiry, Key: testKey(true)}},
		{"j moves down", true, []string{"j", "enter"}, actions.Chosen{Action: actions.EditInactivity, Key: testKey(true)}},
		{"arrows move", true, []string{"down", "down", "up", "enter"}, actions.Chosen{Action: actions.EditInactivity, Key: testKey(true)}},
		{"cursor stops at the last item", true, []string{"j", "j", "j", "j", "enter"}, actions.Chosen{Action: actions.Deactivate, Key: testKey(true)}},
		{"cursor stops at the first item", true, []string{"k", "up", "enter"}, actions.Chosen{Action: actions.EditExpiry, Key: testKey(true)}},
		{"last item of an inactive key", false, []string{"j", "j", "j", "enter"}, actions.Chosen{Action: actions.EditInactivity, Key: testKey(false)}},
		{"e shortcut", true, []string{"e"}, actions.Chosen{Action: actions.EditExpiry, Key: testKey(true)}},
		{"i shortcut", true, []string{"i"}, actions.Chosen{Action: actions.EditInactivity, Key: testKey(true)}},
		{"d shortcut", true, []string{"d"}, actions.Chosen{Action: actions.Deactivate, Key: testKey(true)}},
		{"d does nothing on an inactive key", false, []string{"d"}, nil},
		{"esc cancels", true, []string{"j", "esc"}, common.Cancelled{}},
		{"other keys do nothing", true, []string{"x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.New(testCommon(false), testKey(tt.active))
			got := press(m, tt.keys...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("after %v got %#v, want %#v", tt.keys, got, tt.want)
			}
			if _, isResult := got.(common.Result); tt.want != nil && !isResult {
				t.Errorf("%T is not a common.Result", got)
			}
		})
	}
}

func TestReadOnlyOnlyEscWorks(t *testing.T) {
	for _, k := range []string{"enter", "e", "i", "d", "j"} {
		m := actions.New(testCommon(true), testKey(true))
		if got := press(m, k); got != nil {
			t.Errorf("read-only %q gave %#v", k, got)
		}
	}
	m := actions.New(testCommon(true), testKey(true))
	if got := press(m, "esc"); got != (common.Cancelled{}) {
		t.Errorf("esc gave %#v", got)
	}
	if !strings.Contains(m.View(), "Read-only") {
		t.Errorf("read-only view does not say so:\n%s", m.View())
	}
}

func TestViewSanitisesAndFits(t *testing.T) {
	k := testKey(true)
	k.Name = "evil\x1b]0;pwned\x07" + strings.Repeat("very-long-name-", 10)
	k.CollectionName = "docs\x1b[2J"
	m := actions.New(testCommon(false), k)
	m.SetSize(60, 12)
	view := m.View()
	for _, bad := range []string{"\x1b]0;", "\x07", "\x1b[2J"} {
		if strings.Contains(view, bad) {
			t.Errorf("view carries %q from the server", bad)
		}
	}
	if w := lipgloss.Width(view); w > 60 {
		t.Errorf("view is %d wide, given 60", w)
	}
	if h := lipgloss.Height(view); h > 12 {
		t.Errorf("view is %d tall, given 12", h)
	}
}

func TestView(t *testing.T) {
	tests := []struct {
		name   string
		active bool
		keys   []string
	}{
		{"active", true, nil},
		{"active_cursor_on_deactivate", true, []string{"j", "j"}},
		{"inactive", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.New(testCommon(false), testKey(tt.active))
			press(m, tt.keys...)
			golden.RequireEqual(t, []byte(m.View()))
		})
	}
}

func TestBulk(t *testing.T) {
	active, inactive := testKey(true), testKey(false)
	inactive.ID, inactive.Name = "key-2", "old-laptop"
	tests := []struct {
		name     string
		keys     []model.APIKey
		readOnly bool
		want     []actions.Action
		labels   []string
		notes    []string
	}{
		{name: "active and inactive", keys: []model.APIKey{active, inactive},
			want:   []actions.Action{actions.EditExpiry, actions.EditInactivity, actions.Deactivate},
			labels: []string{"Set expiry of 2 keys", "Set inactivity interval of 2 keys", "Deactivate 1 key…"},
			notes:  []string{"2 keys selected", "3 hidden by the filter", "1 already inactive"}},
		{name: "all inactive: no deactivate", keys: []model.APIKey{inactive},
			want: []actions.Action{actions.EditExpiry, actions.EditInactivity}, labels: []string{"Set expiry of 1 key"}},
		{name: "read-only: nothing", keys: []model.APIKey{active}, readOnly: true, want: []actions.Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.NewBulk(testCommon(tt.readOnly), tt.keys, 3)
			if !m.Bulk() {
				t.Error("Bulk() = false")
			}
			if got := m.Actions(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("actions %v, want %v", got, tt.want)
			}
			v := flat(m.View())
			for _, want := range append(tt.labels, tt.notes...) {
				if !strings.Contains(v, want) {
					t.Errorf("menu lacks %q:\n%s", want, m.View())
				}
			}
			for _, a := range tt.want {
				msg := press(m, map[actions.Action]string{actions.EditExpiry: "e", actions.EditInactivity: "i", actions.Deactivate: "d"}[a])
				got, ok := msg.(actions.BulkChosen)
				if !ok || got.Action != a || !reflect.DeepEqual(got.Keys, tt.keys) {
					t.Errorf("shortcut for %v gave %#v", a, msg)
				}
			}
			if len(tt.want) < 3 {
				if msg := press(m, "d"); msg != nil {
					t.Errorf("d without Deactivate gave %#v", msg)
				}
			}
		})
	}
}

func flat(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "│", " ")), " ")
}
