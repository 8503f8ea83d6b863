package actions_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/actions"
)

func TestMain(m *testing.M) { commontest.Main(m) }

var now = commontest.Now

func testCommon(readOnly bool) common.Common {
	c := commontest.Common()
	c.ReadOnly = readOnly
	return c
}

func testKey(active bool) model.APIKey {
	exp := now.AddDate(0, 2, 0)
	return model.APIKey{
		ID: "key-1", Username: "alice", Name: "ci-pipeline", Hint: "abcd",
		Created: now.AddDate(0, -1, 0), IsActive: active, IsGlobal: true, Expires: &exp,
		LastUsed: model.Some(now.Add(-3 * time.Minute)), InactivityDays: model.Some(30), TotalCalls: model.Some[int64](482113),
	}
}

// idleKey went unused for longer than its interval; expiredKey is past its
// expiry. Both are still active (not deactivated).
func idleKey() model.APIKey {
	k := testKey(true)
	k.ID, k.Name, k.Expires = "key-2", "jupyter", nil
	k.LastUsed, k.InactivityDays = model.Some(time.Date(2026, 10, 27, 9, 30, 0, 0, time.UTC)), model.Some(14)
	k.IsGlobal, k.CollectionID, k.CollectionName = false, "c-7", "Research papers"
	return k
}

func expiredKey() model.APIKey {
	k := testKey(true)
	exp := time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC)
	k.ID, k.Name, k.Expires = "key-3", "trial", &exp
	return k
}

