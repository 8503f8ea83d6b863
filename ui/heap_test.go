package ui

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent reads the collector's pace without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// The bound paces the collector at half again over the live heap, a
// quarter while any recording runs, and stop restores the pace there was.
func TestBoundHeap(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for this run")
	}
	t.Setenv("GOGC", "") // present but empty would count as set: unset it
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	// A recording another test started may still be writing.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		heapBound.Lock()
		n := heapBound.recordings
		heapBound.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d usage recordings still marked as running", n)
		}
	}
	defer debug.SetGCPercent(debug.SetGCPercent(80)) // a pace that is not the default's
	stop := BoundHeap()
	if got := gcPercent(); got != heapPercent {
		t.Errorf("pace with the bound on = %d, want %d", got, heapPercent)
	}
	end1 := recording()
	end2 := recording()
	if got := gcPercent(); got != heapPercentTight {
		t.Errorf("pace while recording = %d, want %d", got, heapPercentTight)
	}
	end1()
	if got := gcPercent(); got != heapPercentTight {
		t.Errorf("pace with one of two recordings ended = %d, want %d", got, heapPercentTight)
	}
	end2()
	if got := gcPercent(); got != heapPercent {
		t.Errorf("pace after the recordings = %d, want %d", got, heapPercent)
	}
	stop()
	if got := gcPercent(); got != 80 {
		t.Errorf("pace after stop = %d, want the one there was (80)", got)
	}
	// Off, a recording leaves the pace alone.
	recording()()
	if got := gcPercent(); got != 80 {
		t.Errorf("pace after a recording with the bound off = %d, want 80", got)
	}
}

// A GOGC or GOMEMLIMIT the admin set wins: the bound does nothing.
func TestBoundHeapLeavesTheAdminsSetting(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(80))
	t.Setenv("GOGC", "80")
	stop := BoundHeap()
	end := recording()
	if got := gcPercent(); got != 80 {
		t.Errorf("pace with GOGC set = %d, want 80", got)
	}
	end()
	stop()

	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	prev := debug.SetMemoryLimit(900 << 20)
	defer debug.SetMemoryLimit(prev)
	stop = BoundHeap()
	end = recording()
	if got := gcPercent(); got != 80 {
		t.Errorf("pace with GOMEMLIMIT set = %d, want 80", got)
	}
	end()
	stop()
}
