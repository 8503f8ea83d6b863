package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// matrixFault is one column of the fault matrix: what the demo server does
// to the operation's own request (or, for the paging faults, to every key
// listing the operation makes).
type matrixFault struct {
	name string
	// fault is injected for the operation's request (method and path
	// filled in per operation); paging faults set listing instead.
	kind    demoserver.FaultKind
	status  int
	delay   time.Duration
	listing bool
	// args are extra global flags for the run (a short --timeout).
	args []string
}

// matrixOp is one row: an operation run through the in-process command
// line, with what it changes and how to judge its report.
type matrixOp struct {
	name   string
	method string
	path   string // fault path; "*" ends a prefix
	// run returns the command line for the keys the test picked.
	args func(ids []string) []string
	// keys is how many existing keys the operation works on.
	keys int
	// check compares the run's report with the server's real state.
	check func(t *testing.T, ts *testServer, ids []string, r result)
}

const keysPath = "/api/v1/admin/api_keys"

// TestFaultMatrix runs every operation against every fault the demo server
// can inject and holds each report to the truth: what stdout and stderr
// claim is what the server holds afterwards (read directly), exit 0 only
// when everything asked was done, no hang, and never the token in output.
func TestFaultMatrix(t *testing.T) {
	faults := []matrixFault{
		{name: "act then 504", kind: demoserver.FaultActThenStatus, status: http.StatusGatewayTimeout},
		{name: "act then drop", kind: demoserver.FaultActThenDrop},
		{name: "slow write past timeout", kind: demoserver.FaultActThenDelay, delay: 3 * time.Second, args: []string{"--timeout", "1s"}},
		{name: "500 before acting", kind: demoserver.FaultStatus, status: http.StatusInternalServerError},
		{name: "endless pages", kind: demoserver.FaultEndlessPages, listing: true},
		{name: "ignored offset", kind: demoserver.FaultIgnoreOffset, listing: true},
	}
	ops := []matrixOp{
		{name: "list", method: http.MethodGet, path: keysPath,
			args: func([]string) []string { return []string{"list", "--all", "-o", "json"} }, check: checkList},
		{name: "create", method: http.MethodPost, path: keysPath,
			args: func([]string) []string {
				return []string{"create", "--user", "bob", "--name", "matrix-key", "--expires", "30d", "-o", "json"}
			}, check: checkCreate},
		{name: "expire", method: http.MethodPatch, path: keysPath + "/expire/*", keys: 1,
			args:  func(ids []string) []string { return []string{"expire", ids[0], "--never", "-o", "json"} },
			check: checkSingle(func(k model.APIKey) bool { return k.Expires == nil })},
		{name: "inactivity", method: http.MethodPatch, path: keysPath + "/inactivity_interval/*", keys: 1,
			args:  func(ids []string) []string { return []string{"inactivity", ids[0], "--days", "77", "-o", "json"} },
			check: checkSingle(func(k model.APIKey) bool { d, ok := k.InactivityDays.Get(); return ok && d == 77 })},
		{name: "deactivate", method: http.MethodPost, path: keysPath + "/deactivate/*", keys: 1,
			args:  func(ids []string) []string { return append([]string{"deactivate", "--yes", "-o", "json"}, ids...) },
			check: checkBulk(func(k *model.APIKey) bool { return k != nil && !k.IsActive })},
		{name: "delete", method: http.MethodDelete, path: keysPath + "/*", keys: 1,
			args:  func(ids []string) []string { return append([]string{"delete", "--yes", "-o", "json"}, ids...) },
			check: checkBulk(func(k *model.APIKey) bool { return k == nil })},
		{name: "bulk delete of 3", method: http.MethodDelete, path: keysPath + "/*", keys: 3,
			args:  func(ids []string) []string { return append([]string{"delete", "--yes", "-o", "json"}, ids...) },
			check: checkBulk(func(k *model.APIKey) bool { return k == nil })},
	}
	for _, op := range ops {
		for _, f := range faults {
			t.Run(op.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				var extra []string
				if op.name == "list" && f.kind == demoserver.FaultEndlessPages {
					// At the default cap (5,000,000 keys) endless pages
					// take minutes to refuse; a small --max-keys makes the
					// same refusal fast.
					extra = []string{"--max-keys", "2000"}
				}
				// A few hundred keys, so listings take several pages and
				// a server that ignores offset is noticed.
				ts := newTestServer(t, demoserver.Options{Seed: 1, ExtraKeys: 300})
				ids := pickKeys(t, ts, op.keys)
				fault := demoserver.Fault{Method: op.method, Path: op.path, Kind: f.kind, Status: f.status, Delay: f.delay, Times: 1}
				if f.listing {
					fault = demoserver.Fault{Method: http.MethodGet, Path: keysPath, Kind: f.kind}
				}
				ts.srv.Inject(fault)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				args := append(append(append([]string(nil), f.args...), extra...), op.args(ids)...)
				r := runCLIContext(t, ctx, harness{env: ts.adminEnv()}, nil, args...)
				if ctx.Err() != nil {
					t.Fatalf("%v did not end within 60s", args)
				}
				if r.code != exitOK && r.code != exitFail {
					t.Fatalf("exit %d, want 0 or 1; stderr %q", r.code, r.Stderr)
				}
				if strings.Contains(r.Stdout+r.Stderr, demoserver.DemoToken) {
					t.Fatal("the admin token appears in the output")
				}
				if extra != nil && (r.code != exitFail || !strings.Contains(r.Stderr, "paging does not end") || r.Stdout != "") {
					t.Errorf("endless pages under --max-keys 2000: exit %d, stdout %d bytes, stderr %q; want exit 1, nothing listed, the paging error", r.code, len(r.Stdout), r.Stderr)
				}
				ts.srv.ClearFaults()
				op.check(t, ts, ids, r)
			})
		}
	}
}

