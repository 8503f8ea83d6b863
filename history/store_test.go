package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// t0 is a fixed Monday midnight UTC; every test's clock starts here.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

const server = "https://gpte.example.com"

func key(id string, total int64) model.APIKey {
	return model.APIKey{ID: id, Name: "name-" + id, Username: "user-" + id, IsActive: true,
		TotalCalls: model.Some(total), LastUsed: model.Some(t0)}
}

func openAt(t testing.TB, path, srv string, now *time.Time, opts Options) *Store {
	t.Helper()
	opts.Now = func() time.Time { return *now }
	s, err := Open(context.Background(), path, srv, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newStore(t testing.TB) (*Store, *time.Time) {
	t.Helper()
	now := t0
	return openAt(t, filepath.Join(t.TempDir(), "h", "history.db"), server, &now, Options{}), &now
}

func record(t testing.TB, s *Store, at time.Time, keys ...model.APIKey) {
	t.Helper()
	if err := s.Record(context.Background(), at, keys); err != nil {
		t.Fatalf("Record at %v: %v", at, err)
	}
}

func usageOf(t *testing.T, s *Store, now time.Time, id string) Usage {
	t.Helper()
	m, err := s.Usage(context.Background(), now, []string{id})
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	u, ok := m[id]
	if !ok {
		t.Fatalf("Usage: no entry for %s in %v", id, m)
	}
	return u
}

func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ptr(v int64) string {
	return fmt.Sprint(v)
}

func show(p *int64) string {
	if p == nil {
		return "nil"
	}
	return ptr(*p)
}

func wantCalls(t *testing.T, name string, got *int64, want string) {
	t.Helper()
	if show(got) != want {
		t.Errorf("%s = %s, want %s", name, show(got), want)
	}
}

func TestDefaultPath(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
		err  bool
	}{
		{map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/h2ogpte-keys/history.db", false},
		{map[string]string{"XDG_STATE_HOME": "rel", "HOME": "/h"}, "/h/.local/state/h2ogpte-keys/history.db", false},
		{map[string]string{"HOME": "/h"}, "/h/.local/state/h2ogpte-keys/history.db", false},
		{map[string]string{}, "", true},
	}
	for _, c := range cases {
		got, err := DefaultPath(func(k string) string { return c.env[k] })
		if (err != nil) != c.err || got != c.want {
			t.Errorf("DefaultPath(%v) = %q, %v; want %q, err %v", c.env, got, err, c.want, c.err)
		}
	}
}

func TestNormalizeServer(t *testing.T) {
	cases := map[string]string{
		"gpte.example.com":                  "https://gpte.example.com",
		"HTTPS://GPTE.example.com:443/":     "https://gpte.example.com",
		"https://user:pw@gpte.example.com/": "https://gpte.example.com",
		"http://gpte.example.com:80":        "http://gpte.example.com",
		"http://gpte.example.com:8080/x//":  "http://gpte.example.com:8080/x",
		"https://gpte.example.com/?a=1#f":   "https://gpte.example.com",
		"http://[::1]:8080":                 "http://[::1]:8080",
	}
	for in, want := range cases {
		got, err := NormalizeServer(in)
		if err != nil || got != want {
			t.Errorf("NormalizeServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", "https://"} {
		if got, err := NormalizeServer(bad); err == nil {
			t.Errorf("NormalizeServer(%q) = %q, want an error", bad, got)
		}
	}
}

func TestOpenCreatesPrivateFileInWALMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "h2ogpte-keys")
	path := filepath.Join(dir, "history.db")
	now := t0
	s := openAt(t, path, server, &now, Options{})
	record(t, s, t0, key("a", 1))
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode = %v, want %v", p, fi.Mode(), want)
		}
	}
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if _, err := Open(context.Background(), filepath.Join(dir, "a?b.db"), server, Options{}); err == nil {
		t.Error("Open accepted a path with '?', which the driver would misread")
	}
}

