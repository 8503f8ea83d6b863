package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// testNow is the clock of in-process tests, in UTC so tables read the same
// everywhere.
var testNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// harness describes one in-process run of the command line.
type harness struct {
	env   map[string]string
	Stdin string
	// dashboard stands in for the real dashboard (nil: the real one).
	dashboard func(ctx context.Context, d DashboardDeps) error
	// tty makes stdin, stdout and stderr look like a terminal;
	// pipedStdout then takes stdout back out (delete ... > out.json).
	tty         bool
	pipedStdout bool
}

type result struct {
	code           int
	Stdout, Stderr string
	// loopbackWarnings counts the plain-HTTP-to-this-machine warnings taken
	// out of Stderr: every test server is http://127.0.0.1, and the tests
	// that are not about that warning assert the rest of stderr exactly.
	// TestPlainHTTP asserts the warning itself.
	loopbackWarnings int
}

// loopbackWarningPrefix starts the warning checkAddress prints for a
// plain-HTTP address on this machine.
const loopbackWarningPrefix = "h2ogpte-keys: warning: plain HTTP to 127.0.0.1: "

// newResult builds a result, taking the loopback warning lines out of
// stderr.
func newResult(code int, stdout, stderr string) result {
	r := result{code: code, Stdout: stdout}
	var kept []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if strings.HasPrefix(line, loopbackWarningPrefix) {
			r.loopbackWarnings++
			continue
		}
		kept = append(kept, line)
	}
	r.Stderr = strings.Join(kept, "")
	return r
}

// runCLI runs the command line in-process with a fixed clock and only the
// environment given, so the developer's own settings never leak in.
func runCLI(t *testing.T, h harness, args ...string) result {
	t.Helper()
	return runCLIContext(t, context.Background(), h, nil, args...)
}

// runCLIWith runs the command line like runCLI after mod has adjusted its
// environment.
func runCLIWith(t *testing.T, h harness, mod func(*Env), args ...string) result {
	t.Helper()
	return runCLIEnv(t, context.Background(), h, nil, mod, args...)
}

func runCLIContext(t *testing.T, ctx context.Context, h harness, stdout *syncBuffer, args ...string) result {
	t.Helper()
	return runCLIEnv(t, ctx, h, stdout, nil, args...)
}

func runCLIEnv(t *testing.T, ctx context.Context, h harness, stdout *syncBuffer, mod func(*Env), args ...string) result {
	t.Helper()
	if stdout == nil {
		stdout = &syncBuffer{}
	}
	var stderr syncBuffer
	environ := map[string]string{"HOME": t.TempDir()}
	for k, v := range h.env {
		environ[k] = v
	}
	e := Env{
		Dashboard: h.dashboard,
		Stdin:     strings.NewReader(h.Stdin),
		Stdout:    stdout,
		Stderr:    &stderr,
		Getenv:    func(k string) string { return environ[k] },
		Now:       func() time.Time { return testNow },
		StdinTTY:  func() bool { return h.tty },
		StdoutTTY: func() bool { return h.tty && !h.pipedStdout },
		StderrTTY: func() bool { return h.tty },
	}
	if mod != nil {
		mod(&e)
	}
	code := Run(ctx, args, e)
	return newResult(code, stdout.String(), stderr.String())
}

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// requestLog counts the requests a test server received, so tests can prove
// that a refused command sent nothing, or nothing that changes state.
type requestLog struct {
	mu        sync.Mutex
	total     int
	mutations int
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.total++
		if r.Method != http.MethodGet {
			l.mutations++
		}
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) counts() (total, mutations int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.mutations
}

// testServer is a demo server behind httptest, counting requests.
type testServer struct {
	URL string
	srv *demoserver.Server
	log *requestLog
}

func newTestServer(t *testing.T, opts demoserver.Options) *testServer {
	t.Helper()
	s := demoserver.New(opts)
	log := &requestLog{}
	hs := httptest.NewServer(log.wrap(s))
	t.Cleanup(hs.Close)
	return &testServer{URL: hs.URL, srv: s, log: log}
}

// adminEnv points the command line at ts with the demo admin token.
func (ts *testServer) adminEnv() map[string]string {
	return map[string]string{envAddress: ts.URL, envToken: demoserver.DemoToken}
}

