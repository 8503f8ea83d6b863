package ui

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/rotate"
	"h2ogpte-keys/ui/components/secret"
)

// cursorTo moves the table's cursor down to key id.
func cursorTo(t *testing.T, a *App, id string) {
	t.Helper()
	for range a.table.Len() {
		if currentID(a) == id {
			return
		}
		press(t, a, "j")
	}
	t.Fatalf("no row %s; rows %v", id, tableIDs(a))
}

func fullHelpHas(a *App, k string) bool {
	for _, col := range a.focusedHelp().FullHelp() {
		for _, b := range col {
			if b.Enabled() && b.Help().Key == k {
				return true
			}
		}
	}
	return false
}

// TestRotateOffered: Rotate… is in an active key's menu, R opens it
// directly and the help offers R only on an active key outside read-only
// mode; read-only mode offers neither, and R there changes nothing.
func TestRotateOffered(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	wantCursor(t, a, "k1")
	if !fullHelpHas(a, "R") {
		t.Error("full help lacks R on an active key")
	}
	press(t, a, "enter")
	m := wantDialog[*actions.Model](t, a)
	if !slices.Contains(m.Actions(), actions.Rotate) || !strings.Contains(plainView(a), "Rotate…") {
		t.Errorf("menu lacks Rotate…: %v\n%s", m.Actions(), plainView(a))
	}
	press(t, a, "r")
	d := wantDialog[*rotate.Model](t, a)
	if d.Then() != 0 || !strings.Contains(flat(plainView(a)), "Rotate laptop (sk-…aaaa) of alice") {
		t.Errorf("plan screen: then %v\n%s", d.Then(), plainView(a))
	}
	press(t, a, "esc")
	if topDialog(a) != nil || f.called("CreateKey") != 0 {
		t.Fatalf("esc left a dialog or sent a create: %v", f.Calls())
	}
	press(t, a, "R")
	wantDialog[*rotate.Model](t, a)
	press(t, a, "esc")

	cursorTo(t, a, "k3") // deactivated
	if fullHelpHas(a, "R") {
		t.Error("full help offers R on a deactivated key")
	}
	press(t, a, "R")
	if topDialog(a) != nil {
		t.Fatalf("R on a deactivated key opened %T", topDialog(a))
	}
	wantNotice(t, a, true, "cannot rotate research-bot: it is deactivated, and a deactivated key stays retired")

	a.startRotate(model.APIKey{ID: "k9", Username: "alice", Name: "pay\u202eroll", IsActive: true, IsGlobal: true})
	if asked, focused := wantDialog[*rotate.Model](t, a).NameField(); !asked || !focused {
		t.Fatalf("a key whose name a new key may not have: name field asked %v, focused %v", asked, focused)
	}
	press(t, a, "esc")

	ro := newTestAPI(t)
	r := startApp(t, ro, Options{User: "alice", ReadOnly: true}, 120, 30)
	if fullHelpHas(r, "R") {
		t.Error("read-only full help offers R")
	}
	press(t, r, "R")
	if topDialog(r) != nil {
		t.Fatalf("R in read-only mode opened %T", topDialog(r))
	}
	press(t, r, "enter")
	if m := wantDialog[*actions.Model](t, r); len(m.Actions()) != 0 {
		t.Errorf("read-only details offer %v", m.Actions())
	}
	press(t, r, "esc")
	if cmd := r.startRotate(model.APIKey{ID: "k1", Username: "alice", Name: "laptop", IsActive: true, IsGlobal: true}); cmd == nil || topDialog(r) != nil {
		t.Error("startRotate in read-only mode did not refuse")
	}
	if ro.called("CreateKey") != 0 {
		t.Errorf("read-only sent %v", ro.Calls())
	}
}

