package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// auditBrokenEnv is ts's admin environment with audit_log in config.yaml
// naming a directory, so every attempt to record a change fails after the
// change was sent.
func auditBrokenEnv(t *testing.T, ts *testServer) map[string]string {
	t.Helper()
	cfgHome := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgHome, "h2ogpte-keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // a directory cannot be opened as the log
	if err := os.WriteFile(filepath.Join(cfgHome, "h2ogpte-keys", "config.yaml"), []byte("audit_log: "+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := ts.adminEnv()
	env["XDG_CONFIG_HOME"] = cfgHome
	env["USER"] = "carol"
	return env
}

// A create whose audit line cannot be written still shows the key and its
// secret (the key exists; hiding the secret would leave a key nobody can
// use and invite a second create), and exits 1 saying the change was made
// but not recorded.
func TestCreateShownWhenAuditFails(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	env := auditBrokenEnv(t, ts)
	for _, format := range []string{"table", "json"} {
		t.Run(format, func(t *testing.T) {
			name := "audited-" + format
			r := runCLI(t, harness{env: env}, "create", "--user", "bob", "--name", name, "--expires", "30d", "--output", format)
			if r.code != exitFail {
				t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
			}
			if n := len(keysNamed(t, ts, "bob", name)); n != 1 {
				t.Fatalf("%d keys named %s on the server, want 1", n, name)
			}
			secret := secretRE.FindString(r.Stdout)
			if secret == "" {
				t.Fatalf("the created key's secret is not on stdout: %q (stderr %q)", r.Stdout, r.Stderr)
			}
			if strings.Contains(r.Stderr, secret) {
				t.Error("secret on stderr")
			}
			if !strings.Contains(r.Stderr, "audit log") || !strings.Contains(r.Stderr, "could not record") {
				t.Errorf("stderr does not say the change was reported but not recorded: %q", r.Stderr)
			}
		})
	}
}

// A bulk change whose report cannot be recorded still prints every key's
// outcome (JSON too), and exits 1 naming the audit failure.
func TestBulkReportShownWhenAuditFails(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	env := auditBrokenEnv(t, ts)
	ids := firstKeyIDs(t, ts, 2)
	r := runCLI(t, harness{env: env}, append([]string{"delete", "--yes", "--output", "json"}, ids...)...)
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
	}
	var got []bulkResult
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil {
		t.Fatalf("stdout is not the JSON report: %v in %q (stderr %q)", err, r.Stdout, r.Stderr)
	}
	if len(got) != 2 || got[0].Outcome != "done" || got[1].Outcome != "done" {
		t.Errorf("report %+v, want 2 keys done", got)
	}
	if !strings.Contains(r.Stderr, "audit log") || !strings.Contains(r.Stderr, "could not record") {
		t.Errorf("stderr does not say the change was reported but not recorded: %q", r.Stderr)
	}
}

// expire, a change of one key, says it was made when only its recording
// failed.
func TestChangeOneShownWhenAuditFails(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	env := auditBrokenEnv(t, ts)
	id := firstKeyIDs(t, ts, 1)[0]
	r := runCLI(t, harness{env: env}, "inactivity", id, "--days", "9", "--output", "json")
	if r.code != exitFail {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.Stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &got); err != nil || got["inactivity_interval"] != float64(9) {
		t.Fatalf("stdout %q (%v), want the change's record", r.Stdout, err)
	}
	if !strings.Contains(r.Stderr, "audit log") || !strings.Contains(r.Stderr, "could not record") {
		t.Errorf("stderr does not say the change was reported but not recorded: %q", r.Stderr)
	}
}
