package ui

import (
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/newkey"
	"h2ogpte-keys/ui/components/secret"
)

// TestQuitWipesShownSecret: ctrl+c while the new key's secret is on
// screen closes no dialog, so the root must wipe it itself.
func TestQuitWipesShownSecret(t *testing.T) {
	f := newFakeAPI()
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	newKeyThroughForm(t, a, "notebook")
	d := wantDialog[*secret.Model](t, a)
	if !secretRE.MatchString(ansi.Strip(d.View())) {
		t.Fatal("the secret dialog does not show the secret before ctrl+c")
	}
	_, cmd := a.Update(commontest.Key("ctrl+c"))
	if cmd == nil {
		t.Fatal("ctrl+c: no command")
	}
	v := ansi.Strip(d.View())
	if secretRE.MatchString(v) || !strings.Contains(v, "(secret wiped)") {
		t.Errorf("the secret outlived ctrl+c; dialog:\n%s", secretRE.ReplaceAllString(v, "[SECRET]"))
	}
}

// pressHoldingResults presses keys and handles what follows, except that
// dialog results are held back, as when they are still queued behind the
// keys; it returns them undelivered.
func pressHoldingResults(t *testing.T, a *App, keys ...string) []tea.Msg {
	t.Helper()
	d := newDriver(t, a)
	d.hold = func(msg tea.Msg) bool { _, ok := msg.(dialogResult); return ok }
	d.press(keys...)
	d.settle()
	return d.held
}

// deliverAll sends msgs and drives what follows.
func deliverAll(t *testing.T, a *App, msgs ...tea.Msg) {
	t.Helper()
	var cmds []tea.Cmd
	for _, m := range msgs {
		cmds = append(cmds, func() tea.Msg { return m })
	}
	drive(t, a, tea.Batch(cmds...))
}

// startNewKeyForm fills in the New API key form up to its last answer.
func startNewKeyForm(t *testing.T, a *App, name string) {
	t.Helper()
	press(t, a, "n")
	wantDialog[*newkey.Model](t, a)
	typeText(t, a, name)
	press(t, a, "enter", "down", "enter", "y", "ctrl+u")
	typeText(t, a, "30d")
	press(t, a, "enter")
}

// TestDialogResultActsOnce: a dialog that ends twice (two enters in one
// read; a completed form that sees more messages before its result is
// handled) acts once.
func TestDialogResultActsOnce(t *testing.T) {
	t.Run("double enter on the delete confirmation", func(t *testing.T) {
		f := newFakeAPI()
		a := startApp(t, f, Options{User: "alice"}, 100, 30)
		press(t, a, "space", "j", "space", "D", "right")
		wantDialog[*confirm.Model](t, a)
		held := pressHoldingResults(t, a, "enter", "enter")
		if len(held) != 2 {
			t.Fatalf("%d results from two enters, want 2 (the test no longer reproduces the race)", len(held))
		}
		deliverAll(t, a, held...)
		if n := f.called("Delete"); n != 2 {
			t.Errorf("%d delete calls for 2 selected keys, want one batch: %v", n, f.Calls())
		}
	})
	t.Run("messages after the new key form completed", func(t *testing.T) {
		f := newFakeAPI()
		a := startApp(t, f, Options{User: "alice"}, 100, 30)
		startNewKeyForm(t, a, "twice")
		held := pressHoldingResults(t, a, "n", "enter")
		if len(held) < 2 {
			t.Fatalf("%d results, want the form to have completed twice (the test no longer reproduces it)", len(held))
		}
		deliverAll(t, a, held...)
		if n := f.called("CreateKey"); n != 1 {
			t.Errorf("%d keys created for one submit: %v", n, f.Calls())
		}
	})
}

// TestLateResultKeepsSecretOpen: a result still queued from the form when
// the secret dialog opens must not close (and wipe) the secret.
func TestLateResultKeepsSecretOpen(t *testing.T) {
	f := newFakeAPI()
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	startNewKeyForm(t, a, "late")
	held := pressHoldingResults(t, a, "n", "enter")
	if len(held) < 2 {
		t.Fatalf("%d results, want the form to have completed twice", len(held))
	}
	deliverAll(t, a, held[0])
	d := wantDialog[*secret.Model](t, a)
	deliverAll(t, a, held[1:]...)
	if top := topDialog(a); top != common.Dialog(d) {
		t.Fatalf("a late result closed the secret dialog; top is %T:\n%s", top, plainView(a))
	}
	if !secretRE.MatchString(ansi.Strip(d.View())) {
		t.Error("a late result wiped the secret before the admin saw it")
	}
	if n := f.called("CreateKey"); n != 1 {
		t.Errorf("%d keys created for one submit: %v", n, f.Calls())
	}
}

// TestFromDialogTagsNestedResults: a result inside a batch or a sequence
// is tagged as well, and other messages pass unchanged.
func TestFromDialogTagsNestedResults(t *testing.T) {
	d := confirm.New(commontest.Common(), confirm.Options{Title: "t"})
	other := func() tea.Msg { return common.InfoMsg{Text: "x"} }
	tests := []struct {
		name   string
		cmd    tea.Cmd
		others int
	}{
		{"plain", common.Cancel, 0},
		{"batch", tea.Batch(other, common.Cancel), 1},
		{"sequence", tea.Sequence(other, common.Cancel), 1},
		{"batch in a sequence", tea.Sequence(other, tea.Batch(other, common.Cancel)), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var results, others int
			var walk func(tea.Msg)
			walk = func(msg tea.Msg) {
				switch m := msg.(type) {
				case dialogResult:
					if m.from != common.Dialog(d) {
						t.Errorf("tagged with %v", m.from)
					}
					results++
					return
				case common.Result:
					t.Errorf("untagged result %T", m)
					return
				case common.InfoMsg:
					others++
					return
				}
				v := reflect.ValueOf(msg)
				if v.Kind() != reflect.Slice {
					t.Fatalf("unexpected %T", msg)
				}
				for i := range v.Len() {
					if c, _ := v.Index(i).Interface().(tea.Cmd); c != nil {
						walk(c())
					}
				}
			}
			walk(fromDialog(d, tt.cmd)())
			if results != 1 || others != tt.others {
				t.Errorf("%d tagged results, want 1; %d other messages, want %d", results, others, tt.others)
			}
		})
	}
}
