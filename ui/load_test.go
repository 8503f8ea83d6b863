package ui

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"

	"h2ogpte-keys/ui/components/keytable"
)

// TestRefreshOverCutShortLoadIsPartial: r during a first load stops it
// with some rows on screen; if the refresh is then stopped too, those rows
// are all there is, and an export must say the table is partial.
func TestRefreshOverCutShortLoadIsPartial(t *testing.T) {
	tests := []struct {
		name        string
		firstDone   bool
		wantPartial bool
	}{
		{"first load cut short by r", false, true},
		{"first load complete", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newTestAPI(t)
			keys := f.keysOf(t, "alice")
			a := startApp(t, f, Options{User: "alice"}, 100, 30)
			a.switchUser(a.user) // a first load, left in flight
			a.Update(keysPageMsg{tag: a.load.tag, rows: keytable.FormatRows(keys[:2], testNow), done: tt.firstDone})
			a.refresh()
			a.stopLoad()
			if a.partial != tt.wantPartial {
				t.Errorf("%d of %d keys shown, partial %v, want %v", a.table.Len(), len(keys), a.partial, tt.wantPartial)
			}
		})
	}
}

// TestRefreshPreparedOffUpdate: the last page of a refresh does not swap
// the rows in on Update; it returns the command that indexes, sorts and
// filters them, and the rows change when its reply lands. esc (or a newer
// load) meanwhile drops that reply.
func TestRefreshPreparedOffUpdate(t *testing.T) {
	for _, stop := range []bool{false, true} {
		f := newTestAPI(t)
		a := startApp(t, f, Options{User: "alice"}, 100, 30)
		keys := f.keysOf(t, "alice")
		a.table.SortBy(keytable.ColName, true)
		a.refresh()
		tag := a.load.tag
		// A refresh's pages are indexed as they come (streamKeys); the
		// last event brings the table they made.
		b := keytable.NewBuilder(testNow, 0)
		page := keytable.FormatRows(keys[:1], testNow)
		b.Add(&page)
		cmd := a.onKeysPage(keysPageMsg{tag: tag, indexed: 1, built: b, done: true})
		if cmd == nil || a.load == nil {
			t.Fatal("the refresh's last page finished on Update instead of preparing its rows in a command")
		}
		if a.table.Len() != len(keys) {
			t.Errorf("rows swapped before the prepared reply: %d shown", a.table.Len())
		}
		if stop {
			a.stopLoad()
		}
		msg, ok := cmd().(keysPageMsg)
		if !ok || !msg.rows.Prepared() {
			t.Fatalf("prepare command returned %T", msg)
		}
		a.Update(msg)
		want := len(keys)
		if !stop {
			want = 1
		}
		if a.table.Len() != want || (!stop && a.load != nil) {
			t.Errorf("stopped %v: %d rows after the reply, want %d (load %v)", stop, a.table.Len(), want, a.load)
		}
	}
}

// TestBigLoadMergedOffUpdate: a first load past directRows under a sort
// holds pages aside and merges them in a few prepared steps; every key
// arrives, in model.Compare's order, and Update never merged more than
// directRows rows page by page.
func TestBigLoadMergedOffUpdate(t *testing.T) {
	f := newTestAPI(t)
	f.deleteKeys(t, "k1", "k2", "k3", "k4") // alice's keys are these alone
	f.setPageSize(t, 500)
	const n = 3*directRows + 123
	keys := make([]model.APIKey, n)
	for i := range keys {
		keys[i] = model.APIKey{ID: fmt.Sprintf("x%06d", i), Username: "alice", Name: fmt.Sprintf("key %d", i*7919%n),
			Created: testNow.Add(-time.Duration(i) * time.Minute), IsActive: true, IsGlobal: true, TotalCalls: model.Some(int64(i % 97))}
	}
	for i := n - 1; i >= 0; i-- { // oldest first: each lands at the end of the server's list
		f.srv.AddKey(keys[i])
	}
	a := newApp(t, f, Options{}, 120, 30)
	a.table.SortBy(keytable.ColCalls, true)
	d := newDriver(t, a)
	merges := 0
	d.hold = func(msg tea.Msg) bool {
		if m, ok := msg.(keysPageMsg); ok && m.rows.Prepared() {
			merges++
			if a.load == nil || !a.load.preparing {
				t.Error("a merge landed with none in flight")
			}
		}
		return false
	}
	d.run(a.switchUser(model.User{Username: "alice"}))
	d.settle()
	if a.load != nil || a.table.Len() != n || merges == 0 {
		t.Fatalf("load %v, %d of %d keys, %d merges", a.load, a.table.Len(), n, merges)
	}
	want := slices.Clone(keys)
	slices.SortFunc(want, func(x, y model.APIKey) int { return model.Compare(&x, &y, model.SortTotalCalls, true, testNow) })
	got := a.table.ShownKeys()
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("row %d is %s, want %s", i, got[i].ID, want[i].ID)
		}
	}
}

