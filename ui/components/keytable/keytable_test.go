package keytable

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

var now = commontest.Now

func TestMain(m *testing.M) { commontest.Main(m) }

func newTable(w, h int) *Model {
	c := commontest.Common()
	c.Width, c.Height = w, h
	return New(c)
}

func ago(d time.Duration) time.Time { return now.Add(-d) }

// genKeys makes n varied keys, deterministically.
func genKeys(n int, seed uint64) []model.APIKey {
	r := rand.New(rand.NewPCG(seed, 7))
	keys := make([]model.APIKey, n)
	for i := range keys {
		k := model.APIKey{
			ID: fmt.Sprintf("key-%06d", i), Username: "alice", Name: fmt.Sprintf("key %d %s", r.IntN(1000), []string{"ci", "laptop", "bot", "Sync"}[r.IntN(4)]),
			Hint: fmt.Sprintf("%04d", r.IntN(10000)), Created: ago(time.Duration(r.IntN(400)) * day), IsActive: r.IntN(5) > 0,
			IsGlobal: r.IntN(2) == 0,
		}
		if !k.IsGlobal {
			k.CollectionID, k.CollectionName = fmt.Sprintf("c%d", r.IntN(20)), fmt.Sprintf("Collection %d", r.IntN(20))
		}
		switch r.IntN(3) {
		case 0:
			k.LastUsed = model.Null[time.Time]()
		case 1:
			k.LastUsed = model.Some(ago(time.Duration(r.IntN(100000)) * time.Minute))
		}
		if r.IntN(2) == 0 {
			e := now.Add(time.Duration(r.IntN(200)-50) * day)
			k.Expires = &e
		}
		if r.IntN(3) == 0 {
			k.InactivityDays = model.Some(1 + r.IntN(90))
		}
		if r.IntN(4) > 0 {
			k.TotalCalls = model.Some(int64(r.IntN(1_000_000)))
		}
		keys[i] = k
	}
	return keys
}

func TestRowCells(t *testing.T) {
	exp := now.Add(30 * day)
	tests := []struct {
		name string
		key  model.APIKey
		want map[Column]string
	}{
		{
			name: "active global key, used, with expiry",
			key: model.APIKey{Name: "laptop", Hint: "abcd", Created: ago(10 * day), IsActive: true, IsGlobal: true, Expires: &exp,
				LastUsed: model.Some(ago(3 * time.Hour)), TotalCalls: model.Some[int64](1234567)},
			want: map[Column]string{ColName: "laptop", ColSecret: "sk-…abcd", ColCollection: "", ColCreated: "2026-11-16",
				ColStatus: "Active", ColExpiry: "2026-12-26", ColInactivity: "", ColLastUsed: "3h ago", ColCalls: "1,234,567"},
		},
		{
			name: "collection key never used, idle interval",
			key: model.APIKey{Name: "bot", Hint: "wxyz", Created: ago(100 * day), IsActive: true, CollectionID: "c1",
				CollectionName: "Papers", LastUsed: model.Null[time.Time](), InactivityDays: model.Some(60), TotalCalls: model.Some[int64](0)},
			want: map[Column]string{ColCollection: "Papers", ColStatus: "Idle", ColExpiry: "never", ColInactivity: "60 days",
				ColLastUsed: "never", ColCalls: "0"},
		},
		{
			name: "old server: not reported",
			key:  model.APIKey{Name: "old", Created: ago(day), IsActive: true, IsGlobal: true},
			want: map[Column]string{ColLastUsed: "-", ColCalls: "-", ColInactivity: "", ColStatus: "Active"},
		},
		{
			name: "deactivated wins over expired",
			key:  model.APIKey{Name: "x", Created: ago(day), IsActive: false, Expires: &[]time.Time{ago(time.Hour)}[0]},
			want: map[Column]string{ColStatus: "Inactive"},
		},
		{
			name: "expired",
			key:  model.APIKey{Name: "x", Created: ago(day), IsActive: true, Expires: &[]time.Time{ago(time.Hour)}[0], InactivityDays: model.Some(1)},
			want: map[Column]string{ColStatus: "Expired", ColInactivity: "1 day"},
		},
		{
			name: "control characters stripped",
			key:  model.APIKey{Name: "a\x1b[2Jb\u202ec", CollectionName: "x\ty", CollectionID: "c", Hint: "\x07h"},
			want: map[Column]string{ColName: "a[2Jbc", ColCollection: "x y", ColSecret: "sk-…h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := FormatRows([]model.APIKey{tt.key}, now)
			m := newTable(200, 5)
			m.SetRows(rows)
			for c, want := range tt.want {
				if got := m.ShownCell(0, c); got != want {
					t.Errorf("%s = %q, want %q", c.Title(), got, want)
				}
				if w := rows.widths[model.ColumnID(c)]; w != ansi.StringWidth(want) {
					t.Errorf("%s width %d", c.Title(), w)
				}
			}
		})
	}
}

