package ui

import "golang.org/x/sys/unix"

// lowerThreadPriority raises the calling thread's nice value by by (to at
// most 19), so that the system runs other threads of the same process
// first. Linux gives each thread its own nice value. When it cannot be
// set (a sandbox that forbids it), the thread keeps its priority.
func lowerThreadPriority(by int) {
	tid := unix.Gettid()
	// The system call answers 20 minus the nice value.
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return
	}
	_ = unix.Setpriority(unix.PRIO_PROCESS, tid, min(20-prio+by, 19))
}
