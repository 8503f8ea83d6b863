package ui

import (
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
	f := newTestAPI(t)
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
// the result messages dialogs also emit are held back, as when they are
// still queued behind the keys; it returns them undelivered. The root
// reads results after Update, so delivering them later must change
// nothing.
func pressHoldingResults(t *testing.T, a *App, keys ...string) []tea.Msg {
	t.Helper()
	d := newDriver(t, a)
	d.hold = func(msg tea.Msg) bool { _, ok := msg.(common.Result); return ok }
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

// TestDialogResultActsOnce: a dialog acts once however keys and its
// emitted result messages interleave (two enters in one read; a completed
// form that sees more messages): the root pops it the moment Update says
// it is done, and ignores result messages.
func TestDialogResultActsOnce(t *testing.T) {
	t.Run("double enter on the delete confirmation", func(t *testing.T) {
		f := newTestAPI(t)
		a := startApp(t, f, Options{User: "alice"}, 100, 30)
		press(t, a, "space", "j", "space", "D", "right")
		wantDialog[*confirm.Model](t, a)
		held := pressHoldingResults(t, a, "enter", "enter")
		if len(held) == 0 {
			t.Fatal("the confirmation emitted no result message")
		}
		deliverAll(t, a, held...)
		if n := f.called("Delete"); n != 2 {
			t.Errorf("%d delete calls for 2 selected keys, want one batch: %v", n, f.Calls())
		}
	})
	t.Run("messages after the new key form completed", func(t *testing.T) {
		f := newTestAPI(t)
		a := startApp(t, f, Options{User: "alice"}, 100, 30)
		startNewKeyForm(t, a, "twice")
		held := pressHoldingResults(t, a, "n", "enter")
		deliverAll(t, a, held...)
		if n := f.called("CreateKey"); n != 1 {
			t.Errorf("%d keys created for one submit: %v", n, f.Calls())
		}
	})
}

// TestLateResultKeepsSecretOpen: a result still queued from the form when
// the secret dialog opens must not close (and wipe) the secret.
func TestLateResultKeepsSecretOpen(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	startNewKeyForm(t, a, "late")
	held := pressHoldingResults(t, a, "n")
	if len(held) == 0 {
		t.Fatal("the form emitted no result message")
	}
	d := wantDialog[*secret.Model](t, a)
	deliverAll(t, a, held...)
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
