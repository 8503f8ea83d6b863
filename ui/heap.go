package ui

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// HeapFloor is the heap below which the dashboard leaves the runtime's
// default (GOGC=100: the heap may grow to twice what is live) alone. It
// was 512 MiB; at 100,000 keys (about 55 MB live while the usage history
// records the load) the default's headroom took the process to 138-140
// MiB, and 64 MiB took it to 103 MiB with no slower a load (one
// alternating run of two each): collections of a small heap are cheap.
const HeapFloor = 64 << 20

// BoundHeap holds the dashboard process's memory to about 1.5 times its
// live heap, and never below floor, instead of the default twice: at a
// million keys the table holds about 370 MB, briefly 540 MB while the last
// pages are merged, and the default headroom let the process reach 0.8-1
// GiB by the time the load ended.
// The limit follows the live heap after every collection, so a bigger
// table raises it rather than making the collector run without pause; the
// runtime also returns freed pages to the system to stay under it. A
// limit the admin set (GOMEMLIMIT) is left as it is. It is process-wide:
// for a process that runs one dashboard (not the SSH service's many). The
// returned function restores the limit there was.
func BoundHeap(floor int64) (stop func()) {
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return func() {}
	}
	t := &heapBound{floor: floor}
	t.apply()
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		debug.SetMemoryLimit(prev)
	}
}

// heapBound re-derives the memory limit after each collection: a value
// with a finalizer is made unreachable, and the collector's finalizer
// goroutine calls back once the next cycle has found it.
type heapBound struct {
	floor int64
	// mu keeps a callback racing stop from setting a limit after the
	// previous one is restored.
	mu      sync.Mutex
	stopped bool
}

// gcSentinel exists only to be collected.
type gcSentinel struct{ t *heapBound }

func (t *heapBound) arm() {
	s := &gcSentinel{t: t}
	runtime.SetFinalizer(s, func(s *gcSentinel) {
		if s.t.apply() {
			s.t.arm()
		}
	})
}

// apply sets the limit for the live heap now; false once stopped.
func (t *heapBound) apply() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	var live int64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = int64(min(sample[0].Value.Uint64(), math.MaxInt64/2))
	}
	debug.SetMemoryLimit(heapLimit(live, t.floor, recordings.Load() > 0))
	return true
}

// recordings counts the usage-history recordings in flight. While one
// runs, the bound is a quarter over the live heap instead of half: a
// recording's garbage (rows on their way into SQLite) is short-lived, and
// at a million keys the wider headroom was about 150 MB of the peak. The
// load itself keeps the wider one, where more collections would slow it.
var recordings atomic.Int32

// heapLimit is the memory limit for a live heap: half again over it (a
// quarter while tight), never under floor.
func heapLimit(live, floor int64, tight bool) int64 {
	if tight {
		return max(floor, live+live/4)
	}
	return max(floor, live+live/2)
}
