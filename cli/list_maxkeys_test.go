package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// --max-keys and the config's max_keys bound how many keys a listing reads
// (client.Config.MaxItems): past it, list fails with the paging error;
// the flag wins over the file; zero or less is a usage error.
func TestMaxKeysSetting(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, ExtraKeys: 600})
	cfgHome := t.TempDir()
	writeConfig := func(body string) {
		t.Helper()
		dir := filepath.Join(cfgHome, "h2ogpte-keys")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := ts.adminEnv()
	env["XDG_CONFIG_HOME"] = cfgHome
	for _, tc := range []struct {
		name     string
		config   string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"default reads everything", "", nil, exitOK, ""},
		{"config caps", "max_keys: 150\n", nil, exitFail, "paging does not end: more than 150 keys"},
		{"config caps --unsorted", "max_keys: 150\n", []string{"--unsorted"}, exitFail, "more than 150 keys"},
		{"flag caps", "", []string{"--max-keys", "150"}, exitFail, "more than 150 keys"},
		{"flag wins over config", "max_keys: 150\n", []string{"--max-keys", "100000"}, exitOK, ""},
		{"zero flag", "", []string{"--max-keys", "0"}, exitUsage, "--max-keys (max_keys in the config) must be more than zero"},
		{"negative config", "max_keys: -1\n", nil, exitUsage, "--max-keys (max_keys in the config) must be more than zero"},
	} {
		for _, format := range []string{"json", "csv"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				writeConfig(tc.config)
				args := append([]string{"list", "--all", "-o", format}, tc.args...)
				r := runCLI(t, harness{env: env}, args...)
				if r.code != tc.wantCode || !strings.Contains(r.Stderr, tc.wantErr) {
					t.Errorf("exit %d, stderr %q; want exit %d with %q", r.code, r.Stderr, tc.wantCode, tc.wantErr)
				}
				if tc.wantCode == exitOK && strings.Count(r.Stdout, "\n") < 600 {
					t.Errorf("%d lines listed", strings.Count(r.Stdout, "\n"))
				}
			})
		}
	}
}
