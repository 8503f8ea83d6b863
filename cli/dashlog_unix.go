//go:build unix

package cli

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// redirectStderr points the process's file descriptor 2 at f, so that
// writes to os.Stderr from anywhere (a library, a runtime warning) land in
// f and not over the dashboard. It returns the original stderr, still open
// on a new descriptor (the dashboard may copy a secret to the terminal
// through it with OSC 52), and a func that puts fd 2 back.
func redirectStderr(f *os.File) (*os.File, func(), error) {
	saved, err := unix.Dup(2)
	if err != nil {
		return nil, nil, fmt.Errorf("save stderr: %w", err)
	}
	unix.CloseOnExec(saved)
	if err := unix.Dup2(int(f.Fd()), 2); err != nil {
		_ = unix.Close(saved)
		return nil, nil, fmt.Errorf("redirect stderr: %w", err)
	}
	orig := os.NewFile(uintptr(saved), "/dev/stderr")
	return orig, func() {
		_ = unix.Dup2(saved, 2)
		_ = orig.Close()
	}, nil
}
