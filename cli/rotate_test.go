package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// rotateKeysPath is the keys endpoint, for injecting faults into rotate's
// requests.
const rotateKeysPath = "/api/v1/admin/api_keys"

var wholeSecretRE = regexp.MustCompile(`^sk-[A-Za-z0-9]{48}$`)

// rotateServer is a seeded demo server on the tests' clock.
func rotateServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
}

// seededKey is the demo server's key of user named name, read directly.
func seededKey(t *testing.T, ts *testServer, user, name string) model.APIKey {
	t.Helper()
	ks := keysNamed(t, ts, user, name)
	if len(ks) != 1 {
		t.Fatalf("%d keys named %q for %s, want 1", len(ks), name, user)
	}
	return ks[0]
}

// keyByID is the server's key id of user, read directly; ok is false when
// it is not listed.
func keyByID(t *testing.T, ts *testServer, user, id string) (model.APIKey, bool) {
	t.Helper()
	for _, k := range serverKeys(t, ts, user) {
		if k.ID == id {
			return k, true
		}
	}
	return model.APIKey{}, false
}

// replacement is the one key of user named like old other than old itself;
// ok is false when there is none, and the test fails when there are more.
func replacement(t *testing.T, ts *testServer, old model.APIKey) (model.APIKey, bool) {
	t.Helper()
	var out []model.APIKey
	for _, k := range keysNamed(t, ts, old.Username, old.Name) {
		if k.ID != old.ID {
			out = append(out, k)
		}
	}
	if len(out) > 1 {
		t.Fatalf("%d new keys named %q: a create was sent more than once", len(out), old.Name)
	}
	if len(out) == 0 {
		return model.APIKey{}, false
	}
	return out[0], true
}

// assertSecretOnce checks that stdout is exactly one secret and a newline
// and that stderr holds no secret at all.
func assertSecretOnce(t *testing.T, r result) string {
	t.Helper()
	secret := strings.TrimSuffix(r.Stdout, "\n")
	if !wholeSecretRE.MatchString(secret) || r.Stdout != secret+"\n" {
		t.Fatalf("stdout %q: want the new secret alone on one line", redactSecrets(r.Stdout))
	}
	if strings.Contains(r.Stderr, secret) || secretRE.MatchString(r.Stderr) {
		t.Errorf("a secret reached stderr: %q", redactSecrets(r.Stderr))
	}
	return secret
}

// assertSameReach checks that nk copies old's owner, name, collection and
// inactivity, and expires at wantExpiry.
func assertSameReach(t *testing.T, old, nk model.APIKey, wantExpiry time.Time) {
	t.Helper()
	if nk.Username != old.Username || nk.Name != old.Name || nk.CollectionID != old.CollectionID || nk.IsGlobal != old.IsGlobal || !nk.IsActive {
		t.Errorf("new key %+v does not copy the old key %+v", nk, old)
	}
	oi, _ := old.InactivityDays.Get()
	ni, _ := nk.InactivityDays.Get()
	if oi != ni {
		t.Errorf("new key inactivity %d, want %d", ni, oi)
	}
	if nk.Expires == nil || !nk.Expires.Equal(wantExpiry) {
		t.Errorf("new key expires %v, want %v", nk.Expires, wantExpiry)
	}
}

