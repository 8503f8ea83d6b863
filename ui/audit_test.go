package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/editvalue"
	"h2ogpte-keys/ui/components/export"
	"h2ogpte-keys/ui/components/keytable"
	"h2ogpte-keys/ui/components/newkey"
	"h2ogpte-keys/ui/components/userpicker"
)

// Update-level tests of issue 4's keys and dialogs: all users, quick
// filters, sort, export, bulk changes, stopping a load.

// startAll starts without --user and chooses "All users", the picker's
// first entry.
func startAll(t *testing.T, f *testAPI, w, h int) *App {
	t.Helper()
	a := startApp(t, f, Options{}, w, h)
	p := wantDialog[*userpicker.Model](t, a)
	if !p.SelectedAll() {
		t.Fatalf("the picker does not start on All users:\n%s", plainView(a))
	}
	press(t, a, "enter")
	return a
}

func TestAllUsers(t *testing.T) {
	f := newTestAPI(t)
	a := startAll(t, f, 140, 30)
	if !a.allUsers || !a.hasUser || topDialog(a) != nil {
		t.Fatalf("all users %v, dialog %T", a.allUsers, topDialog(a))
	}
	if f.called("StreamKeys") != 1 || !slices.Contains(f.Calls(), "StreamKeys:") {
		t.Errorf("want one StreamKeys for every user (\"\"): %v", f.Calls())
	}
	wantOrder(t, a, f.listed(t, "", "k1", "k2", "k3", "k4", "b1")...)
	v := plainView(a)
	for _, want := range []string{"User: All users ▾", "5 keys", " User ", "bob-key", "bob"} {
		if !strings.Contains(v, want) {
			t.Errorf("all-users screen lacks %q:\n%s", want, v)
		}
	}
	if !slices.Contains(a.table.Columns(), keytable.ColUser) {
		t.Error("no User column in the all-users view")
	}
	// Back to one user: the User column goes, the picker marks the choice.
	press(t, a, "u")
	if v := plainView(a); !strings.Contains(v, "All users  every key on the server (current)") {
		t.Errorf("picker does not mark All users as current:\n%s", v)
	}
	typeText(t, a, "bob")
	press(t, a, "enter")
	if a.allUsers || a.user.Username != "bob" || slices.Contains(a.table.Columns(), keytable.ColUser) {
		t.Errorf("after choosing bob: all %v, user %q, columns %v", a.allUsers, a.user.Username, a.table.Columns())
	}
	wantOrder(t, a, "b1")
}

func TestAllUsersEmpty(t *testing.T) {
	f := newTestAPI(t)
	f.deleteKeys(t, "k1", "k2", "k3", "k4", "b1")
	a := startAll(t, f, 100, 30)
	if v := plainView(a); !strings.Contains(v, "There are no API keys on this server.") {
		t.Errorf("empty server not explained:\n%s", v)
	}
}

// In the all-users view, n asks whose key it is first, then opens the
// form with that user's collections.
func TestAllUsersNewKeyAsksOwner(t *testing.T) {
	f := newTestAPI(t)
	a := startAll(t, f, 120, 30)
	press(t, a, "n")
	p := wantDialog[*userpicker.Model](t, a)
	if p.SelectedAll() || strings.Contains(plainView(a), "every key on the server") {
		t.Errorf("the owner picker offers All users:\n%s", plainView(a))
	}
	if !strings.Contains(plainView(a), "New API key: choose its owner") {
		t.Errorf("owner picker not titled:\n%s", plainView(a))
	}
	press(t, a, "esc")
	if topDialog(a) != nil || f.called("ListCollections") != 0 {
		t.Fatalf("esc should cancel: dialog %T, calls %v", topDialog(a), f.Calls())
	}
	press(t, a, "n")
	typeText(t, a, "alice")
	press(t, a, "enter")
	wantDialog[*newkey.Model](t, a)
	if f.called("ListCollections:alice") != 1 {
		t.Errorf("alice's collections not loaded: %v", f.Calls())
	}
	if v := plainView(a); !strings.Contains(v, "New API key for alice") || !strings.Contains(v, "Research papers") {
		t.Errorf("form not for alice with her collections:\n%s", v)
	}
	if !a.allUsers {
		t.Error("choosing an owner left the all-users view")
	}
}

