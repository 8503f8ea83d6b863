package ui

import (
	"fmt"
	"iter"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Background runs the dashboard's work the admin need not wait for: a
// refresh while the old rows are on screen (until the new ones are ready),
// the usage history's recording of a read, the name order worked out after
// a load. It runs such work on all the processors Go would use but one
// (NewBackground), so that one is free for the screen; the local dashboard
// also has Go use one processor more (spareProcessor). Go's scheduler has
// no priorities: with every processor busy, the goroutines that read a
// key, update the table and draw the frame each wait for one to be
// preempted, and the renderer's frame timer fires late. In runtime traces
// of a million-key refresh, a press waited 10 to 20 ms at each of those
// steps.
//
// The system's scheduler has priorities, and the work runs on threads of
// its own at a lower one (lowly): on a machine whose processors are all
// busy, a thread woken by a key press runs before the background's. In
// `perf sched` records of a million-key refresh on two cores, the slowest
// presses came while the dashboard's threads together wanted more than
// both cores, one of them waiting up to 26 ms for its turn.
//
// Work takes its turn in pieces (a page of keys, a thousand keys
// recorded, one sort), so jobs interleave instead of one waiting for
// another's end: a refresh started while the history records a million
// keys is not held up for half a minute. One Background may be shared by
// many dashboards (the SSH service's sessions): their background work
// then shares the processors it leaves free.
type Background struct {
	slots chan struct{}
	// idle hands a job to a worker thread waiting for one (lowly).
	idle chan func()
	// workers counts the threads there are (worker), for tests.
	workers atomic.Int32
}

// NewBackground returns a Background that runs at most n pieces of work
// at once; n < 1 means one fewer than GOMAXPROCS, and at least one.
func NewBackground(n int) *Background {
	if n < 1 {
		n = max(1, runtime.GOMAXPROCS(0)-1)
	}
	return &Background{slots: make(chan struct{}, n), idle: make(chan func())}
}

// Run runs f, a piece of background work, when a slot is free; on a nil
// Background, at once. f must not wait for other background work (nor for
// a lock such work may hold while it waits for a slot).
func (b *Background) Run(f func()) {
	if b == nil {
		f()
		return
	}
	b.slots <- struct{}{}
	defer func() { <-b.slots }()
	b.lowly(f)
}

// backgroundNice is how much lower than the dashboard's own the system
// priority of a background thread is (its nice value that much higher, at
// most 19): its weight is about a tenth of the screen's threads', so a
// woken screen thread preempts it.
const backgroundNice = 10

// workerIdle is how long a background thread waits for its next job before
// it ends.
const workerIdle = 2 * time.Second

// lowly runs f on a thread of the Background's at the lower priority and
// waits for it; on a nil Background, at once. A panic in f is raised again
// here (with the background thread's stack in its message), where the
// caller (a command, whose panics bubbletea catches to restore the
// terminal) would have had it; f ending its goroutine (runtime.Goexit)
// ends the caller's.
//
// A thread's priority cannot be raised again without privileges, so such
// a thread runs only background work: its goroutine keeps it locked, and
// when the goroutine ends (idle for workerIdle), the thread ends with it.
func (b *Background) lowly(f func()) {
	if b == nil {
		f()
		return
	}
	done := make(chan jobEnd, 1)
	job := func() {
		returned := false
		defer func() {
			end := jobEnd{returned: returned}
			if !returned {
				if end.panic = recover(); end.panic != nil {
					end.stack = debug.Stack()
				}
			}
			done <- end
		}()
		f()
		returned = true
	}
	select {
	case b.idle <- job:
	default:
		go b.worker(job)
	}
	end := <-done
	switch {
	case end.panic != nil:
		panic(fmt.Sprintf("%v\n\n[on a background thread]\n%s", end.panic, end.stack))
	case !end.returned:
		runtime.Goexit()
	}
}

// jobEnd is how a job ended: returned, or a panic (with its stack), or
// neither (runtime.Goexit).
type jobEnd struct {
	returned bool
	panic    any
	stack    []byte
}

// worker runs job, then the jobs idle hands it, on its own thread at the
// background's priority, until it has waited workerIdle for one.
func (b *Background) worker(job func()) {
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	lowerThreadPriority(backgroundNice)
	b.workers.Add(1)
	defer b.workers.Add(-1)
	for {
		job()
		wait := time.NewTimer(workerIdle)
		select {
		case job = <-b.idle:
			wait.Stop()
		case <-wait.C:
			return
		}
	}
}

// turnItems is how many items a turn handles before it lets other
// background work take a slot: about a millisecond of the usage history's
// recording.
const turnItems = 1024

// turn is one long job's hold on a slot, for work done item by item
// inside calls the job does not control (the usage history's): taken at
// the first step, handed on every turnItems steps, and given back by end.
// A job that takes its turn inside such a call (an item of the call's
// loop) holds the call's locks while it waits for a slot, so it must never
// hold a slot while it waits for those locks: it ends its turn before each
// call, and takes it again inside once the locks are held (see
// recordUsage). Other background work never waits for such locks.
type turn struct {
	b    *Background
	held bool
	n    int
}

func (b *Background) turn() *turn { return &turn{b: b} }

// step counts one item, waiting for a slot when the turn holds none (on a
// nil Background, never).
func (t *turn) step() {
	if t.b == nil {
		return
	}
	t.n++
	if t.held && t.n%turnItems == 0 {
		t.end() // let waiting work in: a channel's waiting senders go first
	}
	if !t.held {
		t.b.slots <- struct{}{}
		t.held = true
	}
}

// end gives the slot back, if held.
func (t *turn) end() {
	if t.held {
		<-t.b.slots
		t.held = false
	}
}

// paced is seq with a step of t before each item.
func paced[T any](seq iter.Seq[T], t *turn) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range seq {
			t.step()
			if !yield(v) {
				return
			}
		}
	}
}