// adminClient is a client of ts with the demo admin token, for tests that
// call the CLI's pieces directly.
func (ts *testServer) adminClient(t *testing.T, timeout time.Duration) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listKeys lists every key through the command line, as JSON.
func listKeys(t *testing.T, ts *testServer) []map[string]any {
	t.Helper()
	r := runCLI(t, harness{env: ts.adminEnv()}, "list", "--all", "--output", "json")
	if r.code != 0 {
		t.Fatalf("list --all: exit %d, stderr %q", r.code, r.Stderr)
	}
	var keys []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &keys); err != nil {
		t.Fatalf("list --all: %v in %q", err, r.Stdout)
	}
	return keys
}

func findKey(keys []map[string]any, field, value string) map[string]any {
	for _, k := range keys {
		if k[field] == value {
			return k
		}
	}
	return nil
}

// assertOneLine checks the run failed with code and a single stderr line
// holding every fragment.
func assertOneLine(t *testing.T, r result, code int, fragments ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d (stderr %q)", r.code, code, r.Stderr)
	}
	if n := strings.Count(r.Stderr, "\n"); n != 1 || !strings.HasPrefix(r.Stderr, "h2ogpte-keys: ") {
		t.Errorf("stderr should be one line starting h2ogpte-keys:, got %q", r.Stderr)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Stderr, f) {
			t.Errorf("stderr %q lacks %q", r.Stderr, f)
		}
	}
}

func TestMissingAddressOrTokenIsOneLineExit2(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("sk-x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		notWant []string
	}{
		{"nothing set", nil, []string{"users"},
			[]string{envAddress, "--address", envToken, "--api-key-file", "h2ogpte-keys demo"}, nil},
		{"no token", map[string]string{envAddress: "https://h2ogpte.example.com"}, []string{"list", "--all"},
			[]string{envToken, "--api-key-file", "h2ogpte-keys demo"}, []string{envAddress}},
		{"no address", map[string]string{envToken: "sk-x"}, []string{"list", "--user", "alice"},
			[]string{envAddress, "--address", "h2ogpte-keys demo"}, []string{envToken}},
		{"token file but no address", nil, []string{"--api-key-file", tokenFile, "users"},
			[]string{envAddress}, []string{envToken}},
		{"root without subcommand", nil, nil,
			[]string{envAddress, envToken, "h2ogpte-keys demo"}, nil},
		{"create", nil, []string{"create", "--user", "alice", "--name", "k"},
			[]string{envAddress, envToken}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, harness{env: tt.env}, tt.args...)
			assertOneLine(t, r, exitUsage, tt.want...)
			for _, nw := range tt.notWant {
				if strings.Contains(r.Stderr, nw) {
					t.Errorf("stderr %q names %q, which is set", r.Stderr, nw)
				}
			}
			if r.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.Stdout)
			}
		})
	}
}

func TestUsageErrorsExit2OnOneLine(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "[user all] is required"},
		{[]string{"list", "--user", "alice", "--all"}, "none of the others can be"},
		{[]string{"list", "--all", "--bogus"}, "unknown flag"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"create", "--user", "alice"}, "--name"},
		{[]string{"expire", "k1"}, "[expires never] is required"},
		{[]string{"expire", "k1", "--expires", "1d", "--never"}, "[expires never] were all set"},
		{[]string{"expire"}, "arg"},
		{[]string{"inactivity", "k1"}, "[days none] is required"},
		{[]string{"inactivity", "k1", "--days", "abc"}, "whole number"},
		{[]string{"delete"}, "arg"},
		{[]string{"list", "--all", "--output", "xml"}, "table, json or csv"},
		{[]string{"list", "--all", "--timeout", "0s"}, "timeout"},
		{[]string{"demo", "--keys", "-1"}, "--keys"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, harness{env: ts.adminEnv()}, tt.args...)
			assertOneLine(t, r, exitUsage, tt.want)
		})
	}
	if _, muts := ts.log.counts(); muts != 0 {
		t.Errorf("usage errors sent %d changing requests", muts)
	}
}

