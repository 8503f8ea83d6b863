package cli

import (
	"errors"
	"io/fs"
	"slices"
	"syscall"
	"testing"
)

// fakeThreads is a process whose threads start others while they are
// being lowered: a thread starts with its creator's nice value.
type fakeThreads struct {
	nice   map[int]int
	next   int
	spawns map[int]bool // a thread that starts one more when lowered
}

func (f *fakeThreads) list() ([]int, error) {
	var tids []int
	for tid := range f.nice {
		tids = append(tids, tid)
	}
	slices.Sort(tids)
	return tids, nil
}

func (f *fakeThreads) lower(tid int) {
	if f.spawns[tid] {
		// It starts a thread before its own nice changes: the new one
		// inherits the old value, and starts another when lowered.
		f.spawns[tid] = false
		f.next++
		f.nice[f.next] = f.nice[tid]
		if f.next < 6 {
			f.spawns[f.next] = true
		}
	}
	f.nice[tid] = 19
}

// Threads started during a pass by threads not yet lowered, a chain of
// them: every one ends lowered, in as many passes as the chain is long.
func TestLowerEveryThreadCatchesThreadsStartedDuringAPass(t *testing.T) {
	f := &fakeThreads{nice: map[int]int{1: 0, 2: 0}, next: 2, spawns: map[int]bool{2: true}}
	if !lowerEveryThread(f.list, f.lower) {
		t.Fatal("lowerEveryThread reported a failure")
	}
	for tid, n := range f.nice {
		if n != 19 {
			t.Errorf("thread %d left at nice %d; threads %v", tid, n, f.nice)
		}
	}
	if len(f.nice) != 6 {
		t.Errorf("%d threads, want 6: %v", len(f.nice), f.nice)
	}
}

// A list that fails at once reports false (the caller lowers the main
// thread alone); one failing later keeps what was lowered.
func TestLowerEveryThreadListFailure(t *testing.T) {
	calls := 0
	if lowerEveryThread(func() ([]int, error) { return nil, errors.New("no /proc") }, func(int) { calls++ }) || calls != 0 {
		t.Errorf("a failing list: reported success or lowered %d", calls)
	}
	n := 0
	list := func() ([]int, error) {
		n++
		if n > 1 {
			return nil, errors.New("gone")
		}
		return []int{1, 2}, nil
	}
	if !lowerEveryThread(list, func(int) { calls++ }) || calls != 2 {
		t.Errorf("list failing on its second pass: lowered %d, want 2 and success", calls)
	}
}

// The kernel takes a scheduling group's nice value once per 100 ms from a
// process without CAP_SYS_ADMIN (EAGAIN): the write is tried again; any
// other failure, or success, ends it; tries are bounded.
func TestLowerAutogroupTriesAgainOnEAGAIN(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer func(try int) error
		tries  int
		err    error
	}{
		{"busy twice", func(try int) error {
			if try < 3 {
				return &fs.PathError{Op: "write", Path: "/proc/self/autogroup", Err: syscall.EAGAIN}
			}
			return nil
		}, 3, nil},
		{"no autogroups", func(int) error { return fs.ErrNotExist }, 1, fs.ErrNotExist},
		{"always busy", func(int) error { return syscall.EAGAIN }, autogroupTries, syscall.EAGAIN},
	} {
		tries, got := 0, -1
		err := lowerAutogroup(5, func(nice int) error { tries++; got = nice; return c.answer(tries) }, 0)
		if tries != c.tries || got != 5 || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s: %d tries (want %d) of nice %d, %v (want %v)", c.name, tries, c.tries, got, err, c.err)
		}
	}
}
