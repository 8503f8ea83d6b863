package statusbar

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
)

func TestMain(m *testing.M) { commontest.Main(m) }

type keys struct{ a, b key.Binding }

func (k keys) ShortHelp() []key.Binding  { return []key.Binding{k.a, k.b} }
func (k keys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.a}, {k.b}} }

func newBar() *Model {
	return New(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: 80})
}

func TestNotices(t *testing.T) {
	m := newBar()
	m.SetError(errors.New("boom\x1b[31m"))
	if v := ansi.Strip(viewWith(m, nil)); !strings.Contains(v, "Error: boom[31m") {
		t.Errorf("view %q", v)
	}
	m.SetInfo("saved")
	if text, isErr := m.Notice(); text != "saved" || isErr {
		t.Errorf("info replaced error: %q %v", text, isErr)
	}
	m.ClearNotice()
	if text, _ := m.Notice(); text != "" || strings.Contains(viewWith(m, nil), "saved") {
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
	if v := viewWith(m, nil); !strings.Contains(v, "loading… 200 keys") {
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
	if v := viewWith(m, k); !strings.Contains(v, "a alpha") || strings.Contains(v, "beta") {
		t.Errorf("help shows disabled keys or misses enabled ones: %q", v)
	}
	if h := heightWith(m, k); h != 2 {
		t.Errorf("height %d, want 2", h)
	}
	m.SetFullHelp(true)
	k.b.SetEnabled(true)
	if v := viewWith(m, k); !strings.Contains(v, "beta") {
		t.Errorf("full help: %q", v)
	}
}

// pinned is a help whose last two entries must always show.
type pinned []key.Binding

func (p pinned) ShortHelp() []key.Binding  { return p }
func (p pinned) FullHelp() [][]key.Binding { return [][]key.Binding{p} }
func (p pinned) PinnedHelp() int           { return 2 }

// unpinned is the same help without pinned keys.
type unpinned struct{ p pinned }

func (u unpinned) ShortHelp() []key.Binding  { return u.p }
func (u unpinned) FullHelp() [][]key.Binding { return u.p.FullHelp() }

func TestShortHelpKeepsPinnedKeys(t *testing.T) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	off := b("x", "disabled")
	off.SetEnabled(false)
	keys := pinned{b("a", "actions"), off, b("n", "new key"), b("u", "user"), b("r", "refresh"), b("?", "more keys"), b("q", "quit")}
	tests := []struct {
		width int
		want  string
	}{
		{80, "a actions • n new key • u user • r refresh • ? more keys • q quit"},
		{60, "a actions • n new key • u user • ? more keys • q quit"},
		{50, "a actions • n new key • ? more keys • q quit"},
		{36, "a actions • ? more keys • q quit"},
		{20, "? more keys • q quit"},
	}
	for _, tt := range tests {
		m := New(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: tt.width + 2})
		lines := strings.Split(ansi.Strip(viewWith(m, keys)), "\n")
		if got := strings.TrimSpace(lines[len(lines)-1]); got != tt.want {
			t.Errorf("width %d: help %q, want %q", tt.width, got, tt.want)
		}
	}
	// A keymap without pinned keys is cut as before.
	m := New(common.Common{Styles: common.NewStyles(common.DefaultTheme()), Width: 22})
	if v := ansi.Strip(viewWith(m, unpinned{keys})); !strings.Contains(v, "…") || strings.Contains(v, "quit") {
		t.Errorf("a plain keymap should be cut with …: %q", v)
	}
}

// columns is a full help of several columns of different lengths.
type columns [][]key.Binding

func (c columns) ShortHelp() []key.Binding  { return c[0] }
func (c columns) FullHelp() [][]key.Binding { return c }

// TestHeightMatchesView: Height answers without rendering (or from its
// cache), and must still be exactly the height View draws, in every mode,
// at every width, and after the keys change.
func TestHeightMatchesView(t *testing.T) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	late := b("z", "appears later")
	late.SetEnabled(false)
	many := pinned{b("a", "actions"), b("n", "new key"), b("u", "user 界界界"), b("r", "refresh"), b("?", "more keys"), b("q", "quit")}
	cols := columns{
		{b("up", "move up"), b("down", "move down"), b("space", "select"), b("a", "all")},
		{b("s", "sort"), b("/", "filter"), late},
		{b("e", "export"), b("D", "delete"), b("n", "new"), b("u", "user"), b("r", "refresh"), b("x", "more")},
	}
	states := []struct {
		name string
		set  func(*Model)
	}{
		{"idle", func(*Model) {}},
		{"error", func(m *Model) { m.SetError(errors.New(strings.Repeat("a long error 界 ", 20))) }},
		{"busy with a notice", func(m *Model) { m.Start("loading keys…"); m.SetInfo("saved") }},
	}
	for _, km := range []help.KeyMap{nil, many, unpinned{many}, cols} {
		for _, st := range states {
			for _, full := range []bool{false, true} {
				for _, w := range []int{0, 1, 2, 3, 10, 25, 40, 60, 80, 120, 200} {
					m := newBar()
					st.set(m)
					m.SetFullHelp(full)
					m.SetSize(w, 0)
					if got, want := heightWith(m, km), lipgloss.Height(viewWith(m, km)); got != want {
						t.Errorf("%T %s full=%v width %d: Height %d, View is %d lines", km, st.name, full, w, got, want)
					}
				}
			}
		}
	}
	// The full help's cached height follows a key that becomes enabled.
	m := newBar()
	m.SetFullHelp(true)
	before := heightWith(m, cols)
	cols[1][2].SetEnabled(true)
	cols[1] = append(cols[1], b("y", "one more"), b("w", "and more"), b("v", "and more"), b("t", "taller"))
	if got, want := heightWith(m, cols), lipgloss.Height(viewWith(m, cols)); got != want || got == before {
		t.Errorf("after keys were added: Height %d (was %d), View is %d lines", got, before, want)
	}
}

// TestShortHelpFollowsKeys: the one-line help is kept between frames, and
// must be drawn again when a key is enabled or disabled, its help changes,
// or the width changes.
func TestShortHelpFollowsKeys(t *testing.T) {
	b := func(k, desc string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc)) }
	del := b("D", "delete")
	del.SetEnabled(false)
	km := pinned{b("a", "actions"), del, b("n", "new key"), b("?", "more keys"), b("q", "quit")}
	m := newBar()
	help := func() string {
		lines := strings.Split(ansi.Strip(viewWith(m, km)), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"start", func() {}, "a actions • n new key • ? more keys • q quit"},
		{"a key enabled", func() { km[1].SetEnabled(true) }, "a actions • D delete • n new key • ? more keys • q quit"},
		{"its help changed", func() { km[1].SetHelp("D", "delete keys") }, "a actions • D delete keys • n new key • ? more keys • q quit"},
		{"narrower", func() { m.SetSize(40, 0) }, "a actions • ? more keys • q quit"},
		{"a key disabled", func() { km[0].SetEnabled(false) }, "D delete keys • ? more keys • q quit"},
	}
	for _, s := range steps {
		s.change()
		if got := help(); got != s.want {
			t.Errorf("%s: help %q, want %q", s.name, got, s.want)
		}
	}
}

func viewWith(m *Model, keys help.KeyMap) string {
	m.SetHelp(keys)
	return m.View()
}

func heightWith(m *Model, keys help.KeyMap) int {
	m.SetHelp(keys)
	return m.Height()
}