// TestReadOnlyRefusesEveryChangingCommand runs each changing command in
// read-only mode, from the flag and from the config file, against a server
// that must not see a single request.
func TestReadOnlyRefusesEveryChangingCommand(t *testing.T) {
	var hits int
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		http.Error(w, "no requests expected", http.StatusTeapot)
	}))
	defer hs.Close()

	cfgHome := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgHome, "h2ogpte-keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgHome, "h2ogpte-keys", "config.yaml"), []byte("read_only: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	commands := map[string][]string{
		"create":     {"create", "--user", "alice", "--name", "k", "--expires", "30d"},
		"deactivate": {"deactivate", "k1", "--yes"},
		"rotate":     {"rotate", "k1", "--then", "delete", "--yes"},
		"delete":     {"delete", "k1", "k2", "--yes"},
		"expire":     {"expire", "k1", "--never"},
		"inactivity": {"inactivity", "k1", "--days", "5"},
	}
	// Every command annotated as changing is in the table above, and only
	// those: a new changing command must be added here and annotated.
	a := &app{}
	var annotated []string
	for _, c := range a.newRootCmd().Commands() {
		if c.Annotations[annChanges] == "true" {
			annotated = append(annotated, c.Name())
		}
	}
	sort.Strings(annotated)
	var want []string
	for name := range commands {
		want = append(want, name)
	}
	sort.Strings(want)
	if strings.Join(annotated, ",") != strings.Join(want, ",") {
		t.Errorf("commands annotated as changing = %v, want %v", annotated, want)
	}

	modes := []struct {
		name  string
		env   map[string]string
		extra []string
		from  string
	}{
		{"flag", nil, []string{"--read-only"}, "--read-only"},
		{"config", map[string]string{"XDG_CONFIG_HOME": cfgHome}, nil, "config.yaml"},
	}
	for _, m := range modes {
		for name, args := range commands {
			t.Run(m.name+"/"+name, func(t *testing.T) {
				env := map[string]string{envAddress: hs.URL, envToken: "sk-admin"}
				for k, v := range m.env {
					env[k] = v
				}
				r := runCLI(t, harness{env: env, tty: true}, append(append([]string{}, m.extra...), args...)...)
				assertOneLine(t, r, exitUsage, "read-only", name, m.from)
			})
		}
	}
	// The flag beats the file: --read-only=false lifts it (the request then
	// reaches the server, which refuses it).
	r := runCLI(t, harness{env: map[string]string{envAddress: hs.URL, envToken: "sk-admin", "XDG_CONFIG_HOME": cfgHome}},
		"--read-only=false", "expire", "k1", "--never")
	if r.code != exitFail || strings.Contains(r.Stderr, "read-only") {
		t.Errorf("--read-only=false over read_only: true: exit %d, stderr %q; want the request to be sent", r.code, r.Stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 {
		t.Errorf("server saw %d requests, want only the one from --read-only=false", hits)
	}
}

func TestReadOnlyAllowsReading(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	for _, args := range [][]string{{"list", "--all"}, {"list", "--user", "alice"}, {"users"}} {
		r := runCLI(t, harness{env: ts.adminEnv()}, append([]string{"--read-only"}, args...)...)
		if r.code != 0 {
			t.Errorf("%v under --read-only: exit %d, stderr %q", args, r.code, r.Stderr)
		}
	}
}

func TestConfirmationOnTerminal(t *testing.T) {
	tests := []struct {
		name       string
		cmd        string
		answer     string
		wantCode   int
		wantPrompt string
		wantGone   bool // deleted (delete) or inactive (deactivate)
	}{
		{"delete yes", "delete", "y\n", 0, "Delete 2 keys (laptop of alice, ci-pipeline of alice)? This cannot be undone [y/N]", true},
		{"delete no", "delete", "n\n", exitFail, "Delete 2 keys", false},
		{"delete enter defaults to no", "delete", "\n", exitFail, "Delete 2 keys", false},
		{"delete eof defaults to no", "delete", "", exitFail, "Delete 2 keys", false},
		{"deactivate yes", "deactivate", "YES\n", 0, "Deactivate 2 keys (laptop of alice, ci-pipeline of alice)? Deactivation cannot be undone", true},
		{"deactivate no", "deactivate", "no\n", exitFail, "Deactivation cannot be undone", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
			before := listKeys(t, ts)
			var ids []string
			for _, name := range []string{"laptop", "ci-pipeline"} {
				k := findKey(before, "name", name)
				if k == nil {
					t.Fatalf("sample key %q missing", name)
				}
				ids = append(ids, k["id"].(string))
			}
			r := runCLI(t, harness{env: ts.adminEnv(), tty: true, Stdin: tt.answer},
				append([]string{tt.cmd, "--output", "table"}, ids...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", r.code, tt.wantCode, r.Stdout, r.Stderr)
			}
			if !strings.Contains(r.Stderr, tt.wantPrompt) {
				t.Errorf("prompt %q lacks %q", r.Stderr, tt.wantPrompt)
			}
			after := listKeys(t, ts)
			for _, id := range ids {
				k := findKey(after, "id", id)
				gone := k == nil
				if tt.cmd == "deactivate" {
					gone = k != nil && k["status"] == "inactive"
				}
				if gone != tt.wantGone {
					t.Errorf("key %s changed = %v, want %v", id, gone, tt.wantGone)
				}
			}
			if !tt.wantGone && !strings.Contains(r.Stderr, "nothing was changed") {
				t.Errorf("declined run should say nothing changed: %q", r.Stderr)
			}
		})
	}
}

func TestBulkWithoutTerminalNeedsYes(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	for _, cmd := range []string{"delete", "deactivate"} {
		r := runCLI(t, harness{env: ts.adminEnv(), Stdin: "y\n"}, cmd, "k1")
		assertOneLine(t, r, exitUsage, "--yes", "not on a terminal")
	}
	if total, _ := ts.log.counts(); total != 0 {
		t.Errorf("refusals sent %d requests", total)
	}
}

// firstKeyIDs returns the ids of the first n keys in the server's own
// listing order, read straight from the API (not through the CLI).
func firstKeyIDs(t *testing.T, ts *testServer, n int) []string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/admin/api_keys?limit=%d", ts.URL, n), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+demoserver.DemoToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var keys []struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&keys); err != nil || len(keys) != n {
		t.Fatalf("first %d keys: %d, %v", n, len(keys), err)
	}
	ids := make([]string, n)
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