// TestRefreshIndexesPagesAsTheyCome: a refresh over many pages holds
// none of them in the load (each is indexed into the refresh's own table
// as it comes), shows the old rows until the end, and then every key of
// the new listing, a deleted one gone and a new one there, in the sort's
// order.
func TestRefreshIndexesPagesAsTheyCome(t *testing.T) {
	f := newTestAPI(t)
	f.deleteKeys(t, "k1", "k2", "k3", "k4") // alice's keys are these alone
	f.setPageSize(t, 100)
	const n = 1234
	keys := make([]model.APIKey, n)
	for i := range keys {
		keys[i] = model.APIKey{ID: fmt.Sprintf("x%06d", i), Username: "alice", Name: fmt.Sprintf("key %d", i*7919%n),
			Created: testNow.Add(-time.Duration(i) * time.Minute), IsActive: true, IsGlobal: true, TotalCalls: model.Some(int64(i % 97))}
	}
	for i := n - 1; i >= 0; i-- {
		f.srv.AddKey(keys[i])
	}
	a := newApp(t, f, Options{}, 120, 30)
	a.table.SortBy(keytable.ColCalls, true)
	d := newDriver(t, a)
	d.run(a.switchUser(model.User{Username: "alice"}))
	d.settle()
	if a.table.Len() != n {
		t.Fatalf("first load: %d of %d keys", a.table.Len(), n)
	}
	f.deleteKeys(t, "x000007")
	extra := model.APIKey{ID: "y000001", Username: "alice", Name: "fresh", Created: testNow, IsActive: true, IsGlobal: true, TotalCalls: model.Some(int64(500))}
	f.srv.AddKey(extra)
	pages := 0
	d.hold = func(msg tea.Msg) bool {
		m, ok := msg.(keysPageMsg)
		if !ok || a.load == nil || !a.load.refresh {
			return false
		}
		if m.rows.Prepared() { // the refresh's table, sorted, on its way in
			if a.load.count != n {
				t.Errorf("the refresh counted %d keys, want %d", a.load.count, n)
			}
			return false
		}
		pages++
		if m.rows.Len() != 0 || a.load.rows.Len() != 0 {
			t.Errorf("a refresh's pages reached the UI: %d rows in the message, %d held", m.rows.Len(), a.load.rows.Len())
		}
		if a.table.Len() != n {
			t.Errorf("the shown rows changed during the refresh: %d", a.table.Len())
		}
		return false
	}
	d.run(a.refresh())
	d.settle()
	if a.load != nil || pages < 2 {
		t.Fatalf("load %v after %d page messages", a.load, pages)
	}
	want := append(slices.Clone(keys[:7]), keys[8:]...)
	want = append(want, extra)
	slices.SortFunc(want, func(x, y model.APIKey) int { return model.Compare(&x, &y, model.SortTotalCalls, true, testNow) })
	got := a.table.ShownKeys()
	if len(got) != len(want) {
		t.Fatalf("%d keys after the refresh, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("row %d is %s, want %s", i, got[i].ID, want[i].ID)
		}
	}
}