// pickKeys returns the ids of n active keys of the server.
func pickKeys(t *testing.T, ts *testServer, n int) []string {
	t.Helper()
	var ids []string
	for _, k := range serverKeys(t, ts, "") {
		if len(ids) < n && k.IsActive && k.Expires != nil {
			ids = append(ids, k.ID)
		}
	}
	if len(ids) < n {
		t.Fatalf("only %d suitable keys", len(ids))
	}
	return ids
}

// serverKey is the key id as the server holds it now, nil when gone.
func serverKey(t *testing.T, ts *testServer, id string) *model.APIKey {
	t.Helper()
	for _, k := range serverKeys(t, ts, "") {
		if k.ID == id {
			return &k
		}
	}
	return nil
}

// checkList: exit 0 only with the server's whole listing on stdout; exit 1
// with a reason on stderr.
func checkList(t *testing.T, ts *testServer, _ []string, r result) {
	if r.code != exitOK {
		if !strings.HasPrefix(r.Stderr, "h2ogpte-keys: ") {
			t.Errorf("exit 1 without a reason: stderr %q", r.Stderr)
		}
		return
	}
	var got []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatalf("exit 0 with stdout that is not a JSON listing: %v", err)
	}
	var gotIDs, wantIDs []string
	for _, k := range got {
		gotIDs = append(gotIDs, k.ID)
	}
	for _, k := range serverKeys(t, ts, "") {
		wantIDs = append(wantIDs, k.ID)
	}
	slices.Sort(gotIDs)
	slices.Sort(wantIDs)
	if !slices.Equal(gotIDs, wantIDs) {
		t.Errorf("exit 0 listed %d keys; the server holds %d (or other ids)", len(gotIDs), len(wantIDs))
	}
}

// checkCreate: exit 0 prints a key the server holds; exit 1 says exists
// (and the server holds that id), not created (the server holds none of
// that name) or unknown.
func checkCreate(t *testing.T, ts *testServer, _ []string, r result) {
	made := keysNamed(t, ts, "bob", "matrix-key")
	if len(made) > 1 {
		t.Fatalf("the server holds %d keys named matrix-key: a create was resent", len(made))
	}
	switch {
	case r.code == exitOK:
		var out struct {
			Secret string          `json:"secret_key"`
			Key    model.KeyRecord `json:"api_key"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
			t.Fatalf("exit 0 with stdout %q: %v", r.Stdout, err)
		}
		if len(made) != 1 || made[0].ID != out.Key.ID || out.Secret == "" {
			t.Errorf("exit 0 claims key %s; the server holds %v", out.Key.ID, made)
		}
	case strings.Contains(r.Stderr, "the key exists: "):
		if len(made) != 1 || !strings.Contains(r.Stderr, "the key exists: "+made[0].ID+" ") ||
			!strings.Contains(r.Stderr, "h2ogpte-keys delete "+made[0].ID+" --yes") {
			t.Errorf("stderr says the key exists; the server holds %v:\n%s", made, r.Stderr)
		}
		if r.Stdout != "" {
			t.Errorf("stdout %q for a key whose secret is lost", r.Stdout)
		}
	case strings.Contains(r.Stderr, "unknown whether"):
		if !strings.Contains(r.Stderr, "h2ogpte-keys list --user bob") {
			t.Errorf("unknown without how to check:\n%s", r.Stderr)
		}
	default:
		if len(made) != 0 {
			t.Errorf("exit 1 saying %q, but the server holds the key %s", r.Stderr, made[0].ID)
		}
	}
}

// checkSingle judges expire and inactivity: exit 0 means the server holds
// the new value; "unknown" may be either; any other exit 1 means the key
// is as it was.
func checkSingle(changed func(model.APIKey) bool) func(*testing.T, *testServer, []string, result) {
	return func(t *testing.T, ts *testServer, ids []string, r result) {
		k := serverKey(t, ts, ids[0])
		if k == nil {
			t.Fatalf("key %s is gone", ids[0])
		}
		switch {
		case r.code == exitOK:
			if !changed(*k) {
				t.Errorf("exit 0, but the server holds %+v", *k)
			}
		case strings.Contains(r.Stderr, "unknown whether"):
		default:
			if changed(*k) {
				t.Errorf("exit 1 saying %q, but the server changed the key", r.Stderr)
			}
		}
	}
}

// checkBulk judges deactivate and delete from their JSON report: every id
// reported done is changed on the server, every one not done is not, and
// exit 0 only when all are done.
func checkBulk(changed func(*model.APIKey) bool) func(*testing.T, *testServer, []string, result) {
	return func(t *testing.T, ts *testServer, ids []string, r result) {
		var rep []bulkResult
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
			t.Fatalf("stdout %q is not a report: %v (stderr %q)", r.Stdout, err, r.Stderr)
		}
		if len(rep) != len(ids) {
			t.Fatalf("%d results for %d ids", len(rep), len(ids))
		}
		allDone := true
		for _, res := range rep {
			k := serverKey(t, ts, res.ID)
			switch res.Outcome {
			case model.Done.String():
				if !changed(k) {
					t.Errorf("%s reported done, but the server did not change it", res.ID)
				}
			case model.NotDone.String():
				allDone = false
				if changed(k) {
					t.Errorf("%s reported not done (%s), but the server changed it", res.ID, res.Error)
				}
			case model.Unknown.String():
				allDone = false
			default:
				t.Errorf("%s: outcome %q", res.ID, res.Outcome)
			}
		}
		if (r.code == exitOK) != allDone {
			t.Errorf("exit %d with every key done = %v", r.code, allDone)
		}
	}
}
