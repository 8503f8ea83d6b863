package userpicker

import (
	"fmt"
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

func users(names ...string) []model.User {
	var out []model.User
	for _, n := range names {
		out = append(out, model.User{ID: "id-" + n, Username: n, Email: n + "@example.com"})
	}
	return out
}

func newPicker(us []model.User, current string) *Model {
	return New(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: 100, Height: 30}, us, current)
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEscape}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "ctrl+j":
		return tea.KeyMsg{Type: tea.KeyCtrlJ}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

func send(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

func TestFilter(t *testing.T) {
	us := users("bob", "alice", "malice", "carol")
	us[3].Email = "ALI.carol@corp.example"
	tests := []struct {
		typed string
		want  []string
	}{
		{"", []string{"alice", "bob", "carol", "malice"}},
		{"ALI", []string{"alice", "carol", "malice"}}, // username or email, any case
		{"alice", []string{"alice", "malice"}},
		{"bob@", []string{"bob"}},
		{"zzz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			m := newPicker(us, "")
			for _, r := range tt.typed {
				send(m, string(r))
			}
			var got []string
			for _, i := range m.view {
				got = append(got, m.all[i].user.Username)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("shown %v, want %v", got, tt.want)
			}
			if tt.want == nil && !strings.Contains(ansi.Strip(m.View()), "No user matches.") {
				t.Errorf("no empty notice:\n%s", m.View())
			}
		})
	}
}

func TestChoose(t *testing.T) {
	m := newPicker(users("bob", "alice", "carol"), "bob")
	if u, _ := m.Selected(); u.Username != "bob" {
		t.Errorf("cursor starts on %s, want the current user", u.Username)
	}
	cmd := send(m, "down", "enter")
	if got, ok := cmd().(Chosen); !ok || got.User.Username != "carol" || got.User.ID != "id-carol" {
		t.Errorf("enter gave %#v", cmd())
	}
	m = newPicker(users("bob", "alice"), "")
	cmd = send(m, "ctrl+j", "up", "enter")
	if got, ok := cmd().(Chosen); !ok || got.User.Username != "alice" {
		t.Errorf("enter gave %#v", cmd())
	}
	if _, ok := send(m, "esc")().(common.Cancelled); !ok {
		t.Error("esc did not cancel")
	}
	m = newPicker(users("bob"), "")
	if cmd := send(m, "z", "enter"); cmd != nil {
		t.Errorf("enter with nothing shown gave %#v", cmd())
	}
	if cmd := send(m, "j", "k"); cmd != nil {
		t.Error("letters should only filter")
	}
	if m.input.Value() != "zjk" {
		t.Errorf("filter is %q", m.input.Value())
	}
}

// TestThousands renders only the rows in the window.
func TestThousands(t *testing.T) {
	var names []string
	for i := range 5000 {
		names = append(names, fmt.Sprintf("user%04d", i))
	}
	m := newPicker(users(names...), "")
	v := m.View()
	if h := lipgloss.Height(v); h > 24 {
		t.Errorf("dialog is %d lines", h)
	}
	if !strings.Contains(v, "5000 users") || strings.Contains(v, "user0100") {
		t.Errorf("view:\n%s", v)
	}
	send(m, "pgdown", "pgdown")
	if u, _ := m.Selected(); !strings.Contains(m.View(), u.Username) {
		t.Errorf("cursor row %s not on screen", u.Username)
	}
}

func TestCleansText(t *testing.T) {
	us := users("eve")
	us[0].Username = "eve\x1b[2J"
	v := newPicker(us, "").View()
	if strings.Contains(v, "\x1b[2J") || !strings.Contains(v, "eve[2J") {
		t.Errorf("view:\n%q", v)
	}
}