func TestColumnsGiveWay(t *testing.T) {
	keys := genKeys(50, 1)
	tests := []struct {
		width int
		want  []Column
	}{
		{200, []Column{ColName, ColSecret, ColCollection, ColCreated, ColStatus, ColExpiry, ColInactivity, ColStops, ColLastUsed, ColCalls}},
		{140, []Column{ColName, ColSecret, ColCollection, ColCreated, ColStatus, ColExpiry, ColInactivity, ColStops, ColLastUsed, ColCalls}},
		{110, []Column{ColName, ColCollection, ColStatus, ColExpiry, ColInactivity, ColStops, ColLastUsed, ColCalls}},
		{90, []Column{ColName, ColStatus, ColExpiry, ColStops, ColLastUsed, ColCalls}},
		{80, []Column{ColName, ColStatus, ColStops, ColLastUsed, ColCalls}},
		{60, []Column{ColName, ColStatus, ColLastUsed, ColCalls}},
		{50, []Column{ColName, ColStatus, ColLastUsed}},
		{20, []Column{ColName, ColStatus, ColLastUsed}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.width), func(t *testing.T) {
			m := newTable(tt.width, 10)
			m.SetKeys(keys)
			if got := m.Columns(); !slices.Equal(got, tt.want) {
				t.Errorf("columns %v, want %v", titles(got), titles(tt.want))
			}
			for i, line := range strings.Split(m.View(), "\n") {
				if w := ansi.StringWidth(line); w != tt.width {
					t.Errorf("line %d is %d wide, want %d: %q", i, w, tt.width, line)
				}
			}
		})
	}
}

func titles(cs []Column) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Title())
	}
	return out
}

func TestLongNamesTruncated(t *testing.T) {
	m := newTable(80, 5)
	long := strings.Repeat("very long name ", 10)
	m.SetKeys([]model.APIKey{{ID: "1", Name: long, Created: now, IsActive: true}})
	v := m.View()
	if !strings.Contains(v, "very long name ver…  Active") {
		t.Errorf("name not cut with …:\n%s", v)
	}
}

func shownIDs(m *Model) []string {
	var ids []string
	for _, k := range m.ShownKeys() {
		ids = append(ids, k.ID)
	}
	return ids
}

// TestAppendMatchesSetKeys: loading in pages, under any sort and filter,
// shows exactly what loading all at once shows.
func TestAppendMatchesSetKeys(t *testing.T) {
	keys := genKeys(500, 2)
	for _, col := range append([]Column{NoColumn}, sortCycle...) {
		for _, desc := range []bool{false, true} {
			for _, filter := range []string{"", "laptop", "collection 1"} {
				whole := newTable(200, 20)
				whole.SortBy(col, desc)
				whole.SetFilter(filter)
				whole.SetKeys(keys)

				paged := newTable(200, 20)
				paged.SortBy(col, desc)
				paged.SetFilter(filter)
				for i := 0; i < len(keys); i += 37 {
					paged.AppendKeys(keys[i:min(i+37, len(keys))])
				}
				if !slices.Equal(shownIDs(whole), shownIDs(paged)) {
					t.Errorf("sort %s desc %v filter %q: paged order differs", col.Title(), desc, filter)
				}
				if filter == "" && whole.Shown() != len(keys) {
					t.Errorf("shown %d of %d", whole.Shown(), len(keys))
				}
			}
		}
	}
}

