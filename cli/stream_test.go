package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// serverOrder reads keys straight from the server in its own order, as the
// streaming listing meets them.
func serverOrder(t *testing.T, ts *testServer, user string) []model.APIKey {
	t.Helper()
	c := ts.adminClient(t, 10*time.Second)
	var keys []model.APIKey
	if err := c.StreamKeys(context.Background(), user, func(page []model.APIKey) { keys = append(keys, page...) }); err != nil {
		t.Fatal(err)
	}
	return keys
}

// list --unsorted -o json|csv writes, page by page, exactly the bytes that
// collecting the whole listing and printing it at once writes for the same
// keys in the same order (model.WriteKeysJSON and writeCSV, the printers
// of the collecting path), with and without filters, for everyone and for
// one user.
func TestStreamingListIsByteIdentical(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, ExtraKeys: 3000})
	all := serverOrder(t, ts, "")
	if len(all) < 3000 {
		t.Fatalf("%d keys", len(all))
	}
	collect := func(format outputFormat, keys []model.APIKey) string {
		var b bytes.Buffer
		if err := (printer{w: &b, format: format, now: testNow}).keys(keys); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	activeOnly := model.Filter{Statuses: []model.Status{model.StatusActive}}
	for _, tc := range []struct {
		name string
		args []string
		keys []model.APIKey
	}{
		{"all", []string{"list", "--all"}, all},
		{"filtered", []string{"list", "--all", "--status", "active"}, activeOnly.Apply(all, testNow)},
		{"one user", []string{"list", "--user", "user0001"}, serverOrder(t, ts, "user0001")},
		{"nobody's keys", []string{"list", "--all", "--filter", "no key has this in its name"}, nil},
	} {
		for _, format := range []outputFormat{formatJSON, formatCSV} {
			t.Run(tc.name+"/"+string(format), func(t *testing.T) {
				args := append(append([]string(nil), tc.args...), "--unsorted", "-o", string(format))
				r := runCLI(t, harness{env: ts.adminEnv()}, args...)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.Stderr)
				}
				if want := collect(format, tc.keys); r.Stdout != want {
					t.Errorf("%d bytes streamed, %d collected: they differ", len(r.Stdout), len(want))
				}
			})
		}
	}
}

// --unsorted with --sort is a usage error; a table is still aligned (it is
// collected), only in the server's order.
func TestUnsortedFlag(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "list", "--all", "--unsorted", "--sort", "name")
	assertOneLine(t, r, exitUsage, "--unsorted and --sort")
	r = runCLI(t, harness{env: ts.adminEnv()}, "list", "--all", "--unsorted", "-o", "table")
	var b bytes.Buffer
	if err := (printer{w: &b, format: formatTable, now: testNow}).keys(serverOrder(t, ts, "")); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || r.Stdout != b.String() {
		t.Errorf("exit %d; table differs from the server-order table:\n%s", r.code, r.Stdout)
	}
	r = runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "nosuchuser", "--unsorted", "-o", "json")
	if r.code != exitUsage || r.Stdout != "" {
		t.Errorf("unknown user: exit %d, stdout %q", r.code, r.Stdout)
	}
}

