package ui

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
)

// The collector's pace while the heap is bound (BoundHeap): the heap may
// grow half again over what the last collection found live (GOGC=50),
// instead of Go's default twice (GOGC=100), and a quarter over it while the
// usage history records a load, whose garbage (rows on their way into
// SQLite) is short-lived.
const (
	heapPercent      = 50
	heapPercentTight = 25
)

// BoundHeap holds the dashboard process's heap to about 1.5 times its live
// heap instead of the default twice: at a million keys the default's
// headroom let the process reach 0.8-1 GiB by the time the load ended.
//
// It sets the collector's pace (GOGC), not a memory limit. A limit at 1.5
// times the live heap, which it was until the eighth session, made the
// runtime hand freed pages back to the system during every allocation
// over it, and fault them in again: a refresh of a million keys, which
// holds the shown table and the new one at once, took 3.3-4.0 s under the
// limit and 2.1-2.2 s at this pace, for a peak of 697-736 MiB against
// 719-824 (two alternations each, in tmux).
//
// A GOGC or GOMEMLIMIT the admin set is left as it is. It is process-wide:
// for a process that runs one dashboard (not the SSH service's many). The
// returned function restores the pace there was.
func BoundHeap() (stop func()) {
	// An empty GOGC is the runtime's default, not a setting.
	if os.Getenv("GOGC") != "" || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return func() {}
	}
	heapBound.Lock()
	defer heapBound.Unlock()
	if heapBound.on {
		return func() {} // bound already; its own stop restores the pace
	}
	prev := debug.SetGCPercent(heapPercent)
	heapBound.on = true
	heapBound.apply()
	return func() {
		heapBound.Lock()
		defer heapBound.Unlock()
		heapBound.on = false
		debug.SetGCPercent(prev)
	}
}

// heapBound is the bound's state: whether it is on, and how many
// usage-history recordings are in flight (the pace is tighter while any is).
var heapBound heapState

type heapState struct {
	sync.Mutex
	on         bool
	recordings int
}

// apply sets the pace for the recordings in flight; the lock is held.
func (b *heapState) apply() {
	if b.on {
		debug.SetGCPercent(heapPace(b.recordings > 0))
	}
}

// recording marks a usage-history recording as started; the returned
// function marks it as ended.
func recording() (end func()) {
	heapBound.Lock()
	heapBound.recordings++
	heapBound.apply()
	heapBound.Unlock()
	return func() {
		heapBound.Lock()
		heapBound.recordings--
		heapBound.apply()
		heapBound.Unlock()
	}
}

// heapPace is the collector's pace (GOGC) while the heap is bound.
func heapPace(tight bool) int {
	if tight {
		return heapPercentTight
	}
	return heapPercent
}
