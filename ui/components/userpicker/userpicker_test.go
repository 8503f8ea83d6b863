package userpicker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
)

func TestMain(m *testing.M) { commontest.Main(m) }

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
				commontest.Send(m, string(r))
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
	cmd := commontest.Send(m, "down", "enter")
	if got, ok := cmd().(Chosen); !ok || got.User.Username != "carol" || got.User.ID != "id-carol" {
		t.Errorf("enter gave %#v", cmd())
	}
	m = newPicker(users("bob", "alice"), "")
	cmd = commontest.Send(m, "ctrl+j", "up", "enter")
	if got, ok := cmd().(Chosen); !ok || got.User.Username != "alice" {
		t.Errorf("enter gave %#v", cmd())
	}
	if _, ok := commontest.Send(m, "esc")().(common.Cancelled); !ok {
		t.Error("esc did not cancel")
	}
	m = newPicker(users("bob"), "")
	if cmd := commontest.Send(m, "z", "enter"); cmd != nil {
		t.Errorf("enter with nothing shown gave %#v", cmd())
	}
	if cmd := commontest.Send(m, "j", "k"); cmd != nil {
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
	commontest.Send(m, "pgdown", "pgdown")
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

func newAllPicker(us []model.User, o Options) *Model {
	o.All = true
	return NewWithOptions(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: 100, Height: 30}, us, o)
}

func TestAllUsersEntry(t *testing.T) {
	us := users("bob", "alice", "malice")
	tests := []struct {
		name      string
		o         Options
		typed     []string
		wantAll   bool
		wantUser  string
		wantCount string
	}{
		{name: "first, and under the cursor without a current user", wantAll: true, wantCount: "All users + 3 users"},
		{name: "the current user keeps the cursor", o: Options{Current: "bob"}, wantUser: "bob"},
		{name: "current All users", o: Options{Current: "bob", AllCurrent: true}, wantAll: true},
		{name: "matches its own words", typed: []string{"a", "l", "l"}, wantAll: true, wantCount: "All users + 0 of 3 users"},
		{name: "filtered out by a username", typed: []string{"b", "o"}, wantUser: "bob", wantCount: "1 of 3 users"},
		{name: "al shows it and the users", typed: []string{"a", "l"}, wantAll: true, wantCount: "All users + 2 of 3 users"},
		{name: "down from it to the first user", typed: []string{"down"}, wantUser: "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newAllPicker(us, tt.o)
			commontest.Send(m, tt.typed...)
			if m.SelectedAll() != tt.wantAll {
				t.Errorf("All users under the cursor = %v, want %v", m.SelectedAll(), tt.wantAll)
			}
			if u, ok := m.Selected(); tt.wantUser != "" && (!ok || u.Username != tt.wantUser) {
				t.Errorf("selected %q, want %q", u.Username, tt.wantUser)
			}
			v := ansi.Strip(m.View())
			if got := countLine(v); tt.wantCount != "" && got != tt.wantCount {
				t.Errorf("count line %q, want %q:\n%s", got, tt.wantCount, v)
			}
			if tt.o.AllCurrent && !strings.Contains(v, "All users  every key on the server (current)") {
				t.Errorf("All users not marked current:\n%s", v)
			}
			if tt.o.AllCurrent && strings.Contains(v, "bob@example.com (current)") {
				t.Errorf("bob marked current too:\n%s", v)
			}
		})
	}
}

// countLine is the line under the filter, without the dialog's frame.
func countLine(view string) string {
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Filter:") && i+1 < len(lines) {
			return strings.Trim(lines[i+1], "│ ")
		}
	}
	return ""
}

func TestChooseAll(t *testing.T) {
	m := newAllPicker(users("bob"), Options{})
	got, ok := commontest.Send(m, "enter")().(Chosen)
	if !ok || !got.All || got.User != (model.User{}) {
		t.Errorf("enter on All users gave %#v", got)
	}
	if r, done := m.Result(); !m.Done() || !done || r != got {
		t.Errorf("read after Update: done %v, result %#v, want %#v", m.Done(), r, got)
	}
	m = newAllPicker(users("bob"), Options{})
	got, ok = commontest.Send(m, "down", "enter")().(Chosen)
	if !ok || got.All || got.User.Username != "bob" {
		t.Errorf("enter on bob gave %#v", got)
	}
	// Without All, no such entry, and the title can be set.
	p := NewWithOptions(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: 100, Height: 30}, users("bob"),
		Options{Title: "New API key: choose its owner"})
	v := ansi.Strip(p.View())
	if strings.Contains(v, AllUsersLabel) || !strings.Contains(v, "New API key: choose its owner") || p.SelectedAll() || countLine(v) != "1 user" {
		t.Errorf("owner picker:\n%s", v)
	}
}
