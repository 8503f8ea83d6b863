package ui

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/editvalue"
	"h2ogpte-keys/ui/components/newkey"
	"h2ogpte-keys/ui/components/userpicker"
)

func topDialog(a *App) common.Dialog {
	if len(a.dialogs) == 0 {
		return nil
	}
	return a.dialogs[len(a.dialogs)-1].d
}

func currentID(a *App) string {
	k, _ := a.table.Current()
	return k.ID
}

func tableIDs(a *App) []string {
	var ids []string
	for _, k := range a.table.ShownKeys() {
		ids = append(ids, k.ID)
	}
	return ids
}

func TestStart(t *testing.T) {
	tests := []struct {
		name       string
		user       string
		wantUser   string
		wantPicker bool
		wantErr    string
		wantKeys   int
	}{
		{name: "with --user", user: "alice", wantUser: "alice", wantKeys: 4},
		{name: "exact username only", user: "bob", wantUser: "bob", wantKeys: 1},
		{name: "without --user opens the picker", wantPicker: true},
		{name: "unknown user: error and picker", user: "ali", wantPicker: true, wantErr: `there is no user named "ali"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			a := startApp(t, f, Options{User: tt.user}, 100, 30)
			_, isPicker := topDialog(a).(*userpicker.Model)
			if isPicker != tt.wantPicker {
				t.Errorf("picker open = %v, want %v", isPicker, tt.wantPicker)
			}
			if a.user.Username != tt.wantUser {
				t.Errorf("user = %q, want %q", a.user.Username, tt.wantUser)
			}
			if a.table.Len() != tt.wantKeys {
				t.Errorf("keys = %d, want %d", a.table.Len(), tt.wantKeys)
			}
			text, isErr := a.status.Notice()
			if tt.wantErr != "" && (!isErr || !strings.Contains(text, tt.wantErr)) {
				t.Errorf("notice = %q (error %v), want error containing %q", text, isErr, tt.wantErr)
			}
			if tt.wantUser == "" && f.called("StreamKeys") > 0 {
				t.Errorf("keys loaded before a user was chosen: %v", f.Calls())
			}
			if f.called("GlobalExpiryLimit") != 1 || a.limitDays != 90 {
				t.Errorf("limit = %d after calls %v", a.limitDays, f.Calls())
			}
		})
	}
}

func TestStartUsersFail(t *testing.T) {
	f := newTestAPI(t)
	f.fail("ListUsers", http.StatusUnauthorized, "")
	a := startApp(t, f, Options{}, 100, 30)
	if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "rejected") {
		t.Fatalf("notice = %q, want the error", text)
	}
	if topDialog(a) != nil {
		t.Fatal("a dialog opened without users")
	}
	f.srv.ClearFaults()
	press(t, a, "u")
	if _, ok := topDialog(a).(*userpicker.Model); !ok {
		t.Fatalf("u after a failed load should load users and open the picker; calls %v", f.Calls())
	}
}

func TestPickUser(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{}, 100, 30)
	typeText(t, a, "BOB")
	press(t, a, "enter")
	if topDialog(a) != nil || a.user.Username != "bob" || a.table.Len() != 1 {
		t.Fatalf("after choosing bob: user %q, %d keys, dialog %T", a.user.Username, a.table.Len(), topDialog(a))
	}
	if !strings.Contains(plainView(a), "User: bob ▾") {
		t.Errorf("header does not name bob:\n%s", plainView(a))
	}
	press(t, a, "u", "esc")
	if topDialog(a) != nil || a.user.Username != "bob" {
		t.Fatalf("esc in the picker should keep bob")
	}
}

// TestKeys presses each key of the main screen and checks what it did.
func TestKeys(t *testing.T) {
	tests := []struct {
		keys  []string
		check func(t *testing.T, a *App, f *testAPI)
	}{
		{[]string{"j"}, func(t *testing.T, a *App, f *testAPI) { wantCursor(t, a, "k2") }},
		{[]string{"down", "down", "k"}, func(t *testing.T, a *App, f *testAPI) { wantCursor(t, a, "k2") }},
		{[]string{"G"}, func(t *testing.T, a *App, f *testAPI) { wantCursor(t, a, "k4") }},
		{[]string{"end", "g"}, func(t *testing.T, a *App, f *testAPI) { wantCursor(t, a, "k1") }},
		{[]string{"pgdown"}, func(t *testing.T, a *App, f *testAPI) { wantCursor(t, a, "k4") }},
		{[]string{"pgdown", "pgup"}, func(t *testing.T, a *App, f *testAPI) { wantCursor(t, a, "k1") }},
		{[]string{"space", "j", "space"}, func(t *testing.T, a *App, f *testAPI) {
			wantSelected(t, a, "k1", "k2")
			if !strings.Contains(plainView(a), "D Delete (2 selected)") {
				t.Errorf("toolbar does not count the selection:\n%s", plainView(a))
			}
		}},
		{[]string{"space", "space"}, func(t *testing.T, a *App, f *testAPI) { wantSelected(t, a) }},
		{[]string{"ctrl+a"}, func(t *testing.T, a *App, f *testAPI) { wantSelected(t, a, "k1", "k2", "k3", "k4") }},
		{[]string{"ctrl+a", "esc"}, func(t *testing.T, a *App, f *testAPI) { wantSelected(t, a) }},
		{[]string{"s"}, func(t *testing.T, a *App, f *testAPI) {
			wantOrder(t, a, "k2", "k4", "k1", "k3") // ci-pipeline, evil…, laptop, research-bot
			if !strings.Contains(plainView(a), "Name ▲") {
				t.Errorf("no sort mark:\n%s", plainView(a))
			}
		}},
		{[]string{"s", "S"}, func(t *testing.T, a *App, f *testAPI) {
			wantOrder(t, a, "k3", "k1", "k4", "k2")
			if !strings.Contains(plainView(a), "Name ▼") {
				t.Errorf("no reverse sort mark:\n%s", plainView(a))
			}
		}},
		{[]string{"?"}, func(t *testing.T, a *App, f *testAPI) {
			if !a.status.ShowsFullHelp() || !strings.Contains(plainView(a), "select all shown") {
				t.Errorf("? should show the full help:\n%s", plainView(a))
			}
		}},
		{[]string{"?", "?"}, func(t *testing.T, a *App, f *testAPI) {
			if a.status.ShowsFullHelp() {
				t.Error("second ? should hide the full help")
			}
		}},
		{[]string{"u"}, func(t *testing.T, a *App, f *testAPI) { wantDialog[*userpicker.Model](t, a) }},
		{[]string{"r"}, func(t *testing.T, a *App, f *testAPI) {
			if n := f.called("StreamKeys:alice"); n != 2 {
				t.Errorf("r: %d loads, want 2", n)
			}
			if f.called("GlobalExpiryLimit") != 2 {
				t.Error("r should re-read the expiry limit")
			}
		}},
		{[]string{"enter"}, func(t *testing.T, a *App, f *testAPI) { wantDialog[*actions.Model](t, a) }},
		{[]string{"j", "a"}, func(t *testing.T, a *App, f *testAPI) { wantDialog[*actions.Model](t, a) }},
		{[]string{"n"}, func(t *testing.T, a *App, f *testAPI) {
			wantDialog[*newkey.Model](t, a)
			if f.called("ListCollections:alice") != 1 {
				t.Errorf("n should load alice's collections: %v", f.Calls())
			}
		}},
		{[]string{"D"}, func(t *testing.T, a *App, f *testAPI) { wantDialog[*confirm.Model](t, a) }},
		{[]string{"delete"}, func(t *testing.T, a *App, f *testAPI) { wantDialog[*confirm.Model](t, a) }},
		{[]string{"/"}, func(t *testing.T, a *App, f *testAPI) {
			if !a.filtering || !strings.Contains(plainView(a), "/ name, collection or user") {
				t.Errorf("/ should focus the filter:\n%s", plainView(a))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			f := newTestAPI(t)
			a := startApp(t, f, Options{User: "alice"}, 100, 30)
			press(t, a, tt.keys...)
			tt.check(t, a, f)
		})
	}
}

func TestQuit(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		a := startApp(t, newTestAPI(t), Options{User: "alice"}, 100, 30)
		_, cmd := a.Update(commontest.Key(k))
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%s did not quit", k)
		}
		if a.ctx.Err() == nil {
			t.Errorf("%s left requests' context running", k)
		}
	}
	// q is text inside an input; ctrl+c quits from anywhere.
	a := startApp(t, newTestAPI(t), Options{User: "alice"}, 100, 30)
	press(t, a, "/", "q")
	if a.filter.Value() != "q" {
		t.Errorf("q in the filter should type q, filter is %q", a.filter.Value())
	}
	press(t, a, "enter", "u")
	_, cmd := a.Update(commontest.Key("ctrl+c"))
	if cmd == nil {
		t.Fatal("ctrl+c in the picker: no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("ctrl+c in the picker did not quit")
	}
}

func TestFilter(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	press(t, a, "/")
	typeText(t, a, "PAPERS") // a collection name, any case
	wantOrder(t, a, "k3")
	if v := plainView(a); !strings.Contains(v, "1 of 4 shown") {
		t.Errorf("no count under the filter:\n%s", v)
	}
	press(t, a, "enter")
	if a.filtering || a.table.Filter() != "papers" {
		t.Fatalf("enter should keep the filter: filtering %v, filter %q", a.filtering, a.table.Filter())
	}
	if v := plainView(a); !strings.Contains(v, "Filter: PAPERS") {
		t.Errorf("the kept filter is not shown:\n%s", v)
	}
	press(t, a, "esc")
	wantOrder(t, a, "k1", "k2", "k3", "k4")

	press(t, a, "/")
	typeText(t, a, "lap")
	wantOrder(t, a, "k1")
	press(t, a, "esc")
	if a.filtering || a.table.Filter() != "" || a.table.Shown() != 4 {
		t.Fatalf("esc while typing should clear the filter")
	}
	press(t, a, "/")
	typeText(t, a, "zzz")
	if v := plainView(a); !strings.Contains(v, "No key matches") {
		t.Errorf("empty filter result not explained:\n%s", v)
	}
}

func TestReadOnly(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice", ReadOnly: true, Insecure: true}, 120, 30)
	for _, k := range []string{"n", "D", "delete", "space", "ctrl+a"} {
		press(t, a, k)
		if d := topDialog(a); d != nil {
			t.Errorf("%s opened %T in read-only mode", k, d)
		}
	}
	wantSelected(t, a)
	// enter and a show the key's details, with nothing to choose.
	for _, k := range []string{"enter", "a"} {
		press(t, a, k)
		d := wantDialog[*actions.Model](t, a)
		if len(d.Actions()) != 0 || !strings.Contains(plainView(a), "Read-only mode") {
			t.Errorf("%s: read-only details offer %v:\n%s", k, d.Actions(), plainView(a))
		}
		press(t, a, "enter")
		if d := topDialog(a); d != nil {
			t.Errorf("enter did not close the read-only details: %T", d)
		}
	}
	v := plainView(a)
	if !strings.Contains(v, "enter/a details") {
		t.Errorf("read-only help does not offer the details:\n%s", v)
	}
	for _, hidden := range []string{"New API key", "Delete", "new key", "actions", "select", "[ ]"} {
		if strings.Contains(v, hidden) {
			t.Errorf("read-only screen offers %q:\n%s", hidden, v)
		}
	}
	for _, shown := range []string{"READ-ONLY", "INSECURE TLS"} {
		if !strings.Contains(v, shown) {
			t.Errorf("badge %q missing:\n%s", shown, v)
		}
	}
	// The guard refuses a change even if a dialog result slipped through.
	k, _ := a.table.Current()
	one := []model.APIKey{k}
	for name, next := range map[string]func() tea.Cmd{
		"expiry": func() tea.Cmd {
			return a.onExpiryChosen(editvalue.Chosen{Keys: one, Expiry: model.Expiry{Never: true}})
		},
		"inactivity": func() tea.Cmd { return a.onInactivityChosen(editvalue.Chosen{Keys: one, Days: 3}) },
		"delete":     func() tea.Cmd { return a.runPlan(deletePlan(one)) },
		"deactivate": func() tea.Cmd { return a.runPlan(deactivatePlan(one)) },
		"create": func() tea.Cmd {
			return a.onSubmitted(newkey.Submitted{User: f.users[0], Key: model.NewKey{UserID: "id-alice", Name: "x"}}, nil, 0)
		},
	} {
		drive(t, a, next())
		if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "read-only") {
			t.Errorf("%s: notice %q, want the read-only refusal", name, text)
		}
	}
	for _, c := range f.Calls() {
		if !slices.Contains([]string{"ListUsers", "GlobalExpiryLimit", "StreamKeys:alice"}, c) {
			t.Errorf("read-only mode called %s", c)
		}
	}
}

func TestStatusMessagesClearOnKey(t *testing.T) {
	a := startApp(t, newTestAPI(t), Options{User: "alice"}, 100, 30)
	a.Update(common.ErrMsg{Err: errors.New("boom\x1b[31m")})
	if v := a.View(); !strings.Contains(v, "Error: boom[31m") || strings.Contains(v, "\x1b[31m") {
		t.Errorf("error not shown cleanly:\n%q", v)
	}
	press(t, a, "j")
	if strings.Contains(plainView(a), "boom") {
		t.Error("error survived a key press")
	}
	a.Update(common.InfoMsg{Text: "saved"})
	if !strings.Contains(plainView(a), "saved") {
		t.Error("notice not shown")
	}
	press(t, a, "k")
	if strings.Contains(plainView(a), "saved") {
		t.Error("notice survived a key press")
	}
}

func TestHelpShowsOnlyWorkingKeys(t *testing.T) {
	a := startApp(t, newTestAPI(t), Options{User: "alice"}, 200, 30)
	helpLine := func() string {
		lines := strings.Split(plainView(a), "\n")
		return lines[len(lines)-1]
	}
	if h := helpLine(); strings.Contains(h, "clear selection") || !strings.Contains(h, "space select") {
		t.Errorf("help without a selection: %q", h)
	}
	press(t, a, "space")
	if h := helpLine(); !strings.Contains(h, "esc clear selection") {
		t.Errorf("help with a selection: %q", h)
	}
	press(t, a, "enter")
	if h := helpLine(); !strings.Contains(h, "edit expiry") && !strings.Contains(h, "choose") {
		t.Errorf("help in the actions menu: %q", h)
	}
}

func TestControlCharactersStripped(t *testing.T) {
	a := startApp(t, newTestAPI(t), Options{User: "alice"}, 100, 30)
	v := a.View()
	if strings.Contains(v, "\x1b[2J") {
		t.Fatal("a key name's escape sequence reached the screen")
	}
	if !strings.Contains(v, "evil[2Jname") {
		t.Errorf("the cleaned name is missing:\n%s", v)
	}
}

func TestTooSmall(t *testing.T) {
	for _, sz := range [][2]int{{59, 30}, {100, 15}, {10, 3}} {
		a := startApp(t, newTestAPI(t), Options{User: "alice"}, sz[0], sz[1])
		if v := plainView(a); !strings.Contains(strings.Join(strings.Fields(v), " "), "terminal too small (need at least 60x16") {
			t.Errorf("%dx%d:\n%s", sz[0], sz[1], v)
		}
	}
	a := startApp(t, newTestAPI(t), Options{User: "alice"}, 60, 16)
	if v := plainView(a); strings.Contains(v, "too small") {
		t.Errorf("60x16 should fit:\n%s", v)
	}
}

func TestViewFitsTheTerminal(t *testing.T) {
	for _, sz := range [][2]int{{60, 16}, {80, 24}, {140, 40}} {
		a := startApp(t, newTestAPI(t), Options{User: "alice"}, sz[0], sz[1])
		for _, keys := range [][]string{nil, {"enter"}, {"esc", "u"}, {"esc", "?"}} {
			press(t, a, keys...)
			lines := strings.Split(plainView(a), "\n")
			if len(lines) != sz[1] {
				t.Errorf("%dx%d after %v: %d lines", sz[0], sz[1], keys, len(lines))
			}
			for i, l := range lines {
				if w := len([]rune(l)); w > sz[0] {
					t.Errorf("%dx%d after %v: line %d is %d wide: %q", sz[0], sz[1], keys, i, w, l)
				}
			}
		}
	}
}

func wantCursor(t *testing.T, a *App, id string) {
	t.Helper()
	if got := currentID(a); got != id {
		t.Errorf("cursor on %q, want %q", got, id)
	}
}

func wantSelected(t *testing.T, a *App, ids ...string) {
	t.Helper()
	var got []string
	for _, k := range a.table.Selected() {
		got = append(got, k.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("selected %v, want %v", got, ids)
	}
}

func wantOrder(t *testing.T, a *App, ids ...string) {
	t.Helper()
	if got := tableIDs(a); !slices.Equal(got, ids) {
		t.Errorf("rows %v, want %v", got, ids)
	}
}

func wantDialog[T common.Dialog](t *testing.T, a *App) T {
	t.Helper()
	d, ok := topDialog(a).(T)
	if !ok {
		var zero T
		t.Fatalf("top dialog is %T, want %T; screen:\n%s", topDialog(a), zero, plainView(a))
	}
	return d
}

// TestRunesArrivingTogether: Bubble Tea v1 hands over letters that arrive
// together (a held key, SSH lag, tmux send-keys j j) as one message; each
// must still count, in order, while a paste stays text.
func TestRunesArrivingTogether(t *testing.T) {
	tests := []struct {
		name   string
		msgs   []tea.KeyMsg
		cursor string
		sel    []string
		filter string
		quit   bool
	}{
		{name: "jj moves twice", msgs: []tea.KeyMsg{commontest.Key("jj")}, cursor: "k3"},
		{name: "jjk moves down twice and up once", msgs: []tea.KeyMsg{commontest.Key("jjk")}, cursor: "k2"},
		{name: "Gk then a single j", msgs: []tea.KeyMsg{commontest.Key("Gk"), commontest.Key("j")}, cursor: "k4"},
		{name: "ctrl+a then jj", msgs: []tea.KeyMsg{commontest.Key("ctrl+a"), commontest.Key("jj")}, cursor: "k3", sel: []string{"k1", "k2", "k3", "k4"}},
		{name: "a filter typed in one go", msgs: []tea.KeyMsg{commontest.Key("/"), commontest.Key("lap"), commontest.Key("enter")}, cursor: "k1", filter: "lap"},
		{name: "a paste is not keys", msgs: []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("jjq"), Paste: true}}, cursor: "k1"},
		{name: "a paste into the filter stays whole", msgs: []tea.KeyMsg{commontest.Key("/"), {Type: tea.KeyRunes, Runes: []rune("lap"), Paste: true}}, cursor: "k1", filter: "lap"},
		{name: "jq moves, then quits", msgs: []tea.KeyMsg{commontest.Key("jq")}, cursor: "k2", quit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startApp(t, newTestAPI(t), Options{User: "alice"}, 100, 30)
			quit := false
			for _, msg := range tt.msgs {
				_, cmd := a.Update(msg)
				quit = quit || a.ctx.Err() != nil
				drive(t, a, cmd)
			}
			wantCursor(t, a, tt.cursor)
			wantSelected(t, a, tt.sel...)
			if a.table.Filter() != tt.filter {
				t.Errorf("filter %q, want %q", a.table.Filter(), tt.filter)
			}
			if quit != tt.quit {
				t.Errorf("quit = %v, want %v", quit, tt.quit)
			}
		})
	}
}

// TestHelpLineKeepsMoreKeysAndQuit: however many keys apply, "? more
// keys" and "q quit" stay on the one-line help; others give way.
func TestHelpLineKeepsMoreKeysAndQuit(t *testing.T) {
	for _, w := range []int{60, 80, 140} {
		for _, keys := range [][]string{nil, {"space", "4"}, {"/", "l", "a", "enter", "space"}} {
			a := startApp(t, newTestAPI(t), Options{User: "alice"}, w, 30)
			press(t, a, keys...)
			lines := strings.Split(plainView(a), "\n")
			help := lines[len(lines)-1]
			if !strings.HasSuffix(strings.TrimSpace(help), "? more keys • q quit") || strings.Contains(help, "…") {
				t.Errorf("%d wide after %v: help line %q", w, keys, help)
			}
			if !strings.HasPrefix(strings.TrimSpace(help), "enter/a actions") {
				t.Errorf("%d wide after %v: help line %q does not start with the actions", w, keys, help)
			}
		}
	}
}

// TestBadgesStandApart: in colour, two blank cells of the header's own
// background separate "▾" from the READ-ONLY badge's colour, and badges
// from each other. A badge's padding is coloured too, and many fonts draw
// "▾" (of ambiguous width) into the next cell, so one cell looked like
// none.
func TestBadgesStandApart(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	a := startApp(t, newTestAPI(t), Options{User: "alice", ReadOnly: true, Insecure: true}, 120, 30)
	header := strings.Split(a.View(), "\n")[0]
	for _, between := range [][2]string{{"▾", "READ-ONLY"}, {"READ-ONLY", "INSECURE TLS"}} {
		from := strings.Index(header, between[0])
		to := strings.Index(header, between[1])
		if from < 0 || to < from {
			t.Fatalf("header %q lacks %q before %q", header, between[0], between[1])
		}
		if n := uncolouredCells(header[from+len(between[0]) : to]); n != 2 {
			t.Errorf("%d blank uncoloured cells between %q and %q, want 2: %q", n, between[0], between[1], header)
		}
	}
}

// uncolouredCells counts the cells of s drawn without a background colour.
func uncolouredCells(s string) int {
	n, bg := 0, false
	for len(s) > 0 {
		if strings.HasPrefix(s, "\x1b[") {
			end := strings.IndexByte(s, 'm')
			params := ";" + s[2:end] + ";"
			switch {
			case params == ";0;" || params == ";;":
				bg = false
			case strings.Contains(params, ";48;"):
				bg = true
			}
			s = s[end+1:]
			continue
		}
		if !bg {
			n++
		}
		s = s[1:]
	}
	return n
}

// TestDeleteConfirmSetsListApart: a blank line between the keys to delete
// and what deleting them means.
func TestDeleteConfirmSetsListApart(t *testing.T) {
	for _, keys := range [][]string{{"D"}, {"space", "j", "space", "D"}, {"space", "j", "space", "enter", "d"}} {
		a := startApp(t, newTestAPI(t), Options{User: "alice"}, 100, 30)
		press(t, a, keys...)
		wantDialog[*confirm.Model](t, a)
		lines := strings.Split(plainView(a), "\n")
		at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "stop working at once") })
		if at < 2 || strings.Trim(lines[at-1], "│ ") != "" || !strings.Contains(lines[at-2], "• ") {
			t.Errorf("after %v: no blank line between the list and the warning:\n%s", keys, plainView(a))
		}
	}
}
