package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// historyRig is a demo server, a clock and a private state directory.
type historyRig struct {
	t     *testing.T
	ts    *testServer
	clk   *demoserver.Clock
	state string
}

func newHistoryRig(t *testing.T) *historyRig {
	t.Helper()
	clk := demoserver.NewClock(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	return &historyRig{t: t, clk: clk, state: t.TempDir(),
		ts: newTestServer(t, demoserver.Options{Now: clk.Now, Seed: 1})}
}

func (h *historyRig) env() map[string]string {
	env := h.ts.adminEnv()
	env["XDG_STATE_HOME"] = h.state
	return env
}

func (h *historyRig) run(args ...string) result {
	h.t.Helper()
	return runCLIWith(h.t, harness{env: h.env()}, func(e *Env) { e.Now = h.clk.Now }, args...)
}

func (h *historyRig) dbPath() string {
	return filepath.Join(h.state, "h2ogpte-keys", "history.db")
}

// createKey makes a key for bob and returns its id and secret.
func (h *historyRig) createKey() (id, secret string) {
	h.t.Helper()
	r := h.run("create", "--user", "bob", "--name", "history-probe", "--expires", "30d", "-o", "json")
	if r.code != 0 {
		h.t.Fatalf("create: exit %d, %q", r.code, r.Stderr)
	}
	var out struct {
		Secret string `json:"secret_key"`
		Key    struct {
			ID string `json:"id"`
		} `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || out.Key.ID == "" || out.Secret == "" {
		h.t.Fatalf("create output is not a created key: %v", err)
	}
	return out.Key.ID, out.Secret
}

// use calls a user endpoint with the key n times, as an application would;
// the demo server counts the calls in total_calls.
func (h *historyRig) use(secret string, n int) {
	h.t.Helper()
	for range n {
		req, err := http.NewRequest(http.MethodGet, h.ts.URL+"/api/v1/collections", nil)
		if err != nil {
			h.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			h.t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			h.t.Fatalf("using the key: HTTP %d", res.StatusCode)
		}
	}
}

func (h *historyRig) snapshot() {
	h.t.Helper()
	r := h.run("snapshot")
	if r.code != 0 || r.Stdout != "" || r.Stderr != "" {
		h.t.Fatalf("snapshot: exit %d, stdout %q, stderr %q; want 0 and silence", r.code, r.Stdout, r.Stderr)
	}
}

// TestSnapshotThenHistory: snapshots with calls made in between become
// calls per day; a gap between reads spanning midnight is spread and
// marked estimated; days before the history are null, never 0.
func TestSnapshotThenHistory(t *testing.T) {
	h := newHistoryRig(t)
	id, secret := h.createKey()
	day0 := h.clk.Now()
	h.snapshot()
	h.use(secret, 4)
	h.clk.Set(day0.Add(18 * time.Hour))
	h.snapshot()
	h.use(secret, 6)
	// 6 calls between 18:00 on day 0 and 12:00 on day 1: 6 h and 12 h, so
	// 2 and 4, both estimated.
	h.clk.Set(day0.Add(36 * time.Hour))
	h.snapshot()

	fi, err := os.Stat(h.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600", fi.Mode().Perm())
	}

	r := h.run("history", id, "--days", "3", "-o", "json")
	if r.code != 0 {
		t.Fatalf("history: exit %d, %q", r.code, r.Stderr)
	}
	var rep struct {
		KeyID string  `json:"key_id"`
		Name  string  `json:"name"`
		Since *string `json:"history_since"`
		Days  []struct {
			Date      string `json:"date"`
			Calls     *int64 `json:"calls"`
			Estimated bool   `json:"estimated"`
		} `json:"days"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("history JSON %q: %v", r.Stdout, err)
	}
	if rep.KeyID != id || rep.Name != "history-probe" || rep.Since == nil || *rep.Since != "2026-11-26T00:00:00Z" {
		t.Errorf("history header = %+v", rep)
	}
	type day struct {
		date  string
		calls int64 // -1: null
		est   bool
	}
	want := []day{{"2026-11-25", -1, false}, {"2026-11-26", 6, true}, {"2026-11-27", 4, true}}
	if len(rep.Days) != len(want) {
		t.Fatalf("days = %+v, want %v", rep.Days, want)
	}
	for i, d := range rep.Days {
		got := day{d.Date, -1, d.Estimated}
		if d.Calls != nil {
			got.calls = *d.Calls
		}
		if got != want[i] {
			t.Errorf("day %d = %+v, want %+v", i, got, want[i])
		}
	}
	if !strings.Contains(r.Stdout, `"calls": null`) {
		t.Errorf("an uncovered day is not null in JSON: %s", r.Stdout)
	}

	r = h.run("history", id, "--days", "3", "-o", "table")
	for _, frag := range []string{"history since 2026-11-26 (3 days asked)", "2026-11-26     ~6  estimated", "2026-11-27     ~4  estimated"} {
		if !strings.Contains(r.Stdout, frag) {
			t.Errorf("table lacks %q:\n%s", frag, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "2026-11-25") {
		t.Errorf("table shows a day before the history:\n%s", r.Stdout)
	}

	r = h.run("history", id, "--days", "3", "-o", "csv")
	wantCSV := "date,calls,estimated,reset\n2026-11-25,,false,false\n2026-11-26,6,true,false\n2026-11-27,4,true,false\n"
	if r.code != 0 || r.Stdout != wantCSV {
		t.Errorf("CSV = %q (exit %d), want %q", r.Stdout, r.code, wantCSV)
	}

	// The usage columns list --with-usage shows, through the helper.
	a := &app{Env: Env{Getenv: func(k string) string { return h.env()[k] }, Now: h.clk.Now, Stderr: &bytes.Buffer{}},
		cfg: settings{History: true, Address: h.ts.URL}}
	m, err := a.keyUsage(context.Background(), []model.APIKey{{ID: id}, {ID: "never-seen"}})
	if err != nil {
		t.Fatal(err)
	}
	// The last 24 h take a third of the first interval's 4 calls (6 h of
	// its 18) and all 6 of the second: 7.33, rounded.
	f := usageFields(m, id)
	if f.Calls24h == nil || *f.Calls24h != 7 || f.Calls7d != nil || f.UsageSince == nil || !f.UsageSince.Equal(day0) {
		t.Errorf("usage fields = %s", usageCells(f, true))
	}
	if got := strings.Join(usageCells(usageFields(m, "never-seen"), false), ","); got != ",,," {
		t.Errorf("a key the history never saw has cells %q, want all empty", got)
	}

	// list --with-usage output, in each format.
	keys := []model.APIKey{{ID: id, Name: "=HYPERLINK(1)", Username: "bob", IsActive: true, TotalCalls: model.Some[int64](10)},
		{ID: "never-seen", Name: "other", Username: "bob", IsActive: true}}
	var buf bytes.Buffer
	p := printer{w: &buf, format: formatJSON, now: h.clk.Now()}
	if err := p.keysWithUsage(keys, m); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("--with-usage JSON %q: %v", buf.String(), err)
	}
	if recs[0]["id"] != id || recs[0]["calls_24h"] != 7.0 || recs[0]["calls_7d"] != nil ||
		recs[0]["usage_since"] != "2026-11-26T00:00:00Z" || recs[0]["status"] != "active" {
		t.Errorf("--with-usage JSON record = %v", recs[0])
	}
	if v, ok := recs[1]["calls_30d"]; !ok || v != nil {
		t.Errorf("unseen key's calls_30d = %v (present %v), want null", v, ok)
	}
	buf.Reset()
	p.format = formatCSV
	if err := p.keysWithUsage(keys, m); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.HasSuffix(lines[0], ",calls_24h,calls_7d,calls_30d,usage_since") ||
		!strings.HasSuffix(lines[1], ",7,,,2026-11-26T00:00:00Z") || !strings.Contains(lines[1], "'=HYPERLINK") {
		t.Errorf("--with-usage CSV:\n%s", buf.String())
	}
	buf.Reset()
	p.format = formatTable
	if err := p.keysWithUsage(keys, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "USAGE SINCE") || !strings.Contains(buf.String(), "2026-11-26") {
		t.Errorf("--with-usage table:\n%s", buf.String())
	}
}

func TestHistoryUnknownKeyExit1(t *testing.T) {
	h := newHistoryRig(t)
	h.snapshot()
	r := h.run("history", "no-such-key")
	assertOneLine(t, r, exitFail, "no usage history for key no-such-key")
}

// TestNoHistoryCreatesNothing: --no-history and history: false turn the
// history off entirely: no file, no directory, and the commands say so.
func TestNoHistoryCreatesNothing(t *testing.T) {
	h := newHistoryRig(t)
	r := h.run("--no-history", "snapshot")
	assertOneLine(t, r, exitUsage, "usage history is off (--no-history)")
	r = h.run("--no-history", "history", "some-key")
	assertOneLine(t, r, exitUsage, "usage history is off (--no-history)")

	cfgDir := t.TempDir()
	cfg := filepath.Join(cfgDir, "h2ogpte-keys", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("history: false\nhistory_raw_retention: 30d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := h.env()
	env["XDG_CONFIG_HOME"] = cfgDir
	r = runCLI(t, harness{env: env}, "snapshot")
	assertOneLine(t, r, exitUsage, "usage history is off (history: false in")

	// The helpers the list command and the dashboard call do nothing.
	a := &app{Env: Env{Getenv: func(k string) string { return env[k] }, Now: h.clk.Now, Stderr: &bytes.Buffer{}},
		cfg: settings{History: false, Address: h.ts.URL}}
	a.recordKeys(context.Background(), nil)
	if st, err := a.historyStore(context.Background()); st != nil || err != nil {
		t.Errorf("historyStore with history off = %v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(h.state, "h2ogpte-keys")); !os.IsNotExist(err) {
		t.Errorf("history off, yet the state directory exists: %v", err)
	}

	if err := os.WriteFile(cfg, []byte("history_daily_retention: soon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, harness{env: env}, "snapshot")
	assertOneLine(t, r, exitUsage, "history_daily_retention is not a length of time")
}

// TestSnapshotFailureExit1: a server that cannot be read, or a history that
// cannot be written, fails the snapshot with one line and exit 1.
func TestSnapshotFailureExit1(t *testing.T) {
	h := newHistoryRig(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	env := h.env()
	env[envAddress] = dead.URL
	r := runCLI(t, harness{env: env}, "snapshot")
	assertOneLine(t, r, exitFail, "snapshot:")
	if _, err := os.Stat(h.dbPath()); !os.IsNotExist(err) {
		t.Errorf("a failed read created the history: %v", err)
	}

	// XDG_STATE_HOME is a file: the history cannot be created.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env = h.env()
	env["XDG_STATE_HOME"] = blocker
	r = runCLI(t, harness{env: env}, "snapshot")
	assertOneLine(t, r, exitFail, "usage history:")

	// The same failure while listing is only a warning.
	var stderr bytes.Buffer
	a := &app{Env: Env{Getenv: func(k string) string { return env[k] }, Now: h.clk.Now, Stderr: &stderr},
		cfg: settings{History: true, Address: h.ts.URL}}
	a.recordKeys(context.Background(), nil)
	if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "h2ogpte-keys: warning: usage history:") {
		t.Errorf("recordKeys failure printed %q, want one warning line", got)
	}
}

// TestListRecordsAndWithUsage: a collected list records what it read, so
// two lists a day apart with calls in between give list --with-usage the
// key's calls in the last 24 h; a window the history does not cover is
// null. A streamed listing records nothing (it holds no whole set).
func TestListRecordsAndWithUsage(t *testing.T) {
	h := newHistoryRig(t)
	id, secret := h.createKey()
	day0 := h.clk.Now()
	if r := h.run("list", "--user", "bob", "-o", "json"); r.code != 0 {
		t.Fatalf("list: exit %d, %q", r.code, r.Stderr)
	}
	h.use(secret, 5)
	h.clk.Set(day0.Add(24 * time.Hour))
	r := h.run("list", "--user", "bob", "-o", "json", "--with-usage")
	if r.code != 0 {
		t.Fatalf("list --with-usage: exit %d, %q", r.code, r.Stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil {
		t.Fatalf("list --with-usage JSON: %v\n%s", err, r.Stdout)
	}
	var row map[string]any
	for _, k := range rows {
		if k["id"] == id {
			row = k
		}
	}
	if row == nil {
		t.Fatalf("key %s not listed", id)
	}
	if row["calls_24h"] != float64(5) || row["calls_30d"] != nil {
		t.Errorf("usage of the probe key: calls_24h %v, calls_30d %v; want 5 and null (30 days not covered)", row["calls_24h"], row["calls_30d"])
	}

	// Streamed: the default order of --all -o json records nothing more.
	h.use(secret, 3)
	h.clk.Set(day0.Add(30 * time.Hour))
	if r := h.run("list", "--all", "-o", "json"); r.code != 0 {
		t.Fatalf("list --all: exit %d, %q", r.code, r.Stderr)
	}
	r = h.run("history", id, "-o", "json", "--days", "2")
	if r.code != 0 {
		t.Fatalf("history: exit %d, %q", r.code, r.Stderr)
	}
	var hist struct {
		LastSeen time.Time `json:"last_seen_at"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &hist); err != nil {
		t.Fatalf("history JSON: %v", err)
	}
	if want := day0.Add(24 * time.Hour); !hist.LastSeen.Equal(want) {
		t.Errorf("last seen %v, want %v: the streamed listing at +30h was recorded", hist.LastSeen, want)
	}

	if r := h.run("--no-history", "list", "--user", "bob", "--with-usage"); r.code != 2 || !strings.Contains(r.Stderr, "--no-history") {
		t.Errorf("--with-usage with history off: exit %d, %q; want 2 naming --no-history", r.code, r.Stderr)
	}
}