func TestItems(t *testing.T) {
	tests := []struct {
		name     string
		active   bool
		readOnly bool
		want     []actions.Action
	}{
		{"active key", true, false, []actions.Action{actions.EditExpiry, actions.EditInactivity, actions.Rotate, actions.Deactivate}},
		{"deactivated key: nothing to change", false, false, []actions.Action{}},
		{"read-only has nothing", true, true, []actions.Action{}},
		{"read-only deactivated key has nothing", false, true, []actions.Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.New(testCommon(tt.readOnly), testKey(tt.active))
			if got := m.Actions(); !slices.Equal(got, tt.want) {
				t.Errorf("Actions() = %v, want %v", got, tt.want)
			}
			view := m.View()
			canChange := tt.active && !tt.readOnly
			for _, item := range []string{"Edit expiry", "Edit inactivity", "Rotate…", "Deactivate…"} {
				if shown := strings.Contains(view, item); shown != canChange {
					t.Errorf("view shows %q = %v:\n%s", item, shown, view)
				}
			}
			for _, b := range m.ShortHelp() {
				if !canChange && b.Enabled() && b.Help().Desc != "close" {
					t.Errorf("help offers %q %q with nothing to change", b.Help().Key, b.Help().Desc)
				}
			}
			notes := map[bool]string{true: "Read-only mode: nothing here can be changed.",
				false: "Deactivated keys cannot be changed or reactivated; delete it with D."}
			for ro, note := range notes {
				if want := !canChange && ro == tt.readOnly; strings.Contains(commontest.Words(view), note) != want {
					t.Errorf("view shows %q = %v, want %v:\n%s", note, !want, want, view)
				}
			}
			if !strings.Contains(view, "Owner") {
				t.Errorf("view lacks the details:\n%s", view)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name   string
		active bool
		keys   []string
		want   tea.Msg
	}{
		{"enter picks the first item", true, []string{"enter"}, actions.Chosen{Action: actions.EditExpiry, Keys: []model.APIKey{testKey(true)}}},
		{"j moves down", true, []string{"j", "enter"}, actions.Chosen{Action: actions.EditInactivity, Keys: []model.APIKey{testKey(true)}}},
		{"arrows move", true, []string{"down", "down", "up", "enter"}, actions.Chosen{Action: actions.EditInactivity, Keys: []model.APIKey{testKey(true)}}},
		{"cursor stops at the last item", true, []string{"j", "j", "j", "j", "enter"}, actions.Chosen{Action: actions.Deactivate, Keys: []model.APIKey{testKey(true)}}},
		{"cursor stops at the first item", true, []string{"k", "up", "enter"}, actions.Chosen{Action: actions.EditExpiry, Keys: []model.APIKey{testKey(true)}}},
		{"enter closes a deactivated key's details", false, []string{"j", "enter"}, common.Cancelled{}},
		{"e does nothing on a deactivated key", false, []string{"e"}, nil},
		{"i does nothing on a deactivated key", false, []string{"i"}, nil},
		{"e shortcut", true, []string{"e"}, actions.Chosen{Action: actions.EditExpiry, Keys: []model.APIKey{testKey(true)}}},
		{"i shortcut", true, []string{"i"}, actions.Chosen{Action: actions.EditInactivity, Keys: []model.APIKey{testKey(true)}}},
		{"d shortcut", true, []string{"d"}, actions.Chosen{Action: actions.Deactivate, Keys: []model.APIKey{testKey(true)}}},
		{"d does nothing on an inactive key", false, []string{"d"}, nil},
		{"r shortcut", true, []string{"r"}, actions.Chosen{Action: actions.Rotate, Keys: []model.APIKey{testKey(true)}}},
		{"rotate sits before deactivate", true, []string{"j", "j", "enter"}, actions.Chosen{Action: actions.Rotate, Keys: []model.APIKey{testKey(true)}}},
		{"r does nothing on a deactivated key", false, []string{"r"}, nil},
		{"esc cancels", true, []string{"j", "esc"}, common.Cancelled{}},
		{"other keys do nothing", true, []string{"x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.New(testCommon(false), testKey(tt.active))
			got := commontest.Press(m, tt.keys...)
			if !sameMsg(got, tt.want) {
				t.Errorf("after %v got %#v, want %#v", tt.keys, got, tt.want)
			}
			if _, isResult := got.(common.Result); tt.want != nil && !isResult {
				t.Errorf("%T is not a common.Result", got)
			}
		})
	}
}

func TestReadOnlyOnlyCloses(t *testing.T) {
	for _, k := range []string{"e", "i", "d", "j", "k"} {
		m := actions.New(testCommon(true), testKey(true))
		if got := commontest.Press(m, k); got != nil {
			t.Errorf("read-only %q gave %#v", k, got)
		}
	}
	for _, k := range []string{"esc", "enter"} {
		m := actions.New(testCommon(true), testKey(true))
		if got := commontest.Press(m, k); got != (common.Cancelled{}) {
			t.Errorf("read-only %q gave %#v, want the dialog closed", k, got)
		}
	}
}

func TestViewSanitisesAndFits(t *testing.T) {
	k := testKey(true)
	k.Name = "evil\x1b]0;pwned\x07" + strings.Repeat("very-long-name-", 10)
	k.CollectionName = "docs\x1b[2J"
	m := actions.New(testCommon(false), k)
	m.SetSize(60, 12)
	view := m.View()
	for _, bad := range []string{"\x1b]0;", "\x07", "\x1b[2J"} {
		if strings.Contains(view, bad) {
			t.Errorf("view carries %q from the server", bad)
		}
	}
	if w := lipgloss.Width(view); w > 60 {
		t.Errorf("view is %d wide, given 60", w)
	}
	if h := lipgloss.Height(view); h > 12 {
		t.Errorf("view is %d tall, given 12", h)
	}
}

func TestView(t *testing.T) {
	tests := []struct {
		name     string
		key      model.APIKey
		readOnly bool
		keys     []string
	}{
		{"active", testKey(true), false, nil},
		{"active_cursor_on_deactivate", testKey(true), false, []string{"j", "j", "j"}},
		{"inactive", testKey(false), false, nil},
		{"idle", idleKey(), false, nil},
		{"expired", expiredKey(), false, nil},
		{"read_only", testKey(true), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.New(testCommon(tt.readOnly), tt.key)
			// The room the dashboard gives a dialog in an 80x24 terminal.
			m.SetSize(76, 22)
			commontest.Press(m, tt.keys...)
			view := m.View()
			if w, h := lipgloss.Width(view), lipgloss.Height(view); w > 76 || h > 22 {
				t.Errorf("view is %dx%d, given 76x22", w, h)
			}
			golden.RequireEqual(t, []byte(view))
		})
	}
}

// TestDetails: the exact facts the table shows briefly, with the status's
// reason, and "not reported" where an older server leaves a field out.
func TestDetails(t *testing.T) {
	old := model.APIKey{ID: "key-9", Username: "bob\x1b[31m", Name: "old", Hint: "zzzz", Created: now.AddDate(-1, 0, 0),
		IsActive: true, IsGlobal: false, CollectionID: "c\x07-9"}
	never := testKey(true)
	never.LastUsed, never.InactivityDays, never.Expires = model.Null[time.Time](), model.Some(1), nil
	never.Created = now.AddDate(0, 0, -3)
	// A current server that leaves empty fields out: total_calls is there,
	// last_used_at and inactivity_interval are absent (not even null).
	omitted := model.APIKey{ID: "key-8", Username: "carol", Name: "quiet", Hint: "yyyy", Created: now.AddDate(0, 0, -3),
		IsActive: true, IsGlobal: true, TotalCalls: model.Some[int64](0)}
	tests := []struct {
		name string
		key  model.APIKey
		want map[string]string
	}{
		{"active", testKey(true), map[string]string{
			"Status": "Active", "ID": "key-1", "Owner": "alice", "Collection": "global",
			"Created": "2026-10-26 15:00:00 UTC", "Expires": "2027-01-26 15:00:00 UTC",
			"Inactivity interval": "30 days", "Last used": "2026-11-26 14:57:00 UTC (3m ago)",
			"Stops working": "2026-12-26 14:57:00 UTC (in 29d)", "Total calls": "482,113"}},
		{"idle", idleKey(), map[string]string{
			"Status": "Idle: unused since 2026-10-27 for more than 14 days", "Collection": "Research papers",
			"Inactivity interval": "14 days", "Stops working": "already", "Expires": "never"}},
		{"idle, never used", never, map[string]string{
			"Status": "Idle: never used, and created more than 1 day ago", "Last used": "never", "Inactivity interval": "1 day"}},
		{"expired", expiredKey(), map[string]string{
			"Status": "Expired on 2026-11-16 12:00:00 UTC", "Stops working": "already"}},
		{"deactivated", testKey(false), map[string]string{
			"Status": "Inactive: deactivated", "Stops working": "already", "Expires": "2027-01-26 15:00:00 UTC"}},
		{"current server leaving empty fields out", omitted, map[string]string{
			"Status": "Active", "Last used": "never", "Inactivity interval": "none", "Total calls": "0",
			"Stops working": "never", "Expires": "never"}},
		{"older server, server text cleaned", old, map[string]string{
			"Status": "Active", "Owner": "bob[31m", "Collection": "c-9", "Inactivity interval": "not reported",
			"Last used": "not reported", "Stops working": "not reported", "Total calls": "not reported", "Expires": "never"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			facts := actions.Details(tt.key, now)
			got := map[string]string{}
			for _, f := range facts {
				got[f.Label] = f.Value
			}
			if len(got) != 10 || facts[0].Label != "Status" {
				t.Errorf("facts %v: want 10, Status first", facts)
			}
			for label, want := range tt.want {
				if got[label] != want {
					t.Errorf("%s = %q, want %q", label, got[label], want)
				}
			}
			view := commontest.Words(actions.New(testCommon(false), tt.key).View())
			for label, want := range tt.want {
				if !strings.Contains(view, label+" "+commontest.Words(want)) {
					t.Errorf("view lacks %q %q:\n%s", label, want, view)
				}
			}
		})
	}
}

func TestBulk(t *testing.T) {
	active, inactive := testKey(true), testKey(false)
	inactive.ID, inactive.Name = "key-2", "old-laptop"
	inactive2 := inactive
	inactive2.ID = "key-4"
	tests := []struct {
		name     string
		keys     []model.APIKey
		readOnly bool
		want     []actions.Action
		labels   []string
		notes    []string
		absent   []string
	}{
		// The deactivated key is skipped by every change, so no item
		// counts it.
		{name: "active and deactivated", keys: []model.APIKey{active, expiredKey(), inactive},
			want:   []actions.Action{actions.EditExpiry, actions.EditInactivity, actions.Deactivate},
			labels: []string{"Set expiry of 2 keys", "Set inactivity interval of 2 keys", "Deactivate 2 keys…"},
			notes:  []string{"3 keys selected", "3 hidden by the filter", "1 deactivated, skipped"}},
		{name: "all active", keys: []model.APIKey{active, idleKey()},
			want:   []actions.Action{actions.EditExpiry, actions.EditInactivity, actions.Deactivate},
			labels: []string{"Set expiry of 2 keys", "Deactivate 2 keys…"},
			// Each rotation shows its own secret: one key at a time.
			absent: []string{"deactivated", "skipped", "Rotate"}},
		{name: "all deactivated: nothing, and why", keys: []model.APIKey{inactive, inactive2},
			want:   []actions.Action{},
			notes:  []string{"2 keys selected", "Every selected key is deactivated", "cannot be changed or reactivated", "delete them with D"},
			absent: []string{"Set expiry", "Set inactivity", "Deactivate 0"}},
		{name: "read-only: nothing", keys: []model.APIKey{active}, readOnly: true, want: []actions.Action{},
			notes: []string{"Read-only mode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := actions.NewBulk(testCommon(tt.readOnly), tt.keys, 3)
			if !m.Bulk() {
				t.Error("Bulk() = false")
			}
			if got := m.Actions(); !slices.Equal(got, tt.want) {
				t.Errorf("actions %v, want %v", got, tt.want)
			}
			v := commontest.Words(m.View())
			for _, want := range append(tt.labels, tt.notes...) {
				if !strings.Contains(v, want) {
					t.Errorf("menu lacks %q:\n%s", want, m.View())
				}
			}
			for _, not := range tt.absent {
				if strings.Contains(v, not) {
					t.Errorf("menu shows %q:\n%s", not, m.View())
				}
			}
			if msg := commontest.Press(m, "r"); msg != nil {
				t.Errorf("r in a bulk menu gave %#v, want nothing: rotation is one key at a time", msg)
			}
			for _, a := range tt.want {
				msg := commontest.Press(m, map[actions.Action]string{actions.EditExpiry: "e", actions.EditInactivity: "i", actions.Deactivate: "d"}[a])
				got, ok := msg.(actions.Chosen)
				if !ok || got.Action != a || !slices.EqualFunc(got.Keys, tt.keys, sameKey) {
					t.Errorf("shortcut for %v gave %#v", a, msg)
				}
			}
			if len(tt.want) == 0 {
				for _, k := range []string{"e", "i", "d", "r", "down"} {
					if msg := commontest.Press(m, k); msg != nil {
						t.Errorf("%s with nothing offered gave %#v", k, msg)
					}
				}
				if msg := commontest.Press(m, "enter"); msg != (common.Cancelled{}) {
					t.Errorf("enter with nothing offered gave %#v, want it to close the menu", msg)
				}
			}
		})
	}
}

// TestShortTerminalKeepsActions: when the details do not all fit (a 60x16
// terminal gives a dialog 56x14), they are cut and say so; the actions stay.
func TestShortTerminalKeepsActions(t *testing.T) {
	for _, k := range []model.APIKey{idleKey(), testKey(false)} {
		m := actions.New(testCommon(false), k)
		m.SetSize(56, 14)
		view := m.View()
		if h := lipgloss.Height(view); h > 14 {
			t.Errorf("%s: view is %d tall, given 14", k.Name, h)
		}
		v := commontest.Words(view)
		for _, want := range []string{"Status", "a taller terminal shows more"} {
			if !strings.Contains(v, want) {
				t.Errorf("%s: view lacks %q:\n%s", k.Name, want, view)
			}
		}
		last := "Deactivate…"
		if !k.IsActive {
			last = "delete it with D."
		}
		if !strings.Contains(v, last) {
			t.Errorf("%s: view lacks %q:\n%s", k.Name, last, view)
		}
	}
}

// sameKey reports whether a and b hold the same fields, the expiry
// compared by value rather than by pointer.
func sameKey(a, b model.APIKey) bool {
	ea, eb := a.Expires, b.Expires
	a.Expires, b.Expires = nil, nil
	return a == b && (ea == nil) == (eb == nil) && (ea == nil || ea.Equal(*eb))
}

// sameMsg reports whether the menu's result got is want: nil, a
// common.Cancelled, or an actions.Chosen of the same action and keys.
func sameMsg(got, want tea.Msg) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case common.Cancelled:
		_, ok := got.(common.Cancelled)
		return ok
	case actions.Chosen:
		g, ok := got.(actions.Chosen)
		return ok && g.Action == w.Action && slices.EqualFunc(g.Keys, w.Keys, sameKey)
	}
	panic(fmt.Sprintf("sameMsg: no comparison for %T", want))
}