// TestRotateFlow drives each outcome of a rotation of laptop (k1: global,
// 70-day lifetime, limit 90) through the dashboard.
func TestRotateFlow(t *testing.T) {
	// readBackFails makes the first key listing after the create answer
	// 502, and no other: a read back cannot tell what happened.
	readBackFails := demoserver.Fault{Method: http.MethodGet, Path: "/api/v1/admin/api_keys",
		Kind: demoserver.FaultStatus, Status: http.StatusBadGateway, Message: "down", Times: 1}
	tests := []struct {
		name string
		// then is the keys that choose the old key's fate on the plan
		// screen (and move to the confirmation's button); enter follows.
		then  []string
		setup func(f *testAPI)
		// secret: the new secret is shown; report, what follows. In
		// wantDialog and wantNotice, {new} stands for the created key's
		// hint, which the server chose.
		secret      bool
		wantDialog  []string // the dialog after the secret (or instead of it)
		wantNotice  []string
		noticeErr   bool
		created     int // CreateKey calls
		retireCalls string
		oldActive   bool // k1 is still active afterwards
		oldGone     bool
	}{
		{name: "keep", secret: true, created: 1, oldActive: true,
			wantNotice: []string{"Rotated laptop (sk-…aaaa): new key laptop (sk-…{new}); old key kept"}},
		{name: "deactivate", then: []string{"down", "enter", "right"}, secret: true, created: 1, retireCalls: "Deactivate:k1",
			wantNotice: []string{"Rotated laptop (sk-…aaaa): new key laptop (sk-…{new}); old key deactivated"}},
		{name: "delete", then: []string{"down", "down", "enter", "right"}, secret: true, created: 1, retireCalls: "Delete:k1", oldGone: true,
			wantNotice: []string{"old key deleted"}},
		{name: "created, deactivate failed: secret still shown, old key still active",
			then: []string{"down", "enter", "right"}, setup: func(f *testAPI) { f.fail("Deactivate:k1", http.StatusInternalServerError, "boom") },
			secret: true, created: 1, retireCalls: "Deactivate:k1", oldActive: true, noticeErr: true,
			wantDialog: []string{"✓ Created the new key laptop (sk-…{new}) for alice", "✗ The old key laptop (sk-…aaaa) was not deactivated: server error (500): boom",
				"The old key laptop (sk-…aaaa) is still active: deactivate or delete it from its actions menu."},
			wantNotice: []string{"rotated laptop (sk-…aaaa), but the old key was not deactivated"}},
		{name: "created, deactivate unknown: it may still be active",
			then: []string{"down", "enter", "right"},
			setup: func(f *testAPI) {
				// A gateway's 504 before the server acted: the key stays
				// active, and the client cannot know it.
				f.fail("Deactivate:k1", http.StatusGatewayTimeout, "")
				f.afterCreate = []demoserver.Fault{readBackFails}
			},
			secret: true, created: 1, retireCalls: "Deactivate:k1", oldActive: true, noticeErr: true,
			wantDialog: []string{"Rotated laptop: the old key may still be active", "? Unknown whether the old key laptop (sk-…aaaa) was deactivated",
				"may still be active: reload, and if it is, deactivate or delete it from its actions menu"},
			wantNotice: []string{"rotated laptop (sk-…aaaa), but unknown whether the old key was deactivated: reload to see"}},
		{name: "create refused: nothing else sent", then: []string{"down", "enter", "right"},
			setup:   func(f *testAPI) { f.fail("CreateKey", http.StatusBadRequest, "no") },
			created: 1, oldActive: true, noticeErr: true,
			wantNotice: []string{"could not create the new key to rotate laptop (sk-…aaaa): bad request (400): no", "the old key was left as it was"}},
		{name: "create unknown: reload, never resent", then: []string{"down", "enter", "right"},
			setup: func(f *testAPI) {
				f.fail("CreateKey", http.StatusGatewayTimeout, "") // no key made
				f.afterCreate = []demoserver.Fault{readBackFails}
			},
			created: 1, oldActive: true, noticeErr: true,
			wantNotice: []string{"unknown whether the new key laptop was created for alice", "reload to see before trying again", "left active"}},
		{name: "created, secret lost: old key kept", then: []string{"down", "enter", "right"},
			setup:   func(f *testAPI) { f.lose("CreateKey") },
			created: 1, oldActive: true,
			wantDialog: []string{"Key laptop was created; its secret is lost",
				"The old key laptop (sk-…aaaa) was kept: it is still active, and its secret is still the one that works."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			a := startApp(t, f, Options{User: "alice"}, 120, 36)
			users := f.called("ListUsers")
			press(t, a, "R")
			wantDialog[*rotate.Model](t, a)
			press(t, a, tt.then...)
			press(t, a, "enter")

			if got := f.called("CreateKey"); got != tt.created {
				t.Fatalf("%d creates, want %d; calls %v", got, tt.created, f.Calls())
			}
			if tt.retireCalls == "" && (f.called("Deactivate") > 0 || f.called("Delete") > 0) {
				t.Errorf("the old key was touched: %v", f.Calls())
			}
			if tt.retireCalls != "" && f.called(tt.retireCalls) != 1 {
				t.Errorf("want one %s; calls %v", tt.retireCalls, f.Calls())
			}
			nk := f.createRequests(t)[0]
			want := testNow.Add(70 * 24 * time.Hour)
			if nk.UserID != f.users[0].ID || nk.Name != "laptop" || nk.CollectionID != "" || nk.Expiry == nil || !nk.Expiry.At.Equal(want) {
				t.Errorf("create asked %+v (expiry %v), want alice's global laptop expiring %v", nk, nk.Expiry, want)
			}
			if f.called("ListUsers") != users {
				t.Error("the owner's id was looked up though the dashboard knew it")
			}

			if tt.secret {
				s := wantDialog[*secret.Model](t, a)
				if !secretRE.MatchString(ansi.Strip(s.View())) {
					t.Fatalf("the new secret is not shown:\n%s", plainView(a))
				}
				press(t, a, "enter")
				if secretRE.MatchString(ansi.Strip(s.View())) {
					t.Error("the secret survived its dialog's closing")
				}
			} else if _, ok := topDialog(a).(*secret.Model); ok {
				t.Fatal("a secret dialog opened")
			}
			newHint := func(w string) string {
				if !strings.Contains(w, "{new}") {
					return w
				}
				return strings.ReplaceAll(w, "{new}", f.createdKey(t, "alice", "laptop").Hint)
			}
			if tt.wantDialog != nil {
				c := wantDialog[*confirm.Model](t, a)
				v := flat(ansi.Strip(c.View()))
				for _, w := range tt.wantDialog {
					w = newHint(w)
					if !strings.Contains(v, w) {
						t.Errorf("dialog lacks %q:\n%s", w, v)
					}
				}
			} else if topDialog(a) != nil {
				t.Errorf("%T left open:\n%s", topDialog(a), plainView(a))
			}
			if tt.wantNotice != nil || tt.noticeErr {
				var want []string
				for _, w := range tt.wantNotice {
					want = append(want, newHint(w))
				}
				wantNotice(t, a, tt.noticeErr, want...)
			}
			text, _ := a.status.Notice()
			if secretRE.MatchString(text) {
				t.Error("the status bar shows the secret")
			}
			old, ok := f.srv.Key("k1")
			if tt.oldGone == ok {
				t.Errorf("old key listed = %v, want %v", ok, !tt.oldGone)
			}
			if ok && tt.oldActive != old.IsActive {
				t.Errorf("old key active = %v, want %v", old.IsActive, tt.oldActive)
			}
		})
	}
}

