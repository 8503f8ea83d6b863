package ui

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/components/keytable"

	_ "modernc.org/sqlite" // a second writer of the history's file
)

// By default a Background leaves one processor free, and takes at least one.
func TestNewBackgroundLeavesAProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	if got := cap(NewBackground(0).slots); got != 3 {
		t.Errorf("GOMAXPROCS 4: %d slots, want 3", got)
	}
	runtime.GOMAXPROCS(1)
	if got := cap(NewBackground(0).slots); got != 1 {
		t.Errorf("GOMAXPROCS 1: %d slots, want 1", got)
	}
	if got := cap(NewBackground(5).slots); got != 5 {
		t.Errorf("NewBackground(5): %d slots", got)
	}
}

// Run never runs more pieces of work at once than the Background's slots.
func TestBackgroundRunBoundsTheWork(t *testing.T) {
	bg := NewBackground(2)
	var in, most atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bg.Run(func() {
				n := in.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				in.Add(-1)
			})
		}()
	}
	wg.Wait()
	if got := most.Load(); got != 2 {
		t.Errorf("at most %d pieces at once, want 2 (the slots)", got)
	}
}

// A long job's turn lets other work in every turnItems items: work that
// comes while it runs is done before it ends, not after.
func TestTurnLetsOtherWorkIn(t *testing.T) {
	bg := NewBackground(1)
	tr := bg.turn()
	var done atomic.Int32
	ranAt := make(chan int32, 1)
	for i := range 3 * turnItems {
		tr.step()
		if i == 10 {
			go bg.Run(func() { ranAt <- done.Load() })
			time.Sleep(200 * time.Millisecond) // the other work is waiting for the slot
		}
		done.Add(1)
	}
	tr.end()
	select {
	case at := <-ranAt:
		if at >= 2*turnItems {
			t.Errorf("the other work ran after %d items of the job, want before %d (the job's second hand-on)", at, 2*turnItems)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the other work never ran")
	}
	// With its turn ended the job holds no slot.
	bg.Run(func() {})
	if len(bg.slots) != 0 {
		t.Errorf("%d slots still held", len(bg.slots))
	}
}

// A refresh's pages are decoded, formatted and indexed on the Background:
// while its only slot is taken, no page is indexed; once it is given
// back, the whole listing is. A first load does not wait for it.
func TestRefreshRunsOnTheBackground(t *testing.T) {
	api := streamKeysAPI(t)
	want := len(listedIDs(t, api))
	bg := NewBackground(1)
	bg.slots <- struct{}{} // other background work holds the slot

	ch := make(chan keysEvent, 4)
	go streamKeys(context.Background(), api, "", testNow, nil, bg, ch)()
	loaded := 0
	deadline := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case ev := <-ch:
			loaded += ev.rows.Len()
			done = ev.done
		case <-deadline:
			t.Fatal("a first load waited for the Background")
		}
	}
	if loaded != want {
		t.Fatalf("a first load with the Background busy loaded %d keys, want %d", loaded, want)
	}

	ch = make(chan keysEvent, 4)
	go streamKeys(context.Background(), api, "", testNow, keytable.NewBuilder(testNow, 0), bg, ch)()
	select {
	case ev := <-ch:
		t.Fatalf("a refresh went on while the Background was busy: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
	<-bg.slots
	indexed := 0
	var built *keytable.Builder
	for ev := range ch {
		if ev.err != nil {
			t.Fatal(ev.err)
		}
		indexed += ev.indexed
		if ev.done {
			built = ev.built
		}
	}
	if indexed != want || built == nil {
		t.Fatalf("the refresh indexed %d keys (built %v), want %d", indexed, built != nil, want)
	}
}

// The usage history's recording runs on the Background, and holds no slot
// once it has ended.
func TestRecordUsageRunsOnTheBackground(t *testing.T) {
	h := openHistory(t, "https://h2ogpte.example", func() time.Time { return testNow })
	keys := numberedKeys(3000)
	bg := NewBackground(1)
	bg.slots <- struct{}{}
	got := make(chan any, 1)
	go func() { got <- recordUsage(context.Background(), h, bg, loadTag{}, testNow, keys)() }()
	select {
	case msg := <-got:
		t.Fatalf("the recording went on while the Background was busy: %#v", msg)
	case <-time.After(200 * time.Millisecond):
	}
	<-bg.slots
	awaitUsage(t, got, "the recording did not end once the Background was free")
	if len(bg.slots) != 0 {
		t.Errorf("%d slots still held after the recording", len(bg.slots))
	}
}

// Two recordings at once (two SSH sessions sharing the history and the
// Background) both end, without error: neither holds a slot while it
// waits for the history's locks, which the other holds while it waits for
// a slot (that would end in the history's busy timeout, or hang).
func TestTwoRecordingsOnOneSlotBothEnd(t *testing.T) {
	h := openHistory(t, "https://h2ogpte.example", func() time.Time { return testNow })
	keys := numberedKeys(4 * turnItems)
	bg := NewBackground(1)
	got := make(chan any, 2)
	for i := range 2 {
		go func() {
			got <- recordUsage(context.Background(), h, bg, loadTag{}, testNow.Add(time.Duration(i)*time.Hour), keys)()
		}()
	}
	for range 2 {
		awaitUsage(t, got, "two recordings on one slot did not both end: deadlocked")
	}
}

// A recording that waits for another writer of the history's file holds
// no slot meanwhile: other background work goes on, and the recording
// ends once the other writer is done.
func TestRecordingWaitsForTheFileWithoutASlot(t *testing.T) {
	h, db := historyWithSecondWriter(t)
	writer, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	bg := NewBackground(1)
	keys := numberedKeys(10)
	got := make(chan any, 1)
	go func() { got <- recordUsage(context.Background(), h, bg, loadTag{}, testNow, keys)() }()
	time.Sleep(100 * time.Millisecond) // the recording is waiting for the file
	ran := make(chan struct{})
	go bg.Run(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("background work waited for a recording that waits for another writer")
	}
	if _, err := writer.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	awaitUsage(t, got, "the recording did not end after the other writer")
}

// A recording takes its turn inside its first transaction, once the
// history holds its locks (history.WithLocked), so the history's work
// there (reading the summary of every key first) is a turn's: with the
// Background busy it waits holding the file, and does not commit before
// it has a slot. (Where in the transaction the turn comes is the
// history's: TestWithLockedCalledUnderTheLocks.)
func TestRecordingTakesItsTurnInsideItsTransaction(t *testing.T) {
	h, db := historyWithSecondWriter(t)
	bg := NewBackground(1)
	bg.slots <- struct{}{} // other background work holds the slot
	got := make(chan any, 1)
	go func() { got <- recordUsage(context.Background(), h, bg, loadTag{}, testNow, numberedKeys(0))() }()
	for deadline := time.Now().Add(10 * time.Second); probeWrite(db) == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the recording never held the file while the Background was busy")
		}
	}
	time.Sleep(100 * time.Millisecond)
	if probeWrite(db) == nil {
		t.Fatal("the recording let go of the file while the Background was busy")
	}
	select {
	case msg := <-got:
		t.Fatalf("the recording ended while the Background was busy: %#v", msg)
	default:
	}
	<-bg.slots
	awaitUsage(t, got, "the recording did not end once the Background was free")
	if err := probeWrite(db); err != nil {
		t.Fatalf("the file cannot be written once the recording ended: %v", err)
	}
}

