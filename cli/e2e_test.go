package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// binPath is the h2ogpte-keys binary TestMain builds for the end-to-end
// tests, which run it exactly as an admin would.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "h2ogpte-keys-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "h2ogpte-keys")
	build := exec.Command("go", "build", "-o", binPath, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build h2ogpte-keys:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var secretRE = regexp.MustCompile(`sk-[A-Za-z0-9]{48}`)

// e2e runs the built binary against an in-process demo server.
type e2e struct {
	t  *testing.T
	ts *testServer
	// token is what H2OGPTE_API_KEY holds for the next runs.
	token string
	home  string
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	// The real clock: the binary has no other.
	return &e2e{t: t, ts: newTestServer(t, demoserver.Options{Seed: 1}), token: demoserver.DemoToken, home: t.TempDir()}
}

// run runs the binary, with --output json unless args pick a format. The
// token travels in the environment, never on argv.
func (e *e2e) run(args ...string) result {
	e.t.Helper()
	if !strings.Contains(strings.Join(args, " "), "--output") {
		args = append(args, "--output", "json")
	}
	cmd := exec.Command(binPath, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.home,
		"XDG_CONFIG_HOME=" + filepath.Join(e.home, "config"),
		envAddress + "=" + e.ts.URL,
		envToken + "=" + e.token,
	}
	cmd.Stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run %v: %v", args, err)
	}
	for _, a := range args {
		if strings.Contains(a, "sk-") {
			e.t.Fatalf("a token was put on argv: %v", args)
		}
	}
	return newResult(code, stdout.String(), stderr.String())
}

// ok runs the binary and fails the test unless it exits 0.
func (e *e2e) ok(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.Stderr)
	}
	return r.Stdout
}

// listing is `list --all` as raw JSON, for before/after comparisons.
func (e *e2e) listing() string {
	e.t.Helper()
	return e.ok("list", "--all")
}

func (e *e2e) key(user, id string) map[string]any {
	e.t.Helper()
	var keys []map[string]any
	if err := json.Unmarshal([]byte(e.ok("list", "--user", user)), &keys); err != nil {
		e.t.Fatal(err)
	}
	return findKey(keys, "id", id)
}

