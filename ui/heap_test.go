package ui

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestHeapLimit(t *testing.T) {
	for _, c := range []struct {
		live, floor, want int64
		tight             bool
	}{
		{0, 512 << 20, 512 << 20, false},
		{95 << 20, 512 << 20, 512 << 20, false},    // under a floor, GOGC alone decides
		{56 << 20, HeapFloor, 84 << 20, false},     // 100,000 keys: half again over the live heap
		{370 << 20, 512 << 20, 555 << 20, false},   // 1,000,000 keys loaded
		{1000 << 20, 512 << 20, 1500 << 20, false}, // a bigger table raises the limit
		{700 << 20, 512 << 20, 875 << 20, true},    // while the history records a load
		{300 << 20, 512 << 20, 512 << 20, true},
	} {
		if got := heapLimit(c.live, c.floor, c.tight); got != c.want {
			t.Errorf("heapLimit(%d MiB, %d MiB, tight %v) = %d MiB, want %d MiB", c.live>>20, c.floor>>20, c.tight, got>>20, c.want>>20)
		}
	}
}

// The bound follows the live heap across collections, and stop restores
// the limit there was; a limit already set is left alone.
func TestBoundHeap(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for this run")
	}
	const floor = 1 << 20 // below any live heap, so the limit must follow it
	stop := BoundHeap(floor)
	hold := make([][]byte, 0, 64)
	for range 64 {
		hold = append(hold, make([]byte, 1<<20)) // 64 MiB live
	}
	// The limit is re-derived on the finalizer goroutine after a cycle.
	var got int64
	for range 100 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if got = debug.SetMemoryLimit(-1); got >= 64<<20*3/2 {
			break
		}
	}
	if got < 64<<20*3/2 || got == math.MaxInt64 {
		t.Errorf("limit %d MiB with 64 MiB held, want at least 96 MiB and not unlimited", got>>20)
	}
	// While a recording runs, the next collections bind it tighter.
	recordings.Add(1)
	for range 100 {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if got = debug.SetMemoryLimit(-1); got < 64<<20*3/2 {
			break
		}
	}
	recordings.Add(-1)
	runtime.KeepAlive(hold)
	if got < 64<<20*5/4 || got >= 64<<20*3/2 {
		t.Errorf("limit %d MiB with 64 MiB held while recording, want 80 to 96 MiB", got>>20)
	}
	stop()
	runtime.GC()
	runtime.GC()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit after stop = %d, want the one there was (none)", got)
	}

	debug.SetMemoryLimit(900 << 20)
	defer debug.SetMemoryLimit(math.MaxInt64)
	stop = BoundHeap(floor)
	runtime.GC()
	runtime.GC()
	if got := debug.SetMemoryLimit(-1); got != 900<<20 {
		t.Errorf("a limit already set became %d MiB", got>>20)
	}
	stop()
}