// With --yes, delete and deactivate list nothing: on a big server that
// would be a request per hundred keys, and a failed page would stop the
// change. Each id is sent as given and reported by id.
func TestBulkWithYesListsNothing(t *testing.T) {
	for _, cmd := range []string{"delete", "deactivate"} {
		t.Run(cmd, func(t *testing.T) {
			ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, ExtraKeys: 1000})
			ids := firstKeyIDs(t, ts, 2)
			// The listing would fail: it must not be needed.
			ts.srv.InjectFault(http.MethodGet, "/api/v1/admin/api_keys", http.StatusInternalServerError, 100)
			total, _ := ts.log.counts()
			r := runCLI(t, harness{env: ts.adminEnv()}, cmd, ids[0], ids[1], "--yes", "--output", "json")
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
			}
			var out []bulkResult
			if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
				t.Fatalf("%v in %q", err, r.Stdout)
			}
			want := []bulkResult{{ID: ids[0], OK: true, Outcome: "done"}, {ID: ids[1], OK: true, Outcome: "done"}}
			if fmt.Sprint(out) != fmt.Sprint(want) {
				t.Errorf("results = %+v, want %+v", out, want)
			}
			if total2, _ := ts.log.counts(); total2-total != 2 {
				t.Errorf("%d requests, want only the 2 changes", total2-total)
			}
		})
	}
}

// The prompt is written to stderr and read from stdin, so those two decide
// whether a person can be asked; stdout may be a file.
func TestConfirmationNeedsStdinAndStderr(t *testing.T) {
	t.Run("stdout redirected still asks", func(t *testing.T) {
		ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
		k := findKey(listKeys(t, ts), "name", "laptop")
		id := k["id"].(string)
		r := runCLI(t, harness{env: ts.adminEnv(), tty: true, pipedStdout: true, Stdin: "y\n"}, "delete", id)
		if r.code != 0 {
			t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "Delete 1 key (laptop of alice)? This cannot be undone [y/N]") {
			t.Errorf("no prompt on stderr: %q", r.Stderr)
		}
		var out []bulkResult // stdout is not a terminal: JSON, with the names looked up for the prompt
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || len(out) != 1 || !out[0].OK || out[0].Name != "laptop" || out[0].Username != "alice" {
			t.Errorf("stdout = %q (%v)", r.Stdout, err)
		}
		if findKey(listKeys(t, ts), "id", id) != nil {
			t.Error("the key was not deleted")
		}
	})
	t.Run("stderr redirected cannot ask", func(t *testing.T) {
		ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
		r := runCLIWith(t, harness{env: ts.adminEnv(), Stdin: "y\n"}, func(e *Env) {
			e.StdinTTY = func() bool { return true }
			e.StdoutTTY = func() bool { return true }
		}, "delete", "k1")
		assertOneLine(t, r, exitUsage, "--yes", "not on a terminal")
		if total, _ := ts.log.counts(); total != 0 {
			t.Errorf("a refusal sent %d requests", total)
		}
	})
}