// TestAppendKeepsCursorKey: pages merged under a sort can land above the
// cursor (an all-users load); the highlighted key must not change under
// the admin, and stays on screen.
func TestAppendKeepsCursorKey(t *testing.T) {
	keys := genKeys(500, 2)
	for _, col := range append([]Column{NoColumn}, sortCycle...) {
		for _, desc := range []bool{false, true} {
			for _, filter := range []string{"", "laptop"} {
				m := newTable(200, 20)
				m.SortBy(col, desc)
				m.SetFilter(filter)
				m.AppendKeys(keys[:37])
				m.moveTo(m.Shown() / 2)
				want, ok := m.Current()
				if !ok {
					t.Fatalf("sort %s filter %q: no row under the cursor", col.Title(), filter)
				}
				for i := 37; i < len(keys); i += 37 {
					m.AppendKeys(keys[i:min(i+37, len(keys))])
					got, _ := m.Current()
					if got.ID != want.ID {
						t.Fatalf("sort %s desc %v filter %q: cursor moved from %s to %s after the page at %d",
							col.Title(), desc, filter, want.ID, got.ID, i)
					}
					if m.cursor < m.offset || m.cursor >= m.offset+m.pageRows() {
						t.Fatalf("sort %s desc %v filter %q: cursor %d off the page at %d+%d",
							col.Title(), desc, filter, m.cursor, m.offset, m.pageRows())
					}
				}
			}
		}
	}
	// The reviewer's case: rows sorting before the cursor's.
	m := New(commontest.Common())
	m.SortBy(ColName, false)
	m.AppendKeys([]model.APIKey{{ID: "1", Name: "m"}, {ID: "2", Name: "n"}, {ID: "3", Name: "o"}})
	m.GoTo("2")
	m.AppendKeys([]model.APIKey{{ID: "4", Name: "a"}, {ID: "5", Name: "b"}})
	if got, _ := m.Current(); got.ID != "2" {
		t.Errorf("cursor was on n, now on %s after a page sorting before it arrived", got.Name)
	}
}

func TestSortMissingLast(t *testing.T) {
	used := model.Some(ago(time.Hour))
	keys := []model.APIKey{
		{ID: "never", Name: "a", LastUsed: model.Null[time.Time]()},
		{ID: "old", Name: "b", LastUsed: model.Some(ago(100 * day))},
		{ID: "new", Name: "c", LastUsed: used},
		{ID: "unreported", Name: "d"},
	}
	m := newTable(200, 10)
	m.SetKeys(keys)
	m.SortBy(ColLastUsed, false)
	if got := shownIDs(m); !slices.Equal(got, []string{"old", "new", "never", "unreported"}) {
		t.Errorf("ascending: %v", got)
	}
	m.SortBy(ColLastUsed, true)
	if got := shownIDs(m); !slices.Equal(got, []string{"new", "old", "never", "unreported"}) {
		t.Errorf("descending: %v", got)
	}
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(commontest.Key(k))
	}
}

func TestSelection(t *testing.T) {
	keys := genKeys(10, 3)
	m := newTable(200, 20)
	m.SetKeys(keys)
	if got := m.SelectedOrCurrent(); len(got) != 1 || got[0].ID != keys[0].ID {
		t.Fatalf("nothing selected: SelectedOrCurrent = %v", got)
	}
	press(m, "space", "j", "j", "space")
	if got := m.Selected(); len(got) != 2 || got[0].ID != keys[0].ID || got[1].ID != keys[2].ID {
		t.Fatalf("selected %v", got)
	}
	m.SetFilter(keys[2].Name)
	if m.HiddenSelectedCount() != 1 && keys[0].Name != keys[2].Name {
		t.Errorf("hidden selected = %d, want 1", m.HiddenSelectedCount())
	}
	m.SetFilter("")
	// A refresh without keys[0] keeps the other selection and the cursor's key.
	m.SetKeys(keys[1:])
	if got := m.Selected(); len(got) != 1 || got[0].ID != keys[2].ID {
		t.Errorf("after refresh selected %v", got)
	}
	if cur, _ := m.Current(); cur.ID != keys[2].ID {
		t.Errorf("cursor moved to %s", cur.ID)
	}
	press(m, "ctrl+a")
	if m.SelectedCount() != 9 {
		t.Errorf("ctrl+a selected %d", m.SelectedCount())
	}
	m.Deselect(keys[1].ID)
	if m.SelectedCount() != 8 || m.IsSelected(keys[1].ID) {
		t.Error("Deselect")
	}
	press(m, "esc")
	if m.SelectedCount() != 0 {
		t.Error("esc did not clear")
	}
	m.SetSelectable(false)
	press(m, "space", "ctrl+a")
	if m.SelectedCount() != 0 {
		t.Error("selected while not selectable")
	}
}