// A reply with collections for an owner the admin has moved away from is
// dropped.
func TestNewKeyStaleCollections(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	a.Update(newKeyReadyMsg{user: f.users[2], cols: nil})
	if topDialog(a) != nil {
		t.Fatalf("a form opened for bob unasked: %T", topDialog(a))
	}
}

func TestQuickFilterKeys(t *testing.T) {
	tests := []struct {
		keys  []string
		want  []string
		shown string
	}{
		{[]string{"1"}, []string{"k1"}, "1 of 4 shown"},       // laptop expires in 3 days
		{[]string{"2"}, []string{"k2", "k3"}, "2 of 4 shown"}, // never used (k3 reports total_calls; k4's usage is unknown)
		{[]string{"3"}, []string{"k3"}, "1 of 4 shown"},       // created 200 days ago, never used; k4 unknown
		{[]string{"4"}, []string{"k3"}, "1 of 4 shown"},       // deactivated
		{[]string{"5"}, []string{"k1", "k2", "k4"}, "3 of 4 shown"},
		{[]string{"5", "2"}, []string{"k2"}, "1 of 4 shown"},
		{[]string{"5", "5"}, []string{"k1", "k2", "k3", "k4"}, "4 keys"},
		{[]string{"4", "1"}, nil, "0 of 4 shown"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			f := newTestAPI(t)
			soon := testNow.Add(3 * 24 * time.Hour)
			f.setKey(t, "k1", func(k *model.APIKey) { k.Expires = &soon })
			f.setKey(t, "k3", func(k *model.APIKey) { k.Created = testNow.Add(-200 * 24 * time.Hour) })
			f.setKey(t, "k4", func(k *model.APIKey) { k.Created = testNow.Add(-100 * 24 * time.Hour) })
			a := startApp(t, f, Options{User: "alice"}, 140, 30)
			press(t, a, tt.keys...)
			// The rows come in the server's order, which puts the older
			// k3 and k4 first.
			wantOrder(t, a, f.listed(t, "alice", tt.want...)...)
			v := plainView(a)
			if !strings.Contains(v, tt.shown) {
				t.Errorf("count %q missing:\n%s", tt.shown, v)
			}
			// k4 comes from an older server: a usage rule cannot judge it,
			// and the status bar says so.
			if usage := slices.Contains(tt.keys, "2") || slices.Contains(tt.keys, "3"); usage && tt.keys[len(tt.keys)-1] != "5" {
				wantNotice(t, a, false, "1 key has unknown usage")
			}
			for _, q := range a.table.Quicks() {
				if !strings.Contains(v, q.Key()+" "+q.Label()) {
					t.Errorf("toolbar does not show quick filter %q:\n%s", q.Label(), v)
				}
			}
		})
	}
}

// Quick filters combine with the text filter and the sort; esc clears
// both filters.
func TestQuickFiltersWithTextAndSort(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 140, 30)
	press(t, a, "5", "/")
	typeText(t, a, "p")
	press(t, a, "enter")
	wantOrder(t, a, "k1", "k2") // global, with "p" in the name: laptop, ci-pipeline
	press(t, a, "S")            // name, descending
	wantOrder(t, a, "k1", "k2")
	press(t, a, "S")
	wantOrder(t, a, "k2", "k1")
	v := plainView(a)
	for _, want := range []string{"Filter: p", "5 global only", "2 of 4 shown", "Name ▲"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	press(t, a, "esc")
	if a.table.Filtered() || a.table.Shown() != 4 || a.filter.Value() != "" {
		t.Errorf("esc left filters: text %q, quick %v, %d shown", a.table.Filter(), a.table.Quicks(), a.table.Shown())
	}
	wantOrder(t, a, "k2", "k4", "k1", "k3") // the sort stays
	// The text filter matches owners too, as the CLI's --filter does.
	b := startAll(t, newTestAPI(t), 140, 30)
	press(t, b, "/")
	typeText(t, b, "BOB")
	wantOrder(t, b, "b1")
}

