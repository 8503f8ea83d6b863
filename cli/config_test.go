package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// settingsFor parses args the way a run would (flags of the `users`
// command) and returns the resolved settings.
func settingsFor(t *testing.T, environ map[string]string, args ...string) (settings, error) {
	t.Helper()
	a := &app{Env: Env{
		Getenv:    func(k string) string { return environ[k] },
		Now:       func() time.Time { return testNow },
		StdinTTY:  func() bool { return false },
		StdoutTTY: func() bool { return false },
		StderrTTY: func() bool { return false },
	}}
	root := a.newRootCmd()
	cmd, rest, err := root.Find(append([]string{"users"}, args...))
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	err = a.loadSettings(cmd)
	return a.cfg, err
}

func writeConfig(t *testing.T, body string) (xdg string) {
	t.Helper()
	xdg = t.TempDir()
	dir := filepath.Join(xdg, "h2ogpte-keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return xdg
}

func TestConfigPrecedence(t *testing.T) {
	file := `address: https://from-file.example.com
api_key_file: /etc/h2ogpte/token
ca_cert: ca.pem
timeout: 45s
read_only: true
`
	xdg := writeConfig(t, file)
	cfgDir := filepath.Join(xdg, "h2ogpte-keys")
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		address    string
		tokenEnv   bool
		tokenFile  string
		caCert     string
		timeout    time.Duration
		readOnly   bool
		noConfig   bool
		wantNoColr bool
	}{
		{name: "file only", address: "https://from-file.example.com", tokenFile: "/etc/h2ogpte/token",
			caCert: filepath.Join(cfgDir, "ca.pem"), timeout: 45 * time.Second, readOnly: true},
		{name: "env beats file", env: map[string]string{envAddress: "https://from-env.example.com", envToken: "sk-env"},
			address: "https://from-env.example.com", tokenEnv: true,
			caCert: filepath.Join(cfgDir, "ca.pem"), timeout: 45 * time.Second, readOnly: true},
		{name: "flags beat env and file",
			env:     map[string]string{envAddress: "https://from-env.example.com", envToken: "sk-env"},
			args:    []string{"--address", "https://from-flag.example.com", "--api-key-file", "/run/token", "--ca-cert", "/flag/ca.pem", "--timeout", "5s", "--read-only=false"},
			address: "https://from-flag.example.com", tokenFile: "/run/token", caCert: "/flag/ca.pem",
			timeout: 5 * time.Second, readOnly: false},
		{name: "no config file: defaults", noConfig: true, env: map[string]string{envToken: "sk-env"},
			tokenEnv: true, timeout: defaultTimeout},
		{name: "NO_COLOR", noConfig: true, env: map[string]string{"NO_COLOR": "1"}, timeout: defaultTimeout, wantNoColr: true},
		{name: "--no-color", noConfig: true, args: []string{"--no-color"}, timeout: defaultTimeout, wantNoColr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			environ := map[string]string{"XDG_CONFIG_HOME": xdg}
			if tt.noConfig {
				environ["XDG_CONFIG_HOME"] = t.TempDir()
			}
			for k, v := range tt.env {
				environ[k] = v
			}
			s, err := settingsFor(t, environ, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if s.Address != tt.address || s.TokenFromEnv != tt.tokenEnv || s.TokenFile != tt.tokenFile ||
				s.CACert != tt.caCert || s.Timeout != tt.timeout || s.ReadOnly != tt.readOnly || s.NoColor != tt.wantNoColr {
				t.Errorf("settings = %+v", s)
			}
		})
	}
}

