package ui

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/editvalue"
	"h2ogpte-keys/ui/components/keytable"
	"h2ogpte-keys/ui/components/newkey"
	"h2ogpte-keys/ui/components/secret"
	"h2ogpte-keys/ui/components/userpicker"
)

func wantNotice(t *testing.T, a *App, wantErr bool, parts ...string) {
	t.Helper()
	text, isErr := a.status.Notice()
	if isErr != wantErr {
		t.Errorf("notice %q: error = %v, want %v", text, isErr, wantErr)
	}
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("notice %q does not contain %q", text, p)
		}
	}
}

// flat joins a screen's words, box borders removed, so text a dialog
// wrapped reads as one line.
func flat(screen string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(screen, "│", " ")), " ")
}

func TestEditExpiry(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		fail     string // the server's reason for a 400
		noLimit  bool
		wantCall bool
		wantErr  bool
		want     string
	}{
		{name: "duration", input: "30d", wantCall: true, want: "Expiry of laptop set to 2026-12-26 15:00 (the server stored: expires 2026-12-26 15:00)"},
		{name: "never removes it without a limit", input: "never", noLimit: true, wantCall: true, want: "Expiry of laptop removed (the server stored: never expires)"},
		{name: "never is sent under a limit", input: "never", wantCall: true, want: "Expiry of laptop removed (the server stored: never expires)"},
		{name: "past the limit is refused before sending", input: "200d", wantCall: false},
		{name: "server error shown", input: "7d", fail: "nope", wantCall: true, wantErr: true,
			want: "could not set the expiry of laptop: bad request (400): nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			if tt.fail != "" {
				f.fail("SetExpiry:k1", http.StatusBadRequest, tt.fail)
			}
			if tt.noLimit {
				f.srv.SetExpiryLimitDays(0)
			}
			a := startApp(t, f, Options{User: "alice"}, 100, 30)
			press(t, a, "enter")
			menu := wantDialog[*actions.Model](t, a)
			if act, _ := menu.Cursor(); act != actions.EditExpiry {
				t.Fatalf("menu starts on %v", act)
			}
			press(t, a, "enter")
			wantDialog[*editvalue.Model](t, a)
			typeText(t, a, tt.input)
			press(t, a, "enter")
			if got := f.called("SetExpiry:k1") == 1; got != tt.wantCall {
				t.Fatalf("SetExpiry sent = %v, want %v; calls %v", got, tt.wantCall, f.Calls())
			}
			if !tt.wantCall {
				ev := wantDialog[*editvalue.Model](t, a) // refused inline, still open
				if ev.Err() == nil {
					t.Error("no inline error")
				}
				return
			}
			if topDialog(a) != nil {
				t.Fatalf("dialog %T still open", topDialog(a))
			}
			wantNotice(t, a, tt.wantErr, tt.want)
			if f.called("StreamKeys:alice") < 2 {
				t.Error("no refresh after the change")
			}
		})
	}
}

func TestEditInactivity(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	press(t, a, "enter", "i")
	wantDialog[*editvalue.Model](t, a)
	typeText(t, a, "45")
	press(t, a, "enter")
	if f.called("SetInactivity:k1") != 1 {
		t.Fatalf("calls %v", f.Calls())
	}
	wantNotice(t, a, false, "Inactivity interval of laptop set to 45 days")
	if !strings.Contains(plainView(a), "45 days") {
		t.Errorf("the refreshed table does not show the new interval:\n%s", plainView(a))
	}
}