// A refresh whose listing stopped before its end (the channel closed
// without the last event) leaves the old rows and ends.
func TestRefreshCutOffKeepsTheRows(t *testing.T) {
	f := newTestAPI(t)
	a := startApp(t, f, Options{User: "alice"}, 100, 30)
	before := a.table.Len()
	a.refresh()
	a.onKeysPage(keysPageMsg{tag: a.load.tag, indexed: 1})
	if cmd := a.onKeysPage(keysPageMsg{tag: a.load.tag, done: true}); cmd != nil {
		t.Error("a refresh with no table of its own started a prepare")
	}
	if a.load != nil || a.table.Len() != before || before == 0 {
		t.Errorf("load %v; %d rows, want the %d there were", a.load, a.table.Len(), before)
	}
}

// TestMergeSteps: a big first load merges what it holds in steps sized to
// what a merge costs. Unsorted and unfiltered, a merge costs the rows it
// adds, so a step is a sixteenth of the table (directRows at least) and
// the merge left after the last page is small; sorted, a merge sorts the
// whole table again, so the table doubles at each. Merges here take no
// time: each lands before the next page.
func TestMergeSteps(t *testing.T) {
	const n, page = 400_000, 2000
	keys := benchKeys(n)
	for _, sorted := range []bool{false, true} {
		a := New(newTestAPI(t), Options{Now: func() time.Time { return testNow }, Copier: &fakeCopier{}})
		a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
		a.hasUser, a.allUsers = true, true
		if sorted {
			a.table.SortBy(keytable.ColCreated, false)
		}
		a.startLoad(false)
		closed := make(chan keysEvent)
		close(closed)
		a.load.ch = closed
		tag := a.load.tag
		var steps, before []int // rows each merge merged, and the table's rows before it
		deliver := func(msg tea.Msg) {
			_, cmd := a.Update(msg)
			for cmd != nil {
				var next tea.Cmd
				for _, r := range results(cmd) {
					steps, before = append(steps, r.(keysPageMsg).rows.Len()), append(before, a.table.Len())
					_, next = a.Update(r) // the merge after the last page ends the load
				}
				cmd = next
			}
		}
		for i := 0; i < n; i += page {
			deliver(keysPageMsg{tag: tag, rows: keytable.FormatRows(keys[i:i+page], testNow)})
		}
		deliver(keysPageMsg{tag: tag, done: true})
		if a.load != nil || a.table.Len() != n {
			t.Fatalf("sorted %v: load %v, %d of %d keys", sorted, a.load, a.table.Len(), n)
		}
		for i, step := range steps {
			if !sorted && step > max(directRows, before[i]/16)+page {
				t.Errorf("unsorted: merge %d took %d rows into %d: %v", i, step, before[i], steps)
			}
			if sorted && i < len(steps)-1 && step < before[i] {
				t.Errorf("sorted: merge %d took %d rows into %d, not doubling: %v", i, step, before[i], steps)
			}
		}
		if last := steps[len(steps)-1]; !sorted && last > n/16+page || sorted && last < n/8 {
			t.Errorf("sorted %v: the last merge took %d rows: %v", sorted, last, steps)
		}
	}
}

// Each complete read of keys, and only a complete one, leaves a line in
// the load log: how many keys, whose, and how long it took.
func TestLoadLog(t *testing.T) {
	f := newTestAPI(t)
	var mu sync.Mutex // lines are written in commands
	var lines []string
	a := newApp(t, f, Options{LoadLog: func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }}, 120, 30)
	d := newDriver(t, a)
	d.run(a.switchUser(model.User{Username: "alice"}))
	d.settle()
	n := a.table.Len()
	if n == 0 || len(lines) != 1 {
		t.Fatalf("%d keys, log %q", n, lines)
	}
	d.run(a.refresh())
	d.settle()
	a.refresh() // stopped by the next: not complete, so not logged
	d.run(a.switchAll())
	d.settle()
	want := []*regexp.Regexp{
		regexp.MustCompile(fmt.Sprintf(`^read %d keys of alice in \d+\.\d\d s$`, n)),
		regexp.MustCompile(fmt.Sprintf(`^refreshed %d keys of alice in \d+\.\d\d s$`, n)),
		regexp.MustCompile(fmt.Sprintf(`^read %d keys of all users in \d+\.\d\d s$`, a.table.Len())),
	}
	if len(lines) != len(want) {
		t.Fatalf("log %q, want %d lines", lines, len(want))
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i, lines[i], re)
		}
	}
}

