package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// fakeKey is shaped like a real h2oGPTe key; no test server accepts it.
var fakeKey = "sk-" + strings.Repeat("Q7", 24)

// TestInputRulesBeforeSending: every refused input exits 2 naming the
// problem, on one short line, and nothing reaches the server.
func TestInputRulesBeforeSending(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	huge := strings.Repeat("x", 130_000)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"empty collection", []string{"create", "--user", "alice", "--name", "ci", "--collection", ""}, "--collection is blank"},
		{"blank collection", []string{"create", "--user", "alice", "--name", "ci", "--collection", "   "}, "--collection is blank"},
		{"bidi override in name", []string{"create", "--user", "alice", "--name", "invoice\u202Efdp.exe"}, "bidirectional override"},
		{"newline in name", []string{"create", "--user", "alice", "--name", "a\nb"}, "line break"},
		{"escape sequence in name", []string{"create", "--user", "alice", "--name", "a\x1b[2Jb"}, "escape character"},
		{"zero-width in name", []string{"create", "--user", "alice", "--name", "ad\u200Bmin"}, "zero-width"},
		{"101-character name", []string{"create", "--user", "alice", "--name", strings.Repeat("n", 101)}, "at most 100"},
		{"130 KB name", []string{"create", "--user", "alice", "--name", huge}, "130000 characters"},
		{"empty id to deactivate", []string{"deactivate", "", "--yes"}, "empty key id"},
		{"blank id to delete", []string{"delete", "  ", "--yes"}, "empty key id"},
		{"130 KB status echoed clipped", []string{"list", "--all", "--status", huge}, "--status \"xxxxxxxx"},
		{"130 KB output format", []string{"list", "--all", "--output", huge}, "--output \"xxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := ts.log.counts()
			r := runCLI(t, harness{env: ts.adminEnv()}, tc.args...)
			assertOneLine(t, r, exitUsage, tc.want)
			if n, _ := ts.log.counts(); n != before {
				t.Errorf("%d requests were sent", n-before)
			}
			if len(r.Stderr) > 400 {
				t.Errorf("stderr is %d bytes: an input was echoed whole", len(r.Stderr))
			}
			if strings.ContainsAny(r.Stderr, "\u202E\u200B\x1b") {
				t.Errorf("stderr %q carries the offending character", r.Stderr)
			}
		})
	}
}

func TestDemoKeysBounded(t *testing.T) {
	for _, n := range []string{"99999999999", "9223372036854775807", "-1"} {
		r := runCLI(t, harness{dashboard: func(context.Context, DashboardDeps) error {
			t.Error("the dashboard opened")
			return nil
		}}, "demo", "--keys", n)
		assertOneLine(t, r, exitUsage, "--keys", "out of range")
	}
	for _, n := range []string{"-1", "100001"} {
		r := runCLI(t, harness{dashboard: func(context.Context, DashboardDeps) error {
			t.Error("the dashboard opened")
			return nil
		}}, "demo", "--traffic", n)
		assertOneLine(t, r, exitUsage, "--traffic", "out of range")
	}
	r := runCLI(t, harness{}, "demo", "--keys", "99999999999999999999999")
	if r.code != exitUsage {
		t.Errorf("--keys past int64: exit %d, stderr %q", r.code, r.Stderr)
	}
}

// TestCSVNeverWritesFormulas: key names that spreadsheets would run as
// formulas are written as text in list -o csv; JSON keeps them as they are.
func TestCSVNeverWritesFormulas(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	names := []string{`=HYPERLINK("http://evil.example","x")`, "@SUM(A1:A9)", "+1+1", "-2"}
	for _, n := range names {
		if r := runCLI(t, harness{env: ts.adminEnv()}, "create", "--user", "dave", "--name", n, "--expires", "1d"); r.code != 0 {
			t.Fatalf("create %q: exit %d, %q", n, r.code, r.Stderr)
		}
	}
	r := runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "dave", "--output", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d, %q", r.code, r.Stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.Stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, row := range rows {
		for _, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q starts with a formula character", c)
			}
			got[c] = true
		}
	}
	for _, n := range names {
		if !got["'"+n] {
			t.Errorf("CSV lacks the quoted name '%s", n)
		}
	}
	r = runCLI(t, harness{env: ts.adminEnv()}, "list", "--user", "dave", "--output", "json")
	var keys []map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &keys); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if findKey(keys, "name", n) == nil {
			t.Errorf("JSON lacks the name %q as it is", n)
		}
	}
}