// s walks every shown column, Stops working and Total Calls included, in
// model.Compare's order.
func TestSortKeysReachEveryColumn(t *testing.T) {
	f := newTestAPI(t)
	a := startAll(t, f, 220, 30)
	keys := a.table.ShownKeys()
	seen := map[keytable.Column]bool{}
	for range 12 {
		press(t, a, "s")
		col, desc := a.table.Sort()
		seen[col] = true
		mc, _ := col.SortColumn()
		want := slices.Clone(keys)
		slices.SortFunc(want, func(x, y model.APIKey) int { return model.Compare(&x, &y, mc, desc, testNow) })
		var ids []string
		for _, k := range want {
			ids = append(ids, k.ID)
		}
		wantOrder(t, a, ids...)
		header := strings.Split(plainView(a), "\n")[2]
		if i := strings.Index(header, col.Title()); i < 0 || !strings.Contains(header[i:], " ▲") || desc {
			t.Errorf("sorting by %s: header %q", col.Title(), header)
		}
	}
	for _, c := range []keytable.Column{keytable.ColUser, keytable.ColLastUsed, keytable.ColCalls, keytable.ColStops} {
		if !seen[c] {
			t.Errorf("s never sorted by %s", c.Title())
		}
	}
}

func TestStopLoading(t *testing.T) {
	f := newTestAPI(t)
	aliceKeys := f.keysOf(t, "alice")
	f.srv.ResetCalls()
	release := f.srv.Block("alice")
	t.Cleanup(release)
	a := newApp(t, f, Options{User: "alice"}, 120, 30)
	d := newDriver(t, a)
	d.run(a.Init())
	d.until("alice's load", func() bool { return a.load != nil && f.called("StreamKeys:alice") == 1 })
	if h := plainView(a); !strings.Contains(h, "esc stop loading") {
		t.Errorf("help does not offer esc while loading:\n%s", h)
	}
	d.press("esc")
	if a.load != nil || a.status.Busy() {
		t.Fatalf("esc did not stop the load: load %v, busy %v", a.load, a.status.Busy())
	}
	if err := f.streamCtx(t, "alice", 0).Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("the load's request was not cancelled: %v", err)
	}
	wantNotice(t, a, false, "Loading stopped: 0 keys loaded")
	if !strings.Contains(plainView(a), "Press r to load the keys.") {
		t.Errorf("empty table not explained:\n%s", plainView(a))
	}
	// Pages of the stopped load arriving late are dropped.
	a.Update(keysPageMsg{tag: loadTag{user: "alice", seq: a.seq}, rows: keytable.FormatRows(aliceKeys, testNow)})
	if a.table.Len() != 0 {
		t.Errorf("a page of the stopped load was shown")
	}
	release()
	d.press("r")
	d.settle()
	if a.table.Len() != 4 || a.partial {
		t.Errorf("r after stopping: %d keys, partial %v", a.table.Len(), a.partial)
	}
}

// TestEscCancelsRefresh: esc stops a refresh as it stops a first load
// (before it clears the selection); the rows from before it stay.
func TestEscCancelsRefresh(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 140, 30)
	press(t, a, "j", "space")
	release := f.srv.Block("alice")
	t.Cleanup(release)
	f.deleteKeys(t, "k2", "k3", "k4") // what the refresh would have shown: k1 alone
	d := newDriver(t, a)
	d.press("r")
	// r re-reads the expiry limit too; wait for that, so the refresh is the
	// one request left.
	d.until("the refresh alone", func() bool {
		return a.load != nil && f.called("StreamKeys:alice") == 2 && f.called("GlobalExpiryLimit") == 2 && a.status.Label() == "refreshing…"
	})
	if h := plainView(a); !strings.Contains(h, "esc cancel refresh") || strings.Contains(h, "esc clear selection") {
		t.Errorf("help while refreshing should offer esc to cancel it, only:\n%s", h)
	}
	d.press("esc")
	if a.load != nil || a.status.Busy() {
		t.Fatalf("esc did not stop the refresh: load %v, busy %v", a.load, a.status.Busy())
	}
	if err := f.streamCtx(t, "alice", 1).Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("the refresh's request was not cancelled: %v", err)
	}
	wantNotice(t, a, false, "Refresh cancelled")
	wantOrder(t, a, "k1", "k2", "k3", "k4")
	wantSelected(t, a, "k2")
	wantCursor(t, a, "k2")
	release()
	d.settle()
	if a.table.Len() != 4 {
		t.Errorf("the cancelled refresh replaced the rows: %d keys", a.table.Len())
	}
	press(t, a, "esc")
	wantSelected(t, a)
}

