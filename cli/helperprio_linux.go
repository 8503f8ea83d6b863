package cli

import (
	"os"
	"strconv"
	"syscall"
)

// helperNice is the history helper's priority: the lowest.
const helperNice = 19

// lowerPriority gives the history helper the lowest priority: its
// session's scheduling group (/proc/self/autogroup, when the kernel groups
// by session) and each of its threads (Linux's priorities are per thread;
// a thread started later inherits its creator's). Raising a nice value
// needs no privilege. A failure leaves the priority as it was: the helper
// then works at the dashboard's.
func lowerPriority() { lowerPriorityTo(helperNice) }

// lowerPriorityTo is lowerPriority to nice value nice.
func lowerPriorityTo(nice int) {
	_ = os.WriteFile("/proc/self/autogroup", []byte(strconv.Itoa(nice)), 0)
	// Threads may start while the first pass runs: a second pass sees them.
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice)
			return
		}
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
			}
		}
	}
}