// TestTokenNeverPrinted: a key pasted into the wrong setting is described,
// never quoted.
func TestTokenNeverPrinted(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	writeConfig := func(t *testing.T, body string) map[string]string {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "h2ogpte-keys"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "h2ogpte-keys", "config.yaml"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return map[string]string{"XDG_CONFIG_HOME": dir}
	}
	tests := []struct {
		name string
		env  func(t *testing.T) map[string]string
		args []string
		want string
	}{
		{"swapped variables", func(*testing.T) map[string]string {
			return map[string]string{envAddress: fakeKey, envToken: ts.URL}
		}, []string{"users"}, "looks like an API key (sk-…); did you swap H2OGPTE_ADDRESS and H2OGPTE_API_KEY?"},
		{"address flag holds a key", func(*testing.T) map[string]string {
			return map[string]string{envToken: demoserver.DemoToken}
		}, []string{"--address", fakeKey, "users"}, "looks like an API key (sk-…)"},
		{"token in the address's query", func(*testing.T) map[string]string {
			return map[string]string{envAddress: ts.URL + "/?api_key=" + fakeKey, envToken: demoserver.DemoToken}
		}, []string{"users"}, "holds what looks like an API key"},
		{"token as the variable, address as the token", func(*testing.T) map[string]string {
			return map[string]string{envAddress: ts.URL, envToken: "https://h2ogpte.example.com"}
		}, []string{"users"}, "the admin API key looks like a server address"},
		{"token as the config's address", func(t *testing.T) map[string]string {
			e := writeConfig(t, "address: "+fakeKey+"\n")
			e[envToken] = demoserver.DemoToken
			return e
		}, []string{"users"}, "address in "},
		{"token as the config's timeout", func(t *testing.T) map[string]string {
			e := writeConfig(t, "timeout: "+fakeKey+"\n")
			e[envAddress], e[envToken] = ts.URL, demoserver.DemoToken
			return e
		}, []string{"users"}, "timeout holds what looks like an API key"},
		{"token as the config's api_key_file", func(t *testing.T) map[string]string {
			e := writeConfig(t, "api_key_file: /"+fakeKey+"\n")
			e[envAddress] = ts.URL
			return e
		}, []string{"users"}, "what looks like an API key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := ts.log.counts()
			r := runCLI(t, harness{env: tc.env(t)}, tc.args...)
			assertOneLine(t, r, exitUsage, tc.want)
			for _, secret := range []string{fakeKey, fakeKey[3:20], demoserver.DemoToken} {
				if strings.Contains(r.Stderr+r.Stdout, secret) {
					t.Errorf("output holds a token: %q", r.Stderr)
				}
			}
			if n, _ := ts.log.counts(); n != before {
				t.Errorf("%d requests were sent", n-before)
			}
		})
	}
}

// TestDebugAndErrorsRedactTheToken: --debug lines and error messages pass
// the scrubber, whatever token is in use.
func TestDebugAndErrorsRedactTheToken(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "--debug", "users", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d, %q", r.code, r.Stderr)
	}
	if strings.Contains(r.Stderr, demoserver.DemoToken) || strings.Contains(r.Stderr, demoserver.DemoToken[3:]) {
		t.Errorf("the token is in the debug log")
	}
	// A token that is not key-shaped is cut out by value.
	odd := "plain-token-value-1234567890"
	r = runCLI(t, harness{env: map[string]string{envAddress: ts.URL, envToken: odd}}, "--debug", "users")
	if r.code == 0 || strings.Contains(r.Stderr, odd) {
		t.Errorf("exit %d, stderr %q", r.code, r.Stderr)
	}
	s := newScrubber(nil, func() []string { return []string{odd} })
	if got := s.scrub("boom: " + odd + " and " + fakeKey); strings.Contains(got, odd) || strings.Contains(got, fakeKey[3:]) {
		t.Errorf("scrub left a secret: %q", got)
	}
}