// changeStep is a key, then what it leads to (nil: nothing to wait for).
type changeStep struct {
	key  string
	then func(a *App) bool
}

func topIs[T common.Dialog](a *App) bool { _, ok := topDialog(a).(T); return ok }

func noDialog(a *App) bool { return topDialog(a) == nil }

// TestEscAfterChange: a change is followed by a refresh the admin did not
// ask for, and esc pressed then keeps its usual meaning (clear the
// selection, or else the filters) instead of cancelling that refresh,
// which goes on to replace the rows. A refresh asked for with r during it
// is esc's to cancel again.
func TestEscAfterChange(t *testing.T) {
	tests := []struct {
		name  string
		setup []string // keys before the change
		// the change itself: each key, then what it leads to
		change []changeStep
		after  func(t *testing.T, a *App)
	}{
		{name: "bulk change, esc clears the selection", setup: []string{"space", "j", "space"},
			change: []changeStep{{"a", topIs[*actions.Model]}, {"i", topIs[*editvalue.Model]}, {"5", nil},
				{"enter", topIs[*confirm.Model]}, {"right", nil}, {"enter", noDialog}},
			after: func(t *testing.T, a *App) { wantSelected(t, a) }},
		{name: "one key's change, esc clears the filter", setup: []string{"/", "l", "a", "p", "enter"},
			change: []changeStep{{"a", topIs[*actions.Model]}, {"i", topIs[*editvalue.Model]}, {"5", nil}, {"enter", noDialog}},
			after: func(t *testing.T, a *App) {
				if a.table.Filtered() || a.table.Shown() != 4 {
					t.Errorf("esc left the filter %q: %d shown", a.table.Filter(), a.table.Shown())
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			a := startApp(t, f, Options{User: "alice"}, 140, 30)
			press(t, a, tt.setup...)
			release := f.srv.Block("alice")
			t.Cleanup(release)
			d := newDriver(t, a)
			for _, st := range tt.change {
				d.press(st.key)
				if st.then != nil {
					d.until("what "+st.key+" leads to", func() bool { return st.then(a) })
				}
			}
			d.until("the refresh after the change alone", func() bool {
				return a.load != nil && f.called("StreamKeys:alice") == 2 && f.called("GlobalExpiryLimit") == 2 && a.status.Label() == "refreshing…"
			})
			if h := plainView(a); strings.Contains(h, "esc cancel refresh") || strings.Contains(h, "esc stop loading") {
				t.Errorf("help offers esc to stop the refresh after a change:\n%s", h)
			}
			d.press("esc")
			tt.after(t, a)
			if a.load == nil || f.streamCtx(t, "alice", 1).Err() != nil {
				t.Fatalf("esc cancelled the refresh after the change: load %v, ctx %v", a.load, f.streamCtx(t, "alice", 1).Err())
			}
			if text, _ := a.status.Notice(); strings.Contains(text, "cancelled") {
				t.Errorf("notice %q", text)
			}

			// r now: a refresh asked for, which esc stops.
			d.press("r")
			d.until("the refresh asked for", func() bool { return f.called("StreamKeys:alice") == 3 && a.status.Label() == "refreshing…" })
			if h := plainView(a); !strings.Contains(h, "esc cancel refresh") {
				t.Errorf("help does not offer esc to cancel the refresh asked for:\n%s", h)
			}
			d.press("esc")
			if a.load != nil || !errors.Is(f.streamCtx(t, "alice", 2).Err(), context.Canceled) {
				t.Errorf("esc did not cancel the refresh asked for: load %v", a.load)
			}
			wantNotice(t, a, false, "Refresh cancelled")

			// The refresh after the change, left alone, would have shown
			// the change: another one does now.
			release()
			d.press("r")
			d.settle()
			if got := a.table.ShownCell(0, keytable.ColInactivity); got != "5 days" {
				t.Errorf("k1's interval after the refresh: %q", got)
			}
		})
	}
}

func TestLoadProgressGrouped(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	a.switchUser(a.user)
	many := make([]model.APIKey, 34_200)
	for i := range many {
		many[i] = model.APIKey{ID: fmt.Sprint("id", i), Name: "k", Username: "alice", Created: testNow, IsActive: true}
	}
	a.Update(keysPageMsg{tag: a.load.tag, rows: keytable.FormatRows(many, testNow)})
	if v := plainView(a); !strings.Contains(v, "loaded 34,200 keys…") {
		t.Errorf("no grouped progress:\n%s", v)
	}
}

// exportTo opens the export dialog, replaces the path with path and
// submits it.
func exportTo(t *testing.T, a *App, path string) {
	t.Helper()
	press(t, a, "e")
	wantDialog[*export.Model](t, a)
	press(t, a, "ctrl+u")
	_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(path), Paste: true})
	drive(t, a, cmd)
	press(t, a, "enter")
}