func TestRecordsOnlyChangesAndStoresNoSecretOrHint(t *testing.T) {
	s, _ := newStore(t)
	k := key("a", 10)
	k.Hint = "sk-...HINTVALUE"
	record(t, s, t0, k, key("b", 5))
	record(t, s, t0.Add(time.Hour), k, key("b", 5))
	if n := count(t, s, "observations"); n != 2 {
		t.Errorf("after an unchanged read: %d observations, want 2 (one baseline each)", n)
	}
	for _, change := range []func(*model.APIKey){
		func(k *model.APIKey) { k.TotalCalls = model.Some[int64](11) },
		func(k *model.APIKey) { k.LastUsed = model.Some(t0.Add(time.Hour)) },
		func(k *model.APIKey) { k.IsActive = false },
		func(k *model.APIKey) { e := t0.AddDate(0, 1, 0); k.Expires = &e },
	} {
		change(&k)
	}
	record(t, s, t0.Add(2*time.Hour), k, key("b", 5))
	if n := count(t, s, "observations"); n != 3 {
		t.Errorf("after a changed read: %d observations, want 3", n)
	}
	var hits int
	for _, tbl := range []string{"keys", "observations", "daily", "servers"} {
		rows, err := s.db.Query(`SELECT * FROM ` + tbl)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if fmt.Sprint(v) == k.Hint {
					hits++
				}
			}
		}
		rows.Close()
	}
	if hits != 0 {
		t.Errorf("the key's hint was stored %d times", hits)
	}
	info, err := s.Key(context.Background(), "a")
	if err != nil || info.Name != "name-a" || info.Username != "user-a" {
		t.Errorf("Key(a) = %+v, %v; want its name and username kept", info, err)
	}
}

