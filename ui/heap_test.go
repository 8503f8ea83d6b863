package ui

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// gcPercent reads the collector's pace without changing it (under the
// bound's lock, so no recording's apply comes between).
func gcPercent() int {
	heapBound.Lock()
	defer heapBound.Unlock()
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// waitNoRecordings waits for the usage recordings another test's
// commands may still be running, whose pace would count as this test's.
func waitNoRecordings(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		heapBound.Lock()
		n := heapBound.recordings
		heapBound.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d usage recordings still marked as running", n)
		}
	}
}

// The bound paces the collector at half again over the live heap, a
// quarter while any recording runs, and stop restores the pace there was.
func TestBoundHeap(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for this run")
	}
	t.Setenv("GOGC", "") // empty: the runtime's default, as if unset
	waitNoRecordings(t)
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
	// A second bound while one is on changes nothing, and its stop
	// leaves the first in force.
	BoundHeap()()
	end := recording()
	if got := gcPercent(); got != heapPercentTight {
		t.Errorf("pace while recording after a second bound's stop = %d, want %d", got, heapPercentTight)
	}
	end()
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

// A load's usage recording (recordUsage) runs under the tight pace from
// its first turn, not while it waits for one behind other background work
// (a refresh, whose garbage lives longer), and the pace is back once it
// ends.
func TestRecordUsageTightensTheHeap(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("GOMEMLIMIT is set for this run")
	}
	t.Setenv("GOGC", "")
	waitNoRecordings(t)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer BoundHeap()()
	h := openHistory(t, "https://h2ogpte.example", func() time.Time { return testNow })
	bg := NewBackground(1)
	bg.slots <- struct{}{}     // other background work holds the slot
	paces := make(chan int, 3) // the keys are read three times
	keys := func(yield func(*model.APIKey) bool) {
		select {
		case paces <- gcPercent():
		default: // read more often than expected: the first reads count
		}
		yield(&model.APIKey{ID: "k1", Username: "bob"})
	}
	got := make(chan any, 1)
	go func() { got <- recordUsage(context.Background(), h, bg, loadTag{}, testNow, keys)() }()
	time.Sleep(100 * time.Millisecond)
	if got := gcPercent(); got != heapPercent {
		t.Errorf("pace while the recording waits for a slot = %d, want %d", got, heapPercent)
	}
	<-bg.slots
	awaitUsage(t, got, "the recording did not end")
	if got := <-paces; got != heapPercentTight {
		t.Errorf("pace while recording = %d, want %d", got, heapPercentTight)
	}
	if got := gcPercent(); got != heapPercent {
		t.Errorf("pace after the recording = %d, want %d", got, heapPercent)
	}
}