func TestExport(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	press(t, a, "e")
	d := wantDialog[*export.Model](t, a)
	if want := "./h2ogpte-keys-alice-20261126-150000.csv"; d.Value() != want {
		t.Errorf("prefilled %q, want %q", d.Value(), want)
	}
	if v := flat(plainView(a)); !strings.Contains(v, "Export 4 keys") {
		t.Errorf("dialog does not count the keys:\n%s", v)
	}
	press(t, a, "esc")

	dir := t.TempDir()
	press(t, a, "4", "S") // not working (k3), sorted by name descending
	press(t, a, "4")      // off again: all four, by name descending
	path := filepath.Join(dir, "keys.csv")
	exportTo(t, a, path)
	wantNotice(t, a, false, "Exported 4 keys to "+path)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := export.WriteCSV(&want, a.table.ShownKeys(), testNow); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file differs from the CLI's records of the rows shown:\n%s\nwant:\n%s", got, want.Bytes())
	}
	if !strings.HasPrefix(string(got), strings.Join(model.KeyColumns(), ",")+"\n") {
		t.Errorf("no CSV header: %q", got[:min(len(got), 80)])
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", info.Mode().Perm())
	}

	// Again to the same path: asks, and esc keeps the file.
	press(t, a, "2") // never used: two keys
	exportTo(t, a, path)
	wantDialog[*confirm.Model](t, a)
	if v := flat(plainView(a)); !strings.Contains(v, "Replace "+path+"?") {
		t.Errorf("no overwrite question:\n%s", v)
	}
	press(t, a, "esc")
	if after, _ := os.ReadFile(path); !bytes.Equal(after, got) {
		t.Error("the file changed without confirmation")
	}
	exportTo(t, a, path)
	press(t, a, "right", "enter")
	wantNotice(t, a, false, "Exported 2 keys to "+path)
	if after, _ := os.ReadFile(path); bytes.Count(after, []byte("\n")) != 3 {
		t.Errorf("overwritten file has %d lines, want header + 2", bytes.Count(after, []byte("\n")))
	}

	// JSON by extension.
	jpath := filepath.Join(dir, "keys.JSON")
	exportTo(t, a, jpath)
	wantNotice(t, a, false, "Exported 2 keys to "+jpath)
	j, _ := os.ReadFile(jpath)
	var wantJ bytes.Buffer
	_ = model.WriteKeysJSON(&wantJ, a.table.ShownKeys(), testNow)
	if !bytes.Equal(j, wantJ.Bytes()) || !strings.Contains(string(j), `"stops_at"`) {
		t.Errorf("JSON export differs:\n%s", j)
	}
}