// historyWithSecondWriter opens a usage history in a new file, and the
// same file as a second writer would (another process's command).
func historyWithSecondWriter(t *testing.T) (*history.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	h, err := history.Open(context.Background(), path, "https://h2ogpte.example", history.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return h, db
}

// probeWrite tries a write to the history's file through db, at once (no
// busy timeout), and takes it back.
func probeWrite(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.Exec("INSERT INTO meta VALUES ('probe', 1)")
	return err
}

// A refresh runs on the Background only while it has old rows on screen
// to show meanwhile: not when the table is empty (a failed first load) or
// holds only part of a first load (cut short by r).
func TestRefreshOnTheBackgroundOnlyOverOldRows(t *testing.T) {
	f := newTestAPI(t)
	a := newApp(t, f, Options{}, 120, 30)
	d := newDriver(t, a)
	d.run(a.switchUser(model.User{Username: "alice"}))
	d.settle()
	if a.table.Len() == 0 {
		t.Fatal("alice has no keys to show")
	}
	a.refresh()
	if a.load == nil || a.load.bg != a.opts.Background || a.opts.Background == nil {
		t.Fatalf("a refresh over old rows does not run on the Background")
	}
	a.cancelLoad()

	a.partial = true
	a.refresh()
	if a.load == nil || a.load.bg != nil {
		t.Fatal("a refresh of part of a first load runs on the Background")
	}
	a.cancelLoad()
	a.partial = false

	a.table.SetKeys(nil)
	a.refresh()
	if a.load == nil || a.load.bg != nil {
		t.Fatal("a refresh of an empty table runs on the Background")
	}
	a.cancelLoad()
}

// A refresh's final sort (and filter) of the new rows waits for the
// Background too: the old rows stay on screen until it has run.
func TestRefreshSortsOnTheBackground(t *testing.T) {
	f := newTestAPI(t)
	bg := NewBackground(1)
	a := newApp(t, f, Options{Background: bg}, 120, 30)
	d := newDriver(t, a)
	d.run(a.switchUser(model.User{Username: "alice"}))
	d.settle()
	d.hold = func(msg tea.Msg) bool {
		m, ok := msg.(keysPageMsg)
		return ok && m.built != nil
	}
	d.run(a.refresh())
	d.until("the refresh's last page", func() bool { return len(d.held) == 1 })
	d.hold = nil

	bg.slots <- struct{}{} // other background work holds the slot
	d.run(deliver(a, d.held[0]))
	for quietBy := time.Now().Add(5 * time.Second); d.step(200*time.Millisecond) && time.Now().Before(quietBy); {
	}
	if a.load == nil {
		t.Fatal("the refresh's final sort ran while the Background was busy")
	}
	<-bg.slots
	d.settle()
	if a.load != nil {
		t.Fatal("the refresh did not end once the Background was free")
	}
}

// numberedKeys is n keys of bob's, k00000 on.
func numberedKeys(n int) iter.Seq[*model.APIKey] {
	return func(yield func(*model.APIKey) bool) {
		for i := range n {
			if k := (model.APIKey{ID: fmt.Sprintf("k%05d", i), Username: "bob"}); !yield(&k) {
				return
			}
		}
	}
}

// awaitUsage waits for recordUsage's message on got, which must bring no
// error; late fails with what. (The history's busy timeout, 15 s, ends a
// recording that waits for the file before this does.)
func awaitUsage(t *testing.T, got <-chan any, late string) {
	t.Helper()
	select {
	case msg := <-got:
		if m, ok := msg.(usageMsg); !ok || m.err != nil {
			t.Fatalf("recordUsage returned %#v", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal(late)
	}
}

// A long job rests once each turnWork of its work, between turns, with its
// slot given back; a Background without rest never sleeps.
func TestLongJobRests(t *testing.T) {
	var clock time.Time
	var rests []time.Duration
	bg := NewBackground(1)
	bg.rest.now = func() time.Time { return clock }
	bg.rest.sleep = func(d time.Duration) {
		if len(bg.slots) != 0 {
			t.Error("a job rested holding its slot")
		}
		rests = append(rests, d)
		clock = clock.Add(d)
	}
	tr := bg.turn()
	const turns = 40
	for i := range turns * turnItems {
		tr.step()
		if i%turnItems == 0 {
			clock = clock.Add(time.Millisecond) // a turn's work
		}
	}
	tr.end()
	// 40 turns of 1 ms: a rest after each 4 ms of work (the first turn
	// ends after 1024 steps, when the clock has counted one turn).
	if len(rests) < turns/5 || len(rests) > turns/4 {
		t.Errorf("%d rests in %d turns of a millisecond, want one each %v", len(rests), turns, turnWork)
	}
	for _, d := range rests {
		if d != turnRest {
			t.Errorf("rested %v, want %v", d, turnRest)
		}
	}

	rests = nil
	quiet := &Background{slots: make(chan struct{}, 1), rest: rest{now: bg.rest.now, sleep: bg.rest.sleep}} // every 0
	tr = quiet.turn()
	for i := range 10 * turnItems {
		tr.step()
		if i%turnItems == 0 {
			clock = clock.Add(turnWork)
		}
	}
	tr.end()
	if len(rests) != 0 {
		t.Errorf("a Background without rest rested %d times", len(rests))
	}
}
