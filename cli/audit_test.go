package cli

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

const day = 24 * time.Hour

// parseAudit runs args through the real audit flag definitions and parses
// them at testNow.
func parseAudit(t *testing.T, args ...string) (auditQuery, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "list"}
	var f auditFlags
	f.register(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return f.parse(testNow, cmd.Flags().Changed("status"))
}

func TestAuditFlagsBuildFilterAndSort(t *testing.T) {
	sts := func(s ...model.Status) []model.Status { return s }
	tests := []struct {
		args []string
		want auditQuery
	}{
		{nil, auditQuery{}},
		{[]string{"--expiring-within", "7d"}, auditQuery{filter: model.Filter{ExpiringWithin: 7 * day}}},
		{[]string{"--expiring-within", "48h"}, auditQuery{filter: model.Filter{ExpiringWithin: 48 * time.Hour}}},
		{[]string{"--expiring-within", "2w"}, auditQuery{filter: model.Filter{ExpiringWithin: 14 * day}}},
		// A calendar month from testNow (Nov 26 -> Dec 26) is 30 days.
		{[]string{"--expiring-within", "1mo"}, auditQuery{filter: model.Filter{ExpiringWithin: 30 * day}}},
		{[]string{"--never-used"}, auditQuery{filter: model.Filter{NeverUsed: true}}},
		{[]string{"--unused-for", "90d"}, auditQuery{filter: model.Filter{UnusedFor: 90 * day}}},
		{[]string{"--unused-for", "90 days", "--global-only"}, auditQuery{filter: model.Filter{UnusedFor: 90 * day, GlobalOnly: true}}},
		{[]string{"--status", "expired"}, auditQuery{filter: model.Filter{Statuses: sts(model.StatusExpired)}}},
		{[]string{"--status", "active,Idle"}, auditQuery{filter: model.Filter{Statuses: sts(model.StatusActive, model.StatusIdle)}}},
		{[]string{"--status", "inactive", "--status", "EXPIRED,inactive"}, auditQuery{filter: model.Filter{Statuses: sts(model.StatusInactive, model.StatusExpired)}}},
		{[]string{"--status", "not-working"}, auditQuery{filter: model.Filter{NotWorking: true}}},
		{[]string{"--status", "not_working"}, auditQuery{filter: model.Filter{NotWorking: true}}},
		// Beside other statuses, not-working adds to the "any of" list
		// rather than narrowing it.
		{[]string{"--status", "active,not-working"}, auditQuery{filter: model.Filter{Statuses: sts(model.StatusActive, model.StatusInactive, model.StatusExpired, model.StatusIdle)}}},
		{[]string{"--status", "expired", "--status", "not-working"}, auditQuery{filter: model.Filter{Statuses: sts(model.StatusExpired, model.StatusInactive, model.StatusIdle)}}},
		{[]string{"--global-only"}, auditQuery{filter: model.Filter{GlobalOnly: true}}},
		{[]string{"--filter", "Lice"}, auditQuery{filter: model.Filter{Text: "Lice"}}},
		{[]string{"--sort", "total-calls"}, auditQuery{sorted: true, sortBy: model.SortTotalCalls}},
		{[]string{"--sort", "last_used", "--desc"}, auditQuery{sorted: true, sortBy: model.SortLastUsed, desc: true}},
		{[]string{"--sort", "Stops-At"}, auditQuery{sorted: true, sortBy: model.SortStopsAt}},
		{[]string{"--sort", "name", "--never-used", "--expiring-within", "7d", "--status", "active", "--filter", "ci"},
			auditQuery{sorted: true, sortBy: model.SortName, filter: model.Filter{NeverUsed: true, ExpiringWithin: 7 * day, Statuses: sts(model.StatusActive), Text: "ci"}}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseAudit(t, tt.args...)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestAuditApplyUsesModelRules checks apply against model.Filter and
// model.Compare directly, and that without --sort the order is the
// listing's default (owner, then creation).
func TestAuditApplyUsesModelRules(t *testing.T) {
	keys := sampleKeys()
	slices.Reverse(keys) // so the default order has something to do
	ids := func(keys []model.APIKey) string {
		var out []string
		for _, k := range keys {
			out = append(out, k.ID)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "k1,k2,k3,k4,k5"},
		{[]string{"--status", "not-working"}, "k3,k4,k5"},
		{[]string{"--status", "active"}, "k1,k2"},
		{[]string{"--never-used"}, "k2"},
		{[]string{"--global-only", "--status", "expired,idle"}, "k4,k5"},
		{[]string{"--expiring-within", "60d"}, "k1"},
		{[]string{"--sort", "total-calls", "--desc"}, "k1,k5,k4,k2,k3"}, // k3 reports no calls: last
		{[]string{"--sort", "total-calls"}, "k2,k4,k5,k1,k3"},
		{[]string{"--sort", "name", "--filter", "O"}, "k2,k1,k3"}, // evil (bob), laptop, old-server
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			q, err := parseAudit(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(q.apply(slices.Clone(keys), testNow))
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestAuditBadValuesExit2BeforeAnyRequest runs each bad value through the
// whole command line against a server that counts requests.
func TestAuditBadValuesExit2BeforeAnyRequest(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--expiring-within", "7"}, []string{"--expiring-within", `"7"`, "missing unit"}},
		{[]string{"--expiring-within", "soon"}, []string{"--expiring-within", "whole number and a unit"}},
		{[]string{"--expiring-within", "-7d"}, []string{"--expiring-within", "negative"}},
		{[]string{"--expiring-within", "0d"}, []string{"--expiring-within", "more than zero"}},
		{[]string{"--unused-for", "90 fortnights"}, []string{"--unused-for", "fortnights"}},
		{[]string{"--status", "expird"}, []string{`--status "expird"`, "active, inactive, expired, idle, not-working"}},
		{[]string{"--status", "active,"}, []string{`--status ""`}},
		{[]string{"--status", ""}, []string{"--status needs a value"}},
		{[]string{"--sort", "colour"}, []string{"--sort", `unknown sort column "colour"`, "total-calls"}},
		{[]string{"--desc"}, []string{"--desc needs --sort COLUMN"}},
		{[]string{"--never-used=maybe"}, []string{"--never-used"}},
	}
	for _, tt := range tests {
		for _, scope := range [][]string{{"--all"}, {"--user", "alice"}} {
			args := append(append([]string{"list"}, scope...), tt.args...)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := runCLI(t, harness{env: ts.adminEnv()}, args...)
				assertOneLine(t, r, exitUsage, tt.want...)
				if r.Stdout != "" {
					t.Errorf("stdout = %q", r.Stdout)
				}
			})
		}
	}
	if total, _ := ts.log.counts(); total != 0 {
		t.Errorf("bad audit values sent %d requests", total)
	}
}

// listJSON runs list in-process at testNow and decodes its JSON.
func listJSON(t *testing.T, ts *testServer, args ...string) ([]model.APIKey, []map[string]any) {
	t.Helper()
	r := runCLI(t, harness{env: ts.adminEnv()}, append(append([]string{"list"}, args...), "--output", "json")...)
	if r.code != 0 {
		t.Fatalf("list %v: exit %d, stderr %q", args, r.code, r.Stderr)
	}
	var keys []model.APIKey
	var raw []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &keys); err != nil {
		t.Fatalf("list %v: %v", args, err)
	}
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		t.Fatalf("list %v: %v", args, err)
	}
	return keys, raw
}

func names(keys []model.APIKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}

// TestListAuditSampleData pins what the filters find in the demo server's
// sample data at a fixed clock, so a rule that drifts shows up here.
func TestListAuditSampleData(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--user", "alice", "--never-used"}, []string{"support-widget"}},
		{[]string{"--user", "alice", "--status", "idle"}, []string{"jupyter"}},
		{[]string{"--user", "alice", "--status", "not-working"}, []string{"old-laptop", "jupyter", "trial"}},
		{[]string{"--user", "alice", "--expiring-within", "7d"}, []string{"research-bot"}},
		{[]string{"--user", "alice", "--unused-for", "90d"}, []string{"old-laptop"}},
		{[]string{"--user", "alice", "--sort", "total-calls", "--desc", "--global-only"}, []string{"ci-pipeline", "old-laptop", "laptop", "jupyter", "trial"}},
		{[]string{"--all", "--status", "expired"}, []string{"trial", "personal"}},
		{[]string{"--all", "--expiring-within", "7d", "--sort", "stops-at"}, []string{"finance-export", "research-bot", "payroll\u202efdp.exe"}},
		// "LICE" is in both alice's and malice's names; --user keeps the owner exact.
		{[]string{"--user", "malice", "--filter", "LICE", "--sort", "name"}, []string{"burner", "evil\x1b[2Jname", "red-team"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, _ := listJSON(t, ts, tt.args...)
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("got %q, want %q", names(got), tt.want)
			}
		})
	}
}