func TestExportRefusals(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 30)
	// No extension: refused inline, the dialog stays.
	exportTo(t, a, filepath.Join(t.TempDir(), "keys.txt"))
	d := wantDialog[*export.Model](t, a)
	if d.Err() == nil || !strings.Contains(flat(plainView(a)), ".csv or .json") {
		t.Errorf("bad extension not refused:\n%s", plainView(a))
	}
	press(t, a, "esc")
	// A directory that is not there: the error is reported.
	exportTo(t, a, filepath.Join(t.TempDir(), "missing", "keys.csv"))
	wantNotice(t, a, true, "could not export", "no such file or directory")
	// Nothing shown: nothing to export.
	press(t, a, "4", "1")
	press(t, a, "e")
	if topDialog(a) != nil {
		t.Errorf("export opened with no rows shown: %T", topDialog(a))
	}
	// Read-only mode may export: it changes nothing on the server.
	ro := startApp(t, newTestAPI(t), Options{User: "alice", ReadOnly: true}, 120, 30)
	press(t, ro, "e")
	wantDialog[*export.Model](t, ro)
	// An SSH session's dashboard (NoExport) says why instead, and writes
	// nothing on the host.
	const why = "Export is off over SSH: the file would be written on the service's host."
	ssh := startApp(t, newTestAPI(t), Options{User: "alice", NoExport: why}, 160, 30)
	press(t, ssh, "e")
	if topDialog(ssh) != nil {
		t.Errorf("export opened with NoExport set: %T", topDialog(ssh))
	}
	wantNotice(t, ssh, false, why)
}

func TestExportWarnsWhenPartial(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 120, 40)
	a.partial = true
	press(t, a, "e")
	if v := flat(plainView(a)); !strings.Contains(v, "The last load stopped part-way") {
		t.Errorf("no warning about a partial table:\n%s", v)
	}
}

// selectKeys selects the rows with these ids (moving from the top).
func selectKeys(t *testing.T, a *App, ids ...string) {
	t.Helper()
	press(t, a, "g")
	for _, k := range a.table.ShownKeys() {
		if slices.Contains(ids, k.ID) {
			press(t, a, "space")
		}
		press(t, a, "j")
	}
}

// TestBulkSetExpiry: one expiry for the selection, named in one
// confirmation; the deactivated key (k3) is skipped, not sent and not
// counted as a failure; the key the server fails is reported.
func TestBulkSetExpiry(t *testing.T) {
	f := newTestAPI(t)
	f.fail("SetExpiry:k2", http.StatusInternalServerError, "boom")
	a := startApp(t, f, Options{User: "alice"}, 140, 40)
	selectKeys(t, a, "k1", "k2", "k3", "k4")
	press(t, a, "/")
	typeText(t, a, "-") // hides laptop (k1) and k4
	press(t, a, "enter", "enter")
	menu := wantDialog[*actions.Model](t, a)
	if !menu.Bulk() {
		t.Fatal("enter with a selection opened the one-key menu")
	}
	if v := flat(plainView(a)); !strings.Contains(v, "4 keys selected") || !strings.Contains(v, "2 hidden by the filter") ||
		!strings.Contains(v, "1 deactivated, skipped") || !strings.Contains(v, "Set expiry of 3 keys") {
		t.Errorf("bulk menu does not name the selection:\n%s", v)
	}
	press(t, a, "e")
	if v := flat(plainView(a)); !strings.Contains(v, "Set expiry of 3 keys") {
		t.Errorf("the value dialog counts the deactivated key:\n%s", v)
	}
	typeText(t, a, "30d")
	press(t, a, "enter")
	wantDialog[*confirm.Model](t, a)
	v := flat(plainView(a))
	for _, want := range []string{"Set the expiry of 3 keys?", "New expiry: 2026-12-26 15:00", "• laptop", "• ci-pipeline", "• evil",
		"2 selected keys are hidden by the current filter.",
		"1 selected key is deactivated and will be skipped: a deactivated key can never work again."} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "• research-bot") {
		t.Errorf("the deactivated key is listed as to be changed:\n%s", v)
	}
	if f.called("SetExpiry") != 0 {
		t.Fatal("sent before the confirmation")
	}
	press(t, a, "right", "enter")
	for id, want := range map[string]int{"k1": 1, "k2": 1, "k3": 0, "k4": 1} {
		if f.called("SetExpiry:"+id) != want {
			t.Errorf("SetExpiry:%s sent %d times, want %d: %v", id, f.called("SetExpiry:"+id), want, f.Calls())
		}
	}
	wantNotice(t, a, true, "Set the expiry of 2 of 3 keys to 2026-12-26 15:00. (1 deactivated, skipped) Failed: ci-pipeline (server error (500): boom)")
	wantDialog[*confirm.Model](t, a)
	if v := flat(plainView(a)); !strings.Contains(v, "Set expiry finished with errors") || !strings.Contains(v, "✗ ci-pipeline: server error (500): boom") ||
		!strings.Contains(v, "(1 deactivated, skipped)") || strings.Contains(v, "✗ research-bot") ||
		strings.Contains(v, "Cancel") || !strings.Contains(v, "[OK]") {
		t.Errorf("report:\n%s", v)
	}
	wantSelected(t, a, "k2") // the failure stays selected for another try
	press(t, a, "enter")
	if f.called("StreamKeys:alice") < 2 {
		t.Error("no refresh after the change")
	}
}

