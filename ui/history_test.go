package ui

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/keytable"
)

// openHistory is a real usage history on a temporary file, for server,
// whose clock is now.
func openHistory(t *testing.T, server string, now func() time.Time) *history.Store {
	t.Helper()
	st, err := history.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"), server, history.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seedHistory records alice's keys as read once a day for the 10 days
// before commontest.Now, their totals climbing to what the server holds
// now. The first key (by listing order) with calls is quiet all along and
// then takes all its calls in the last day: a spike. Days 6 to 4 before
// now are never read, so their calls are spread over them (estimates).
func seedHistory(t *testing.T, st *history.Store, keys []model.APIKey) (spiked model.APIKey) {
	t.Helper()
	spikedAt := -1
	for i, k := range keys {
		if n, _ := k.TotalCalls.Get(); n > 200 && spikedAt < 0 {
			spikedAt, spiked = i, k
		}
	}
	if spikedAt < 0 {
		t.Fatal("alice has no key with more than 200 calls to spike")
	}
	for d := 10; d >= 1; d-- {
		if d >= 4 && d <= 6 {
			continue
		}
		read := make([]model.APIKey, len(keys))
		for i, k := range keys {
			k.LastUsed = model.Null[time.Time]()
			if n, ok := k.TotalCalls.Get(); ok {
				rate := int64(i+1) * 3
				past := max(n-int64(d)*rate, 0)
				if i == spikedAt {
					past = max(n-200, 0) // nothing until the last day
				}
				k.TotalCalls = model.Some(past)
			}
			read[i] = k
		}
		if err := st.Record(context.Background(), commontest.Now.Add(-time.Duration(d)*24*time.Hour), read); err != nil {
			t.Fatal(err)
		}
	}
	return spiked
}

// historyApp starts the dashboard on alice with a seeded usage history.
func historyApp(t *testing.T, w, h int) (*App, *history.Store, model.APIKey) {
	t.Helper()
	api, _ := demoAPI(t)
	st := openHistory(t, "https://h2ogpte.example.com", commontest.Clock)
	var keys []model.APIKey
	if err := api.StreamKeys(context.Background(), "alice", func(p []model.APIKey) { keys = append(keys, p...) }); err != nil {
		t.Fatal(err)
	}
	spiked := seedHistory(t, st, keys)
	a := newApp(t, api, Options{User: "alice", History: st}, w, h)
	// The load's usage is recorded and read in a command no status-bar
	// task tracks: settle, which returns once nothing has come back for
	// 60 ms, may return before it ends. Wait for the usage itself.
	d := newDriver(t, a)
	d.run(a.Init())
	d.until("the usage to reach the table", a.table.HasUsage)
	d.settle()
	return a, st, spiked
}

// The table's Calls/d column, the use-changed filter and the details'
// sparkline, drawn from a usage history seeded over 10 days.
func TestGoldenHistory(t *testing.T) {
	screens := []struct {
		name string
		keys []string
		size [2]int
	}{
		{name: "history_table", size: [2]int{140, 40}},
		{name: "history_table_narrow", size: [2]int{80, 24}},
		{name: "history_sorted_desc", keys: []string{"s", "s", "s", "s", "s", "s", "s", "s", "s", "S"}, size: [2]int{140, 40}},
		{name: "history_use_changed", keys: []string{"6"}, size: [2]int{140, 40}},
		{name: "history_details_spike", keys: []string{"6", "enter"}, size: [2]int{140, 40}},
	}
	for _, sc := range screens {
		t.Run(fmt.Sprintf("%s/%dx%d", sc.name, sc.size[0], sc.size[1]), func(t *testing.T) {
			a, _, _ := historyApp(t, sc.size[0], sc.size[1])
			d := newDriver(t, a)
			for _, k := range sc.keys {
				d.run(pressCmd(a, k))
				d.settle()
			}
			// The details read a key's daily calls in a command no
			// status-bar task tracks: wait for them, not for a quiet spell.
			d.until("the daily calls to be read", func() bool {
				return !strings.Contains(plainView(a), "reading the usage history…")
			})
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}

func pressCmd(a *App, k string) tea.Cmd {
	_, cmd := a.Update(commontest.Key(k))
	return cmd
}

// Update-level: the load is recorded and its usage handed to the table;
// quick filter 6 keeps the spiked key alone and says how many; sorting by
// Calls/d puts keys without usage last; the details say why use changed.
func TestHistoryUsage(t *testing.T) {
	a, _, spiked := historyApp(t, 140, 40)
	u, ok := a.table.UsageOf(spiked.ID)
	if !ok || u.Change != model.UsageSpike || !u.Calls24hKnown || u.Calls24h != 200 {
		t.Fatalf("spiked key's usage %+v, %v", u, ok)
	}
	drive(t, a, pressCmd(a, "6"))
	if !a.table.QuickOn(keytable.QuickUseChanged) || a.table.Shown() != 1 {
		t.Fatalf("use changed shows %d keys:\n%s", a.table.Shown(), plainView(a))
	}
	if cur, _ := a.table.Current(); cur.ID != spiked.ID {
		t.Errorf("use changed shows %s, want %s", cur.ID, spiked.ID)
	}
	if text, _ := a.status.Notice(); !strings.Contains(text, "Use changed: 1 key") {
		t.Errorf("status bar says %q", text)
	}
	drive(t, a, pressCmd(a, "enter"))
	v := commontest.Words(plainView(a))
	for _, want := range []string{"200 calls in 24 h", "after a median of 0 calls", "Usage (30 days)", "history since 2026-11-16", "~ estimated"} {
		if !strings.Contains(v, want) {
			t.Errorf("details lack %q:\n%s", want, v)
		}
	}
	drive(t, a, pressCmd(a, "esc"))
	drive(t, a, pressCmd(a, "6"))

	a.table.SortBy(keytable.Column(model.ColCallsPerDay), true)
	prev := 1e18
	seenBlank := false
	for i := range a.table.Shown() {
		cell := a.table.ShownCell(i, keytable.Column(model.ColCallsPerDay))
		if cell == "" {
			seenBlank = true
			continue
		}
		if seenBlank {
			t.Fatalf("row %d has %q after a blank: keys without usage go last", i, cell)
		}
		var f float64
		fmt.Sscanf(strings.NewReplacer("~", "", ",", "").Replace(cell), "%g", &f)
		if f > prev {
			t.Errorf("row %d: %g after %g, not descending", i, f, prev)
		}
		prev = f
	}
}

// brokenStore is a usage history whose every use fails.
type brokenStore struct{}

var errBroken = errors.New("disk full")

func (brokenStore) RecordSeq(context.Context, time.Time, iter.Seq[*model.APIKey]) error {
	return errBroken
}
func (brokenStore) UsageEach(context.Context, time.Time, []string, func(int), func(string, history.Usage)) error {
	return errBroken
}
func (brokenStore) Daily(context.Context, string, int, time.Time) ([]history.Day, time.Time, error) {
	return nil, time.Time{}, errBroken
}

// A history that fails is one warning; the table loads all the same, with
// no usage column, and the details say the history could not be read.
func TestHistoryFailureWarns(t *testing.T) {
	api, _ := demoAPI(t)
	a := startApp(t, api, Options{User: "alice", History: brokenStore{}}, 140, 40)
	if a.table.Len() == 0 {
		t.Fatal("the keys did not load")
	}
	if text, isErr := a.status.Notice(); !isErr || !strings.Contains(text, "usage history not recorded") || !strings.Contains(text, "disk full") {
		t.Errorf("status bar: %q (error %v)", text, isErr)
	}
	if a.table.HasUsage() || strings.Contains(plainView(a), "Calls/d") {
		t.Errorf("usage column without usage:\n%s", plainView(a))
	}
	drive(t, a, pressCmd(a, "6"))
	if a.table.QuickOn(keytable.QuickUseChanged) {
		t.Error("quick filter 6 turned on without usage")
	}
	drive(t, a, pressCmd(a, "enter"))
	if !strings.Contains(plainView(a), "could not read the usage history") {
		t.Errorf("details:\n%s", plainView(a))
	}
}

// unreadableUsage records for real but cannot read usage back.
type unreadableUsage struct{ *history.Store }

func (unreadableUsage) UsageEach(context.Context, time.Time, []string, func(int), func(string, history.Usage)) error {
	return errors.New("database is locked")
}

// Keys recorded whose usage then cannot be read: one warning that says it
// was the reading that failed, the table without a usage column, and the
// recording kept (a key's details read its days from the history).
func TestHistoryRecordedButUsageNotRead(t *testing.T) {
	api, _ := demoAPI(t)
	st := openHistory(t, "https://h2ogpte.example.com", commontest.Clock)
	a := startApp(t, api, Options{User: "alice", History: unreadableUsage{st}}, 140, 40)
	if a.table.Len() == 0 {
		t.Fatal("the keys did not load")
	}
	d := newDriver(t, a)
	d.until("the usage warning", func() bool {
		text, isErr := a.status.Notice()
		return isErr && strings.Contains(text, "usage history not read") && strings.Contains(text, "database is locked")
	})
	if text, _ := a.status.Notice(); strings.Contains(text, "not recorded") {
		t.Errorf("status bar says the recording failed: %q", text)
	}
	if a.table.HasUsage() || strings.Contains(plainView(a), "Calls/d") {
		t.Errorf("usage column without usage:\n%s", plainView(a))
	}
	var keys []model.APIKey
	if err := api.StreamKeys(context.Background(), "alice", func(p []model.APIKey) { keys = append(keys, p...) }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Daily(context.Background(), keys[0].ID, 30, commontest.Now); err != nil {
		t.Errorf("key %s not recorded: %v", keys[0].ID, err)
	}
}

// A key the history has never seen: no invented numbers.
func TestHistoryDetailsNoHistory(t *testing.T) {
	api, _ := demoAPI(t)
	st := openHistory(t, "https://h2ogpte.example.com", commontest.Clock)
	a := startApp(t, api, Options{User: "alice", History: st}, 140, 40)
	drive(t, a, pressCmd(a, "enter"))
	v := commontest.Words(plainView(a))
	if !strings.Contains(v, "no usage history yet first read 2026-11-26 15:00 UTC") {
		t.Errorf("details of a key recorded once:\n%s", v)
	}
	if _, ok := a.dialogs[0].d.(*actions.Model); !ok {
		t.Fatalf("top dialog %T", a.dialogs[0].d)
	}
}

// Journey: calls made with a new key appear as calls per day after a
// refresh a (clock-controlled) day later, and quick filter 6 picks the
// key whose use jumped.
func TestJourneyUsageHistory(t *testing.T) {
	ctx := context.Background()
	clock := demoserver.NewClock(commontest.Now)
	run, err := demoserver.Start("", demoserver.Options{Seed: 1, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Close() })
	admin, err := client.New(client.Config{Address: run.URL, Token: model.NewSecret(demoserver.DemoToken)})
	if err != nil {
		t.Fatal(err)
	}
	users, err := admin.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var alice model.User
	for _, u := range users {
		if u.Username == "alice" {
			alice = u
		}
	}
	created, err := admin.CreateKey(ctx, model.NewKey{UserID: alice.ID, Name: "ci-burst"})
	if err != nil {
		t.Fatal(err)
	}
	// The history knew the key, unused, for the 8 days before: a quiet
	// baseline that a burst of calls stands out from.
	st := openHistory(t, run.URL, clock.Now)
	for d := 8; d >= 1; d-- {
		k := created.Key
		k.TotalCalls = model.Some[int64](0)
		if err := st.Record(ctx, commontest.Now.Add(-time.Duration(d)*24*time.Hour), []model.APIKey{k}); err != nil {
			t.Fatal(err)
		}
	}

	tm := teatest.NewTestModel(t, New(admin, Options{User: "alice", Now: clock.Now, Copier: &fakeCopier{}, Address: run.URL, History: st}),
		teatest.WithInitialTermSize(140, 40))
	j := &journey{t: t, tm: tm, srv: run.Server, api: admin}
	j.waitAll("ci-burst", "Calls/d")

	// 350 calls with the new key's secret, as a client of the server would.
	const calls = 350
	secret := created.Secret.Reveal()
	for range calls {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, run.URL+"/api/v1/users/current/permissions", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if k, _ := run.Server.Key(created.Key.ID); k.TotalCalls != model.Some[int64](calls) {
		t.Fatalf("the server counted %v calls, want %d", k.TotalCalls, calls)
	}
	clock.Advance(24 * time.Hour)
	j.key("r")
	// 350 calls over the last 7 days: 50 a day, all observed.
	j.waitFor("50 calls a day", regexp.MustCompile(`ci-burst[^\n]*\s50\s`))
	j.key("6")
	j.waitAll("Use changed: 1 key", "ci-burst")
	a := j.quit()
	if a.table.Shown() != 1 {
		t.Fatalf("use changed shows %d keys", a.table.Shown())
	}
	if cur, _ := a.table.Current(); cur.ID != created.Key.ID {
		t.Errorf("use changed shows %s", cur.Name)
	}
}

// After the first read of a server, the history knows no key's use yet:
// the table is told there is a history but holds no figures (a million
// blank ones cost about 95 MB); after a later read with calls, it holds
// the keys that have something to show.
func TestFirstReadHoldsNoBlankUsage(t *testing.T) {
	api, _ := demoAPI(t)
	st := openHistory(t, "https://h2ogpte.example.com", commontest.Clock)
	a := newApp(t, api, Options{User: "alice", History: st}, 140, 40)
	d := newDriver(t, a)
	d.run(a.Init())
	d.until("the usage to reach the table", a.table.HasUsage)
	d.settle()
	keys := a.table.ShownKeys()
	if len(keys) == 0 {
		t.Fatal("alice has no keys")
	}
	for _, k := range keys {
		if u, ok := a.table.UsageOf(k.ID); ok {
			t.Fatalf("after a first read the table holds usage for %s: %+v", k.ID, u)
		}
	}

	a2, _, spiked := historyApp(t, 140, 40)
	if _, ok := a2.table.UsageOf(spiked.ID); !ok {
		t.Fatal("after later reads the table holds no usage for the spiked key")
	}
}
