package ui

import (
	"iter"
	"runtime"
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
// Work takes its turn in pieces (a page of keys, a thousand keys
// recorded, one sort), so jobs interleave instead of one waiting for
// another's end: a refresh started while the history records a million
// keys is not held up for half a minute. One Background may be shared by
// many dashboards (the SSH service's sessions): their background work
// then shares the processors it leaves free.
type Background struct {
	slots chan struct{}
	// rest paces long jobs (see turnRest); its zero value never rests.
	rest rest
}

// NewBackground returns a Background that runs at most n pieces of work
// at once; n < 1 means one fewer than GOMAXPROCS, and at least one. Its
// long jobs rest turnRest after each turnWork of work.
func NewBackground(n int) *Background {
	if n < 1 {
		n = max(1, runtime.GOMAXPROCS(0)-1)
	}
	return &Background{slots: make(chan struct{}, n), rest: rest{every: turnWork, for_: turnRest, now: time.Now, sleep: time.Sleep}}
}

// A long job (the usage history's recording of a million keys: seconds of
// CPU, no one waiting for it) rests turnRest after each turnWork of its
// work, its slot given back meanwhile: about a fifth of its time (the
// recording took a tenth longer). On two cores shared with other
// processes (tmux, a server on the same machine), one of the dashboard's
// threads held a core for 198 ms without a break while the history
// recorded, and the thread a key press woke waited 25.6 ms on the other
// (the twelfth session's perf sched record); each rest leaves the core
// free for a moment, so a waiting thread can be moved to it. Measured
// (README, sixteenth session): fewer slow presses while the history
// recorded, none over 30 ms, in counts too small to prove it. Go sleeps
// no shorter than about a millisecond (its timers wait in epoll with a
// millisecond's resolution), hence the rest's length. A job resting inside
// the history's transaction keeps its locks meanwhile: another writer of
// the file (a second SSH session's recording) waits that much longer.
const (
	turnWork = 4 * time.Millisecond
	turnRest = time.Millisecond
)

// rest is when and how a long job rests; every 0 means never.
type rest struct {
	every, for_ time.Duration
	now         func() time.Time
	sleep       func(time.Duration)
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
	f()
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
	// since is when the job's work began or last rested; zero until its
	// first step.
	since time.Time
}

func (b *Background) turn() *turn { return &turn{b: b} }

// step counts one item, waiting for a slot when the turn holds none (on a
// nil Background, never).
func (t *turn) step() {
	if t.b == nil {
		return
	}
	t.n++
	r := &t.b.rest
	if r.every > 0 && t.since.IsZero() {
		t.since = r.now()
	}
	if t.held && t.n%turnItems == 0 {
		t.end() // let waiting work in: a channel's waiting senders go first
		if r.every > 0 {
			if now := r.now(); now.Sub(t.since) >= r.every {
				r.sleep(r.for_)
				t.since = r.now()
			}
		}
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