func TestDeactivate(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	press(t, a, "enter", "d")
	wantDialog[*confirm.Model](t, a)
	v := flat(plainView(a))
	for _, want := range []string{"Deactivate key laptop?", "This cannot be undone: there is no way to reactivate a key.", "Deactivate"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	press(t, a, "enter") // on Cancel
	if topDialog(a) != nil || f.called("Deactivate") != 0 {
		t.Fatalf("enter on the default button must cancel; calls %v", f.Calls())
	}
	press(t, a, "enter", "d", "right", "enter")
	if f.called("Deactivate:k1") != 1 {
		t.Fatalf("calls %v", f.Calls())
	}
	wantNotice(t, a, false, "Deactivated laptop")
	if !strings.Contains(plainView(a), "Inactive") {
		t.Error("refreshed table does not show the key inactive")
	}
}

// newKeyThroughForm fills the New API key form: name, first collection
// after "none", expiry 30d, no inactivity.
func newKeyThroughForm(t *testing.T, a *App, name string) {
	t.Helper()
	press(t, a, "n")
	wantDialog[*newkey.Model](t, a)
	typeText(t, a, name)
	press(t, a, "enter", "down", "enter", "y", "ctrl+u")
	typeText(t, a, "30d")
	press(t, a, "enter", "n")
}

func TestNewKey(t *testing.T) {
	f := newTestAPI(t)
	copier := &fakeCopier{}
	a := startApp(t, f, Options{User: "alice", Copier: copier}, 100, 30)
	newKeyThroughForm(t, a, "notebook")
	if f.called("CreateKey") != 1 {
		t.Fatalf("calls %v; screen:\n%s", f.Calls(), plainView(a))
	}
	created := f.createdKey(t, "alice", "notebook")
	wantDialog[*secret.Model](t, a)
	secretLine := regexp.MustCompile(`(?m)^sk-[A-Za-z0-9]{48} *$`)
	if !secretLine.MatchString(ansi.Strip(a.View())) {
		t.Errorf("the secret is not alone on a line from the first column:\n%s", plainView(a))
	}
	if copier.copies != 1 {
		t.Errorf("copied %d times, want once at once", copier.copies)
	}
	press(t, a, "enter")
	if topDialog(a) != nil {
		t.Fatalf("secret dialog still open")
	}
	if secretRE.MatchString(ansi.Strip(a.View())) {
		t.Error("the secret is still on screen after closing")
	}
	wantCursor(t, a, created.ID)
	if a.table.Len() != 5 {
		t.Errorf("%d keys after create, want 5", a.table.Len())
	}
}

func TestNewKeyFailureKeepsDraft(t *testing.T) {
	f := newTestAPI(t)
	f.fail("CreateKey", http.StatusConflict, "name taken")
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	newKeyThroughForm(t, a, "notebook")
	form := wantDialog[*newkey.Model](t, a)
	d := form.Draft()
	if d.Name != "notebook" || d.CollectionID != f.coll.ID || !d.Expire || d.Expiry != "30d" {
		t.Errorf("draft after a failed create: %+v", d)
	}
	if !strings.Contains(plainView(a), "name taken") {
		t.Errorf("the server's reason is not shown:\n%s", plainView(a))
	}
	if f.called("CreateKey") != 1 {
		t.Errorf("create retried: %v", f.Calls())
	}
}

func TestNewKeyCollectionsFail(t *testing.T) {
	f := newTestAPI(t)
	f.fail("ListCollections", http.StatusInternalServerError, "db down")
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	press(t, a, "n")
	if topDialog(a) != nil {
		t.Fatalf("form opened without collections")
	}
	wantNotice(t, a, true, "could not load the collections of alice", "db down")
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name        string
		keys        []string
		fail        map[string]string // call: the server's reason for a 500
		wantDeleted []string
		wantLeft    []string
		wantNotice  string
		wantErr     bool
		wantReport  bool
	}{
		{name: "current key", keys: nil, wantDeleted: []string{"k1"}, wantLeft: []string{"k2", "k3", "k4"},
			wantNotice: "Deleted key laptop"},
		{name: "selection", keys: []string{"space", "j", "space", "j", "space"}, wantDeleted: []string{"k1", "k2", "k3"},
			wantLeft: []string{"k4"}, wantNotice: "Deleted 3 keys"},
		{name: "one fails", keys: []string{"space", "j", "space", "j", "space"},
			fail:        map[string]string{"Delete:k2": "boom"},
			wantDeleted: []string{"k1", "k3"}, wantLeft: []string{"k2", "k4"},
			wantNotice: "Deleted 2 of 3 keys. Failed: ci-pipeline (server error (500): boom)", wantErr: true, wantReport: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			for k, v := range tt.fail {
				f.fail(k, http.StatusInternalServerError, v)
			}
			a := startApp(t, f, Options{User: "alice"}, 120, 30)
			press(t, a, tt.keys...)
			press(t, a, "D")
			wantDialog[*confirm.Model](t, a)
			press(t, a, "right", "enter")
			for _, id := range tt.wantDeleted {
				if f.called("Delete:"+id) != 1 {
					t.Errorf("%s not deleted; calls %v", id, f.Calls())
				}
			}
			wantNotice(t, a, tt.wantErr, tt.wantNotice)
			wantOrder(t, a, tt.wantLeft...)
			wantSelected(t, a, selectedLeft(tt.keys, tt.wantLeft)...)
			if tt.wantReport {
				wantDialog[*confirm.Model](t, a)
				v := flat(plainView(a))
				for _, want := range []string{"Delete finished with errors", "ci-pipeline: server error (500): boom"} {
					if !strings.Contains(v, want) {
						t.Errorf("report lacks %q:\n%s", want, v)
					}
				}
				if strings.Contains(v, "Cancel") || !strings.Contains(v, "[OK]") {
					t.Errorf("a report has one button, [OK], and no Cancel:\n%s", v)
				}
			} else if topDialog(a) != nil {
				t.Errorf("dialog %T open after a clean delete", topDialog(a))
			}
		})
	}
}

// selectedLeft: after a delete, the selection holds exactly the selected
// keys that failed.
func selectedLeft(keys, left []string) []string {
	if len(keys) == 0 {
		return nil
	}
	var out []string
	for _, id := range left {
		if id != "k4" {
			out = append(out, id)
		}
	}
	return out
}

