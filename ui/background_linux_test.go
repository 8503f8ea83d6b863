package ui

import (
	"context"
	"iter"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
)

// threadNice is the calling thread's nice value, or noNice; the caller
// keeps its goroutine on the thread. It may run off the test's goroutine,
// so it does not fail the test itself.
func threadNice() int {
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		return noNice
	}
	return 20 - prio
}

// noNice is threadNice's answer when the nice value could not be read.
const noNice = -100

// Background work runs on threads backgroundNice below the dashboard's
// priority (the nice value that much higher, at most 19): a piece Run
// runs, and the usage history's recording, which takes its turns inside
// the history's calls. The caller's thread keeps its priority.
func TestBackgroundRunsLowly(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	base := threadNice()
	if base == noNice {
		t.Fatal("the test's thread's nice value could not be read")
	}
	want := min(base+backgroundNice, 19)
	if want == base {
		t.Skipf("the test runs at nice %d already: nothing lower to see", base)
	}
	bg := NewBackground(1)
	var piece int
	bg.Run(func() { piece = threadNice() })
	if piece != want {
		t.Errorf("a piece of background work ran at nice %d, want %d (the caller's %d + %d)", piece, want, base, backgroundNice)
	}
	h := &niceHistory{}
	recordUsage(context.Background(), h, bg, loadTag{}, testNow, numberedKeys(10))()
	if !h.recorded || h.nice != want {
		t.Errorf("the recording ran at nice %d (recorded: %v), want %d", h.nice, h.recorded, want)
	}
	if got := threadNice(); got != base {
		t.Errorf("the caller's thread is at nice %d after background work, want %d still", got, base)
	}
}

// niceHistory notes the nice value its recording ran at.
type niceHistory struct {
	recorded bool
	nice     int
}

func (h *niceHistory) RecordSeq(ctx context.Context, readAt time.Time, keys iter.Seq[*model.APIKey]) error {
	h.recorded, h.nice = true, threadNice()
	for range keys {
	}
	return nil
}

func (h *niceHistory) UsageEach(ctx context.Context, now time.Time, keyIDs []string, size func(n int), each func(id string, u history.Usage)) error {
	return nil
}

func (h *niceHistory) Daily(ctx context.Context, keyID string, days int, now time.Time) ([]history.Day, time.Time, error) {
	return nil, time.Time{}, nil
}