func TestDeltasAndDaily(t *testing.T) {
	s, _ := newStore(t)
	record(t, s, t0.Add(1*time.Hour), key("a", 100))
	record(t, s, t0.Add(2*time.Hour), key("a", 150))
	record(t, s, t0.Add(3*time.Hour), key("a", 150))
	record(t, s, t0.Add(26*time.Hour), key("a", 175))
	days, since, err := s.Daily(context.Background(), "a", 30, t0.Add(26*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !since.Equal(t0.Add(time.Hour)) {
		t.Errorf("since = %v, want %v", since, t0.Add(time.Hour))
	}
	// 25 calls made between 03:00 on day 0 and 02:00 on day 1: 21 h on day
	// 0, 2 h on day 1, so spread 21:2 and marked estimated.
	want := []Day{{Date: t0, Calls: 50 + 23, Estimated: true}, {Date: t0.AddDate(0, 0, 1), Calls: 2, Estimated: true}}
	if fmt.Sprint(days) != fmt.Sprint(want) {
		t.Errorf("Daily = %+v\nwant %+v", days, want)
	}
	u := usageOf(t, s, t0.Add(26*time.Hour), "a")
	wantCalls(t, "Calls24h", u.Calls24h, "25") // (02:00, 02:00 next day] holds all of 03:00..02:00
	wantCalls(t, "Calls7d", u.Calls7d, "nil")
	if u.PerDay7d == nil || *u.PerDay7d != 75/(25.0/24) {
		t.Errorf("PerDay7d = %v, want 75 calls over 25 h", u.PerDay7d)
	}
	if u.Estimated {
		t.Error("Estimated set though no interval straddles a window start")
	}
}

func TestResetIsANewBaselineNeverNegative(t *testing.T) {
	s, _ := newStore(t)
	record(t, s, t0, key("a", 100))
	record(t, s, t0.Add(time.Hour), key("a", 120))
	record(t, s, t0.Add(2*time.Hour), key("a", 40)) // re-created: total went down
	record(t, s, t0.Add(3*time.Hour), key("a", 45))
	now := t0.AddDate(0, 0, 1)
	days, _, err := s.Daily(context.Background(), "a", 7, now)
	if err != nil {
		t.Fatal(err)
	}
	// The key was last seen on day 0, so day 1 is not covered.
	if len(days) != 1 || days[0].Calls != 25 || !days[0].Reset {
		t.Errorf("Daily = %+v; want 20 + 5 on day 0 only, flagged reset", days)
	}
	u := usageOf(t, s, now, "a")
	wantCalls(t, "Calls24h", u.Calls24h, "25")
	if !u.Reset {
		t.Error("Usage.Reset not set after the total went down")
	}
}

func TestGapIsSpreadAndEstimated(t *testing.T) {
	s, _ := newStore(t)
	record(t, s, t0.Add(12*time.Hour), key("a", 0))
	record(t, s, t0.Add(84*time.Hour), key("a", 300)) // day 3, 12:00
	now := t0.Add(84 * time.Hour)
	days, _, err := s.Daily(context.Background(), "a", 30, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{50, 100, 100, 50}
	if len(days) != len(want) {
		t.Fatalf("Daily = %+v, want %d days", days, len(want))
	}
	for i, d := range days {
		if d.Calls != want[i] || !d.Estimated {
			t.Errorf("day %d = %+v, want %d calls, estimated", i, d, want[i])
		}
	}
	u := usageOf(t, s, now, "a")
	wantCalls(t, "Calls24h", u.Calls24h, "100")
	if !u.Estimated {
		t.Error("Calls24h is a share of a 3-day gap but Estimated is false")
	}
}

func TestSpreadAddsUp(t *testing.T) {
	for _, c := range []struct{ from, to, calls int64 }{
		{0, dayMs, 7}, {dayMs / 3, 5*dayMs + 17, 1000003}, {-dayMs / 2, dayMs / 2, 3}, {5, 6, 1}, {0, 400 * dayMs, 1},
	} {
		var sum int64
		parts := spread(c.from, c.to, c.calls)
		for _, p := range parts {
			if p.calls < 0 {
				t.Errorf("spread%v: negative share %v", c, p)
			}
			sum += p.calls
		}
		if sum != c.calls {
			t.Errorf("spread%v adds up to %d", c, sum)
		}
	}
}

func TestOldServerWithoutTotals(t *testing.T) {
	s, _ := newStore(t)
	k := key("a", 0)
	k.TotalCalls = model.Opt[int64]{}
	record(t, s, t0, k)
	k.IsActive = false
	record(t, s, t0.Add(48*time.Hour), k)
	if n := count(t, s, "observations"); n != 2 {
		t.Errorf("%d observations, want 2 (recorded without calls)", n)
	}
	u := usageOf(t, s, t0.Add(48*time.Hour), "a")
	if u.Calls24h != nil || u.Calls30d != nil || u.PerDay7d != nil || !u.Since.IsZero() {
		t.Errorf("Usage = %+v; want every window nil", u)
	}
	if _, _, err := s.Daily(context.Background(), "a", 30, t0); !errors.Is(err, ErrNoHistory) {
		t.Errorf("Daily err = %v, want ErrNoHistory", err)
	}
	// The server starts reporting: the first total is a baseline, not calls.
	record(t, s, t0.Add(72*time.Hour), key("a", 500))
	record(t, s, t0.Add(96*time.Hour), key("a", 510))
	u = usageOf(t, s, t0.Add(96*time.Hour), "a")
	wantCalls(t, "Calls24h", u.Calls24h, "10")
}

func TestCoverageShorterThanAsked(t *testing.T) {
	s, _ := newStore(t)
	record(t, s, t0, key("a", 0))
	for d := 1; d <= 3; d++ {
		record(t, s, t0.AddDate(0, 0, d), key("a", int64(d*10)))
	}
	now := t0.AddDate(0, 0, 3)
	u := usageOf(t, s, now, "a")
	wantCalls(t, "Calls24h", u.Calls24h, "10")
	wantCalls(t, "Calls7d", u.Calls7d, "nil")
	wantCalls(t, "Calls30d", u.Calls30d, "nil")
	if u.PerDay7d == nil || *u.PerDay7d != 10 || u.PerDaySpan != 3*24*time.Hour {
		t.Errorf("PerDay7d = %v over %v; want 10 over 72h", u.PerDay7d, u.PerDaySpan)
	}
	days, since, err := s.Daily(context.Background(), "a", 30, now)
	if err != nil || !since.Equal(t0) || len(days) != 4 || days[0].Date != t0 {
		t.Errorf("Daily = %+v since %v, %v; want 4 days from %v", days, since, err, t0)
	}
	// A key last seen long ago has no known recent calls.
	u = usageOf(t, s, now.AddDate(0, 0, 5), "a")
	wantCalls(t, "Calls24h after the key vanished", u.Calls24h, "nil")
	if !u.Through.Equal(now) {
		t.Errorf("Through = %v, want %v", u.Through, now)
	}
	// Less than a day of history: no average.
	record(t, s, now.Add(time.Hour), key("b", 0))
	if u := usageOf(t, s, now.Add(2*time.Hour), "b"); u.PerDay7d != nil || u.Calls24h != nil {
		t.Errorf("usage of a key first seen an hour ago = %+v", u)
	}
}

func TestStaleReadIgnored(t *testing.T) {
	s, _ := newStore(t)
	record(t, s, t0, key("a", 0))
	record(t, s, t0.Add(2*time.Hour), key("a", 20))
	record(t, s, t0.Add(time.Hour), key("a", 10)) // a slower writer's older read
	record(t, s, t0.AddDate(0, 0, 1), key("a", 20))
	u := usageOf(t, s, t0.AddDate(0, 0, 1), "a")
	wantCalls(t, "Calls24h", u.Calls24h, "20")
	if u.Reset {
		t.Error("an older read was taken as a reset")
	}
}

func TestUseChanged(t *testing.T) {
	s, now := newStore(t)
	// 10 days of reads at midnight, so each read's calls fall on one day:
	// "spiky" and "steady" 10 calls a day, "sparse" calls on 3 days of 7,
	// "dormant" none, "small" 5 a day.
	totals := map[string]int64{}
	read := func(at time.Time, add map[string]int64) {
		var ks []model.APIKey
		for _, id := range []string{"spiky", "steady", "sparse", "dormant", "small"} {
			totals[id] += add[id]
			ks = append(ks, key(id, totals[id]))
		}
		record(t, s, at, ks...)
	}
	start := t0
	read(start, nil)
	for d := 1; d <= 9; d++ {
		add := map[string]int64{"spiky": 10, "steady": 10, "small": 5}
		if d%3 == 0 {
			add["sparse"] = 5
		}
		read(start.AddDate(0, 0, d), add)
	}
	*now = start.AddDate(0, 0, 10)
	read(*now, map[string]int64{"spiky": 101, "dormant": 500, "sparse": 0, "small": 60})
	m, err := s.Usage(context.Background(), *now, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Change{"spiky": ChangeSpike, "dormant": ChangeSpike, "steady": ChangeSilent,
		"sparse": ChangeNone, "small": ChangeNone}
	for id, c := range want {
		if m[id].Change != c {
			t.Errorf("%s: Change = %q, want %q (usage %+v)", id, m[id].Change, c, m[id])
		}
	}
	wantCalls(t, "spiky Calls7d", m["spiky"].Calls7d, "161")
	// A key whose history does not cover the baseline is never judged.
	record(t, s, now.AddDate(0, 0, -2), key("new", 0))
	record(t, s, *now, key("new", 5000))
	if u := usageOf(t, s, *now, "new"); u.Change != ChangeNone {
		t.Errorf("new key judged %q on 2 days of history", u.Change)
	}
}

func TestServersNeverMix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	now := t0
	a := openAt(t, path, "https://a.example.com", &now, Options{})
	b := openAt(t, path, "https://b.example.com", &now, Options{})
	aAgain := openAt(t, path, "A.EXAMPLE.COM:443/", &now, Options{})
	record(t, a, t0, key("k", 0))
	record(t, b, t0, key("k", 1000))
	record(t, a, t0.AddDate(0, 0, 1), key("k", 7))
	record(t, b, t0.AddDate(0, 0, 1), key("k", 3000))
	ua := usageOf(t, aAgain, t0.AddDate(0, 0, 1), "k")
	ub := usageOf(t, b, t0.AddDate(0, 0, 1), "k")
	wantCalls(t, "server a", ua.Calls24h, "7")
	wantCalls(t, "server b", ub.Calls24h, "2000")
	if m, _ := b.Usage(context.Background(), t0, []string{"only-on-a"}); len(m) != 0 {
		t.Errorf("Usage of an unknown key = %v, want empty", m)
	}
}

func TestRetentionPrunes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	now := t0
	s := openAt(t, path, server, &now, Options{RawRetention: 10 * 24 * time.Hour, DailyRetention: 20 * 24 * time.Hour})
	for d := 0; d <= 25; d++ {
		now = t0.AddDate(0, 0, d).Add(12 * time.Hour)
		ks := []model.APIKey{key("live", int64(d*10))}
		if d < 2 {
			ks = append(ks, key("gone", int64(d)))
		}
		record(t, s, now, ks...)
	}
	var oldestObs, oldestDay int64
	if err := s.db.QueryRow(`SELECT MIN(at) FROM observations`).Scan(&oldestObs); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT MIN(day) FROM daily`).Scan(&oldestDay); err != nil {
		t.Fatal(err)
	}
	if cut := now.Add(-10 * 24 * time.Hour).UnixMilli(); oldestObs < cut-dayMs {
		t.Errorf("oldest observation %v, older than raw retention allows", time.UnixMilli(oldestObs).UTC())
	}
	if cut := dayOf(now.Add(-20 * 24 * time.Hour).UnixMilli()); oldestDay < cut-1 {
		t.Errorf("oldest roll-up day %d, cut %d", oldestDay, cut)
	}
	if _, err := s.Key(context.Background(), "gone"); !errors.Is(err, ErrNoHistory) {
		t.Errorf("a key unseen past daily retention is still kept: %v", err)
	}
	// The 30-day window reaches past the 10 days of raw observations.
	u := usageOf(t, s, now, "live")
	wantCalls(t, "Calls7d", u.Calls7d, "70")
	wantCalls(t, "Calls30d beyond raw retention", u.Calls30d, "nil")
	days, _, err := s.Daily(context.Background(), "live", 30, now)
	if err != nil || len(days) > 21 || len(days) < 19 {
		t.Errorf("Daily = %d days, %v; want about 20 kept", len(days), err)
	}
}

func TestMigratesOlderSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := migrate(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO servers (id, address) VALUES (1, ?)`, server); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO keys (id, server_id, key_id, name, username, seen_at, calls_since, base_total, base_at, obs_total, obs_active)
		VALUES (1, 1, 'a', 'n', 'u', ?, ?, 10, ?, 10, 1)`, t0.UnixMilli(), t0.UnixMilli(), t0.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	now := t0
	s := openAt(t, path, server, &now, Options{})
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations()) {
		t.Fatalf("user_version = %d, %v; want %d", v, err, len(migrations()))
	}
	record(t, s, t0.AddDate(0, 0, 1), key("a", 30))
	u := usageOf(t, s, t0.AddDate(0, 0, 1), "a")
	wantCalls(t, "Calls24h on a migrated file", u.Calls24h, "20")
	if n := count(t, s, "meta"); n != 1 {
		t.Errorf("meta rows = %d; the table migration 2 adds is not in use", n)
	}
	// A file from a newer program is refused rather than misread.
	if _, err := s.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, path, server, Options{}); err == nil {
		t.Error("Open accepted a newer schema")
	}
}

func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	now := t0
	stores := []*Store{
		openAt(t, path, server, &now, Options{}),
		openAt(t, path, server, &now, Options{}),
		openAt(t, path, "https://other.example.com", &now, Options{}),
	}
	const rounds = 8
	keys := make([]model.APIKey, 100)
	var wg sync.WaitGroup
	errs := make(chan error, rounds*len(stores))
	for w, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				ks := make([]model.APIKey, len(keys))
				for i := range ks {
					ks[i] = key(fmt.Sprintf("k%d", i), int64(r*10+w))
				}
				at := t0.Add(time.Duration(r*len(stores)+w) * time.Minute)
				if err := s.Record(context.Background(), at, ks); err != nil {
					errs <- err
				}
				if _, err := s.Usage(context.Background(), at, nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent writer: %v", err)
	}
	for i, s := range stores {
		m, err := s.Usage(context.Background(), t0.Add(2*time.Hour), nil)
		if err != nil || len(m) != len(keys) {
			t.Errorf("store %d: %d keys, %v", i, len(m), err)
		}
		for id, u := range m {
			if u.Calls24h != nil && *u.Calls24h < 0 {
				t.Errorf("store %d key %s: negative calls %d", i, id, *u.Calls24h)
			}
		}
	}
}

// Record changes the cached key states in place: a Record that fails
// half-way must not leave them behind. Usage afterwards is what the file
// says, as a Store opened afresh reads it, and the failed read moved
// nothing.
func TestFailedRecordLeavesNoTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	now := t0
	s := openAt(t, path, server, &now, Options{})
	ks := make([]model.APIKey, 300) // three batches of rows
	for i := range ks {
		ks[i] = key(fmt.Sprintf("k%03d", i), 10)
	}
	record(t, s, t0, ks...)
	before, err := s.Usage(context.Background(), t0.Add(2*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ks {
		ks[i].TotalCalls = model.Some[int64](50)
		ks[i].Name = "renamed"
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = s.RecordSeq(ctx, t0.Add(time.Hour), func(yield func(*model.APIKey) bool) {
		for i := range ks {
			if i == 250 {
				cancel()
			}
			if !yield(&ks[i]) {
				return
			}
		}
	})
	if err == nil {
		t.Fatal("a Record cancelled half-way succeeded")
	}
	after, err := s.Usage(context.Background(), t0.Add(2*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := openAt(t, path, server, &now, Options{}).Usage(context.Background(), t0.Add(2*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, fresh) || !reflect.DeepEqual(after, before) {
		t.Errorf("after a failed Record: usage of k000 %s\nfrom the file %s\nbefore %s",
			fmtUsage(after["k000"]), fmtUsage(fresh["k000"]), fmtUsage(before["k000"]))
	}
	// The next Record starts from the file's states: the calls since t0.
	record(t, s, t0.Add(3*time.Hour), ks...)
	days, _, err := s.Daily(context.Background(), "k007", 30, t0.Add(4*time.Hour))
	var calls int64
	for _, d := range days {
		calls += d.Calls
	}
	if err != nil || calls != 40 {
		t.Errorf("after the next Record: %d calls in %d days (%v), want 40", calls, len(days), err)
	}
}

// Record changes states in place while other goroutines (SSH sessions
// sharing one Store) read usage: they wait for it, and never see a state
// half-changed (the race detector watches this test).
func TestRecordAndUsageConcurrently(t *testing.T) {
	s, now := newStore(t)
	ks := make([]model.APIKey, 500)
	for i := range ks {
		ks[i] = key(fmt.Sprintf("k%03d", i), 0)
	}
	record(t, s, t0, ks...)
	stop := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-stop:
				return
			default:
			}
			m, err := s.Usage(context.Background(), t0.Add(30*time.Hour), nil)
			if err != nil {
				errs <- err
				return
			}
			// Every key changes by the same count at every read: a
			// state half-changed would show two different counts.
			var first *int64
			for _, u := range m {
				if first == nil {
					first = u.Calls24h
				} else if (u.Calls24h == nil) != (first == nil) || u.Calls24h != nil && *u.Calls24h != *first {
					errs <- fmt.Errorf("usage read mid-record: %v and %v calls", show(first), show(u.Calls24h))
					return
				}
			}
		}
	}()
	for round := 1; round <= 10; round++ {
		for i := range ks {
			ks[i].TotalCalls = model.Some(int64(round * 7))
		}
		*now = t0.Add(time.Duration(round) * time.Hour)
		record(t, s, *now, ks...)
	}
	close(stop)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// Forget lets the cached summary go; usage read afterwards (from the file)
// is the same.
func TestForget(t *testing.T) {
	s, _ := newStore(t)
	record(t, s, t0, key("a", 5), key("b", 7))
	record(t, s, t0.Add(26*time.Hour), key("a", 50), key("b", 7))
	want, err := s.Usage(context.Background(), t0.Add(27*time.Hour), nil)
	if err != nil || s.cache == nil {
		t.Fatalf("usage %v, cached %v", err, s.cache != nil)
	}
	s.Forget()
	if s.cache != nil {
		t.Fatal("the summary is still cached")
	}
	got, err := s.Usage(context.Background(), t0.Add(27*time.Hour), nil)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after Forget: %v %s, want %s", err, fmtUsage(got["a"]), fmtUsage(want["a"]))
	}
}

// An unchanged read marks every key seen, past the statement's chunk
// (markSeen): none is left at the read before.
func TestMarkSeenEveryKey(t *testing.T) {
	s, _ := newStore(t)
	n := 2*markSeenRefs + 7
	keys := make([]model.APIKey, n)
	for i := range keys {
		keys[i] = key(fmt.Sprintf("k%06d", i), int64(i))
		if i%3 == 0 {
			keys[i].TotalCalls = model.Opt[int64]{} // a server from before totals
		}
	}
	withTotal := n - (n+2)/3
	record(t, s, t0, keys...)
	later := t0.Add(time.Hour)
	record(t, s, later, keys...)
	var seen, based int
	at := later.UnixMilli()
	if err := s.db.QueryRow(`SELECT COUNT(*) FILTER (WHERE seen_at = ?1), COUNT(*) FILTER (WHERE base_at = ?1) FROM keys`, at).Scan(&seen, &based); err != nil {
		t.Fatal(err)
	}
	if seen != n || based != withTotal {
		t.Fatalf("%d keys seen and %d based at the later read, want %d and %d", seen, based, n, withTotal)
	}
}

// A key listed twice in one read is one key, whether it is old or new to
// the history, and whichever key first sends the read to the index by id
// (built at the first key not just after the one before: here a new key,
// a key out of place, or the repeat itself): a repeat is never just after
// its own state, so it is found through the index, which must hold new
// states too.
func TestKeyListedTwiceIsOneKey(t *testing.T) {
	ks := func(ids ...string) []model.APIKey {
		var out []model.APIKey
		for _, id := range ids {
			out = append(out, key(id, 5))
		}
		return out
	}
	for name, second := range map[string][]model.APIKey{
		"in order":     ks("a", "b", "new", "c", "new", "d"),
		"out of order": ks("c", "a", "new", "b", "new", "d", "a"),
		"new first":    ks("new", "a", "new", "b", "c", "d"),
	} {
		t.Run(name, func(t *testing.T) {
			s, _ := newStore(t)
			record(t, s, t0, ks("a", "b", "c", "d")...)
			record(t, s, t0.Add(time.Hour), second...)
			var rows int
			if err := s.db.QueryRow(`SELECT COUNT(*) FROM keys`).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			sm, err := s.loadSummary(context.Background(), s.db)
			if err != nil {
				t.Fatal(err)
			}
			if rows != 5 || len(sm.keys) != 5 {
				t.Errorf("%d keys in the table and %d in the summary, want 5", rows, len(sm.keys))
			}
		})
	}
}

// WithLocked's function is called once a call, with the call's locks held:
// another Store on the same file cannot begin writing meanwhile (RecordSeq),
// and the states are held (both).
func TestWithLockedCalledUnderTheLocks(t *testing.T) {
	now := t0
	path := filepath.Join(t.TempDir(), "history.db")
	s := openAt(t, path, server, &now, Options{})
	other := openAt(t, path, server, &now, Options{BusyTimeout: 50 * time.Millisecond})
	record(t, s, t0, key("a", 1))

	calls := 0
	ctx := WithLocked(context.Background(), func() {
		calls++
		if s.states.TryLock() {
			s.states.Unlock()
			t.Error("the states were not held")
		}
		if err := other.Record(context.Background(), t0.Add(time.Minute), []model.APIKey{key("b", 1)}); err == nil {
			t.Error("another writer recorded while RecordSeq held the file")
		}
	})
	keys := func(yield func(*model.APIKey) bool) {
		k := key("a", 2)
		yield(&k)
	}
	if err := s.RecordSeq(ctx, t0.Add(time.Hour), keys); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("RecordSeq called it %d times, want once", calls)
	}

	calls = 0
	ctx = WithLocked(context.Background(), func() {
		calls++
		if s.states.TryLock() {
			s.states.Unlock()
			t.Error("the states were not held")
		}
	})
	if err := s.UsageEach(ctx, t0.Add(time.Hour), nil, func(int) {}, func(string, Usage) {}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("UsageEach called it %d times, want once", calls)
	}
}

// UsageEach of chosen keys tells each known key asked for once, in the
// order asked, whatever that order is (keys out of the read's order send
// it to the index by id), and leaves out keys it does not know: for a few
// keys (a map of them) and for most (the finder).
func TestUsageOfChosenKeys(t *testing.T) {
	s, _ := newStore(t)
	keys := make([]model.APIKey, 100)
	for i := range keys {
		keys[i] = key(fmt.Sprintf("k%03d", i), int64(i))
	}
	record(t, s, t0, keys...)
	later := t0.Add(25 * time.Hour)
	keys[50].TotalCalls = model.Some[int64](500)
	record(t, s, later, keys...)
	all, err := s.Usage(context.Background(), later, nil)
	if err != nil || len(all) != len(keys) {
		t.Fatalf("usage of %d keys: %v", len(all), err)
	}
	few := []string{"k001", "k002", "k050", "k003", "unknown", "k050", "k099", "k002", "k098"}
	// Most keys, out of order: the finder's cursor and then its index.
	var most []string
	for i := 99; i >= 10; i-- {
		most = append(most, fmt.Sprintf("k%03d", i))
	}
	most = append(most, "unknown", "k050", "k001", "k099", "k000")
	for _, c := range []struct {
		name      string
		ask, want []string
	}{
		{"few", few, []string{"k001", "k002", "k050", "k003", "k099", "k098"}},
		{"most", most, append(slices.Clone(most[:90]), "k001", "k000")},
	} {
		var got []string
		err = s.UsageEach(context.Background(), later, c.ask, func(int) {}, func(id string, u Usage) {
			got = append(got, id)
			if !reflect.DeepEqual(u, all[id]) {
				t.Errorf("%s: %s: %s, but %s among all keys", c.name, id, fmtUsage(u), fmtUsage(all[id]))
			}
		})
		if err != nil || !slices.Equal(got, c.want) {
			t.Fatalf("%s: told %q (%v), want %q", c.name, got, err, c.want)
		}
	}
	if u := all["k050"]; u.Calls24h == nil || *u.Calls24h != 432 {
		t.Fatalf("k050: %s, want 432 calls in 24 hours (24 of the 25 hours' 450)", fmtUsage(u))
	}
}