func TestWindow(t *testing.T) {
	m := newTable(120, 11) // header + 10 rows
	keys := genKeys(100_000, 4)
	m.SetKeys(keys)
	lines := strings.Split(m.View(), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines", len(lines))
	}
	press(m, "G")
	v := m.View()
	if !strings.Contains(v, keys[len(keys)-1].Name) || !strings.Contains(v, "⋯") {
		t.Errorf("last row not shown at G:\n%s", v)
	}
	if cur, _ := m.Current(); cur.ID != keys[len(keys)-1].ID {
		t.Errorf("G: cursor on %s", cur.ID)
	}
	press(m, "pgup")
	if m.Cursor() != len(keys)-11 {
		t.Errorf("pgup: cursor %d", m.Cursor())
	}
	press(m, "g", "pgdown")
	if m.Cursor() != 10 {
		t.Errorf("pgdown: cursor %d", m.Cursor())
	}
	if lines := strings.Split(m.View(), "\n"); len(lines) != 11 || !strings.HasPrefix(ansi.Strip(lines[10]), "›[ ]") {
		t.Errorf("cursor row not at the bottom of the window:\n%s", m.View())
	}
}

func TestSortKeys(t *testing.T) {
	m := newTable(80, 10) // Created, Secret, Inactivity and Collection give way
	m.SetKeys(genKeys(20, 5))
	var seen []Column
	for range 5 {
		press(m, "s")
		c, desc := m.Sort()
		if desc {
			t.Error("s sorted descending")
		}
		seen = append(seen, c)
	}
	if want := []Column{ColName, ColStatus, ColStops, ColLastUsed, ColCalls}; !slices.Equal(seen, want) {
		t.Errorf("s cycled %v, want the shown columns %v", titles(seen), titles(want))
	}
	press(m, "s", "S")
	if c, desc := m.Sort(); c != ColName || !desc {
		t.Errorf("S: %s desc=%v", c.Title(), desc)
	}
	if !strings.Contains(m.View(), "Name ▼") {
		t.Errorf("no ▼ in header:\n%s", m.View())
	}
}

func TestEmpty(t *testing.T) {
	m := newTable(80, 5)
	m.SetEmptyText("alice has no API keys.")
	if v := m.View(); !strings.Contains(v, "alice has no API keys.") || len(strings.Split(v, "\n")) != 5 {
		t.Errorf("empty view:\n%s", v)
	}
	if _, ok := m.Current(); ok {
		t.Error("Current on an empty table")
	}
	press(m, "j", "space", "G")
	if m.SelectedCount() != 0 {
		t.Error("selected in an empty table")
	}
}

func TestLongTitleOnlyWithRoom(t *testing.T) {
	keys := genKeys(50, 1)
	for _, w := range []int{200, 140, 110, 100} {
		m := newTable(w, 5)
		m.SetKeys(keys)
		before := titles(m.Columns())
		m.SetSize(w, 6) // a relayout at the same width keeps the columns
		if got := titles(m.Columns()); !slices.Equal(got, before) {
			t.Errorf("%d: columns changed on relayout: %v -> %v", w, before, got)
		}
		long := strings.Contains(m.View(), "Inactivity Interval")
		if want := w >= 200; long != want {
			t.Errorf("%d wide: long title %v", w, long)
		}
	}
}