// create makes a key through the binary and returns its id and secret.
func (e *e2e) create(args ...string) (id, secret string) {
	e.t.Helper()
	r := e.run(append([]string{"create"}, args...)...)
	if r.code != 0 {
		e.t.Fatalf("create %v: exit %d, stderr %q", args, r.code, r.Stderr)
	}
	var got struct {
		SecretKey string         `json:"secret_key"`
		APIKey    map[string]any `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		e.t.Fatalf("create output %q: %v", redactSecrets(r.Stdout), err)
	}
	if !regexp.MustCompile(`^sk-[A-Za-z0-9]{48}$`).MatchString(got.SecretKey) {
		e.t.Fatalf("secret of %d characters does not look like sk- and 48 characters", len(got.SecretKey))
	}
	if !strings.Contains(r.Stderr, "will not be shown again") || strings.Contains(r.Stderr, got.SecretKey) {
		e.t.Fatalf("create stderr %q: want the warning and not the secret", redactSecrets(r.Stderr))
	}
	return got.APIKey["id"].(string), got.SecretKey
}

// useKey calls a user endpoint with a key, as an application would.
func (e *e2e) useKey(secret string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.ts.URL+"/api/v1/collections", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("using the new key: HTTP %d", res.StatusCode)
	}
}

func within(t *testing.T, field string, v any, want time.Time, slack time.Duration) {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s = %#v, want a time", field, v)
	}
	got, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s = %q: %v", field, s, err)
	}
	if d := got.Sub(want); d < -slack || d > slack {
		t.Errorf("%s = %s, want about %s", field, got, want)
	}
}

// TestE2EKeyLifecycle walks one collection key through its whole life with
// the built binary.
func TestE2EKeyLifecycle(t *testing.T) {
	e := newE2E(t)
	start := time.Now()
	id, secret := e.create("--user", "alice", "--name", "e2e-reports", "--collection", "Research papers",
		"--expires", "30d", "--inactivity-days", "60")

	k := e.key("alice", id)
	if k == nil {
		t.Fatalf("new key %s not listed for alice", id)
	}
	if k["collection_name"] != "Research papers" || k["is_global_key"] != false || k["inactivity_interval"] != 60.0 ||
		k["total_calls"] != 0.0 || k["last_used_at"] != nil || k["status"] != "active" || k["hint"] != secret[len(secret)-4:] {
		t.Errorf("new key listed as %v", k)
	}
	within(t, "expires_at", k["expires_at"], start.AddDate(0, 0, 30), time.Minute)
	within(t, "stops_at", k["stops_at"], start.AddDate(0, 0, 30), time.Minute)

	e.useKey(secret)
	e.useKey(secret)
	k = e.key("alice", id)
	if k["total_calls"] != 2.0 {
		t.Errorf("total_calls after two calls = %v", k["total_calls"])
	}
	within(t, "last_used_at", k["last_used_at"], time.Now(), time.Minute)

	e.ok("expire", id, "--expires", "10d")
	within(t, "expires_at after expire 10d", e.key("alice", id)["expires_at"], time.Now().AddDate(0, 0, 10), time.Minute)

	// Under the server's 90-day limit --never is sent, and the demo server
	// accepts it: nothing published says a server refuses it.
	e.ok("expire", id, "--never")
	if k = e.key("alice", id); k["expires_at"] != nil {
		t.Errorf("expires_at after --never = %v", k["expires_at"])
	}
	e.ts.srv.SetExpiryLimitDays(90)

	e.ok("inactivity", id, "--days", "5")
	if k = e.key("alice", id); k["inactivity_interval"] != 5.0 {
		t.Errorf("inactivity_interval = %v, want 5", k["inactivity_interval"])
	}
	e.ok("inactivity", id, "--none")
	if k = e.key("alice", id); k["inactivity_interval"] != nil || k["stops_at"] != nil {
		t.Errorf("after --none: inactivity_interval = %v, stops_at = %v", k["inactivity_interval"], k["stops_at"])
	}

	// --yes reports by id: nothing is listed first.
	var out []bulkResult
	if err := json.Unmarshal([]byte(e.ok("deactivate", id, "--yes")), &out); err != nil || len(out) != 1 || !out[0].OK || out[0].ID != id {
		t.Errorf("deactivate output %v, %v", out, err)
	}
	if k = e.key("alice", id); k["status"] != "inactive" || k["is_active"] != false {
		t.Errorf("after deactivate: status %v, is_active %v", k["status"], k["is_active"])
	}

	e.ok("delete", id, "--yes")
	if k = e.key("alice", id); k != nil {
		t.Errorf("deleted key still listed: %v", k)
	}
}

// TestE2ERefusedBeforeSending checks that bad input fails with a clear line
// and exit 2, changes nothing, and (for what can be checked locally) sends
// nothing at all.
func TestE2ERefusedBeforeSending(t *testing.T) {
	e := newE2E(t)
	tests := []struct {
		name string
		args []string
		want []string
		// local errors need no request at all
		local bool
	}{
		{"past the expiry limit", []string{"create", "--user", "alice", "--name", "x", "--expires", "200d"},
			[]string{"limit of 90 days", "latest allowed"}, false},
		{"another user's collection", []string{"create", "--user", "alice", "--name", "x", "--collection", "Q3 financials"},
			[]string{`"Q3 financials" is not one of alice's collections`}, false},
		{"unknown user", []string{"create", "--user", "mallory", "--name", "x"},
			[]string{`no user named "mallory"`}, false},
		{"bad date", []string{"create", "--user", "alice", "--name", "x", "--expires", "2026-02-30"},
			[]string{"not a valid date"}, true},
		{"negative inactivity", []string{"create", "--user", "alice", "--name", "x", "--inactivity-days", "-3"},
			[]string{"must not be negative"}, true},
		{"expire past the limit", []string{"expire", "some-id", "--expires", "1y"},
			[]string{"limit of 90 days"}, false},
		{"inactivity zero", []string{"inactivity", "some-id", "--days", "0"},
			[]string{"at least 1 day"}, true},
	}
	before := e.listing()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, muts := e.ts.log.counts()
			r := e.run(tt.args...)
			assertOneLine(t, r, exitUsage, tt.want...)
			if r.Stdout != "" {
				t.Errorf("stdout = %q", r.Stdout)
			}
			total2, muts2 := e.ts.log.counts()
			if muts2 != muts {
				t.Errorf("sent %d changing requests", muts2-muts)
			}
			if tt.local && total2 != total {
				t.Errorf("sent %d requests for an error found locally", total2-total)
			}
		})
	}
	if after := e.listing(); after != before {
		t.Errorf("the listing changed:\nbefore %s\nafter %s", before, after)
	}
}