// When asking, the keys are looked up only until every id is named; if the
// listing fails, the prompt names them by id and the change still goes on.
func TestConfirmationLookup(t *testing.T) {
	t.Run("stops once every id is found", func(t *testing.T) {
		ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, ExtraKeys: 1000})
		ids := firstKeyIDs(t, ts, 2)
		total, _ := ts.log.counts()
		r := runCLI(t, harness{env: ts.adminEnv(), tty: true, Stdin: "n\n"}, "deactivate", ids[0], ids[1])
		if r.code != exitFail || !strings.Contains(r.Stderr, "Deactivate 2 keys (") || strings.Contains(r.Stderr, "not found") {
			t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
		}
		if total2, muts := ts.log.counts(); total2-total != 1 || muts != 0 {
			t.Errorf("%d requests (%d changing), want one page read for the names", total2-total, muts)
		}
	})
	t.Run("a failed listing names the keys by id", func(t *testing.T) {
		ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
		id := findKey(listKeys(t, ts), "name", "laptop")["id"].(string)
		ts.srv.InjectFault(http.MethodGet, "/api/v1/admin/api_keys", http.StatusBadRequest, 1)
		r := runCLI(t, harness{env: ts.adminEnv(), tty: true, Stdin: "y\n"}, "delete", id, "--output", "table")
		if r.code != 0 {
			t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
		}
		if !strings.Contains(r.Stderr, "warning: cannot look the keys up to name them") ||
			!strings.Contains(r.Stderr, "Delete 1 key ("+id+")? ") {
			t.Errorf("stderr = %q", r.Stderr)
		}
		if !strings.Contains(r.Stdout, "deleted "+id+"\n") {
			t.Errorf("stdout = %q", r.Stdout)
		}
	})
}

func TestCreateResolvesCollections(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	dup1 := ts.srv.AddCollection("alice", "Twin")
	ts.srv.AddCollection("alice", "Twin")
	bobs := ts.srv.AddCollection("bob", "Bob only")
	env := ts.adminEnv()

	r := runCLI(t, harness{env: env}, "create", "--user", "alice", "--name", "k", "--collection", "Twin", "--expires", "30d")
	assertOneLine(t, r, exitUsage, "2 collections named", "give the id", dup1.ID)

	r = runCLI(t, harness{env: env}, "create", "--user", "alice", "--name", "k", "--collection", bobs.ID, "--expires", "30d")
	assertOneLine(t, r, exitUsage, "not one of alice's collections", "Twin")

	r = runCLI(t, harness{env: env}, "create", "--user", "alice", "--name", "by-id", "--collection", dup1.ID, "--expires", "30d", "--output", "json")
	if r.code != 0 {
		t.Fatalf("create by id: exit %d, stderr %q", r.code, r.Stderr)
	}
	var got createdJSON
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.APIKey.CollectionID != dup1.ID {
		t.Errorf("collection_id = %q, want %q", got.APIKey.CollectionID, dup1.ID)
	}
}