// TestRotateRefusedBeforeCreate: a key deleted elsewhere while the plan
// was open is refused by the Runner's own checks; nothing is created.
func TestRotateRefusedBeforeCreate(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	press(t, a, "R")
	wantDialog[*rotate.Model](t, a)
	if err := f.Delete(context.Background(), "k1"); err != nil {
		t.Fatal(err)
	}
	press(t, a, "enter")
	if f.called("CreateKey") != 0 || topDialog(a) != nil {
		t.Fatalf("calls %v, dialog %T", f.Calls(), topDialog(a))
	}
	wantNotice(t, a, true, "did not rotate laptop (sk-…aaaa)", "no longer listed", "nothing was changed")
}

// TestRotateNeedsTheLimit: without the server's expiry limit no plan is
// made (its expiry would be capped at an unknown limit); the limit is
// read again.
func TestRotateNeedsTheLimit(t *testing.T) {
	f := newTestAPI(t)
	f.fail("GlobalExpiryLimit", http.StatusBadGateway, "down")
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	reads := f.called("GlobalExpiryLimit")
	press(t, a, "R")
	if topDialog(a) != nil {
		t.Fatalf("opened %T without the limit", topDialog(a))
	}
	wantNotice(t, a, true, "expiry limit")
	if f.called("GlobalExpiryLimit") != reads+1 {
		t.Errorf("the limit was not read again: %v", f.Calls())
	}
}