func TestPlainHTTP(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "users", "--output", "json")
	if r.code != 0 || r.loopbackWarnings != 1 {
		t.Errorf("loopback: exit %d, %d warnings (want exactly 1), stderr %q", r.code, r.loopbackWarnings, r.Stderr)
	}
	remote := map[string]string{envAddress: "http://192.0.2.1:9", envToken: demoserver.DemoToken}
	r = runCLI(t, harness{env: remote}, "users")
	assertOneLine(t, r, exitUsage, "refusing to send the admin API key unencrypted to \"192.0.2.1\"", "--allow-http")
	r = runCLI(t, harness{env: remote}, "--allow-http", "--timeout", "50ms", "users")
	if r.code != exitFail || !strings.HasPrefix(r.Stderr, "h2ogpte-keys: warning: plain HTTP to 192.0.2.1 (--allow-http)") {
		t.Errorf("--allow-http: exit %d, stderr %q", r.code, r.Stderr)
	}
	for host, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true, "a.localhost": true, "10.0.0.1": false, "localhost.example.com": false} {
		if isLoopback(host) != want {
			t.Errorf("isLoopback(%q) = %v", host, !want)
		}
	}
	// The demo's own server is the tool's own: no warning.
	r = runCLI(t, harness{dashboard: func(context.Context, DashboardDeps) error { return nil }}, "demo")
	if r.code != 0 || r.loopbackWarnings != 0 || r.Stderr != "" {
		t.Errorf("demo: exit %d, stderr %q, %d warnings", r.code, r.Stderr, r.loopbackWarnings)
	}
}

// TestTokenFIFOHonoursCancel: --api-key-file naming a FIFO that never gets
// a writer returns when the run is interrupted.
func TestTokenFIFOHonoursCancel(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		done <- runCLIContext(t, ctx, harness{env: map[string]string{envAddress: ts.URL}}, nil, "--api-key-file", fifo, "users")
	}()
	time.Sleep(100 * time.Millisecond) // let it block in open
	cancel()
	select {
	case r := <-done:
		assertOneLine(t, r, exitFail, "interrupted")
	case <-time.After(30 * time.Second):
		t.Fatal("the token read did not return after cancel")
	}
	if n, _ := ts.log.counts(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestTokenPromptOnTerminal: --api-key-file - on a terminal prompts on
// stderr and reads without echo (the injected reader stands in for
// x/term); an unanswered prompt ends on cancel.
func TestTokenPromptOnTerminal(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	h := harness{env: map[string]string{envAddress: ts.URL}, tty: true, pipedStdout: true}
	r := runCLIWith(t, h, func(e *Env) {
		e.ReadPassword = func() ([]byte, error) { return []byte(demoserver.DemoToken), nil }
	}, "--api-key-file", "-", "users", "--output", "json")
	if r.code != 0 || !strings.HasPrefix(r.Stderr, "Admin API key (input hidden): \n") {
		t.Errorf("exit %d, stderr %q", r.code, r.Stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	done := make(chan result, 1)
	go func() {
		done <- runCLIEnv(t, ctx, h, nil, func(e *Env) {
			e.ReadPassword = func() ([]byte, error) { <-block; return nil, errors.New("closed") }
		}, "--api-key-file", "-", "users")
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case r := <-done:
		if r.code != exitFail || !strings.Contains(r.Stderr, "interrupted") {
			t.Errorf("exit %d, stderr %q", r.code, r.Stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the prompt did not return after cancel")
	}

	// Off a terminal, - reads stdin as before, with no prompt.
	r = runCLI(t, harness{env: map[string]string{envAddress: ts.URL}, Stdin: demoserver.DemoToken + "\n"}, "--api-key-file", "-", "users", "--output", "json")
	if r.code != 0 || r.Stderr != "" {
		t.Errorf("stdin: exit %d, stderr %q", r.code, r.Stderr)
	}
}