// TestKeyMapIsAGetter: KeyMap works out which keys apply from the table's
// state and returns a copy; asking changes nothing, and a copy taken
// earlier does not follow later changes.
func TestKeyMapIsAGetter(t *testing.T) {
	m := newTable(120, 20)
	before := m.KeyMap()
	if before.Down.Enabled() || before.Sort.Enabled() {
		t.Fatal("an empty table offers moving or sorting")
	}
	m.SetKeys([]model.APIKey{{ID: "a", Name: "a", IsActive: true}, {ID: "b", Name: "b", IsActive: true}})
	if before.Down.Enabled() {
		t.Error("a KeyMap taken earlier changed with the table")
	}
	now := m.KeyMap()
	if !now.Down.Enabled() || !now.Sort.Enabled() {
		t.Error("a table with rows does not offer moving and sorting")
	}
	again := m.KeyMap()
	if now.Down.Enabled() != again.Down.Enabled() || m.Cursor() != 0 {
		t.Error("asking for the KeyMap changed something")
	}
}

// sortCycle is the order s walks the columns in the all-users view: every
// dashboard column that sorts, in the dashboard's order.
var sortCycle = func() []Column {
	var out []Column
	for _, c := range model.DashboardColumns() {
		if c.Sortable {
			out = append(out, Column(c.ID))
		}
	}
	return out
}()

// TestPrepareAppendMatchesSetKeys: a load merged off Update in a few big
// steps (PrepareAppend, then SetRows) shows what loading all at once
// shows, under a sort and a filter; the table on screen is untouched until
// the swap, even where a repeated key replaces one it holds.
func TestPrepareAppendMatchesSetKeys(t *testing.T) {
	keys := genKeys(3*chunkSize+100, 5)
	for _, col := range []Column{NoColumn, ColLastUsed, ColName} {
		whole := newTable(200, 20)
		whole.SortBy(col, true)
		whole.SetFilter("laptop")
		whole.SetKeys(keys)

		m := newTable(200, 20)
		m.SortBy(col, true)
		m.SetFilter("laptop")
		m.AppendKeys(keys[:100])
		m.SetRows(m.PrepareAppend(FormatRows(keys[100:chunkSize+7], now), false)())
		before := shownIDs(m)
		renamed := keys[3]
		renamed.Name = "laptop renamed"
		prep := m.PrepareAppend(FormatRows(append([]model.APIKey{renamed}, keys[chunkSize+7:]...), now), true)
		ready := prep()
		at, _ := m.d.find(renamed.ID)
		if got := shownIDs(m); !slices.Equal(got, before) || m.d.key(at).Name == renamed.Name {
			t.Fatalf("sort %s: the table changed before the swap", col)
		}
		m.SetRows(ready)
		final := slices.Clone(keys)
		final[3] = renamed
		whole.SetKeys(final)
		if !slices.Equal(shownIDs(whole), shownIDs(m)) {
			t.Errorf("sort %s: prepared load differs from a whole one", col)
		}
	}
}

// TestPrepareLetsPagesGo: Prepare and PrepareAppend let go of each page
// they have merged (a million keys are not held twice over while they
// run), and still show every key.
func TestPrepareLetsPagesGo(t *testing.T) {
	keys := genKeys(2*chunkSize+50, 9)
	join := func(ks []model.APIKey) Rows {
		r := Rows{}
		for i := 0; i < len(ks); i += 1000 {
			r = r.Append(FormatRows(ks[i:min(i+1000, len(ks))], now))
		}
		return r
	}
	for _, name := range []string{"Prepare", "PrepareAppend"} {
		m := newTable(200, 20)
		m.SortBy(ColName, true)
		in := join(keys[100:])
		var prep func() Rows
		if name == "Prepare" {
			in = join(keys)
			prep = m.Prepare(in)
		} else {
			m.AppendKeys(keys[:100])
			prep = m.PrepareAppend(in, true)
		}
		m.SetRows(prep())
		for i, p := range in.pages {
			if p != nil {
				t.Fatalf("%s: page %d of %d still held after the merge", name, i, len(in.pages))
			}
		}
		whole := newTable(200, 20)
		whole.SortBy(ColName, true)
		whole.SetKeys(keys)
		if m.Len() != len(keys) || !slices.Equal(shownIDs(whole), shownIDs(m)) {
			t.Errorf("%s: %d keys shown, want %d in a whole load's order", name, m.Len(), len(keys))
		}
	}
}