func TestBulkInactivityAndDeactivate(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 140, 40)
	selectKeys(t, a, "k1", "k4")
	press(t, a, "a", "i")
	typeText(t, a, "45")
	press(t, a, "enter")
	if v := flat(plainView(a)); !strings.Contains(v, "Set the inactivity interval of 2 keys?") || !strings.Contains(v, "New inactivity interval: 45 days") {
		t.Errorf("confirmation:\n%s", v)
	}
	press(t, a, "right", "enter")
	wantNotice(t, a, false, "Set the inactivity interval of 2 keys to 45 days")
	if f.called("SetInactivity:k1") != 1 || f.called("SetInactivity:k4") != 1 {
		t.Errorf("calls %v", f.Calls())
	}

	// k3 is inactive already: skipped, and said so.
	selectKeys(t, a, "k2", "k3")
	press(t, a, "enter", "d")
	v := flat(plainView(a))
	for _, want := range []string{"Deactivate 1 key?", "1 selected key is already inactive and will be skipped.", "cannot be undone"} {
		if !strings.Contains(v, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "• research-bot") {
		t.Errorf("the skipped key is listed as to be deactivated:\n%s", v)
	}
	press(t, a, "right", "enter")
	if f.called("Deactivate:k2") != 1 || f.called("Deactivate:k3") != 0 {
		t.Errorf("calls %v", f.Calls())
	}
	wantNotice(t, a, false, "Deactivated 1 key (1 already inactive, skipped)")

	// Only deactivated keys selected: no change is offered, and the menu
	// says why.
	selectKeys(t, a, "k3")
	press(t, a, "enter")
	if got := wantDialog[*actions.Model](t, a).Actions(); len(got) != 0 {
		t.Errorf("bulk menu offers %v for deactivated keys only", got)
	}
	if v := flat(plainView(a)); !strings.Contains(v, "Every selected key is deactivated") {
		t.Errorf("the menu does not say why it offers nothing:\n%s", v)
	}
}

