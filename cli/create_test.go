package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// createPath is the create endpoint, for injecting faults into it.
const createPath = "/api/v1/admin/api_keys"

// serverKeys reads user's keys ("" for everyone's) straight from the demo
// server with a client of its own, not through the command under test, so
// a test compares what a command said with what the server holds.
func serverKeys(t *testing.T, ts *testServer, user string) []model.APIKey {
	t.Helper()
	c := ts.adminClient(t, 10*time.Second)
	var keys []model.APIKey
	var err error
	if user == "" {
		keys, err = c.ListAllKeys(context.Background())
	} else {
		keys, err = c.ListKeys(context.Background(), user)
	}
	if err != nil {
		t.Fatalf("read the server's keys: %v", err)
	}
	return keys
}

// keysNamed reads the demo server's keys of user directly (not through the
// command under test) and returns those named name.
func keysNamed(t *testing.T, ts *testServer, user, name string) []model.APIKey {
	t.Helper()
	var out []model.APIKey
	for _, k := range serverKeys(t, ts, user) {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// A create whose answer is lost after the server acted (a gateway's 504, a
// dropped connection) reads the user's keys back: the key exists, so the
// report names it, says its secret is lost and gives the exact commands
// to deactivate or delete it; exit 1, no secret anywhere.
func TestCreateLostAnswerNamesTheKey(t *testing.T) {
	for _, kind := range []struct {
		name string
		kind demoserver.FaultKind
	}{{"act then 504", demoserver.FaultActThenStatus}, {"act then drop", demoserver.FaultActThenDrop}} {
		t.Run(kind.name, func(t *testing.T) {
			ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
			ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: createPath, Kind: kind.kind, Status: http.StatusGatewayTimeout, Times: 1})
			r := runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "bob", "--name", "lost-one", "--expires", "30d", "--output", "table")
			if r.code != exitFail {
				t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
			}
			made := keysNamed(t, ts, "bob", "lost-one")
			if len(made) != 1 {
				t.Fatalf("the server holds %d keys named lost-one, want 1", len(made))
			}
			id := made[0].ID
			for _, want := range []string{
				"the key exists: " + id + ` "lost-one" of bob`,
				"its secret cannot be shown again",
				"  h2ogpte-keys deactivate " + id + " --yes\n",
				"  h2ogpte-keys delete " + id + " --yes\n",
				"h2ogpte-keys: key " + id + ` "lost-one" of bob was created but its secret is lost` + "\n",
			} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
				}
			}
			if r.Stdout != "" || secretRE.MatchString(r.Stderr) || strings.Contains(r.Stderr, demoserver.DemoToken) {
				t.Errorf("stdout %q / a secret or the token in stderr %q", r.Stdout, r.Stderr)
			}
			if strings.Contains(r.Stderr, made[0].Username) && made[0].Username != "bob" {
				t.Errorf("the user is named otherwise than by username: %q", r.Stderr)
			}
		})
	}
}

// When the answer is lost and reading the keys back fails too, the outcome
// is unknown: the report says so, says how to check, and never suggests
// creating the key again.
func TestCreateUnknownSaysHowToCheck(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: createPath, Kind: demoserver.FaultActThenStatus, Status: http.StatusGatewayTimeout, Times: 1})
	// The read back lists bob's keys: make every listing fail from now on.
	ts.srv.Inject(demoserver.Fault{Method: http.MethodGet, Path: "/api/v1/admin/api_keys*", Kind: demoserver.FaultStatus, Status: http.StatusServiceUnavailable})
	r := runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "bob", "--name", "maybe-one", "--expires", "30d", "--output", "json")
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
	}
	for _, want := range []string{
		`unknown whether key "maybe-one" was created for bob`,
		"h2ogpte-keys list --user bob",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	for _, never := range []string{"try again", "retry", "run create", "h2ogpte-keys create"} {
		if strings.Contains(strings.ToLower(r.Stderr), never) {
			t.Errorf("stderr suggests a resend (%q):\n%s", never, r.Stderr)
		}
	}
	if r.Stdout != "" {
		t.Errorf("stdout %q, want nothing", r.Stdout)
	}
	ts.srv.ClearFaults()
	if got := keysNamed(t, ts, "bob", "maybe-one"); len(got) != 1 {
		t.Errorf("the server holds %d keys named maybe-one: the report must not have resent", len(got))
	}
}

// A gateway's 504 before the server acted: read back, the key is not
// there, so it was not created; but a server behind a gateway may still be
// at work, so the way on is a look with list, never a resend.
func TestCreateLostAndNotFoundSaysLookFirst(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: createPath, Kind: demoserver.FaultStatus, Status: http.StatusGatewayTimeout, Times: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "bob", "--name", "not-there", "--expires", "30d")
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
	}
	for _, want := range []string{"was not created for bob", "check that it has not appeared since: h2ogpte-keys list --user bob"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	for _, never := range []string{"try again", "retry", "h2ogpte-keys create"} {
		if strings.Contains(strings.ToLower(r.Stderr), never) {
			t.Errorf("stderr suggests a resend (%q):\n%s", never, r.Stderr)
		}
	}
	if got := keysNamed(t, ts, "bob", "not-there"); len(got) != 0 {
		t.Errorf("the server holds %d keys named not-there", len(got))
	}
}

// A create refused before the server acted is plainly not done (exit 1,
// the server's reason), and nothing was created.
func TestCreateRefusedIsNotDone(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: createPath, Kind: demoserver.FaultStatus, Status: http.StatusInternalServerError, Times: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "bob", "--name", "refused", "--expires", "30d")
	if r.code != exitFail || strings.Contains(r.Stderr, "exists") {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	if got := keysNamed(t, ts, "bob", "refused"); len(got) != 0 {
		t.Errorf("a refused create left %d keys", len(got))
	}
}

// A blank key id is a usage error (exit 2) before anything is sent, for
// expire and inactivity as for deactivate and delete.
func TestBlankKeyIDExit2(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	for _, args := range [][]string{
		{"expire", "", "--expires", "30d"},
		{"expire", "  ", "--never"},
		{"inactivity", "", "--days", "5"},
		{"inactivity", " ", "--none"},
		{"delete", "", "--yes"},
		{"deactivate", "\t", "--yes"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			before, _ := ts.log.counts()
			r := runCLI(t, harness{env: ts.adminEnv()}, args...)
			assertOneLine(t, r, exitUsage, "empty key id")
			if n, _ := ts.log.counts(); n != before {
				t.Errorf("%d requests were sent", n-before)
			}
		})
	}
}
