package secret

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestSystemClipboard(t *testing.T) {
	const text = "sk-testxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	osc := "terminal clipboard (OSC 52; unconfirmed)"
	tests := []struct {
		name        string
		env         map[string]string
		goos        string
		unsupported bool
		writeErr    error
		wantCalled  bool
		want        []string
	}{
		{"X display", map[string]string{"DISPLAY": ":0"}, "linux", false, nil, true, []string{DestSystem, osc}},
		{"Wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "linux", false, nil, true, []string{DestSystem, osc}},
		{"no display", nil, "linux", false, nil, false, []string{osc}},
		{"no clipboard tool", map[string]string{"DISPLAY": ":0"}, "linux", true, nil, false, []string{osc}},
		{"tool failed", map[string]string{"DISPLAY": ":0"}, "linux", false, errors.New("xclip: cannot open display"), true, []string{osc}},
		{"macOS", nil, "darwin", false, nil, true, []string{DestSystem, osc}},
		{"macOS over SSH", map[string]string{"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22"}, "darwin", false, nil, true, []string{DestSystemRemote, osc}},
		{"forwarded X over SSH", map[string]string{"SSH_TTY": "/dev/pts/1", "DISPLAY": "localhost:10.0"}, "linux", false, nil, true, []string{DestSystem, osc}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called []string
			write := func(s string) error {
				called = append(called, s)
				return tt.writeErr
			}
			var buf bytes.Buffer
			c := newCopier(&buf, func(k string) string { return tt.env[k] }, tt.goos, tt.unsupported, write)
			got := c.Copy(text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Copy() = %q, want %q", got, tt.want)
			}
			if (len(called) > 0) != tt.wantCalled {
				t.Errorf("system clipboard called = %v, want %v", len(called) > 0, tt.wantCalled)
			}
			if tt.wantCalled && called[0] != text {
				t.Errorf("system clipboard got %q", called[0])
			}
		})
	}
}
