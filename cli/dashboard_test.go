package cli

import (
	"strings"
	"testing"
)

// TestDashboardRefusesTokensThatCannotManageKeys: before the first screen the
// dashboard checks the token; a non-admin's key or a rejected token is one
// clear line and exit 1, never an empty table. The binary runs without a
// terminal, so reaching the TUI at all would fail differently.
func TestDashboardRefusesTokensThatCannotManageKeys(t *testing.T) {
	e := newE2E(t)
	_, secret := e.create("--user", "alice", "--name", "not-admin", "--expires", "1d")
	for _, tc := range []struct {
		name, token, want string
	}{
		{"non-admin key", secret, "not an administrator"},
		{"rejected token", "sk-" + strings.Repeat("z", 48), "token was rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.token = tc.token
			r := e.run("--user", "alice")
			assertOneLine(t, r, exitFail, "cannot open the dashboard", tc.want)
			if strings.Contains(r.Stderr, tc.token) {
				t.Error("the token is in the error")
			}
		})
	}
}
