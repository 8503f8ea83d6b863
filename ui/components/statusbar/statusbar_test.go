package statusbar

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"h2ogpte-keys/ui/common"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

type keys struct{ a, b key.Binding }

func (k keys) ShortHelp() []key.Binding  { return []key.Binding{k.a, k.b} }
func (k keys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.a}, {k.b}} }

func newBar() *Model {
	return New(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: 80})
}

func TestNotices(t *testing.T) {
	m := newBar()
	m.SetError(errors.New("boom\x1b[31m"))
	if v := ansi.Strip(m.View(nil)); !strings.Contains(v, "Error: boom[31m") {
		t.Errorf("view %q", v)
	}
	m.SetInfo("saved")
	if text, isErr := m.Notice(); text != "saved" || isErr {
		t.Errorf("info replaced error: %q %v", text, isErr)
	}
	m.ClearNotice()
	if text, _ := m.Notice(); text != "" || strings.Contains(m.View(nil), "saved") {
		t.Error("not cleared")
	}
}

func TestBusy(t *testing.T) {
	m := newBar()
	a, cmd := m.Start("loading users…")
	if cmd == nil {
		t.Fatal("first task should start the spinner")
	}
	b, cmd2 := m.Start("loading keys…")
	if cmd2 != nil {
		t.Error("second task started a second tick chain")
	}
	m.SetLabel(b, "loading… 200 keys")
	if v := m.View(nil); !strings.Contains(v, "loading… 200 keys") {
		t.Errorf("view %q", v)
	}
	m.Stop(b)
	m.Stop(b) // stopping twice is harmless
	if m.Label() != "loading users…" {
		t.Errorf("label %q", m.Label())
	}
	tick := cmd().(spinner.TickMsg)
	if m.Update(tick) == nil {
		t.Error("busy: the spinner should keep ticking")
	}
	m.Stop(a)
	if m.Busy() || m.Update(tick) != nil {
		t.Error("idle: the tick chain should end")
	}
	if _, cmd := m.Start("again"); cmd == nil {
		t.Error("busy again: the spinner should restart")
	}
}

func TestHelp(t *testing.T) {
	m := newBar()
	k := keys{
		a: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "alpha")),
		b: key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "beta"), key.WithDisabled()),
	}
	if v := m.View(k); !strings.Contains(v, "a alpha") || strings.Contains(v, "beta") {
		t.Errorf("help shows disabled keys or misses enabled ones: %q", v)
	}
	if h := m.Height(k); h != 2 {
		t.Errorf("height %d, want 2", h)
	}
	m.SetFullHelp(true)
	k.b.SetEnabled(true)
	if v := m.View(k); !strings.Contains(v, "beta") {
		t.Errorf("full help: %q", v)
	}
}
