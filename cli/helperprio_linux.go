package cli

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// lowerPriorityTo gives helper command name nice value nice: its
// session's scheduling group (/proc/self/autogroup, when the kernel groups
// by session) and each of its threads (Linux's priorities are per thread;
// a thread started later inherits its creator's). Raising a nice value
// needs no privilege. A failure leaves the priority as it was: the helper
// then works at the dashboard's. The first call in a helper starts the
// program again (reexecAt) from a thread already at nice: every thread of
// the new image descends from that one, so none can start at the old
// priority. Should that fail, each thread is lowered in
// passes (lowerEveryThread), which can still miss a thread caught midway
// through its start. A helper started below nice (a dashboard run with
// nice, say) stays where it started: it never rises above the screen.
func lowerPriorityTo(name string, nice int) {
	nice = max(nice, ownNice())
	if os.Getenv(reexecEnv) == "" {
		reexecAt(name, nice) // returns only if the program did not start again
	}
	go lowerAutogroup(nice, writeAutogroup, autogroupRetry)
	if !lowerEveryThread(ownThreads, func(tid int) { _ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice) }) {
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice)
	}
}

// reexecAt lowers the calling thread to nice and replaces the program by
// itself, same arguments, same descriptors (the request on stdin is not
// read yet), its environment marked (reexecEnv). On Linux a process's
// first thread after exec is the thread that called it, with its nice
// value. It returns when the thread could not be lowered or the exec
// failed; the thread then stays lowered and the passes do the rest.
func reexecAt(name string, nice int) {
	// Only a helper started as one (the dashboard's argv: the program,
	// then name) starts again: never a process that reached this
	// otherwise (serve, say).
	if len(os.Args) < 2 || os.Args[1] != name {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// PRIO_PROCESS with 0 is the calling thread alone on Linux.
	if syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice) != nil {
		return
	}
	env := append(os.Environ(), reexecEnv+"=1")
	_ = syscall.Exec("/proc/self/exe", os.Args, env)
}

// ownNice is the calling thread's nice value (a helper's threads all
// start at the one it was started with), or 0 if unknown. The system
// call answers 20 - nice (glibc's getpriority converts; Go's does not).
func ownNice() int {
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return 0
	}
	return 20 - p
}

// autogroupRetry is how long lowerAutogroup waits between tries: the
// kernel takes a scheduling group's nice value at most once per 100 ms
// across the machine from a process without CAP_SYS_ADMIN (EAGAIN), so
// two helpers started together would otherwise leave the second at the
// dashboard's.
const autogroupRetry = 110 * time.Millisecond

// autogroupTries bounds lowerAutogroup's tries.
const autogroupTries = 20

func writeAutogroup(nice int) error {
	return os.WriteFile("/proc/self/autogroup", []byte(strconv.Itoa(nice)), 0)
}

// lowerAutogroup writes nice as the session's scheduling group's, trying
// again after wait while the kernel answers EAGAIN (at most
// autogroupTries times); any other failure ends it (no autogroups: the
// threads' own values are then what counts).
func lowerAutogroup(nice int, write func(int) error, wait time.Duration) error {
	var err error
	for range autogroupTries {
		if err = write(nice); !errors.Is(err, syscall.EAGAIN) {
			return err
		}
		time.Sleep(wait)
	}
	return err
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
// then listed by the next pass, unless its start is still under way (the
// kernel lists a thread only once its start is done): a rare miss that
// reexecAt leaves no room for. (Two fixed passes were not enough: a thread
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