func TestE2EBulk(t *testing.T) {
	e := newE2E(t)
	id, _ := e.create("--user", "bob", "--name", "bulk-1", "--expires", "1d")

	// Not on a terminal, without --yes: refused, nothing sent.
	before := e.listing()
	for _, cmd := range []string{"deactivate", "delete"} {
		r := e.run(cmd, id)
		assertOneLine(t, r, exitUsage, "--yes")
	}
	if after := e.listing(); after != before {
		t.Error("a refused bulk command changed keys")
	}

	// One good id and one unknown: both reported by id, exit 1. With --yes
	// nothing but the deletes is sent.
	total, muts := e.ts.log.counts()
	r := e.run("delete", id, "no-such-key", "--yes")
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
	}
	var out []bulkResult
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("%v in %q", err, r.Stdout)
	}
	want := []bulkResult{{ID: id, OK: true, Outcome: "done"}, {ID: "no-such-key", OK: false, Outcome: "not done", Error: "not found"}}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("results = %+v, want %+v", out, want)
	}
	if total2, muts2 := e.ts.log.counts(); total2-total != 2 || muts2-muts != 2 {
		t.Errorf("delete --yes sent %d requests (%d changing), want just the 2 deletes", total2-total, muts2-muts)
	}
	assertOneLine(t, r, exitFail, "deleted 1 of 2 keys; 1 not done")
	if e.key("bob", id) != nil {
		t.Error("the good id was not deleted")
	}
}

func TestE2ENonAdminToken(t *testing.T) {
	e := newE2E(t)
	_, secret := e.create("--user", "alice", "--name", "not-admin", "--expires", "1d")
	e.token = secret
	r := e.run("list", "--all")
	assertOneLine(t, r, exitFail, "403", "not an administrator")
	if strings.Contains(r.Stderr, secret) {
		t.Error("the token is in the error")
	}
}

func TestE2EUsersAndCSV(t *testing.T) {
	e := newE2E(t)
	var users []map[string]any
	if err := json.Unmarshal([]byte(e.ok("users")), &users); err != nil {
		t.Fatal(err)
	}
	if findKey(users, "username", "alice") == nil || findKey(users, "username", "admin") == nil {
		t.Errorf("users = %v", users)
	}
	r := e.run("list", "--user", "malice", "--output", "csv")
	if r.code != 0 || !strings.HasPrefix(r.Stdout, strings.Join(model.KeyColumns(), ",")+"\n") {
		t.Fatalf("csv: exit %d, stdout %q", r.code, r.Stdout)
	}
	if strings.ContainsAny(r.Stdout, "\x1b\u202e") {
		t.Errorf("control characters reached CSV: %q", r.Stdout)
	}
}