// TestBulkSkipsDeactivated: every bulk change skips the deactivated keys
// of the selection (they can never work again): the value dialog and the
// confirmation count only the others, the confirmation says how many are
// skipped and why, nothing is sent for them, and the report counts them as
// skipped, not failed. A selection of deactivated keys alone changes
// nothing, even if a menu result for it arrives.
func TestBulkSkipsDeactivated(t *testing.T) {
	tests := []struct {
		name    string
		action  actions.Action
		ids     []string
		value   string // typed into the value dialog
		call    string
		confirm []string
		notice  string
	}{
		{name: "expiry", action: actions.EditExpiry, ids: []string{"k2", "k3"}, value: "30d", call: "SetExpiry",
			confirm: []string{"Set the expiry of 1 key?", "• ci-pipeline", "1 selected key is deactivated and will be skipped: a deactivated key can never work again."},
			notice:  "Set the expiry of 1 key to 2026-12-26 15:00 (1 deactivated, skipped)"},
		{name: "inactivity", action: actions.EditInactivity, ids: []string{"k1", "k2", "k3"}, value: "10", call: "SetInactivity",
			confirm: []string{"Set the inactivity interval of 2 keys?", "• laptop", "• ci-pipeline", "1 selected key is deactivated and will be skipped"},
			notice:  "Set the inactivity interval of 2 keys to 10 days (1 deactivated, skipped)"},
		{name: "deactivate", action: actions.Deactivate, ids: []string{"k2", "k3"}, call: "Deactivate",
			confirm: []string{"Deactivate 1 key?", "• ci-pipeline", "1 selected key is already inactive and will be skipped."},
			notice:  "Deactivated 1 key (1 already inactive, skipped)"},
		{name: "expiry, deactivated only", action: actions.EditExpiry, ids: []string{"k3"}, call: "SetExpiry",
			notice: "Nothing to change: the 1 key selected is deactivated, and a deactivated key can never work again."},
		{name: "inactivity, deactivated only", action: actions.EditInactivity, ids: []string{"k3"}, call: "SetInactivity",
			notice: "Nothing to change: the 1 key selected is deactivated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			a := startApp(t, f, Options{User: "alice"}, 140, 40)
			selectKeys(t, a, tt.ids...)
			// The menu's result, as the menu sends it: the whole selection.
			drive(t, a, a.onBulkAction(actions.Chosen{Action: tt.action, Keys: a.table.Selected()}))
			if tt.confirm == nil {
				if d := topDialog(a); d != nil {
					t.Fatalf("opened %T for deactivated keys only", d)
				}
				wantNotice(t, a, false, tt.notice)
				if n := f.called(tt.call); n != 0 {
					t.Errorf("%s sent %d times", tt.call, n)
				}
				return
			}
			if tt.value != "" {
				wantDialog[*editvalue.Model](t, a)
				typeText(t, a, tt.value)
				press(t, a, "enter")
			}
			wantDialog[*confirm.Model](t, a)
			v := flat(plainView(a))
			for _, want := range tt.confirm {
				if !strings.Contains(v, want) {
					t.Errorf("confirmation lacks %q:\n%s", want, v)
				}
			}
			if strings.Contains(v, "• research-bot") {
				t.Errorf("the deactivated key is listed as to be changed:\n%s", v)
			}
			press(t, a, "right", "enter")
			if n := f.called(tt.call + ":k3"); n != 0 {
				t.Errorf("%s sent for the deactivated key: %v", tt.call, f.Calls())
			}
			if n := f.called(tt.call); n != len(tt.ids)-1 {
				t.Errorf("%s sent %d times, want %d: %v", tt.call, n, len(tt.ids)-1, f.Calls())
			}
			wantNotice(t, a, false, tt.notice)
			if d := topDialog(a); d != nil {
				t.Errorf("a report (%T) for a change without failures:\n%s", d, plainView(a))
			}
			wantSelected(t, a) // the changed and the skipped leave the selection
		})
	}
}

// Read-only mode: the one guard refuses every bulk step even if a result
// slips through.
func TestBulkReadOnly(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice", ReadOnly: true}, 120, 30)
	keys := f.keysOf(t, "alice")[:2]
	for name, next := range map[string]func() tea.Cmd{
		"menu": func() tea.Cmd { return a.onBulkAction(actions.Chosen{Action: actions.Deactivate, Keys: keys}) },
		"expiry": func() tea.Cmd {
			return a.onBulkExpiryChosen(editvalue.Chosen{Keys: keys, Expiry: model.Expiry{Never: true}})
		},
		"inactivity": func() tea.Cmd { return a.onBulkInactivityChosen(editvalue.Chosen{Keys: keys, Days: 3}) },
		"confirmed":  func() tea.Cmd { return a.runPlan(deactivatePlan(keys)) },
	} {
		drive(t, a, next())
		if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "read-only") {
			t.Errorf("%s: notice %q, want the read-only refusal", name, text)
		}
		if topDialog(a) != nil {
			t.Errorf("%s opened %T", name, topDialog(a))
		}
	}
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, "Deactivate") || strings.HasPrefix(c, "Set") {
			t.Errorf("read-only mode sent %s", c)
		}
	}
}

func TestFullHelpNamesNewKeys(t *testing.T) {
	a := startApp(t, newTestAPI(t), Options{User: "alice"}, 160, 40)
	press(t, a, "?")
	v := plainView(a)
	for _, want := range []string{"1 expiring ≤7d", "2 never used", "3 unused 90d+", "4 not working", "5 global only", "e", "export"} {
		if !strings.Contains(v, want) {
			t.Errorf("full help lacks %q:\n%s", want, v)
		}
	}
	press(t, a, "?")
	lines := strings.Split(plainView(a), "\n")
	if h := lines[len(lines)-1]; !strings.Contains(h, "1-5 quick filters") || !strings.Contains(h, "e export") {
		t.Errorf("help line: %q", h)
	}
}
