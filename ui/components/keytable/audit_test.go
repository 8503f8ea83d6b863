package keytable

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

var (
	demoOnce sync.Once
	demo     []model.APIKey
	demoErr  error
)

// demoKeys are every key of the demo server (seed 1, the sample data plus
// 3,000 generated keys) at the fixed clock, read through the real client.
func demoKeys(t *testing.T) []model.APIKey {
	t.Helper()
	demoOnce.Do(func() {
		srv := httptest.NewServer(demoserver.New(demoserver.Options{Seed: 1, Now: func() time.Time { return now }, ExtraKeys: 3000}))
		defer srv.Close()
		c, err := client.New(client.Config{Address: srv.URL, Token: model.NewSecret(demoserver.DemoToken)})
		if err != nil {
			demoErr = err
			return
		}
		demo, demoErr = c.ListAllKeys(context.Background())
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	if len(demo) < 3000 {
		t.Fatalf("demo server gave %d keys", len(demo))
	}
	return demo
}

func ids(keys []model.APIKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

// edgeKeys are keys that the precomputed sort keys cannot settle alone:
// long names with a common prefix, case and non-ASCII differences, NUL
// bytes, equal names, dates before 1970 and after 2514.
func edgeKeys() []model.APIKey {
	old := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	far := time.Date(2600, 1, 1, 0, 0, 0, 5, time.UTC)
	farther := far.Add(time.Second)
	names := []string{"report-2026-q1-final", "report-2026-q1-draft", "Report-2026-q1-final", "réport", "Réport", "a\x00b", "a", "a\x00", "", "ab", "AB", "ab"}
	var keys []model.APIKey
	for i, n := range names {
		k := model.APIKey{ID: fmt.Sprintf("e%02d", i), Name: n, Username: []string{"user-with-a-long-name-1", "user-with-a-long-name-2", "bob"}[i%3],
			CollectionName: []string{"", "Shared collection A", "shared collection a", "Ω"}[i%4],
			Created:        []time.Time{old, now, far}[i%3], IsActive: i%5 != 0}
		switch i % 4 {
		case 0:
			k.Expires = &far
		case 1:
			k.Expires = &farther
		case 2:
			e := old
			k.Expires = &e
		}
		if i%2 == 0 {
			k.LastUsed = model.Some([]time.Time{old, far, now.Add(-time.Hour)}[i%3])
			k.InactivityDays = model.Some(1 + i)
		} else {
			k.LastUsed = model.Null[time.Time]()
		}
		if i%3 > 0 {
			k.TotalCalls = model.Some(int64(i%4) * 10)
		}
		keys = append(keys, k)
	}
	return keys
}

// TestSortAgreesWithModel: every sortable column, both ways, orders the
// demo server's keys exactly as model.Compare does (the CLI's --sort),
// whether the keys arrive at once or page by page.
func TestSortAgreesWithModel(t *testing.T) {
	sets := map[string][]model.APIKey{"demo": demoKeys(t), "edge cases": edgeKeys(), "generated": genKeys(2000, 21)}
	for name, keys := range sets {
		for _, col := range sortCycle {
			mc, _ := col.SortColumn()
			for _, desc := range []bool{false, true} {
				want := slices.Clone(keys)
				slices.SortFunc(want, func(a, b model.APIKey) int { return model.Compare(&a, &b, mc, desc, now) })

				m := newTable(200, 20)
				m.SetShowUser(true)
				m.SortBy(col, desc)
				m.SetKeys(keys)
				if got := ids(m.ShownKeys()); !slices.Equal(got, ids(want)) {
					t.Errorf("%s: sort by %s desc=%v differs from model.Compare", name, mc, desc)
					continue
				}
				paged := newTable(200, 20)
				paged.SetShowUser(true)
				paged.SortBy(col, desc)
				for i := 0; i < len(keys); i += 97 {
					paged.AppendKeys(keys[i:min(i+97, len(keys))])
				}
				if got := ids(paged.ShownKeys()); !slices.Equal(got, ids(want)) {
					t.Errorf("%s: paged sort by %s desc=%v differs from model.Compare", name, mc, desc)
				}
			}
		}
	}
}

// TestFilterAgreesWithModel: every combination of quick filters, with and
// without text, shows exactly the keys model.Filter.Apply (the CLI's list
// filters) keeps, in order.
func TestFilterAgreesWithModel(t *testing.T) {
	keys := demoKeys(t)
	m := newTable(200, 20)
	m.SetKeys(keys)
	nonEmpty := 0
	for mask := range 1 << NumQuick {
		for _, text := range []string{"", "LAPTOP", "alice", "documents", "[2j", "zzz-none"} {
			var on [NumQuick]bool
			for q := range NumQuick {
				on[q] = mask&(1<<q) != 0
				m.SetQuick(q, on[q])
			}
			m.SetFilter(text)
			f := combine(on, text)
			want := f.Apply(keys, now)
			if got := ids(m.ShownKeys()); !slices.Equal(got, ids(want)) {
				t.Errorf("quick %05b text %q: table shows %d keys, model.Filter keeps %d", mask, text, len(got), len(want))
			}
			if m.Filtered() != f.Active() {
				t.Errorf("quick %05b text %q: Filtered() = %v", mask, text, m.Filtered())
			}
			if len(want) > 0 {
				nonEmpty++
			}
		}
	}
	if nonEmpty < 40 {
		t.Errorf("only %d filters matched anything: the demo data does not exercise them", nonEmpty)
	}
}

// TestQuickFilterRules pins each quick filter to the audit rule it stands
// for.
func TestQuickFilterRules(t *testing.T) {
	in := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	keys := []model.APIKey{
		{ID: "expiring", Name: "a", IsActive: true, IsGlobal: true, Created: ago(10 * day), Expires: in(3 * day), LastUsed: model.Some(ago(time.Hour))},
		{ID: "going-idle", Name: "b", IsActive: true, CollectionID: "c1", Created: ago(100 * day), LastUsed: model.Some(ago(25 * day)), InactivityDays: model.Some(30)},
		{ID: "never-used", Name: "c", IsActive: true, IsGlobal: true, Created: ago(5 * day), LastUsed: model.Null[time.Time](), TotalCalls: model.Some[int64](0)},
		{ID: "stale", Name: "d", IsActive: true, CollectionID: "c2", Created: ago(400 * day), LastUsed: model.Some(ago(120 * day))},
		{ID: "deactivated", Name: "e", IsActive: false, IsGlobal: true, Created: ago(10 * day), LastUsed: model.Some(ago(day))},
		{ID: "expired", Name: "f", IsActive: true, CollectionID: "c3", Created: ago(50 * day), Expires: in(-day), LastUsed: model.Some(ago(2 * day))},
		{ID: "old-server", Name: "g", IsActive: true, IsGlobal: true, Created: ago(200 * day)},
	}
	tests := []struct {
		q    Quick
		want []string
	}{
		{QuickExpiring, []string{"expiring", "going-idle"}},
		{QuickNeverUsed, []string{"never-used"}},
		{QuickUnused, []string{"stale"}}, // old-server's usage is unknown: Unjudged
		{QuickNotWorking, []string{"deactivated", "expired"}},
		{QuickGlobal, []string{"expiring", "never-used", "deactivated", "old-server"}},
	}
	for _, tt := range tests {
		t.Run(tt.q.Label(), func(t *testing.T) {
			m := newTable(200, 20)
			m.SetKeys(keys)
			press(m, tt.q.Key())
			if !m.QuickOn(tt.q) {
				t.Fatalf("key %s did not turn %q on", tt.q.Key(), tt.q.Label())
			}
			if got := shownIDs(m); !slices.Equal(got, tt.want) {
				t.Errorf("shows %v, want %v", got, tt.want)
			}
			wantUnjudged := 0
			if tt.q == QuickNeverUsed || tt.q == QuickUnused {
				wantUnjudged = 1 // old-server
			}
			if got := m.Unjudged(); got != wantUnjudged {
				t.Errorf("Unjudged() = %d, want %d", got, wantUnjudged)
			}
			press(m, tt.q.Key())
			if m.QuickOn(tt.q) || m.Shown() != len(keys) {
				t.Errorf("second %s: on %v, %d shown", tt.q.Key(), m.QuickOn(tt.q), m.Shown())
			}
		})
	}
}

func TestQuickFiltersCombine(t *testing.T) {
	m := newTable(200, 20)
	keys := genKeys(300, 22)
	m.SetKeys(keys)
	press(m, "2", "5") // never used, global only
	m.SetFilter("laptop")
	want := model.Filter{NeverUsed: true, GlobalOnly: true, Text: "laptop"}.Apply(keys, now)
	if got := shownIDs(m); len(want) == 0 || !slices.Equal(got, ids(want)) {
		t.Errorf("combined filters show %d keys, want %d", len(got), len(want))
	}
	if got := m.Quicks(); !slices.Equal(got, []Quick{QuickNeverUsed, QuickGlobal}) {
		t.Errorf("Quicks() = %v", got)
	}
	m.ClearFilters()
	if m.Filtered() || m.Shown() != len(keys) || m.Filter() != "" || len(m.Quicks()) != 0 {
		t.Errorf("ClearFilters left %d of %d shown", m.Shown(), len(keys))
	}
	press(m, "4", "1") // not working and expiring soon: nothing is both
	if v := ansi.Strip(m.View()); !strings.Contains(v, "No key matches the quick filters.") {
		t.Errorf("empty result not explained:\n%s", v)
	}
}

func TestStopsColumn(t *testing.T) {
	in := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	tests := []struct {
		name string
		key  model.APIKey
		want string
	}{
		{"expiry", model.APIKey{IsActive: true, Created: ago(day), Expires: in(3 * day), InactivityDays: model.Null[int]()}, "2026-11-29"},
		{"idle cut-off first", model.APIKey{IsActive: true, Created: ago(day), Expires: in(30 * day), LastUsed: model.Some(ago(time.Hour)), InactivityDays: model.Some(2)}, "2026-11-28"},
		{"nothing stops it", model.APIKey{IsActive: true, Created: ago(day), InactivityDays: model.Null[int](), TotalCalls: model.Some[int64](0)}, "never"},
		{"older server, null interval", model.APIKey{IsActive: true, Created: ago(day), InactivityDays: model.Null[int]()}, "-"},
		{"older server", model.APIKey{IsActive: true, Created: ago(day)}, "-"},
		{"deactivated", model.APIKey{IsActive: false, Created: ago(day), Expires: in(3 * day)}, "already"},
		{"expired", model.APIKey{IsActive: true, Created: ago(9 * day), Expires: in(-day)}, "already"},
		{"idle", model.APIKey{IsActive: true, Created: ago(9 * day), LastUsed: model.Null[time.Time](), InactivityDays: model.Some(7)}, "already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTable(200, 5)
			m.SetKeys([]model.APIKey{tt.key})
			if got := m.ShownCell(0, ColStops); got != tt.want {
				t.Errorf("Stops working = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUserColumn(t *testing.T) {
	keys := genKeys(30, 23)
	keys[3].Username = "carol\x1b[31m"
	m := newTable(200, 40)
	m.SetKeys(keys)
	if slices.Contains(m.Columns(), ColUser) || strings.Contains(m.View(), " User ") {
		t.Fatal("User column shown in a one-user view")
	}
	m.SetShowUser(true)
	if got := m.Columns(); len(got) < 2 || got[1] != ColUser {
		t.Fatalf("columns %v: User should follow Name", titles(got))
	}
	if v := m.View(); !strings.Contains(v, "carol[31m") || strings.Contains(v, "\x1b[31m") {
		t.Errorf("username not shown cleaned:\n%q", v)
	}
	// s reaches User; hiding the column drops a sort by it.
	press(m, "s", "s")
	if c, _ := m.Sort(); c != ColUser {
		t.Fatalf("second s sorts by %s, want User", c.Title())
	}
	if !strings.Contains(m.View(), "User ▲") {
		t.Errorf("no sort mark on User:\n%s", m.View())
	}
	m.SetShowUser(false)
	if c, _ := m.Sort(); c != NoColumn {
		t.Errorf("sort by a hidden User column kept: %s", c.Title())
	}
	// User gives way last of the columns that can.
	m.SetShowUser(true)
	m.SetSize(60, 10)
	if got := m.Columns(); !slices.Equal(got, []Column{ColName, ColUser, ColStatus, ColLastUsed}) {
		t.Errorf("60 wide: %v", titles(got))
	}
}

func TestSortCycleCoversColumns(t *testing.T) {
	m := newTable(250, 10)
	m.SetShowUser(true)
	m.SetKeys(genKeys(40, 24))
	var seen []Column
	for range len(sortCycle) {
		press(m, "s")
		c, _ := m.Sort()
		seen = append(seen, c)
	}
	if !slices.Equal(seen, sortCycle) {
		t.Errorf("s cycled %v, want %v", titles(seen), titles(sortCycle))
	}
	for _, c := range sortCycle {
		if _, ok := c.SortColumn(); !ok {
			t.Errorf("%s has no model sort column", c.Title())
		}
	}
	if _, ok := ColSecret.SortColumn(); ok {
		t.Error("the secret column sorts")
	}
}

func TestRowsFormattedOnce(t *testing.T) {
	keys := genKeys(10, 25)
	rows := FormatRows(keys[:6], now)
	rows = rows.Append(FormatRows(keys[6:], now.Add(time.Minute)))
	if rows.Len() != 10 {
		t.Fatalf("Len %d", rows.Len())
	}
	m := newTable(200, 20)
	m.AppendRows(rows)
	if m.Len() != 10 || !m.AsOf().Equal(now) {
		t.Errorf("Len %d, as of %v", m.Len(), m.AsOf())
	}
	// A page repeating a key replaces it instead of adding a row.
	again := keys[2]
	again.Name = "renamed"
	m.AppendRows(FormatRows([]model.APIKey{again}, now))
	if m.Len() != 10 || m.ShownCell(2, ColName) != "renamed" {
		t.Errorf("repeat: Len %d, row 2 named %q", m.Len(), m.ShownCell(2, ColName))
	}
}

// TestNewColumnFromSpec: a column added to the spec shows on the
// dashboard, with its title, its cells and its sort, and nothing else in
// the table needs to know of it.
func TestNewColumnFromSpec(t *testing.T) {
	hint := model.Column{ID: "hint", Header: "HINT", Title: "Key hint", ShortTitle: "Hint", Drop: 9, Dashboard: true,
		DashboardOrder: 2, Sort: model.SortCreated, Sortable: true,
		Cell: func(k model.APIKey, _ time.Time) string { return "h:" + model.CleanText(k.Hint) }}
	m := newTable(250, 10)
	m.spec = model.DashboardColumnsOf(append(model.Columns(), hint))
	keys := genKeys(20, 31)
	m.SetKeys(keys)
	if got := m.Columns(); len(got) < 2 || got[1] != "hint" {
		t.Fatalf("columns %v: the new column should follow Name", got)
	}
	if v := m.View(); !strings.Contains(v, "Key hint") || !strings.Contains(v, "h:"+keys[0].Hint) {
		t.Errorf("new column's title or cells missing:\n%s", v)
	}
	if got := m.ShownCell(0, "hint"); got != "h:"+keys[0].Hint {
		t.Errorf("cell %q", got)
	}
	press(m, "s")
	press(m, "s")
	if c, _ := m.Sort(); c != "hint" {
		t.Fatalf("s reached %q, want the new column", c)
	}
	want := slices.Clone(keys)
	slices.SortFunc(want, func(a, b model.APIKey) int { return model.Compare(&a, &b, model.SortCreated, false, now) })
	if !slices.Equal(ids(m.ShownKeys()), ids(want)) {
		t.Error("sorting by the new column is not its model order")
	}
}

// TestSortInPartsAgreesWithModel: a table big enough for the sort to work
// in parts on two cores (keys worked out and gathered part by part) orders
// keys as model.Compare does, keys without a value last.
func TestSortInPartsAgreesWithModel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	keys := genKeys(110_000, 23)
	if workersFor(len(keys)) < 2 {
		t.Fatalf("%d keys are sorted in one part", len(keys))
	}
	m := newTable(200, 20)
	m.SetKeys(keys)
	for _, col := range []Column{ColExpiry, ColLastUsed, ColCollection} {
		mc, _ := col.SortColumn()
		for _, desc := range []bool{false, true} {
			want := slices.Clone(keys)
			slices.SortFunc(want, func(a, b model.APIKey) int { return model.Compare(&a, &b, mc, desc, now) })
			m.SortBy(col, desc)
			finish(t, m) // worked out off Update, as on screen
			if got := ids(m.ShownKeys()); !slices.Equal(got, ids(want)) {
				t.Errorf("sort by %s desc=%v differs from model.Compare", mc, desc)
			}
		}
	}
}