func TestDeleteConfirmationNamesKeys(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 140, 40)
	press(t, a, "space", "j", "space", "/")
	typeText(t, a, "lap")
	press(t, a, "enter", "D")
	wantDialog[*confirm.Model](t, a)
	v := flat(plainView(a))
	for _, want := range []string{"Delete 2 keys?", "laptop", "ci-pipeline", "1 selected key is hidden by the current filter.", "Delete 2 keys"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	press(t, a, "esc")
	if f.called("Delete") != 0 || topDialog(a) != nil {
		t.Fatalf("esc should cancel: %v", f.Calls())
	}
}

func TestSelectionSurvivesRefresh(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	press(t, a, "space", "j", "space", "j")
	// k1 vanishes on the server (deleted elsewhere).
	if err := f.Client.Delete(context.Background(), "k1"); err != nil {
		t.Fatal(err)
	}
	press(t, a, "r")
	wantSelected(t, a, "k2")
	wantCursor(t, a, "k3")
}

// TestStaleRepliesDropped switches user while the first user's keys are
// still loading: that load's context is cancelled and its reply dropped.
func TestStaleRepliesDropped(t *testing.T) {
	f := newTestAPI(t)
	aliceKeys := f.keysOf(t, "alice")
	f.srv.ResetCalls()
	t.Cleanup(f.srv.Block("alice"))
	a := newApp(t, f, Options{User: "alice"}, 100, 30)
	d := newDriver(t, a)
	d.run(a.Init())
	d.until("alice's load to start", func() bool { return f.called("StreamKeys:alice") == 1 })
	aliceTag := a.load.tag
	if !a.status.Busy() || !strings.Contains(plainView(a), "loading keys of alice…") {
		t.Errorf("no progress while loading:\n%s", plainView(a))
	}

	d.press("u")
	d.until("the picker", func() bool { _, ok := topDialog(a).(*userpicker.Model); return ok })
	for _, r := range "bob" {
		d.press(string(r))
	}
	d.press("enter")
	d.until("bob's keys", func() bool { return a.user.Username == "bob" && a.load == nil })

	aliceCtx := f.streamCtx(t, "alice", 0)
	if !errors.Is(aliceCtx.Err(), context.Canceled) {
		t.Errorf("alice's load was not cancelled: %v", aliceCtx.Err())
	}
	// A reply of alice's load arriving late changes nothing.
	a.Update(keysPageMsg{tag: aliceTag, rows: keytable.FormatRows(aliceKeys, testNow), done: true})
	wantOrder(t, a, "b1")
	if strings.Contains(plainView(a), "laptop") {
		t.Error("alice's key shown under bob")
	}
	d.settle()
	wantOrder(t, a, "b1")
}

// TestPagesShowWhileLoading: the first load shows each page as it comes;
// a refresh keeps the old rows until the new list is complete.
func TestPagesShowWhileLoading(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	tag := loadTag{user: "alice", seq: a.seq + 1}
	a.switchUser(a.user)
	a.Update(keysPageMsg{tag: tag, rows: keytable.FormatRows(f.keysOf(t, "alice")[:2], testNow)})
	if a.table.Len() != 2 || !strings.Contains(plainView(a), "loaded 2 keys…") {
		t.Errorf("first page not shown with progress:\n%s", plainView(a))
	}
	a.Update(keysPageMsg{tag: tag, rows: keytable.FormatRows(f.keysOf(t, "alice")[2:], testNow), done: true})
	if a.table.Len() != 4 || a.status.Busy() {
		t.Errorf("after the last page: %d keys, busy %v", a.table.Len(), a.status.Busy())
	}

	tag.seq++
	a.startLoad(true)
	a.Update(keysPageMsg{tag: tag, rows: keytable.FormatRows(f.keysOf(t, "alice")[:1], testNow)})
	if a.table.Len() != 4 {
		t.Errorf("a refresh emptied the table mid-way: %d keys", a.table.Len())
	}
	a.Update(keysPageMsg{tag: tag, done: true, err: errors.New("network error")})
	if a.table.Len() != 4 {
		t.Errorf("a failed refresh lost the rows: %d keys", a.table.Len())
	}
	wantNotice(t, a, true, "could not load the keys of alice", "network error")
}

// TestEditExpiryNeedsTheLimit: when the server's expiry limit could not be
// read, "no limit" and "not known" must not look alike, so no expiry is
// offered until it is read again.
func TestEditExpiryNeedsTheLimit(t *testing.T) {
	f := newTestAPI(t)
	f.fail("GlobalExpiryLimit", http.StatusInternalServerError, "boom")
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	press(t, a, "enter")
	wantDialog[*actions.Model](t, a)
	before := f.called("GlobalExpiryLimit")
	press(t, a, "enter")
	if !noDialog(a) {
		t.Fatalf("an expiry dialog opened without a known limit: %T", topDialog(a))
	}
	// The refusal, then the failed re-read, explain themselves.
	if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "expiry limit") {
		t.Errorf("notice %q (error %v)", text, isErr)
	}
	if f.called("GlobalExpiryLimit") <= before {
		t.Errorf("the limit was not read again; calls %v", f.Calls())
	}
	f.srv.ClearFaults()
	press(t, a, "r")
	press(t, a, "enter", "enter")
	wantDialog[*editvalue.Model](t, a)
}