// TestBuilderShowsWhatSetRowsShows: keys indexed page by page (Builder,
// PrepareBuilt, as a refresh does) show as SetRows of the same keys does:
// the same rows, a key repeated in a later page replacing its first row,
// and columns as wide as the widest cell of any page (the widest name and
// collection are in the last page).
func TestBuilderShowsWhatSetRowsShows(t *testing.T) {
	keys := genKeys(2500, 11)
	keys[2400].Name = "a name much longer than any other key's, in the last page"
	keys[2401].CollectionName, keys[2401].CollectionID, keys[2401].IsGlobal = "the widest collection name of all", "c-wide", false
	repeat := keys[5]
	repeat.Name = "renamed in a later page"
	keys = append(keys, repeat)
	whole := newTable(260, 30)
	whole.SetShowUser(true)
	whole.SortBy(ColName, false)
	whole.SetKeys(keys)

	m := newTable(260, 30)
	m.SetShowUser(true)
	m.SortBy(ColName, false)
	b := NewBuilder(now, 0)
	for i := 0; i < len(keys); i += 700 {
		page := FormatRows(keys[i:min(i+700, len(keys))], now)
		b.Add(&page)
	}
	m.SetRows(m.PrepareBuilt(b)())
	if m.Len() != len(keys)-1 || m.Len() != whole.Len() {
		t.Fatalf("%d rows built, %d from SetRows, want %d", m.Len(), whole.Len(), len(keys)-1)
	}
	if !slices.Equal(shownIDs(whole), shownIDs(m)) {
		t.Fatal("the built rows show in another order")
	}
	if got, want := ansi.Strip(m.View()), ansi.Strip(whole.View()); got != want {
		t.Errorf("built table's screen:\n%s\nwant SetRows':\n%s", got, want)
	}
	for _, k := range m.ShownKeys() {
		if k.ID == repeat.ID && k.Name != repeat.Name {
			t.Errorf("key %s shows as %q, want its later row %q", k.ID, k.Name, repeat.Name)
		}
	}
}

// TestDroppedMergeLeavesTableWhole: a merge (PrepareAppend) adds to the
// index and the arrival order of the rows on screen, in place, while the
// screen looks keys up; the screen finds none of the merge's keys until
// the swap. A merge whose result is dropped (its load stopped) leaves the
// rows on screen as they were, and rows the screen then takes itself,
// before, while or after that merge runs, are found at their own rows,
// even those the dropped merge had too, the key with no id among them.
// Run with -race: the screen and the merge share memory.
func TestDroppedMergeLeavesTableWhole(t *testing.T) {
	keys := genKeys(3*chunkSize, 5)
	keys[1700].ID = "" // in both dropped merges, then on screen
	m := newTable(200, 20)
	m.AppendKeys(keys[:100])
	m.SetRows(m.PrepareAppend(FormatRows(keys[100:1000], now), false)())
	wantRows := func(n int) {
		t.Helper()
		if m.Len() != n || len(m.d.order) != n {
			t.Fatalf("%d rows, order of %d; want %d", m.Len(), len(m.d.order), n)
		}
		for i, r := range m.d.order {
			if r != int32(i) {
				t.Fatalf("order[%d] = %d: not arrival order", i, r)
			}
		}
	}
	wantRows(1000)

	// A merge that is swapped in, looked up on screen while it runs and
	// once it is done.
	prep := m.PrepareAppend(FormatRows(keys[1000:1500], now), false)
	done := make(chan Rows)
	go func() { done <- prep() }()
	unseen := func() {
		t.Helper()
		for i := range 1500 {
			if at, ok := m.d.find(keys[i].ID); ok != (i < 1000) || ok && at != int32(i) {
				t.Fatalf("before the swap, find(%q) = %d, %v", keys[i].ID, at, ok)
			}
		}
	}
	unseen()
	ready := <-done
	unseen()
	m.SetRows(ready)
	wantRows(1500)

	// Merges that are dropped: one done before the screen appends rows
	// of its own (keys the merges have too, and new ones), one whose work
	// runs only after the screen's appends, one running beside them.
	m.PrepareAppend(FormatRows(keys[1500:1800], now), false)()
	if at, ok := m.d.find(""); ok {
		t.Fatalf("the key with no id, only in the dropped merge, is found at %d", at)
	}
	m.AppendKeys(keys[1600:1650])
	late := m.PrepareAppend(FormatRows(keys[1650:1760], now), false)
	m.AppendKeys(keys[1680:1750])
	late()
	prep = m.PrepareAppend(FormatRows(keys[1750:2*chunkSize], now), false)
	go func() { done <- prep() }()
	m.AppendKeys(keys[1650:1680])
	m.AppendKeys(keys[1750:1800])
	m.AppendKeys(keys[2*chunkSize : 2*chunkSize+50])
	<-done
	own := slices.Concat(keys[:1500], keys[1600:1650], keys[1680:1750], keys[1650:1680], keys[1750:1800],
		keys[2*chunkSize:2*chunkSize+50])
	wantRows(len(own))
	for i, k := range own {
		if at, ok := m.d.find(k.ID); !ok || at != int32(i) || m.d.id(at) != k.ID {
			t.Fatalf("after the dropped merge, find(%q) = %d, %v; want %d", k.ID, at, ok, i)
		}
	}
	for _, k := range keys[1500:1600] {
		if at, ok := m.d.find(k.ID); ok {
			t.Fatalf("a key only the dropped merge had is found at %d", at)
		}
	}
	if got := m.ShownKeys(); len(got) != len(own) || got[len(got)-1].ID != own[len(own)-1].ID {
		t.Fatalf("%d keys shown, want %d", len(got), len(own))
	}
}

