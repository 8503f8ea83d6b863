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
	if !lowerEveryThread(ownThreads, func(tid int) { _ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice) }) {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice)
	}
}

// ownThreads lists this process's threads.
func ownThreads() ([]int, error) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(tasks))
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// maxLowerPasses bounds lowerEveryThread's passes: the Go runtime starts a
// handful of threads at its start, not an endless stream.
const maxLowerPasses = 50

// lowerEveryThread calls lower for each thread list gives, pass after pass,
// until a pass finds no thread the passes before it had not lowered. A
// thread inherits its creator's priority when it starts, so a thread can
// start at the old one only while its creator is not yet lowered; it is
// then listed by the next pass. When a pass lists nothing new, every
// living thread was lowered before that listing, and so is every thread
// they start from then on. (Two fixed passes were not enough: a thread
// started during the second by one the first had not listed kept the old
// priority, as CI once saw.) It reports false when list fails at once.
func lowerEveryThread(list func() ([]int, error), lower func(tid int)) bool {
	done := map[int]bool{}
	for pass := 0; pass < maxLowerPasses; pass++ {
		tids, err := list()
		if err != nil {
			return pass > 0
		}
		fresh := false
		for _, tid := range tids {
			if !done[tid] {
				done[tid] = true
				fresh = true
				lower(tid)
			}
		}
		if !fresh {
			return true
		}
	}
	return true
}