// collectedSorted is today's list --all for the default order, done the
// collecting way: every key read, filtered, sorted by sortKeys and printed
// by printer.keys at once.
func collectedSorted(t *testing.T, ts *testServer, format outputFormat, filter model.Filter) string {
	t.Helper()
	keys := serverOrder(t, ts, "")
	if filter.Active() {
		keys = filter.Apply(keys, testNow)
	}
	sortKeys(keys)
	var b bytes.Buffer
	if err := (printer{w: &b, format: format, now: testNow}).keys(keys); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// list --all -o json|csv in the default order is written owner by owner
// (streamByOwner), and must be byte for byte what collecting every key,
// sorting and printing writes: for every spelling of the demo server, with
// and without audit filters, including a filter that leaves nothing.
func TestListAllByOwnerIsByteIdentical(t *testing.T) {
	for _, sp := range []struct {
		name string
		opts demoserver.Options
	}{
		{"full", demoserver.Options{}},
		{"omit-empty", demoserver.Options{OmitEmpty: true}},
		{"old-server", demoserver.Options{OldServer: true}},
	} {
		t.Run(sp.name, func(t *testing.T) {
			opts := sp.opts
			opts.Now, opts.Seed, opts.ExtraKeys = func() time.Time { return testNow }, 7, 3000
			ts := newTestServer(t, opts)
			for _, tc := range []struct {
				name   string
				args   []string
				filter model.Filter
			}{
				{"all", nil, model.Filter{}},
				{"status", []string{"--status", "active,idle"}, model.Filter{Statuses: []model.Status{model.StatusActive, model.StatusIdle}}},
				{"global never used", []string{"--global-only", "--never-used"}, model.Filter{GlobalOnly: true, NeverUsed: true}},
				{"text", []string{"--filter", "USER00"}, model.Filter{Text: "USER00"}},
				{"nothing", []string{"--filter", "no key has this in its name"}, model.Filter{Text: "no key has this in its name"}},
			} {
				for _, format := range []outputFormat{formatJSON, formatCSV} {
					t.Run(tc.name+"/"+string(format), func(t *testing.T) {
						args := append([]string{"list", "--all", "-o", string(format)}, tc.args...)
						r := runCLI(t, harness{env: ts.adminEnv()}, args...)
						if r.code != 0 {
							t.Fatalf("exit %d: %s", r.code, r.Stderr)
						}
						want := collectedSorted(t, ts, format, tc.filter)
						if r.Stdout != want {
							t.Errorf("%d bytes owner by owner, %d collected: they differ", len(r.Stdout), len(want))
						}
						if tc.name == "all" && len(want) < 3000*50 {
							t.Errorf("only %d bytes: the demo's keys are not all there", len(want))
						}
					})
				}
			}
		})
	}
}

// ownerFake serves /users and /admin/api_keys (loose filter, paging) from
// fixed rows, for orders the demo server never produces: keys of one
// owner out of creation order, equal creation times, a repeated and an
// empty username, and a key whose owner is not a listed user.
func ownerFake(t *testing.T, users, keys []map[string]any) string {
	t.Helper()
	serve := func(rows []map[string]any, field string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			off, _ := strconv.Atoi(q.Get("offset"))
			limit, _ := strconv.Atoi(q.Get("limit"))
			page := []map[string]any{}
			n := 0
			for _, row := range rows {
				if f := q.Get("filter"); f != "" && !strings.Contains(row[field].(string), f) {
					continue
				}
				if n >= off && len(page) < limit {
					page = append(page, row)
				}
				n++
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(page)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/users", serve(users, "username"))
	mux.Handle("GET /api/v1/admin/api_keys", serve(keys, "username"))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestListAllByOwnerOrderAndOrphans(t *testing.T) {
	user := func(id, name string) map[string]any {
		return map[string]any{"id": id, "username": name, "email": name + "@example.com"}
	}
	key := func(id, owner, created string) map[string]any {
		return map[string]any{
			"id": id, "username": owner, "name": "key " + id, "hint": "abcd",
			"created_at": created, "total_calls": 1, "is_active": true, "is_global_key": true,
		}
	}
	users := []map[string]any{user("u1", "bob"), user("u2", "alice"), user("u3", "malice"), user("u4", ""), user("u5", "alice"), user("u6", "carol")}
	keys := []map[string]any{
		key("k5", "bob", "2026-01-03T00:00:00Z"),
		key("k2", "alice", "2026-01-05T00:00:00Z"),
		key("k1", "alice", "2026-01-05T00:00:00Z"),
		key("k3", "malice", "2026-01-02T00:00:00Z"),
		key("k4", "alice", "2026-01-01T00:00:00Z"),
		key("k6", "zed", "2026-01-01T00:00:00Z"), // zed is not a listed user
		key("k7", "bob", "2026-01-01T00:00:00Z"),
	}
	addr := ownerFake(t, users, keys)
	env := map[string]string{envAddress: addr, envToken: demoserver.DemoToken}
	ids := func(out string) []string {
		var recs []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.ID)
		}
		return got
	}
	r := runCLI(t, harness{env: env}, "list", "--all", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.Stderr)
	}
	// By owner (alice, bob, malice), then creation, then id; alice's keys
	// once although two users carry her name; zed's key is not read.
	if got, want := strings.Join(ids(r.Stdout), " "), "k4 k1 k2 k7 k5 k3"; got != want {
		t.Errorf("default order: %s, want %s", got, want)
	}
	r = runCLI(t, harness{env: env}, "list", "--all", "-o", "json", "--unsorted")
	if got, want := strings.Join(ids(r.Stdout), " "), "k5 k2 k1 k3 k4 k6 k7"; r.code != 0 || got != want {
		t.Errorf("--unsorted: exit %d, %s, want %s (every key, the server's order)", r.code, got, want)
	}
	// The table is collected, so it still shows the key of an unlisted
	// owner: only the streamed order relies on the user list.
	r = runCLI(t, harness{env: env}, "list", "--all", "-o", "table")
	if r.code != 0 || !strings.Contains(r.Stdout, "k6") {
		t.Errorf("table: exit %d, k6 missing:\n%s", r.code, r.Stdout)
	}
}