// TestOwnersNumbered: however a table's rows came (appended, merged off
// Update, a merge dropped, a key replaced, a job's snapshot), every row's
// owner is its store's ownerList at its number, which a sort by owner or
// collection relies on; and such a sort agrees with model.Compare.
func TestOwnersNumbered(t *testing.T) {
	keys := genKeys(3*chunkSize, 9)
	for i := range keys {
		keys[i].Username = fmt.Sprintf("user%d", i%37)
		if i%5 == 0 {
			keys[i].Username = fmt.Sprintf("User%d", i%37) // equal ignoring case
		}
	}
	m := newTable(200, 20)
	m.SetShowUser(true)
	m.AppendKeys(keys[:500])
	m.SetRows(m.PrepareAppend(FormatRows(keys[500:chunkSize+9], now), false)())
	m.PrepareAppend(FormatRows(keys[chunkSize+9:2*chunkSize], now), false)() // dropped
	renamed := keys[3]
	renamed.Username, renamed.CollectionName = "someone new", "a collection of its own"
	m.SetRows(m.PrepareAppend(FormatRows(append([]model.APIKey{renamed}, keys[chunkSize+9:]...), now), true)())
	keys[3] = renamed
	for name, d := range map[string]*tableData{"table": m.d, "snapshot": m.d.snapshot()} {
		for i := range d.all.n {
			o := d.all.row(int32(i)).owner
			if !numbered(&d.all, o) {
				t.Fatalf("%s: row %d's owner %d is not its store's number", name, i, o)
			}
			if k := d.key(int32(i)); !reflect.DeepEqual(k, keys[i]) {
				t.Fatalf("%s: row %d came back as %+v, want %+v", name, i, k, keys[i])
			}
		}
	}
	for _, col := range []Column{ColUser, ColCollection} {
		mc, _ := col.SortColumn()
		for _, desc := range []bool{false, true} {
			want := slices.Clone(keys)
			slices.SortFunc(want, func(a, b model.APIKey) int { return model.Compare(&a, &b, mc, desc, now) })
			m.SortBy(col, desc)
			if got := ids(m.ShownKeys()); !slices.Equal(got, ids(want)) {
				t.Errorf("sort by %s desc=%v differs from model.Compare", mc, desc)
			}
		}
	}
}

// TestSharedOwnersCopiedOnWrite: a job's snapshot shares the table's
// owners without copying them (a copy on Update cost 0.4 s a key press
// with an owner a key); the table's next new owner copies them first, so
// the snapshot never sees it, and both keep every row's owner numbered.
func TestSharedOwnersCopiedOnWrite(t *testing.T) {
	keys := genKeys(300, 17)
	m := newTable(200, 20)
	m.AppendKeys(keys[:200])
	snap := m.d.snapshot()
	mapOf := func(s *store) unsafe.Pointer { return reflect.ValueOf(s.owners).UnsafePointer() }
	if mapOf(&snap.all) != mapOf(&m.d.all) {
		t.Fatal("the snapshot copied the owners")
	}
	before := len(snap.all.owners)
	newcomer := keys[250]
	newcomer.Username = "someone new"
	m.AppendKeys(append(slices.Clone(keys[200:250]), newcomer))
	if mapOf(&snap.all) == mapOf(&m.d.all) || len(snap.all.owners) != before || len(snap.all.ownerList) != before {
		t.Fatal("the table's new owner reached the snapshot's owners")
	}
	for name, st := range map[string]*store{"table": &m.d.all, "snapshot": &snap.all} {
		for i := range st.n {
			o := st.row(int32(i)).owner
			if !numbered(st, o) {
				t.Fatalf("%s: row %d's owner %d is not its store's number", name, i, o)
			}
		}
	}
}