// Each --then on a collection key with an inactivity interval and a
// lifetime (95 days) longer than the server's 90-day limit: the new key
// copies the old one's reach and is capped at the limit, its secret is
// stdout alone, and the old key ends kept, deactivated or deleted.
func TestRotateThen(t *testing.T) {
	for _, tc := range []struct {
		then       string
		args       []string
		oldListed  bool
		oldActive  bool
		stderrHave []string
	}{
		{"keep", nil, true, true, []string{"is kept and still active", "h2ogpte-keys deactivate %OLD --yes"}},
		{"deactivate", []string{"--yes"}, true, false, []string{"deactivated the old key %OLD"}},
		{"delete", []string{"--yes"}, false, false, []string{"deleted the old key %OLD"}},
	} {
		t.Run(tc.then, func(t *testing.T) {
			ts := rotateServer(t)
			old := seededKey(t, ts, "alice", "drafts-sync")
			args := append([]string{"rotate", old.ID, "--then", tc.then}, tc.args...)
			r := runCLI(t, harness{env: ts.adminEnv()}, args...)
			if r.code != exitOK {
				t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
			}
			secret := assertSecretOnce(t, r)

			nk, ok := replacement(t, ts, old)
			if !ok {
				t.Fatal("no new key on the server")
			}
			if nk.Hint != secret[len(secret)-4:] {
				t.Errorf("the secret printed is not the new key's (hint %q)", nk.Hint)
			}
			assertSameReach(t, old, nk, testNow.AddDate(0, 0, 90))
			got, listed := keyByID(t, ts, "alice", old.ID)
			if listed != tc.oldListed || (listed && got.IsActive != tc.oldActive) {
				t.Errorf("old key listed %v active %v, want %v %v", listed, got.IsActive, tc.oldListed, tc.oldActive)
			}
			for _, want := range append([]string{
				"Rotate key " + old.ID + ` "drafts-sync" of alice:`,
				`collection "Alice's drafts"`,
				"stops after 30 days unused",
				"capped at the server's limit (the old key's lifetime was 95 days",
				"created key " + nk.ID,
			}, tc.stderrHave...) {
				want = strings.ReplaceAll(want, "%OLD", old.ID)
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
				}
			}
		})
	}
}

// A global key without expiry stays global and without expiry; --expires
// replaces the old lifetime (never included) and is checked against the
// limit.
func TestRotateExpiry(t *testing.T) {
	ts := rotateServer(t)
	old := seededKey(t, ts, "dave", "crm-sync") // global, no expiry, 90 days inactivity
	r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	assertSecretOnce(t, r)
	nk, _ := replacement(t, ts, old)
	if !nk.IsGlobal || nk.Expires != nil || !strings.Contains(r.Stderr, "expiry      never, as the old key") {
		t.Errorf("new key %+v; stderr %q", nk, r.Stderr)
	}

	old = seededKey(t, ts, "alice", "research-bot")
	r = runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--expires", "10d")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	nk, _ = replacement(t, ts, old)
	assertSameReach(t, old, nk, testNow.AddDate(0, 0, 10))
	if !strings.Contains(r.Stderr, "as asked with --expires (the server's limit is 90 days)") {
		t.Errorf("stderr %q", r.Stderr)
	}

	old = seededKey(t, ts, "grace", "marketing-site")
	r = runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--expires", "never")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	if nk, _ = replacement(t, ts, old); nk.Expires != nil {
		t.Errorf("--expires never made a key expiring %v", nk.Expires)
	}
}

