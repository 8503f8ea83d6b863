package keytable

import (
	"fmt"
	"slices"
	"testing"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

// asyncPair is a table that sorts and filters off Update from 100 keys on
// and one that never does, holding the same keys.
func asyncPair(t *testing.T, keys []model.APIKey) (async, sync *Model) {
	t.Helper()
	c := commontest.Common()
	c.Width, c.Height = 140, 20
	async, sync = NewWithOptions(c, Options{AsyncRows: 100}), NewWithOptions(c, Options{AsyncRows: -1})
	async.SetKeys(keys)
	sync.SetKeys(keys)
	return async, sync
}

// usageOf gives every third key calls a day, and every 50th a change.
func usageOf(keys []model.APIKey) *Usage {
	byID := map[string]model.KeyUsage{}
	for i, k := range keys {
		if i%3 == 0 {
			byID[k.ID] = model.KeyUsage{PerDay: float64(i % 17), PerDayKnown: true, Change: model.UsageChange(min(1, i%50))}
		}
	}
	return MeasureUsage(byID)
}

// finish runs the table's work as the runtime would and hands the result
// back.
func finish(t *testing.T, m *Model) {
	t.Helper()
	cmd := m.Work()
	if cmd == nil {
		t.Fatal("a big table with a new sort or filter returned no work")
	}
	msg, ok := cmd().(ReorderedMsg)
	if !ok {
		t.Fatalf("work brought %T", msg)
	}
	m.Reordered(msg)
	if w := m.Working(); w != "" {
		t.Fatalf("still %q after the result landed", w)
	}
	noWorkLeft(t, m)
}

// noWorkLeft fails unless Work has nothing left to do but, at most once,
// the name order's rank job (a table without a sort leaves the name order
// to it), which it runs and hands back.
func noWorkLeft(t *testing.T, m *Model) {
	t.Helper()
	cmd := m.Work()
	if cmd == nil {
		return
	}
	got := cmd()
	msg, ok := got.(RankedMsg)
	if !ok {
		t.Fatalf("work left: %T", got)
	}
	m.Ranked(msg)
	if m.Work() != nil {
		t.Fatal("work left after the rank job landed")
	}
}

// A load's merges with more to come start no rank job (the next merge
// would throw its result away); the last one does.
func TestNoRankJobMidLoad(t *testing.T) {
	keys := genKeys(900, 4)
	a, _ := asyncPair(t, keys[:300])
	noWorkLeft(t, a) // the first rows' name order
	a.SetRows(a.PrepareAppend(FormatRows(keys[300:600], now), false)())
	if cmd := a.Work(); cmd != nil {
		t.Fatalf("a merge with more to come started %T", cmd())
	}
	a.SetRows(a.PrepareAppend(FormatRows(keys[600:], now), true)())
	if a.Work() == nil {
		t.Fatal("no rank job after the load's last merge")
	}
}

// A big table without a sort gets its name order from a job off Update
// once nothing else is to be done: the same order a sort works out on
// Update, taken in only for the rows it was worked out for.
func TestRankJob(t *testing.T) {
	keys := genKeys(600, 8)
	a, s := asyncPair(t, keys)
	if a.d.ranksValid {
		t.Fatal("an unsorted table has its name order before any job")
	}
	job := a.Work()
	if job == nil {
		t.Fatal("no rank job for a big table without a name order")
	}
	if a.Work() != nil {
		t.Fatal("a second rank job while one is under way")
	}
	stale := job().(RankedMsg)
	a.AppendKeys(genKeys(3, 9)) // the rows change: that result is for the old ones
	a.Ranked(stale)
	if a.d.ranksValid {
		t.Fatal("a rank job's result for rows since changed was taken")
	}
	fresh := a.Work()
	if fresh == nil {
		t.Fatal("no new rank job after the rows changed")
	}
	a.Ranked(fresh().(RankedMsg))
	if !a.d.ranksValid || a.Work() != nil {
		t.Fatalf("after the rank job: ranks valid %v, work left %v", a.d.ranksValid, a.Work() != nil)
	}
	s.AppendKeys(genKeys(3, 9))
	s.d.ensureRanks()
	if !slices.Equal(a.d.byName, s.d.byName) || !slices.Equal(a.d.nameRank, s.d.nameRank) || !slices.Equal(a.d.foldRank, s.d.foldRank) {
		t.Fatal("the rank job's name order differs from one worked out on Update")
	}
	// A sort now needs no name order of its own and shows what the other
	// table shows.
	a.SortBy(ColName, false)
	s.SortBy(ColName, false)
	finish(t, a)
	if got, want := shownIDs(a), shownIDs(s); !slices.Equal(got, want) {
		t.Fatal("sorted by name after the rank job: not the same rows")
	}
}

// TestAsyncMatchesSync: each sort and filter change on a big table keeps
// the old rows on screen, says what it works on, and once its work lands
// shows exactly what a table doing it on Update shows, cursor on its key.
func TestAsyncMatchesSync(t *testing.T) {
	keys := genKeys(600, 3)
	u := usageOf(keys)
	steps := []struct {
		name    string
		working string
		do      func(m *Model)
	}{
		{"sort by created", "sorting…", func(m *Model) { m.SortBy(ColCreated, false) }},
		{"reverse", "sorting…", func(m *Model) { press(m, "S") }},
		{"quick filter 2", "filtering…", func(m *Model) { press(m, "2") }},
		{"text filter", "filtering…", func(m *Model) { m.SetFilter("Sync") }},
		{"usage, then sort by calls/d", "sorting…", func(m *Model) { m.SetUsage(u); m.SortBy(Column(model.ColCallsPerDay), true) }},
		{"new usage under calls/d", "sorting…", func(m *Model) { m.SetUsage(usageOf(keys[:300])) }},
		{"use changed", "filtering…", func(m *Model) { m.SetQuick(QuickUseChanged, true) }},
		{"clear filters", "filtering…", func(m *Model) { m.ClearFilters() }},
		{"unsorted", "sorting…", func(m *Model) { m.SortBy(NoColumn, false) }},
	}
	a, s := asyncPair(t, keys)
	for _, st := range steps {
		press(a, "j", "j", "j")
		press(s, "j", "j", "j")
		before, cur := shownIDs(a), a.Cursor()
		curKey, _ := a.Current()
		st.do(a)
		st.do(s)
		if got := shownIDs(a); !slices.Equal(got, before) {
			t.Fatalf("%s: rows changed on Update", st.name)
		}
		if a.Cursor() != cur {
			t.Fatalf("%s: cursor moved on Update", st.name)
		}
		if got := a.Working(); got != st.working {
			t.Fatalf("%s: Working() = %q, want %q", st.name, got, st.working)
		}
		finish(t, a)
		if got, want := shownIDs(a), shownIDs(s); !slices.Equal(got, want) {
			t.Fatalf("%s: %d rows shown after the work, want the %d the synchronous table shows", st.name, len(got), len(want))
		}
		if k, ok := a.Current(); slices.Contains(shownIDs(a), curKey.ID) && (!ok || k.ID != curKey.ID) {
			t.Fatalf("%s: cursor on %s, want it kept on %s", st.name, k.ID, curKey.ID)
		}
	}
}

// TestSmallTableSortsOnUpdate: under the threshold nothing waits for a
// command (tests and goldens rely on it).
func TestSmallTableSortsOnUpdate(t *testing.T) {
	keys := genKeys(99, 4)
	a, s := asyncPair(t, keys)
	a.SortBy(ColName, false)
	s.SortBy(ColName, false)
	a.SetFilter("bot")
	s.SetFilter("bot")
	if !slices.Equal(shownIDs(a), shownIDs(s)) || a.Working() != "" || a.Work() != nil {
		t.Fatal("a table under the threshold did not sort and filter at once")
	}
}

// TestAsyncSupersede: a newer request wins whatever order the results
// come back in; the older result is dropped, never shown.
func TestAsyncSupersede(t *testing.T) {
	keys := genKeys(500, 5)
	for _, olderFirst := range []bool{true, false} {
		a, s := asyncPair(t, keys)
		a.SetFilter("k")
		older := a.Work()
		a.SetFilter("key 1")
		newer := a.Work()
		if older == nil || newer == nil {
			t.Fatal("no work for a filter change")
		}
		if a.Work() != nil {
			t.Fatal("work started twice for the same filter")
		}
		s.SetFilter("key 1")
		before := shownIDs(a)
		if olderFirst {
			a.Reordered(older().(ReorderedMsg))
			if !slices.Equal(shownIDs(a), before) {
				t.Fatal("the superseded filter's result was shown")
			}
			a.Reordered(newer().(ReorderedMsg))
		} else {
			msg := older().(ReorderedMsg)
			a.Reordered(newer().(ReorderedMsg))
			a.Reordered(msg)
		}
		if got, want := shownIDs(a), shownIDs(s); !slices.Equal(got, want) {
			t.Fatalf("olderFirst=%v: %d rows shown, want %d", olderFirst, len(got), len(want))
		}
		if a.Working() != "" {
			t.Fatal("work left after the newest result landed")
		}
		noWorkLeft(t, a)
	}
}

// TestAsyncRowsChangeMeanwhile: while a sort runs off Update, pages
// arrive (new keys and a key replaced in place) on the UI goroutine; the
// result, made for the rows before, is dropped and the work redone, and
// the table ends as a synchronous one with all the keys. Under -race this
// also checks that the job reads nothing the table writes.
func TestAsyncRowsChangeMeanwhile(t *testing.T) {
	keys := genKeys(900, 6)
	a, s := asyncPair(t, keys[:600])
	a.SortBy(ColLastUsed, true)
	s.SortBy(ColLastUsed, true)
	cmd := a.Work()
	done := make(chan ReorderedMsg)
	go func() { done <- cmd().(ReorderedMsg) }()
	changed := keys[10]
	changed.Name = "renamed"
	more := append(slices.Clone(keys[600:]), changed)
	a.AppendKeys(more)
	s.AppendKeys(more)
	var snapshot []model.APIKey
	for k := range a.KeysSnapshot() {
		snapshot = append(snapshot, *k)
	}
	a.Reordered(<-done)
	if a.Working() == "" {
		t.Fatal("a result for rows since changed ended the work")
	}
	finish(t, a)
	if got, want := shownIDs(a), shownIDs(s); !slices.Equal(got, want) {
		t.Fatalf("%d rows after the redone sort, want %d in the synchronous order", len(got), len(want))
	}
	if len(snapshot) != 900 || snapshot[10].Name != "renamed" {
		t.Fatalf("snapshot of %d keys, key 10 named %q", len(snapshot), snapshot[10].Name)
	}
}

// TestAsyncPreparedLoadUnderNewSort: a load prepared under one sort
// lands after the admin chose another; it is shown as prepared and the
// new sort is worked out off Update.
func TestAsyncPreparedLoadUnderNewSort(t *testing.T) {
	keys := genKeys(400, 8)
	a, s := asyncPair(t, keys[:200])
	prepare := a.Prepare(FormatRows(keys, now))
	a.SortBy(ColName, false)
	s.SortBy(ColName, false)
	finish(t, a)
	a.SetRows(prepare())
	s.SetKeys(keys)
	if got := a.Working(); got != "sorting…" {
		t.Fatalf("Working() = %q after a load prepared unsorted, want sorting…", got)
	}
	finish(t, a)
	if got, want := shownIDs(a), shownIDs(s); !slices.Equal(got, want) {
		t.Fatalf("%d rows, want %d in name order", len(got), len(want))
	}
}

// A sort lends its working memory to the next: the same buffers, the
// flags cleared; a second sort at once, or one of another size, gets its
// own; no cache lends nothing.
func TestScratchCache(t *testing.T) {
	var c scratchCache
	s1 := c.get(1000)
	s1.missing[3] = true
	c.put(s1)
	s2 := c.get(1000)
	if s2 != s1 || s2.missing[3] {
		t.Fatalf("the last sort's scratch was not lent again, cleared (same %v)", s2 == s1)
	}
	if s3 := c.get(1000); s3 == s1 {
		t.Fatal("one scratch lent to two sorts at once")
	}
	c.put(s2)
	if s4 := c.get(999); s4 == s1 || len(s4.a) != 999 || len(s4.missing) != 999 {
		t.Fatal("scratch of another size lent")
	}
	var none *scratchCache
	if s := none.get(10); len(s.b) != 10 {
		t.Fatal("no cache: no scratch")
	}
	none.put(nil)
}

// Sorts one after another on a big table, each on the last one's scratch,
// order the keys as sorts on fresh memory do.
func TestSortsOnLentScratch(t *testing.T) {
	keys := genKeys(60_000, 31)
	m := newTable(200, 20)
	m.SetKeys(keys)
	fresh := newTable(200, 20)
	fresh.SetKeys(keys)
	for i, col := range append(sortCycle, sortCycle...) {
		desc := i%3 == 1
		m.SortBy(col, desc)
		finish(t, m)
		fresh.scratch = scratchCache{} // nothing to lend
		fresh.SortBy(col, desc)
		finish(t, fresh)
		if !slices.Equal(ids(m.ShownKeys()), ids(fresh.ShownKeys())) {
			t.Fatalf("sort %d by %s desc=%v on lent scratch differs", i, col, desc)
		}
	}
	if m.scratch.last == nil {
		t.Error("the sorts lent nothing back")
	}
}

// TestSortsWriteIntoReplacedOrders: a sort off Update writes its result
// into the order the sort before it replaced, so two arrays take turns,
// and every result is model.Compare's; an order lent to a job that only
// filters is never written into, even once a sort has replaced it.
func TestSortsWriteIntoReplacedOrders(t *testing.T) {
	keys := genKeys(3000, 13)
	m, sync := asyncPair(t, keys)
	same := func(a, b []int32) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }
	var arrays [][]int32
	for i, col := range []Column{ColName, ColCreated, ColLastUsed, ColCalls, ColStatus} {
		m.SortBy(col, i%2 == 0)
		sync.SortBy(col, i%2 == 0)
		finish(t, m)
		if !slices.Equal(ids(m.ShownKeys()), ids(sync.ShownKeys())) {
			t.Fatalf("sort by %s differs from the table that sorts on Update", col)
		}
		arrays = append(arrays, m.d.order)
	}
	for i := 2; i < len(arrays); i++ {
		if !same(arrays[i], arrays[i-2]) || same(arrays[i], arrays[i-1]) {
			t.Fatalf("sort %d did not write into the order two sorts back", i)
		}
	}

	// A filter job borrows the order and runs on while sorts replace it:
	// none of them may write into it (with -race, a write is also seen
	// racing the job's reads). merge, if not nil, starts a load's merge
	// before the loan and returns what lands it after the loan.
	lendThenSort := func(name string, m *Model, merge func() func()) {
		var land func()
		if merge != nil {
			land = merge()
		}
		m.SetFilter("laptop")
		lent := m.d.order
		filterJob := m.Work()
		done := make(chan struct{})
		go func() { filterJob(); close(done) }() // superseded: its result is never taken
		m.SetFilter("")
		if land != nil {
			land()
			if !same(m.d.order, lent) {
				t.Fatalf("%s: the merge did not extend the order in place", name)
			}
		}
		for _, col := range []Column{ColName, ColCreated, ColCalls} {
			m.SortBy(col, false)
			finish(t, m)
			if same(m.d.order, lent) {
				t.Fatalf("%s: the sort by %s wrote into an order lent to a filter job", name, col)
			}
		}
		<-done
	}
	lendThenSort("sorted", m, nil)
	// The same when a load's merge extends the lent order in place, the
	// loan made before the merge starts or while it runs.
	for _, during := range []bool{false, true} {
		u, _ := asyncPair(t, keys[:1000])
		u.SetRows(u.PrepareAppend(FormatRows(keys[1000:1500], now), false)()) // grown: room to extend
		lendThenSort(fmt.Sprintf("merged, lent during the merge %v", during), u, func() func() {
			if during {
				prep := u.PrepareAppend(FormatRows(keys[1500:1530], now), true)
				return func() { u.SetRows(prep()) }
			}
			return func() { u.SetRows(u.PrepareAppend(FormatRows(keys[1500:1530], now), true)()) }
		})
	}
	sync.SortBy(ColCalls, false)
	if !slices.Equal(ids(m.ShownKeys()), ids(sync.ShownKeys())) {
		t.Fatal("sort by calls differs from the table that sorts on Update")
	}
}

// The rank job, work no one waits on, runs through Options.Background.
func TestRankJobRunsInTheBackground(t *testing.T) {
	c := commontest.Common()
	c.Width, c.Height = 140, 20
	runs := 0
	m := NewWithOptions(c, Options{AsyncRows: 100, Background: func(work func()) { runs++; work() }})
	m.SetKeys(genKeys(300, 4))
	cmd := m.Work()
	if cmd == nil {
		t.Fatal("no rank job after the rows were set")
	}
	if _, ok := cmd().(RankedMsg); !ok || runs != 1 {
		t.Fatalf("the rank job ran %d times through Background, want once", runs)
	}
}