// TestScreenRowsAfterDroppedMerges: the screen takes rows after its
// merges were dropped, in another order than theirs, and a dropped merge
// runs only afterwards: the keys the screen took are found at its own
// rows, the key with no id among them.
func TestScreenRowsAfterDroppedMerges(t *testing.T) {
	keys := genKeys(400, 5)
	keys[205].ID = ""
	m := newTable(200, 20)
	m.AppendKeys(keys[:100])
	m.PrepareAppend(FormatRows(keys[100:200], now), false)() // dropped, done
	late := m.PrepareAppend(FormatRows(slices.Concat(keys[205:206], keys[300:310], keys[150:151], keys[310:320]), now), false)
	m.AppendKeys(keys[200:220])
	m.AppendKeys(keys[150:151])
	m.AppendKeys(keys[220:240])
	late() // dropped, run after the screen's appends
	own := slices.Concat(keys[:100], keys[200:220], keys[150:151], keys[220:240])
	for i, k := range own {
		if at, ok := m.d.find(k.ID); !ok || at != int32(i) {
			t.Fatalf("find(%q) = %d, %v; want %d", k.ID, at, ok, i)
		}
	}
	if m.Len() != len(own) {
		t.Fatalf("%d rows, want %d", m.Len(), len(own))
	}

	// A merge that lands after one was dropped, with the same keys in
	// another order: its keys are found at its rows.
	m.PrepareAppend(FormatRows(keys[240:300], now), false)() // dropped
	tail := slices.Concat(keys[270:300], keys[240:270])
	m.SetRows(m.PrepareAppend(FormatRows(tail, now), true)())
	own = append(own, tail...)
	for i, k := range own {
		if at, ok := m.d.find(k.ID); !ok || at != int32(i) || m.d.id(at) != k.ID {
			t.Fatalf("after the merge, find(%q) = %d, %v; want %d", k.ID, at, ok, i)
		}
	}
}

// A merge's batch holds the index's lock for indexBatch keys at most, so
// the screen's look-ups never wait for a whole merge step, and lets it go
// when done; the keys it added are found.
func TestBatchLetsTheIndexGo(t *testing.T) {
	keys := genKeys(indexBatch+10, 3)
	d := newData(now)
	b := batch{d: d}
	free := func() bool {
		if !d.index.mu.TryLock() {
			return false
		}
		d.index.mu.Unlock()
		return true
	}
	for i := range keys[:indexBatch] {
		b.add(&keys[i])
	}
	if !free() {
		t.Fatalf("the lock is still held after %d keys", indexBatch)
	}
	b.add(&keys[indexBatch])
	if free() {
		t.Fatal("the lock is free in the middle of a batch")
	}
	for i := range keys[indexBatch+1:] {
		b.add(&keys[indexBatch+1+i])
	}
	b.done()
	if !free() {
		t.Fatal("the lock is still held after done")
	}
	b.add(&keys[5]) // a repeat replaces its row
	b.done()
	for i := range keys {
		if row, ok := d.find(keys[i].ID); !ok || row != int32(i) {
			t.Fatalf("key %d found at %d, %v", i, row, ok)
		}
	}
	if d.all.n != len(keys) {
		t.Errorf("%d rows for %d keys", d.all.n, len(keys))
	}
}

// numbered reports whether o is a number of s's owners, the number the
// owners map gives that owner.
func numbered(s *store, o int32) bool {
	if o < 0 || int(o) >= len(s.ownerList) {
		return false
	}
	n, ok := s.owners[s.ownerList[o]]
	return ok && n == o
}