// -o json prints the new key's record with its secret once, and the old
// key's fate; nothing secret on stderr.
func TestRotateJSON(t *testing.T) {
	ts := rotateServer(t)
	old := seededKey(t, ts, "bob", "finance-export")
	r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "deactivate", "--yes", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	var got struct {
		SecretKey string         `json:"secret_key"`
		APIKey    map[string]any `json:"api_key"`
		OldKey    oldKeyJSON     `json:"old_key"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatalf("%v in %q", err, redactSecrets(r.Stdout))
	}
	if !wholeSecretRE.MatchString(got.SecretKey) || strings.Count(r.Stdout, got.SecretKey) != 1 || secretRE.MatchString(r.Stderr) {
		t.Fatalf("secret not exactly once in stdout and never in stderr: %q / %q", redactSecrets(r.Stdout), redactSecrets(r.Stderr))
	}
	nk, _ := replacement(t, ts, old)
	if got.APIKey["id"] != nk.ID || got.APIKey["name"] != "finance-export" || got.APIKey["username"] != "bob" ||
		got.APIKey["collection_id"] != old.CollectionID || got.APIKey["status"] != "active" || got.APIKey["inactivity_interval"] != 30.0 {
		t.Errorf("api_key = %v", got.APIKey)
	}
	if got.OldKey != (oldKeyJSON{ID: old.ID, Then: "deactivate", Outcome: "done"}) {
		t.Errorf("old_key = %+v", got.OldKey)
	}
}

// Faults at each step, each report held to what the server holds after.
func TestRotateFaults(t *testing.T) {
	t.Run("create refused: nothing else sent", func(t *testing.T) {
		ts := rotateServer(t)
		old := seededKey(t, ts, "alice", "drafts-sync")
		ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: rotateKeysPath, Kind: demoserver.FaultStatus, Status: http.StatusInternalServerError, Times: 1})
		_, before := ts.log.counts()
		r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "delete", "--yes")
		if r.code != exitFail || r.Stdout != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
		}
		if _, after := ts.log.counts(); after-before != 1 {
			t.Errorf("%d changing requests, want only the refused create", after-before)
		}
		if !strings.Contains(r.Stderr, "the new key was not created") || !strings.Contains(r.Stderr, "key "+old.ID+" was left as it was") {
			t.Errorf("stderr %q", r.Stderr)
		}
		if got, ok := keyByID(t, ts, "alice", old.ID); !ok || !got.IsActive {
			t.Error("the old key was touched")
		}
		if _, ok := replacement(t, ts, old); ok {
			t.Error("a new key exists after a refused create")
		}
	})

	for _, lost := range []struct {
		name   string
		kind   demoserver.FaultKind
		reason string
	}{
		{"504", demoserver.FaultActThenStatus, "the answer to create was lost (the server answered gateway timeout (504))"},
		{"drop", demoserver.FaultActThenDrop, "the answer to create was lost (the connection failed)"},
	} {
		t.Run("create answer lost ("+lost.name+"): secret lost, old untouched", func(t *testing.T) {
			ts := rotateServer(t)
			old := seededKey(t, ts, "alice", "drafts-sync")
			ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: rotateKeysPath, Kind: lost.kind, Status: http.StatusGatewayTimeout, Times: 1})
			_, before := ts.log.counts()
			r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "deactivate", "--yes")
			if r.code != exitFail || r.Stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
			}
			if _, after := ts.log.counts(); after-before != 1 {
				t.Errorf("%d changing requests, want only the create", after-before)
			}
			nk, ok := replacement(t, ts, old)
			if !ok {
				t.Fatal("the server holds no new key")
			}
			for _, want := range []string{
				lost.reason,
				"but the new key exists: " + nk.ID + ` "drafts-sync" of alice`,
				"its secret cannot be shown again",
				"  h2ogpte-keys deactivate " + nk.ID + " --yes\n",
				"  h2ogpte-keys delete " + nk.ID + " --yes\n",
				"the old key " + old.ID + " was NOT retired: it is still active",
			} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
				}
			}
			if secretRE.MatchString(r.Stderr) {
				t.Error("a secret reached stderr")
			}
			if got, ok := keyByID(t, ts, "alice", old.ID); !ok || !got.IsActive {
				t.Error("the old key was retired though the new secret was lost")
			}
		})
	}

	t.Run("deactivate refused: secret shown, old still active", func(t *testing.T) {
		ts := rotateServer(t)
		old := seededKey(t, ts, "alice", "drafts-sync")
		ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: rotateKeysPath + "/deactivate/*", Kind: demoserver.FaultStatus, Status: http.StatusInternalServerError, Times: 1})
		r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "deactivate", "--yes")
		if r.code != exitFail {
			t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
		}
		assertSecretOnce(t, r)
		for _, want := range []string{
			"the old key " + old.ID + " was NOT deactivated",
			"it is still active",
			"  h2ogpte-keys deactivate " + old.ID + " --yes\n",
			"h2ogpte-keys: rotated key " + old.ID + ", but it is still active: it was not deactivated\n",
		} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
			}
		}
		if got, ok := keyByID(t, ts, "alice", old.ID); !ok || !got.IsActive {
			t.Error("the old key is not active")
		}
		if _, ok := replacement(t, ts, old); !ok {
			t.Error("no new key")
		}
	})

	t.Run("delete answer lost: read back as done", func(t *testing.T) {
		ts := rotateServer(t)
		old := seededKey(t, ts, "alice", "drafts-sync")
		ts.srv.Inject(demoserver.Fault{Method: http.MethodDelete, Path: rotateKeysPath + "/*", Kind: demoserver.FaultActThenStatus, Status: http.StatusGatewayTimeout, Times: 1})
		r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "delete", "--yes")
		if r.code != exitOK {
			t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
		}
		assertSecretOnce(t, r)
		if _, ok := keyByID(t, ts, "alice", old.ID); ok {
			t.Error("the old key is still listed")
		}
		if !strings.Contains(r.Stderr, "deleted the old key "+old.ID) {
			t.Errorf("stderr %q", r.Stderr)
		}
	})

	t.Run("delete answer lost and read back fails: unknown", func(t *testing.T) {
		srv := demoserver.New(demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
		srv.Inject(demoserver.Fault{Method: http.MethodDelete, Path: rotateKeysPath + "/*", Kind: demoserver.FaultActThenStatus, Status: http.StatusGatewayTimeout, Times: 1})
		// Once the delete was sent, every key listing fails: the read back
		// cannot learn what happened.
		var mu sync.Mutex
		deleted := false
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			mu.Lock()
			if req.Method == http.MethodDelete {
				deleted = true
			}
			fail := deleted && req.Method == http.MethodGet && req.URL.Path == rotateKeysPath
			mu.Unlock()
			if fail {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			srv.ServeHTTP(w, req)
		}))
		t.Cleanup(hs.Close)
		ts := &testServer{URL: hs.URL, srv: srv, log: &requestLog{}}
		old := seededKey(t, ts, "alice", "drafts-sync")
		mu.Lock()
		deleted = false
		mu.Unlock()
		r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "delete", "--yes")
		if r.code != exitFail {
			t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
		}
		assertSecretOnce(t, r)
		for _, want := range []string{
			"unknown whether the old key " + old.ID + " was deleted",
			"h2ogpte-keys list --user alice",
			"  h2ogpte-keys delete " + old.ID + " --yes\n",
			"h2ogpte-keys: rotated key " + old.ID + ", but unknown whether it was deleted\n",
		} {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
			}
		}
	})
}

// A deactivated key, an unknown id, bad flags, read-only mode and a
// missing --yes off a terminal are refused; no change is sent.
func TestRotateRefused(t *testing.T) {
	ts := rotateServer(t)
	deactivated := seededKey(t, ts, "alice", "old-laptop")
	live := seededKey(t, ts, "alice", "laptop")
	tests := []struct {
		name  string
		args  []string
		code  int
		want  []string
		local bool // refused before any request
	}{
		{"deactivated key", []string{"rotate", deactivated.ID}, exitFail, []string{"is deactivated", "cannot be rotated"}, false},
		{"unknown id", []string{"rotate", "no-such-key"}, exitFail, []string{"no key with id no-such-key"}, false},
		{"blank id", []string{"rotate", " "}, exitUsage, []string{"empty key id"}, true},
		{"bad --then", []string{"rotate", live.ID, "--then", "shred"}, exitUsage, []string{"--then", "want keep, deactivate or delete"}, true},
		{"bad --expires", []string{"rotate", live.ID, "--expires", "2026-02-30"}, exitUsage, []string{"--expires", "not a valid date"}, true},
		{"empty --expires", []string{"rotate", live.ID, "--expires", ""}, exitUsage, []string{"--expires", "empty"}, true},
		{"--expires past the limit", []string{"rotate", live.ID, "--expires", "200d"}, exitUsage, []string{"--expires", "limit of 90 days"}, false},
		{"read-only", []string{"--read-only", "rotate", live.ID, "--then", "delete", "--yes"}, exitUsage, []string{"read-only"}, true},
		{"no --yes off a terminal", []string{"rotate", live.ID, "--then", "delete"}, exitUsage, []string{"--yes", "not on a terminal"}, true},
		{"two ids", []string{"rotate", live.ID, deactivated.ID}, exitUsage, []string{"arg"}, true},
		{"bad --name", []string{"rotate", live.ID, "--name", "tab\there"}, exitUsage, []string{"--name", "character 4 is a tab"}, true},
		{"empty --name", []string{"rotate", live.ID, "--name", ""}, exitUsage, []string{"--name", "empty"}, true},
		{"old name a new key may not have", []string{"rotate", seededKey(t, ts, "erin", "payroll\u202efdp.exe").ID}, exitFail,
			[]string{"its name cannot be given to a new key", "give the new key a name with --name"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, muts := ts.log.counts()
			r := runCLI(t, harness{env: ts.adminEnv()}, tt.args...)
			assertOneLine(t, r, tt.code, tt.want...)
			if r.Stdout != "" {
				t.Errorf("stdout %q", r.Stdout)
			}
			total2, muts2 := ts.log.counts()
			if muts2 != muts {
				t.Errorf("%d changing requests sent", muts2-muts)
			}
			if tt.local && total2 != total {
				t.Errorf("%d requests sent for an error found locally", total2-total)
			}
		})
	}
	if got := serverKeys(t, ts, "alice"); len(keysNamed(t, ts, "alice", "laptop")) != 1 || len(got) == 0 {
		t.Error("a refused rotation changed alice's keys")
	}
}

// --name rotates a key whose name a new key may not have (a right-to-left
// override in it) under the name given, with the old key's reach, and says
// so in the plan; the old name never reaches stderr uncleaned.
func TestRotateNamed(t *testing.T) {
	ts := rotateServer(t)
	old := seededKey(t, ts, "erin", "payroll\u202efdp.exe")
	r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--name", "payroll-export", "--then", "deactivate", "--yes")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	secret := assertSecretOnce(t, r)
	renamed := keysNamed(t, ts, "erin", "payroll-export")
	if len(renamed) != 1 || renamed[0].Hint != secret[len(secret)-4:] {
		t.Fatalf("keys named payroll-export: %+v", renamed)
	}
	nk := renamed[0]
	if nk.IsGlobal != old.IsGlobal || nk.CollectionID != old.CollectionID || nk.Expires == nil ||
		!nk.Expires.Equal(testNow.Add(old.Expires.Sub(old.Created).Truncate(time.Minute))) {
		t.Errorf("new key %+v does not have the old key's reach and lifetime", nk)
	}
	if got, _ := keyByID(t, ts, "erin", old.ID); got.IsActive {
		t.Error("the old key is still active after --then deactivate")
	}
	if !strings.Contains(r.Stderr, `named "payroll-export", as asked with --name`) || strings.ContainsRune(r.Stderr, '\u202e') {
		t.Errorf("stderr %q", r.Stderr)
	}
}

// On a terminal, deactivate and delete of the old key are asked first,
// naming it, and default to no; keep is not asked.
func TestRotateConfirm(t *testing.T) {
	ts := rotateServer(t)
	old := seededKey(t, ts, "alice", "jupyter")
	_, before := ts.log.counts()
	r := runCLI(t, harness{env: ts.adminEnv(), tty: true, Stdin: "\n"}, "rotate", old.ID, "--then", "delete")
	if r.code != exitFail || r.Stdout != "" || !strings.Contains(r.Stderr, "cancelled; nothing was changed") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "Create the new key, then delete key "+old.ID+` "jupyter" of alice? This cannot be undone [y/N] `) {
		t.Errorf("prompt missing: %q", r.Stderr)
	}
	if _, after := ts.log.counts(); after != before {
		t.Errorf("a cancelled rotation sent %d changes", after-before)
	}

	r = runCLI(t, harness{env: ts.adminEnv(), tty: true, Stdin: "y\n"}, "rotate", old.ID, "--then", "deactivate")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.Stderr)
	}
	assertSecretOnce(t, r)
	if got, _ := keyByID(t, ts, "alice", old.ID); got.IsActive {
		t.Error("confirmed deactivate left the old key active")
	}
}

// The built binary with stdout sent to a file and no --output: the file
// holds the new secret alone, and that secret works.
func TestE2ERotateToFile(t *testing.T) {
	e := newE2E(t)
	id, _ := e.create("--user", "bob", "--name", "rotate-me", "--expires", "30d", "--inactivity-days", "7")
	out := filepath.Join(t.TempDir(), "secret.txt")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "rotate", id, "--then", "delete", "--yes")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.home, envAddress + "=" + e.ts.URL, envToken + "=" + e.token}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = f, &stderr
	runErr := cmd.Run()
	f.Close()
	if runErr != nil {
		t.Fatalf("rotate: %v, stderr %q", runErr, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSuffix(string(raw), "\n")
	if !wholeSecretRE.MatchString(secret) || string(raw) != secret+"\n" {
		t.Fatalf("secret.txt holds %d bytes that are not one secret and a newline", len(raw))
	}
	if strings.Contains(stderr.String(), secret) {
		t.Error("the secret reached stderr")
	}
	e.useKey(secret)
	if e.key("bob", id) != nil {
		t.Error("the old key was not deleted")
	}
}

// failListingsAfter serves the seeded demo server, but once a request with
// method has been seen, every key listing fails with 503: a read back after
// that request cannot learn what happened.
func failListingsAfter(t *testing.T, method string) (*testServer, func()) {
	t.Helper()
	srv := demoserver.New(demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	var mu sync.Mutex
	armed, seen := false, false
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		if armed && req.Method == method {
			seen = true
		}
		fail := seen && req.Method == http.MethodGet && req.URL.Path == rotateKeysPath
		mu.Unlock()
		if fail {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		srv.ServeHTTP(w, req)
	}))
	t.Cleanup(hs.Close)
	arm := func() {
		mu.Lock()
		defer mu.Unlock()
		armed = true
	}
	return &testServer{URL: hs.URL, srv: srv, log: &requestLog{}}, arm
}

// A create whose answer is lost and whose read back fails too: unknown.
// The report says how to check, never suggests creating again, and the old
// key is left active.
func TestRotateCreateUnknown(t *testing.T) {
	ts, arm := failListingsAfter(t, http.MethodPost)
	old := seededKey(t, ts, "alice", "drafts-sync")
	arm()
	ts.srv.Inject(demoserver.Fault{Method: http.MethodPost, Path: rotateKeysPath, Kind: demoserver.FaultActThenStatus, Status: http.StatusGatewayTimeout, Times: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "rotate", old.ID, "--then", "delete", "--yes")
	if r.code != exitFail || r.Stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{
		`unknown whether the new key "drafts-sync" was created for alice`,
		"h2ogpte-keys list --user alice",
		"the old key " + old.ID + " was NOT retired: it is still active",
		"h2ogpte-keys: unknown whether key " + old.ID + " was rotated\n",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	for _, never := range []string{"try again", "retry", "h2ogpte-keys rotate", "h2ogpte-keys create"} {
		if strings.Contains(strings.ToLower(r.Stderr), never) {
			t.Errorf("stderr suggests a resend (%q):\n%s", never, r.Stderr)
		}
	}
	// Straight to the demo server, past the failing listings.
	direct := httptest.NewServer(ts.srv)
	t.Cleanup(direct.Close)
	dts := &testServer{URL: direct.URL, srv: ts.srv, log: &requestLog{}}
	if got, ok := keyByID(t, dts, "alice", old.ID); !ok || !got.IsActive {
		t.Error("the old key was retired though the create's outcome was unknown")
	}
	if _, ok := replacement(t, dts, old); !ok {
		t.Error("the create did happen on the server; the test's fault did not act")
	}
}

// stdinThen is a terminal's stdin whose first read runs before and then
// answers line: it changes the server while the prompt waits.
type stdinThen struct {
	before func()
	line   string
	done   bool
}

func (s *stdinThen) Read(p []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	s.done = true
	s.before()
	return copy(p, s.line), nil
}

// Rotate checks the key again before creating: one deactivated while the
// prompt waited is refused, and nothing is created.
func TestRotateRecheckedBeforeCreate(t *testing.T) {
	ts := rotateServer(t)
	old := seededKey(t, ts, "alice", "jupyter")
	stdin := &stdinThen{line: "y\n", before: func() {
		r := runCLI(t, harness{env: ts.adminEnv()}, "deactivate", old.ID, "--yes")
		if r.code != exitOK {
			t.Errorf("deactivate behind the prompt's back: exit %d, %q", r.code, r.Stderr)
		}
	}}
	r := runCLIWith(t, harness{env: ts.adminEnv(), tty: true}, func(e *Env) { e.Stdin = stdin }, "rotate", old.ID, "--then", "delete")
	if r.code != exitFail || r.Stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.Stdout, r.Stderr)
	}
	if !strings.Contains(r.Stderr, "h2ogpte-keys: nothing was created and key "+old.ID+" was left as it was: key "+old.ID+" is deactivated") {
		t.Errorf("stderr %q", r.Stderr)
	}
	if _, ok := replacement(t, ts, old); ok {
		t.Error("a new key was created for a key deactivated meanwhile")
	}
	if _, ok := keyByID(t, ts, "alice", old.ID); !ok {
		t.Error("the old key was deleted")
	}
}
