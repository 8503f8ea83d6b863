package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/term"
)

// TestStderrCopierOnlyWritesOSC52ToATerminal: with stderr redirected to a
// file, the default copier must not write the secret (base64 in OSC 52)
// into it, nor claim the terminal clipboard got it.
func TestStderrCopierOnlyWritesOSC52ToATerminal(t *testing.T) {
	// No local display: only the OSC 52 route is in play.
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("TMUX", "")
	t.Setenv("STY", "")
	t.Setenv("TERM", "xterm-256color")
	tests := []struct {
		name       string
		isTerminal func(int) bool
		wantOSC52  bool
	}{
		{"redirected to a file", term.IsTerminal, false},
		{"a terminal", func(int) bool { return true }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "debug.log")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			dests := stderrCopier(f, tt.isTerminal).Copy("sk-test-secret")
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wrote := strings.Contains(string(data), "\x1b]52;")
			claimed := strings.Contains(strings.Join(dests, "|"), "OSC 52")
			if wrote != tt.wantOSC52 || claimed != tt.wantOSC52 {
				t.Errorf("OSC 52 written=%v, reported=%v (%q); want %v", wrote, claimed, dests, tt.wantOSC52)
			}
		})
	}
}
