//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// ownSession starts cmd in a session of its own: on Linux a scheduling
// group of its own (sched_autogroup), so its work is not weighed with the
// dashboard's session (the terminal's or the SSH login's).
func ownSession(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