// TestCreatePrintsSecretOnce checks that the secret is on stdout exactly
// once and nowhere on stderr, even with --debug.
func TestCreatePrintsSecretOnce(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	for _, format := range []string{"table", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			r := runCLI(t, harness{env: ts.adminEnv()}, "--debug", "create", "--user", "bob", "--name", "ci-"+format, "--expires", "30d", "--output", format)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
			}
			secret := secretRE.FindString(r.Stdout)
			if secret == "" {
				t.Fatalf("no secret in stdout %q", r.Stdout)
			}
			if n := strings.Count(r.Stdout, secret); n != 1 {
				t.Errorf("secret appears %d times on stdout", n)
			}
			if strings.Contains(r.Stderr, secret) || strings.Contains(r.Stderr, secret[len(secret)-12:]) {
				t.Errorf("secret leaked to stderr")
			}
			if !strings.Contains(r.Stderr, "will not be shown again") {
				t.Errorf("stderr lacks the shown-once warning: %q", r.Stderr)
			}
			if format == "table" && !strings.Contains(r.Stdout, "Secret key (shown once, store it now): "+secret+"\n") {
				t.Errorf("table output lacks the secret line: %q", r.Stdout)
			}
		})
	}
}

// TestCreateWithoutExpiryUnderLimit: a global expiry limit does not make
// --expires required (issue 7). The key is sent without expiry; what the
// server stored is shown; a server that refuses says why, exit 1.
func TestCreateWithoutExpiryUnderLimit(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "carol", "--name", "plain", "--output", "json")
	if r.code != 0 {
		t.Fatalf("under the limit, no expiry: exit %d, stderr %q", r.code, r.Stderr)
	}
	var got struct {
		APIKey map[string]any `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.APIKey["expires_at"] != nil {
		t.Errorf("expires_at = %v; the demo server stores no expiry", got.APIKey["expires_at"])
	}

	// An explicit expiry past the limit is still refused before sending.
	_, mutBefore := ts.log.counts()
	r = runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "carol", "--name", "far", "--expires", "1y")
	assertOneLine(t, r, exitUsage, "past the server's limit of 90 days")
	if _, mut := ts.log.counts(); mut != mutBefore {
		t.Error("a create past the limit reached the server")
	}

	// A server that refuses keys without expiry: its message, exit 1.
	strict := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, RequireExpiry: true})
	r = runCLI(t, harness{env: strict.adminEnv()}, "create", "--user", "carol", "--name", "plain")
	assertOneLine(t, r, exitFail, "400")
	if strings.Contains(r.Stdout, "Secret") {
		t.Errorf("a refused create printed %q", r.Stdout)
	}
}

// TestCreateShowsServerDefaultExpiry: the expiry printed after a create is
// the one in the server's answer, so a server default is visible.
func TestCreateShowsServerDefaultExpiry(t *testing.T) {
	exp := testNow.Add(30 * 24 * time.Hour)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users"):
			fmt.Fprint(w, `[{"id":"u1","username":"carol","email":"c@example.com"}]`)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/admin/api_keys"):
			fmt.Fprintf(w, `{"secret_key":"sk-%s","api_key":{"id":"k1","username":"carol","name":"plain","hint":"abcd","created_at":%q,"expires_at":%q,"is_active":true,"is_global_key":true,"total_calls":0}}`,
				strings.Repeat("a", 48), testNow.Format(time.RFC3339), exp.Format(time.RFC3339))
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
		}
	}))
	t.Cleanup(hs.Close)
	r := runCLI(t, harness{env: map[string]string{envAddress: hs.URL, envToken: demoserver.DemoToken}, tty: true},
		"create", "--user", "carol", "--name", "plain")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	want := "expires " + exp.Format(model.TimeLayout) + ", the server's default: no expiry was asked for"
	if !strings.Contains(r.Stdout, want) {
		t.Errorf("stdout %q lacks %q", r.Stdout, want)
	}
}

func TestTokenFromStdinEndToEnd(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: map[string]string{envAddress: ts.URL}, Stdin: demoserver.DemoToken + "\n"},
		"--api-key-file", "-", "users", "--output", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	if !strings.HasPrefix(r.Stdout, "id,username,email\n") || !strings.Contains(r.Stdout, ",alice,alice@example.com\n") {
		t.Errorf("users csv = %q", r.Stdout)
	}
}

func TestListUnknownUser(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "nosuchuser")
	assertOneLine(t, r, exitUsage, `no user named "nosuchuser"`)
	// A real user without keys is an empty list, not an error.
	ts.srv.AddUser("newbie", "newbie@example.com", false)
	r = runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "newbie", "--output", "json")
	if r.code != 0 || strings.TrimSpace(r.Stdout) != "[]" {
		t.Errorf("list for a user with no keys: exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
	}
}

func TestListExactOwner(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "alice", "--output", "json")
	var keys []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &keys); err != nil || len(keys) == 0 {
		t.Fatalf("list: %v, %d keys, stderr %q", err, len(keys), r.Stderr)
	}
	for _, k := range keys {
		if k["username"] != "alice" {
			t.Errorf("list --user alice shows a key of %v", k["username"])
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, harness{}, "--version")
	if r.code != 0 || r.Stdout != "h2ogpte-keys dev\n" {
		t.Errorf("--version: exit %d, stdout %q", r.code, r.Stdout)
	}
}

func TestRootOpensDashboard(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	var got DashboardDeps
	dash := (func(ctx context.Context, d DashboardDeps) error {
		got = d
		// The client it gets is ready to use.
		_, err := d.Client.ListKeys(ctx, d.User)
		return err
	})
	r := runCLI(t, harness{env: ts.adminEnv(), dashboard: dash}, "--user", "alice", "--read-only", "--no-color")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	if got.User != "alice" || !got.ReadOnly || !got.NoColor || got.Address != ts.URL || got.Client == nil || got.Now == nil || !got.Now().Equal(testNow) {
		t.Errorf("dashboard deps = %+v", got)
	}
}

func TestDemoOpensDashboardOnDemoServer(t *testing.T) {
	var got DashboardDeps
	dash := (func(ctx context.Context, d DashboardDeps) error {
		got = d
		users, err := d.Client.ListUsers(ctx)
		if err == nil && len(users) < 2 {
			t.Errorf("demo server has %d users", len(users))
		}
		return err
	})
	r := runCLI(t, harness{dashboard: dash}, "demo", "--user", "bob")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	if got.User != "bob" || !strings.HasPrefix(got.Address, "http://127.0.0.1:") {
		t.Errorf("dashboard deps = %+v", got)
	}
}

// serveDemo runs `demo --serve-only` with h in the background until it prints
// the address to use, and returns that address and a function that
// interrupts the demo and returns how it ended.
func serveDemo(t *testing.T, h harness) (url string, stop func() result) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan result, 1)
	go func() { done <- runCLIContext(t, ctx, h, out, "demo", "--serve-only") }()
	stop = func() result {
		t.Helper()
		cancel()
		select {
		case res := <-done:
			return res
		case <-time.After(10 * time.Second):
			t.Fatal("demo did not stop when interrupted")
			return result{}
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for url == "" && time.Now().Before(deadline) {
		for _, line := range strings.Split(out.String(), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export "+envAddress+"="); ok {
				url = v
			}
		}
		select {
		case res := <-done:
			t.Fatalf("demo ended before serving: exit %d, stdout %q, stderr %q", res.code, res.Stdout, res.Stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if url == "" {
		stop()
		t.Fatalf("demo printed no address: %q", out.String())
	}
	if !strings.Contains(out.String(), "export "+envToken+"="+demoserver.DemoToken) {
		t.Errorf("demo output lacks the token line: %q", out.String())
	}
	return url, stop
}

// TestDemoServeOnly runs `demo --serve-only`, uses the printed address and
// token, then interrupts it.
func TestDemoServeOnly(t *testing.T) {
	url, stop := serveDemo(t, harness{})
	r := runCLI(t, harness{env: map[string]string{envAddress: url, envToken: demoserver.DemoToken}}, "users", "--output", "json")
	if r.code != 0 || !strings.Contains(r.Stdout, `"username": "alice"`) {
		t.Errorf("users against the demo: exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
	}
	if res := stop(); res.code != 0 {
		t.Errorf("demo after interrupt: exit %d, stderr %q", res.code, res.Stderr)
	}
}

// TestDemoIgnoresRealServerSettings: a config (and flags) written for the
// real server - a CA file that is not here, a timeout no loopback answer
// meets, TLS verification off - must not reach the demo's own client.
func TestDemoIgnoresRealServerSettings(t *testing.T) {
	cfgHome := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgHome, "h2ogpte-keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "address: https://h2ogpte.example.com\nca_cert: /nonexistent/ca.pem\ntimeout: 1ns\n"
	if err := os.WriteFile(filepath.Join(cfgHome, "h2ogpte-keys", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h := harness{env: map[string]string{"XDG_CONFIG_HOME": cfgHome}}

	t.Run("dashboard", func(t *testing.T) {
		var got DashboardDeps
		called := false
		dash := (func(ctx context.Context, d DashboardDeps) error {
			called, got = true, d
			_, err := d.Client.ListUsers(ctx) // fails with the config's CA file or 1ns timeout
			return err
		})
		h.dashboard = dash
		r := runCLI(t, h, "--insecure-skip-tls-verify", "demo")
		if r.code != 0 || !called {
			t.Fatalf("demo with a real server's config: exit %d, dashboard opened %v, stderr %q", r.code, called, r.Stderr)
		}
		if got.Insecure || strings.Contains(r.Stderr, "warning") {
			t.Errorf("the demo's loopback client reads as insecure: deps %+v, stderr %q", got, r.Stderr)
		}
		if !strings.HasPrefix(got.Address, "http://127.0.0.1:") {
			t.Errorf("dashboard address = %q, want the demo's", got.Address)
		}
	})

	t.Run("serve-only", func(t *testing.T) {
		url, stop := serveDemo(t, h)
		r := runCLI(t, harness{env: map[string]string{envAddress: url, envToken: demoserver.DemoToken}}, "users", "--output", "json")
		if r.code != 0 {
			t.Errorf("users against the demo: exit %d, stderr %q", r.code, r.Stderr)
		}
		if res := stop(); res.code != 0 {
			t.Errorf("demo after interrupt: exit %d, stderr %q", res.code, res.Stderr)
		}
	})
}

func TestInsecureWarns(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "--insecure-skip-tls-verify", "users")
	if r.code != 0 || !strings.Contains(r.Stderr, "warning: TLS certificate verification is off") {
		t.Errorf("exit %d, stderr %q", r.code, r.Stderr)
	}
	r = runCLI(t, harness{env: ts.adminEnv()}, "users")
	if strings.Contains(r.Stderr, "warning") {
		t.Errorf("warning without the flag: %q", r.Stderr)
	}
}

func TestServerErrorIsOneLineExit1(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	ts.srv.InjectFault(http.MethodGet, "/api/v1/users", http.StatusInternalServerError, 10)
	r := runCLI(t, harness{env: ts.adminEnv()}, "users")
	assertOneLine(t, r, exitFail, "500")
}

// TestCreateHostileSecret: a server's secret holding terminal controls
// (here OSC 52, which would set the clipboard, a clear screen and a C1
// CSI) reaches stdout without them, in every format, and stderr says so.
func TestCreateHostileSecret(t *testing.T) {
	const hostile = "sk-ab\u001b]52;c;ZXZpbA==\u0007cd\u001b[2Jef\u009b31mgh"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users"):
			fmt.Fprint(w, `[{"id":"u1","username":"carol","email":"c@example.com"}]`)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/admin/api_keys"):
			secret, _ := json.Marshal(hostile)
			fmt.Fprintf(w, `{"secret_key":%s,"api_key":{"id":"k1","username":"carol","name":"plain","hint":"abcd","created_at":%q,"is_active":true,"is_global_key":true,"total_calls":0}}`,
				secret, testNow.Format(time.RFC3339))
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
		}
	}))
	t.Cleanup(hs.Close)
	for _, format := range []string{"table", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			r := runCLI(t, harness{env: map[string]string{envAddress: hs.URL, envToken: demoserver.DemoToken}, tty: true},
				"create", "--user", "carol", "--name", "plain", "--output", format)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
			}
			if strings.ContainsAny(r.Stdout, "\u001b\u0007\u009b") || strings.Contains(r.Stdout, `\u001b`) || strings.Contains(r.Stdout, `\u0007`) {
				t.Errorf("stdout carries the server's controls: %q", r.Stdout)
			}
			if !strings.Contains(r.Stdout, "sk-ab]52;c;ZXZpbA==cd[2Jef31mgh") {
				t.Errorf("stdout %q lacks the secret's printable part", r.Stdout)
			}
			if !strings.Contains(r.Stderr, "held control or formatting characters") {
				t.Errorf("stderr %q does not say the secret was altered", r.Stderr)
			}
		})
	}
}