func TestStopsCell(t *testing.T) {
	in := func(d time.Duration) *time.Time { v := testNow.Add(d); return &v }
	tests := []struct {
		name       string
		key        model.APIKey
		table, csv string
		// json is stops_at in JSON: RFC 3339 (past ones too) or null,
		// never "already".
		json string
	}{
		{"expires", model.APIKey{IsActive: true, Created: testNow.Add(-day), Expires: in(3 * day), InactivityDays: model.Null[int]()},
			"2026-11-29 12:00", "2026-11-29T12:00:00Z", "2026-11-29T12:00:00Z"},
		{"idle cut-off before expiry", model.APIKey{IsActive: true, Created: testNow.Add(-day), Expires: in(30 * day),
			LastUsed: model.Some(testNow.Add(-time.Hour)), InactivityDays: model.Some(2)},
			"2026-11-28 11:00", "2026-11-28T11:00:00Z", "2026-11-28T11:00:00Z"},
		{"nothing stops it", model.APIKey{IsActive: true, Created: testNow.Add(-day), InactivityDays: model.Null[int](), TotalCalls: model.Some[int64](0)}, "never", "", "null"},
		// An older server (no total_calls): a null interval says no more
		// than one left out.
		{"older server, null interval", model.APIKey{IsActive: true, Created: testNow.Add(-day), InactivityDays: model.Null[int]()}, "-", "", "null"},
		{"older server, no expiry", model.APIKey{IsActive: true, Created: testNow.Add(-day)}, "-", "", "null"},
		{"deactivated with a future expiry", model.APIKey{IsActive: false, Created: testNow.Add(-day), Expires: in(3 * day)}, "already", "already", "null"},
		{"expired", model.APIKey{IsActive: true, Created: testNow.Add(-9 * day), Expires: in(-day)}, "already", "already", "2026-11-25T12:00:00Z"},
		{"expires this instant", model.APIKey{IsActive: true, Created: testNow.Add(-9 * day), Expires: in(0)}, "already", "already", "2026-11-26T12:00:00Z"},
		{"idle", model.APIKey{IsActive: true, Created: testNow.Add(-9 * day), LastUsed: model.Null[time.Time](), InactivityDays: model.Some(7)},
			"already", "already", "2026-11-24T12:00:00Z"},
	}
	stops, _ := model.ColumnByID(model.ColStopsAt)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stops.Cell(tt.key, testNow); got != tt.table {
				t.Errorf("table cell = %q, want %q", got, tt.table)
			}
			row := model.KeyCSVRow(tt.key, testNow)
			if got := row[len(row)-1]; got != tt.csv {
				t.Errorf("csv stops_at = %q, want %q", got, tt.csv)
			}
			var rec struct {
				StopsAt json.RawMessage `json:"stops_at"`
			}
			b, _ := json.Marshal(model.NewKeyRecord(tt.key, testNow))
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			if got := strings.Trim(string(rec.StopsAt), `"`); got != tt.json {
				t.Errorf("json stops_at = %s, want %s", rec.StopsAt, tt.json)
			}
		})
	}
}