// TestCloseWipesSecret: Close, as a cut SSH session calls it from its own
// goroutine, wipes a secret still on screen.
func TestCloseWipesSecret(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	press(t, a, "R", "enter")
	s := wantDialog[*secret.Model](t, a)
	done := make(chan struct{})
	go func() { a.Close(); close(done) }()
	_ = a.View() // drawing while Close runs must not race (go test -race)
	<-done
	if v := ansi.Strip(s.View()); secretRE.MatchString(v) || !strings.Contains(v, "(secret wiped)") {
		t.Errorf("Close left the secret:\n%s", secretRE.ReplaceAllString(v, "[SECRET]"))
	}
	if a.ctx.Err() == nil {
		t.Error("Close left the requests' context running")
	}
}

// TestOptionsContext: the context given in Options ends every request.
func TestOptionsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a := New(newTestAPI(t), Options{Context: ctx})
	t.Cleanup(a.Close)
	cancel()
	if a.ctx.Err() == nil {
		t.Error("the App's context outlived Options.Context")
	}
}

// TestGoldenRotatePlan pins the plan screen inside the dashboard at 80x24
// (demo server, seed 1): research-bot, a collection key.
func TestGoldenRotatePlan(t *testing.T) {
	api, _ := demoAPI(t)
	a := startApp(t, api, Options{User: "alice"}, 80, 24)
	press(t, a, "j", "j", "j", "j", "R")
	wantDialog[*rotate.Model](t, a)
	golden.RequireEqual(t, []byte(a.View()))
}

// TestJourneyRotate: with the real client against the demo server, rotate
// research-bot and deactivate the old key: the secret is shown once, then
// the old key is Inactive and its replacement Active, of the same name and
// collection.
func TestJourneyRotate(t *testing.T) {
	j := startJourney(t, nil, Options{User: "alice"})
	j.waitText("8 keys")
	before := j.keysOf("alice")["research-bot"]
	for range 4 {
		j.key("j")
	}
	j.key("R")
	j.waitText("Rotate research-bot")
	j.key("down")
	j.key("enter")
	j.waitText("Deactivate the old key once the new one exists?")
	j.key("right")
	j.key("enter")
	j.waitFor("the new secret", secretRE)
	j.key("enter")
	j.waitAll("old key deactivated", "9 keys")

	a := j.quit()
	if secretRE.MatchString(a.View()) {
		t.Error("the secret is still on screen")
	}
	keys, err := j.api.ListKeys(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	var old, repl []model.APIKey
	for _, k := range keys {
		switch {
		case k.ID == before.ID:
			old = append(old, k)
		case k.Name == "research-bot":
			repl = append(repl, k)
		}
	}
	if len(old) != 1 || old[0].IsActive {
		t.Fatalf("old key %+v, want it listed and inactive", old)
	}
	if len(repl) != 1 || !repl[0].IsActive || repl[0].IsGlobal || repl[0].CollectionID != before.CollectionID {
		t.Fatalf("replacement %+v, want one active key on collection %s", repl, before.CollectionID)
	}
	if cur, ok := a.table.Current(); !ok || cur.ID != repl[0].ID {
		t.Errorf("cursor on %s, want the new key %s", cur.ID, repl[0].ID)
	}
	// Both rows as the table draws them.
	rows := regexp.MustCompile(`(?m)^.*research-bot.*$`).FindAllString(ansi.Strip(a.View()), -1)
	var statuses []string
	for _, r := range rows {
		for _, s := range []string{"Inactive", "Active"} {
			if strings.Contains(r, " "+s+" ") {
				statuses = append(statuses, s)
				break
			}
		}
	}
	slices.Sort(statuses)
	if !slices.Equal(statuses, []string{"Active", "Inactive"}) {
		t.Errorf("research-bot rows %q, want one Active and one Inactive", rows)
	}
}
