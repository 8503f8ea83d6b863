package ui

import (
	"runtime"
	"testing"
)

// The local dashboard runs Go with one processor more than its default,
// and gives the default back; a GOMAXPROCS the admin set is left as it
// is. (Run without go test's -cpu, which sets GOMAXPROCS itself.)
func TestSpareProcessor(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	if before < runtime.NumCPU() {
		t.Skip("a CPU quota bounds GOMAXPROCS here: no spare processor")
	}
	t.Setenv("GOMAXPROCS", "")
	procs, undo := spareProcessor()
	if procs != before || runtime.GOMAXPROCS(0) != before+1 {
		t.Errorf("spareProcessor: %d processors before (want %d), %d now (want %d)", procs, before, runtime.GOMAXPROCS(0), before+1)
	}
	undo()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("after undo %d processors, want %d", got, before)
	}

	t.Setenv("GOMAXPROCS", "0") // not a setting: the runtime ignores it
	procs, undo = spareProcessor()
	if runtime.GOMAXPROCS(0) != before+1 {
		t.Errorf("GOMAXPROCS=0 taken for the admin's setting")
	}
	undo()

	t.Setenv("GOMAXPROCS", "1")
	procs, undo = spareProcessor()
	defer undo()
	if procs != before || runtime.GOMAXPROCS(0) != before {
		t.Errorf("with GOMAXPROCS set: %d processors before, %d now; want %d both", procs, runtime.GOMAXPROCS(0), before)
	}
}