// fakeRefresher builds keys as a refresh helper would, or answers err.
type fakeRefresher struct {
	keys  []model.APIKey
	err   error
	calls int
	users []string
}

func (r *fakeRefresher) Refresh(_ context.Context, username string, now time.Time, _ int, progress func(int), gate func(func())) (*keytable.Builder, error) {
	r.calls++
	r.users = append(r.users, username)
	if r.err != nil {
		return nil, r.err
	}
	var b *keytable.Builder
	gate(func() {
		b = keytable.NewBuilder(now, len(r.keys))
		rows := keytable.FormatRows(r.keys, now)
		b.Add(&rows)
	})
	progress(len(r.keys))
	return b, nil
}

// A refresh goes through Options.Refresher (a first load does not): its
// table replaces the rows; ErrRefreshHere refreshes in this process
// instead; any other failure keeps the rows and says what failed.
func TestRefreshThroughRefresher(t *testing.T) {
	f := newTestAPI(t)
	keys := f.keysOf(t, "alice")
	elsewhere := []model.APIKey{keys[0], keys[1]}
	elsewhere[1].Name = "built elsewhere"

	r := &fakeRefresher{keys: elsewhere}
	a := startApp(t, f, Options{User: "alice", Refresher: r}, 200, 30)
	if r.calls != 0 || a.table.Len() != len(keys) {
		t.Fatalf("first load: %d rows, refresher called %d times", a.table.Len(), r.calls)
	}
	press(t, a, "r")
	if r.calls != 1 || !slices.Equal(r.users, []string{"alice"}) || a.table.Len() != 2 || !strings.Contains(plainView(a), "built elsewhere") {
		t.Fatalf("refresh: refresher called %d times for %q, %d rows:\n%s", r.calls, r.users, a.table.Len(), plainView(a))
	}

	r.err = fmt.Errorf("%w: no helper", ErrRefreshHere)
	press(t, a, "r")
	if r.calls != 2 || a.table.Len() != len(keys) || strings.Contains(plainView(a), "built elsewhere") {
		t.Fatalf("ErrRefreshHere: %d rows, want the API's %d:\n%s", a.table.Len(), len(keys), plainView(a))
	}

	r.err = errors.New("the server said no")
	press(t, a, "r")
	view := plainView(a)
	if r.calls != 3 || a.table.Len() != len(keys) || !strings.Contains(view, "the server said no") {
		t.Fatalf("a failed refresh: %d rows, want %d kept, and its words:\n%s", a.table.Len(), len(keys), view)
	}
}

// progressThenHere counts keys, then hands the refresh back.
type progressThenHere struct{}

func (progressThenHere) Refresh(_ context.Context, _ string, _ time.Time, _ int, progress func(int), _ func(func())) (*keytable.Builder, error) {
	progress(3)
	progress(4)
	return nil, fmt.Errorf("%w: stopped midway", ErrRefreshHere)
}

// A refresher that hands the refresh back after counting keys takes its
// count back: the status bar then counts the keys read here from nought.
func TestRefreshHandedBackTakesItsCountBack(t *testing.T) {
	ch := make(chan keysEvent, 8)
	ran := false
	here := func() tea.Msg { ran = true; close(ch); return nil }
	refreshElsewhere(context.Background(), progressThenHere{}, "", testNow, 0, nil, ch, here)()
	sum := 0
	for ev := range ch {
		sum += ev.indexed
		if ev.done {
			t.Error("a handed-back refresh sent its end")
		}
	}
	if !ran || sum != 0 {
		t.Errorf("handed back: here ran %v; the counts sum to %d, want 0", ran, sum)
	}
}