func TestConfigPath(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/x/h2ogpte-keys/config.yaml"},
		{map[string]string{"XDG_CONFIG_HOME": "relative", "HOME": "/h"}, "/h/.config/h2ogpte-keys/config.yaml"},
		{map[string]string{"HOME": "/h"}, "/h/.config/h2ogpte-keys/config.yaml"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := configPath(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("configPath(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestConfigFileErrorsAreUsageErrors(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{"adress: https://typo.example.com\n", `unknown setting "adress"`},
		{"timeout: 30\n", "not a duration"},
		{"timeout: -5s\n", "timeout must be more than zero"},
		{"address: [unclosed\n", "config"},
		{"read_only: maybe\n", "into bool"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			xdg := writeConfig(t, tt.body)
			r := runCLI(t, harness{env: map[string]string{"XDG_CONFIG_HOME": xdg}}, "users")
			assertOneLine(t, r, exitUsage, tt.want)
		})
	}
	// An empty file is fine.
	if _, err := settingsFor(t, map[string]string{"XDG_CONFIG_HOME": writeConfig(t, "")}); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

func TestLoadTokenFromStdin(t *testing.T) {
	tests := []struct {
		name, stdin, want, wantErr string
	}{
		{"trimmed", "  sk-abc123 \n", "sk-abc123", ""},
		{"no newline", "sk-abc123", "sk-abc123", ""},
		{"empty", "\n", "", "is empty"},
		{"two tokens", "sk-a\nsk-b\n", "", "one line"},
		{"huge", strings.Repeat("x", maxTokenFile+1), "", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			tok, err := loadToken(context.Background(), settings{TokenFile: "-"}, tokenIO{getenv: func(string) string { return "" }, stdin: strings.NewReader(tt.stdin), stderr: &stderr})
			if tt.wantErr != "" {
				var ue usageError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want usage error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || tok.Reveal() != tt.want {
				t.Fatalf("token = %q, %v; want %q", tok.Reveal(), err, tt.want)
			}
			if stderr.Len() != 0 {
				t.Errorf("stdin token gave a warning: %q", stderr.String())
			}
		})
	}
}

func TestLoadTokenFromEnvWinsOverNothing(t *testing.T) {
	tok, err := loadToken(context.Background(), settings{TokenFromEnv: true}, tokenIO{getenv: func(k string) string {
		if k == envToken {
			return " sk-env \n"
		}
		return ""
	}, stdin: strings.NewReader(""), stderr: &strings.Builder{}})
	if err != nil || tok.Reveal() != "sk-env" {
		t.Errorf("token = %q, %v", tok.Reveal(), err)
	}
}

func TestTokenFilePermissionWarning(t *testing.T) {
	const secret = "sk-perm-test-0123456789"
	tests := []struct {
		mode os.FileMode
		warn bool
	}{
		{0o600, false},
		{0o400, false},
		{0o640, true},
		{0o644, true},
		{0o604, true},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			tok, err := loadToken(context.Background(), settings{TokenFile: path}, tokenIO{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stderr: &stderr})
			if err != nil || tok.Reveal() != secret {
				t.Fatalf("token = %q, %v", tok.Reveal(), err)
			}
			warned := strings.Contains(stderr.String(), "can be read by group or others")
			if warned != tt.warn {
				t.Errorf("mode %v: warned = %v (%q), want %v", tt.mode, warned, stderr.String(), tt.warn)
			}
			if warned && !strings.Contains(stderr.String(), "chmod 600 "+path) {
				t.Errorf("warning does not say how to fix it: %q", stderr.String())
			}
			if strings.Contains(stderr.String(), secret) {
				t.Error("warning shows the token")
			}
		})
	}
	_, err := loadToken(context.Background(), settings{TokenFile: filepath.Join(t.TempDir(), "missing")}, tokenIO{getenv: func(string) string { return "" }, stderr: &strings.Builder{}})
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("missing token file: %v, want a usage error", err)
	}
}

func TestMissingMessage(t *testing.T) {
	tok := model.NewSecret("sk-x")
	if m := missingMessage("https://h", tok); m != "" {
		t.Errorf("nothing missing, got %q", m)
	}
	m := missingMessage("", model.Secret{})
	for _, want := range []string{envAddress, "--address", envToken, "--api-key-file", "`h2ogpte-keys demo` needs neither"} {
		if !strings.Contains(m, want) {
			t.Errorf("%q lacks %q", m, want)
		}
	}
	if strings.Contains(m, "\n") {
		t.Errorf("message is more than one line: %q", m)
	}
}
