package confirm_test

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/confirm"
)

func TestMain(m *testing.M) { commontest.Main(m) }

type tag struct{ ids []string }

func deactivateOptions() confirm.Options {
	return confirm.Options{
		Title: "Deactivate API key?",
		Lines: []string{
			"ci-pipeline (sk-…abcd) of alice",
			"Deactivation cannot be undone: the API has no way to reactivate a key.",
		},
		ConfirmLabel: "Deactivate",
		Danger:       true,
	}
}

func TestKeys(t *testing.T) {
	confirmed := confirm.Confirmed{}
	tests := []struct {
		name string
		keys []string
		want tea.Msg
	}{
		{"enter at once cancels (default is Cancel)", []string{"enter"}, common.Cancelled{}},
		{"right then enter confirms", []string{"right", "enter"}, confirmed},
		{"l then enter confirms", []string{"l", "enter"}, confirmed},
		{"tab then enter confirms", []string{"tab", "enter"}, confirmed},
		{"tab twice comes back to Cancel", []string{"tab", "tab", "enter"}, common.Cancelled{}},
		{"shift+tab switches too", []string{"shift+tab", "enter"}, confirmed},
		{"right stays on confirm", []string{"right", "right", "enter"}, confirmed},
		{"left goes back to Cancel", []string{"right", "left", "enter"}, common.Cancelled{}},
		{"h goes back to Cancel", []string{"l", "h", "enter"}, common.Cancelled{}},
		{"esc cancels even on confirm", []string{"right", "esc"}, common.Cancelled{}},
		{"n cancels", []string{"n"}, common.Cancelled{}},
		{"y does not confirm", []string{"y"}, nil},
		{"y then enter still cancels", []string{"y", "enter"}, common.Cancelled{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := confirm.New(commontest.Common(), deactivateOptions())
			// Every result here is a comparable empty struct (or nil).
			if got := commontest.Press(m, tt.keys...); got != tt.want {
				t.Errorf("after %v got %#v, want %#v", tt.keys, got, tt.want)
			}
		})
	}
}

// TestAcknowledge: a report has one button, focused; enter closes it
// with Confirmed and nothing moves the focus to a Cancel that is not there.
func TestAcknowledge(t *testing.T) {
	acked := confirm.Confirmed{}
	tests := []struct {
		name string
		keys []string
		want tea.Msg
	}{
		{"enter closes", []string{"enter"}, acked},
		{"esc closes", []string{"esc"}, common.Cancelled{}},
		{"left, tab and h change nothing", []string{"left", "tab", "h", "enter"}, acked},
		{"n is not a no", []string{"n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := confirm.New(commontest.Common(), confirm.Options{Title: "Delete finished with errors", Acknowledge: true})
			if got := commontest.Press(m, tt.keys...); got != tt.want {
				t.Errorf("after %v got %#v, want %#v", tt.keys, got, tt.want)
			}
			v := m.View()
			if !strings.Contains(v, "[OK]") || strings.Contains(v, "Cancel") {
				t.Errorf("a report should show its one button, [OK], and no Cancel:\n%s", v)
			}
			for _, k := range m.ShortHelp() {
				if k.Enabled() && (k.Help().Desc == "switch button" || k.Help().Desc == "cancel") {
					t.Errorf("help offers %q", k.Help().Desc)
				}
			}
		})
	}
}

func TestLongListIsCut(t *testing.T) {
	var lines []string
	for i := range 50 {
		lines = append(lines, fmt.Sprintf("key-%02d (sk-…%04d)", i, i))
	}
	tests := []struct {
		name          string
		width, height int
		want          string
	}{
		// 24 rows: 4 of frame, title and its margin, a gap and the buttons
		// leave 16; 15 names and the "more" line.
		{"80x24", 80, 24, "…and 35 more"},
		{"80x12", 80, 12, "…and 47 more"},
		{"tiny", 40, 4, "…and 50 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := confirm.New(commontest.Common(), confirm.Options{Title: "Delete 50 API keys?", Lines: lines, ConfirmLabel: "Delete", Danger: true})
			m.SetSize(tt.width, tt.height)
			view := m.View()
			if !strings.Contains(view, tt.want) {
				t.Errorf("view lacks %q:\n%s", tt.want, view)
			}
			if h := lipgloss.Height(view); h > tt.height && tt.height >= 10 {
				t.Errorf("view is %d tall, given %d", h, tt.height)
			}
			if w := lipgloss.Width(view); w > tt.width {
				t.Errorf("view is %d wide, given %d", w, tt.width)
			}
		})
	}
}

func TestShortListIsWhole(t *testing.T) {
	m := confirm.New(commontest.Common(), deactivateOptions())
	view := m.View()
	if strings.Contains(view, "more") {
		t.Errorf("two lines were cut:\n%s", view)
	}
	if !strings.Contains(view, "reactivate a key.") {
		t.Errorf("wrapped line lost its end:\n%s", view)
	}
}

func TestSanitises(t *testing.T) {
	m := confirm.New(commontest.Common(), confirm.Options{
		Title: "Delete \x1b[2Jkey?", Lines: []string{"name\x1b]0;owned\x07"}, ConfirmLabel: "Del\x1bete",
	})
	view := m.View()
	if strings.ContainsAny(view, "\x1b\x07") {
		t.Errorf("view carries control characters: %q", view)
	}
}

func TestView(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		o    confirm.Options
	}{
		{"danger_default", nil, deactivateOptions()},
		{"danger_on_confirm", []string{"right"}, deactivateOptions()},
		{"plain", nil, confirm.Options{Title: "Refresh?", ConfirmLabel: "OK"}},
		{"report", nil, confirm.Options{Title: "Delete finished with errors", Lines: []string{"Deleted 1 of 2 keys.", "✗ laptop: not found"}, Acknowledge: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := confirm.New(commontest.Common(), tt.o)
			commontest.Press(m, tt.keys...)
			golden.RequireEqual(t, []byte(m.View()))
		})
	}
}