// complete asks the command line for completions the way a shell does.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	r := runCLI(t, harness{}, append([]string{cobra.ShellCompNoDescRequestCmd}, args...)...)
	if r.code != 0 {
		t.Fatalf("complete %v: exit %d, stderr %q", args, r.code, r.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("complete %v: no directive in %q", args, r.Stdout)
	}
	if lines[len(lines)-1] != ":4" { // ShellCompDirectiveNoFileComp
		t.Errorf("complete %v: directive %s, want :4 (no files)", args, lines[len(lines)-1])
	}
	return lines[:len(lines)-1]
}

func TestAuditCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"list", "--all", "--sort", ""}, []string{"name", "user", "collection", "created", "status", "expires", "inactivity", "last-used", "total-calls", "stops-at"}},
		{[]string{"list", "--all", "--sort", "s"}, []string{"status", "stops-at"}},
		{[]string{"list", "--all", "--status", ""}, []string{"active", "inactive", "expired", "idle", "not-working"}},
		{[]string{"list", "--all", "--status", "i"}, []string{"inactive", "idle"}},
		{[]string{"list", "--all", "--status", "expired,i"}, []string{"expired,inactive", "expired,idle"}},
		{[]string{"list", "--all", "--status", "expired,"}, []string{"expired,active", "expired,inactive", "expired,idle", "expired,not-working"}},
		{[]string{"list", "--all", "--expiring-within", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := complete(t, tt.args...)
			if len(got) == 0 {
				got = nil
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestE2EAuditFilters runs list's audit flags through the built binary
// against the sample data. The expected keys come from the full listing
// run through model.Filter and model.Compare, and each case also checks a
// fact about the sample data, so an expectation that is empty or wrong in
// the same way as the code still fails.
func TestE2EAuditFilters(t *testing.T) {
	// The binary reads the real clock, so the server's fixed clock is the
	// real time at the start: the sample data's boundaries (days and hours
	// from t0) are then far from the few seconds the test takes.
	t0 := time.Now().UTC().Truncate(time.Second)
	e := &e2e{t: t, ts: newTestServer(t, demoserver.Options{Seed: 1, Now: func() time.Time { return t0 }}),
		token: demoserver.DemoToken, home: t.TempDir()}

	var all []model.APIKey
	if err := json.Unmarshal([]byte(e.listing()), &all); err != nil {
		t.Fatal(err)
	}
	if len(all) < 20 {
		t.Fatalf("full listing has %d keys", len(all))
	}
	filter := func(f model.Filter) func(time.Time) []model.APIKey {
		return func(now time.Time) []model.APIKey { return f.Apply(all, now) }
	}
	allNames := func(t *testing.T, rows []map[string]any, want ...string) {
		t.Helper()
		for _, w := range want {
			if findKey(rows, "name", w) == nil {
				t.Errorf("%q missing", w)
			}
		}
	}
	tests := []struct {
		name   string
		args   []string
		expect func(now time.Time) []model.APIKey
		facts  func(t *testing.T, rows []map[string]any, now time.Time)
	}{
		{"never used", []string{"--all", "--never-used"}, filter(model.Filter{NeverUsed: true}),
			func(t *testing.T, rows []map[string]any, _ time.Time) {
				for _, r := range rows {
					if v, ok := r["last_used_at"]; !ok || v != nil || r["total_calls"] != 0.0 {
						t.Errorf("%v: last_used_at %v, total_calls %v", r["name"], v, r["total_calls"])
					}
				}
				allNames(t, rows, "support-widget", "handbook-search", "dev", "personal", "notebook")
			}},
		{"expired", []string{"--all", "--status", "expired"}, filter(model.Filter{Statuses: []model.Status{model.StatusExpired}}),
			func(t *testing.T, rows []map[string]any, _ time.Time) {
				for _, r := range rows {
					if r["status"] != "expired" {
						t.Errorf("%v: status %v", r["name"], r["status"])
					}
				}
				allNames(t, rows, "trial", "personal")
			}},
		{"expiring within 7d", []string{"--all", "--expiring-within", "7d"}, filter(model.Filter{ExpiringWithin: 7 * day}),
			func(t *testing.T, rows []map[string]any, now time.Time) {
				for _, r := range rows {
					stops, _ := time.Parse(time.RFC3339, r["stops_at"].(string))
					if r["status"] != "active" || stops.Before(now) || stops.After(now.Add(7*day)) {
						t.Errorf("%v: status %v, stops_at %v", r["name"], r["status"], r["stops_at"])
					}
				}
				allNames(t, rows, "finance-export", "research-bot", "payroll\u202efdp.exe")
				if findKey(rows, "name", "marketing-site") != nil {
					t.Error("marketing-site expires in 89 days")
				}
			}},
		{"unused for 90d, global only", []string{"--all", "--unused-for", "90d", "--global-only"},
			filter(model.Filter{UnusedFor: 90 * day, GlobalOnly: true}),
			func(t *testing.T, rows []map[string]any, now time.Time) {
				for _, r := range rows {
					if r["is_global_key"] != true {
						t.Errorf("%v is a collection key", r["name"])
					}
					if lu, ok := r["last_used_at"].(string); ok {
						if at, _ := time.Parse(time.RFC3339, lu); now.Sub(at) < 90*day {
							t.Errorf("%v used %s ago", r["name"], now.Sub(at))
						}
					}
				}
				allNames(t, rows, "old-laptop")
			}},
		{"sort by total calls, descending", []string{"--all", "--sort", "total-calls", "--desc"},
			func(now time.Time) []model.APIKey {
				out := slices.Clone(all)
				slices.SortFunc(out, func(a, b model.APIKey) int { return model.Compare(&a, &b, model.SortTotalCalls, true, now) })
				return out
			},
			func(t *testing.T, rows []map[string]any, _ time.Time) {
				if len(rows) != len(all) || rows[0]["name"] != "ci-pipeline" {
					t.Fatalf("%d rows, first %v; want all %d, ci-pipeline first", len(rows), rows[0]["name"], len(all))
				}
				for i := 1; i < len(rows); i++ {
					if rows[i]["total_calls"].(float64) > rows[i-1]["total_calls"].(float64) {
						t.Errorf("row %d: %v calls after %v", i, rows[i]["total_calls"], rows[i-1]["total_calls"])
					}
				}
			}},
		{"one user, idle", []string{"--user", "alice", "--status", "idle"},
			func(now time.Time) []model.APIKey {
				alices := slices.DeleteFunc(slices.Clone(all), func(k model.APIKey) bool { return k.Username != "alice" })
				return model.Filter{Statuses: []model.Status{model.StatusIdle}}.Apply(alices, now)
			},
			func(t *testing.T, rows []map[string]any, _ time.Time) {
				if len(rows) != 1 || rows[0]["name"] != "jupyter" || rows[0]["username"] != "alice" {
					t.Errorf("rows = %v, want alice's jupyter only", rows)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			out := e.ok(append([]string{"list"}, tt.args...)...)
			after := time.Now()
			var got []model.APIKey
			var rows []map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				t.Fatal("no keys listed")
			}
			// The binary judged at some instant in [before, after]; the
			// expectation must hold at both ends.
			for _, now := range []time.Time{before, after} {
				want := tt.expect(now)
				if gi, wi := keyIDs(got), keyIDs(want); !slices.Equal(gi, wi) {
					t.Errorf("at %s: got %q\nwant %q", now.Format(time.RFC3339Nano), names(got), names(want))
				}
			}
			tt.facts(t, rows, after)
		})
	}

	// Tables and CSV say "already" for every key that has stopped.
	for _, format := range []string{"table", "csv"} {
		out := e.ok("list", "--all", "--status", "not-working", "--output", format)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) < 4 {
			t.Fatalf("%s: %d lines", format, len(lines))
		}
		for _, line := range lines[1:] {
			if !strings.HasSuffix(line, "already") {
				t.Errorf("%s row does not end in already: %q", format, line)
			}
		}
	}
}

func keyIDs(keys []model.APIKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

// TestUsageFiltersSayWhenUsageIsUnknown: against an older server (no
// total_calls) --never-used cannot judge any key; stderr says how many
// instead of printing an empty answer silently.
func TestUsageFiltersSayWhenUsageIsUnknown(t *testing.T) {
	old := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, OldServer: true})
	for _, flag := range [][]string{{"--never-used"}, {"--unused-for", "30d"}} {
		r := runCLI(t, harness{env: old.adminEnv()}, append([]string{"list", "--all", "--output", "json"}, flag...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d, %q", flag, r.code, r.Stderr)
		}
		total := len(listKeys(t, old))
		want := fmt.Sprintf("h2ogpte-keys: warning: %d keys have unknown usage", total)
		if !strings.HasPrefix(r.Stderr, want) || !strings.Contains(r.Stderr, "--never-used and --unused-for cannot judge them") {
			t.Errorf("%v: stderr %q, want it to start %q", flag, r.Stderr, want)
		}
	}
	// A current server: no warning.
	cur := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: cur.adminEnv()}, "list", "--all", "--never-used", "--output", "json")
	if r.code != 0 || r.Stderr != "" {
		t.Errorf("current server: exit %d, stderr %q", r.code, r.Stderr)
	}
	var keys []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &keys); err != nil || len(keys) == 0 {
		t.Errorf("current server --never-used found %d keys (%v)", len(keys), err)
	}
}
