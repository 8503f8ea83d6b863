// Package commontest is what the dashboard's tests share: the fixed clock,
// a Common the size of an 80x24 terminal, the ASCII colour profile for
// golden files, key messages by name, and ways to read a dialog's view as
// text. Only tests import it.
package commontest

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/ui/common"
)

// Now is the fixed time of every test and golden file.
var Now = time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)

// Clock is a clock stopped at Now.
func Clock() time.Time { return Now }

// Main runs a package's tests with the ASCII colour profile, so views
// (and golden files) hold text without escape sequences. Call it from
// TestMain.
func Main(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// Common is the default styles, the fixed clock and 80x24.
func Common() common.Common {
	return common.Common{
		Styles: common.NewStyles(common.DefaultTheme()),
		Now:    Clock,
		Width:  80,
		Height: 24,
	}
}

// named are the keys tests press by name; anything else is typed as runes.
var named = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	"space": tea.KeySpace, "backspace": tea.KeyBackspace, "delete": tea.KeyDelete,
	"ctrl+a": tea.KeyCtrlA, "ctrl+c": tea.KeyCtrlC, "ctrl+j": tea.KeyCtrlJ, "ctrl+k": tea.KeyCtrlK,
	"ctrl+u": tea.KeyCtrlU,
}

// Key is the message of the key named k ("enter", "ctrl+u", "space"...),
// or of typing k when it names none ("j", "ci-bot").
func Key(k string) tea.KeyMsg {
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// Send sends each key to d in order and returns the last key's command,
// not run: typing into an input returns a cursor blink, which sleeps.
func Send(d common.Dialog, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = d.Update(Key(k))
	}
	return cmd
}

// Press is Send, then the message of the last key's command: nil when it
// had none. Earlier keys' commands are dropped, as a dialog's results are
// only ever its last.
func Press(d common.Dialog, keys ...string) tea.Msg {
	if cmd := Send(d, keys...); cmd != nil {
		return cmd()
	}
	return nil
}

// Flat is a view's lines without the dialog's side borders, joined by
// spaces, so a wrapped message can be searched for as one string.
func Flat(view string) string {
	var parts []string
	for _, l := range strings.Split(view, "\n") {
		if l = strings.Trim(l, "│ "); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// Words is a view's words, without borders, one space apart: for
// finding a label and its value however far apart they are drawn.
func Words(view string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(view, "│", " ")), " ")
}
