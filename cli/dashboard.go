package cli

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"

	"h2ogpte-keys/history"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui"
	"h2ogpte-keys/ui/components/secret"
)

// OpenDashboard checks that the token may manage keys, then runs the
// dashboard until the admin quits. A rejected token or a non-admin's key is
// one clear line and exit 1, never an empty table.
func OpenDashboard(ctx context.Context, d DashboardDeps) error {
	if err := d.Client.CheckAdmin(ctx); err != nil {
		return fmt.Errorf("cannot open the dashboard: %w", err)
	}
	if d.NoColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	defer boundHeap(memFloor)()
	opts := ui.Options{
		Address:  d.Address,
		User:     d.User,
		ReadOnly: d.ReadOnly,
		Insecure: d.Insecure,
		Now:      d.Now,
		Recorder: d.Recorder,
	}
	if d.OpenHistory != nil {
		st, err := d.OpenHistory(ctx)
		switch {
		case err != nil:
			// The keys matter more than their history: the dashboard opens,
			// and says on its status bar why nothing is recorded.
			opts.History = brokenHistory{err: err}
		case st != nil:
			defer st.Close()
			opts.History = st
		}
	}
	// Descriptor 2 is the log file while the dashboard runs; OSC 52
	// copies go to the terminal stderr was, and only to a terminal.
	if d.TTYStderr != nil && term.IsTerminal(int(d.TTYStderr.Fd())) {
		opts.Copier = secret.NewCopier(d.TTYStderr)
	} else {
		opts.Copier = secret.NewCopier(nil)
	}
	return ui.Run(ctx, d.Client, opts)
}

// brokenHistory is a usage history that could not be opened: every use
// gives the reason, which the dashboard shows once per load.
type brokenHistory struct{ err error }

func (b brokenHistory) Record(context.Context, time.Time, []model.APIKey) error { return b.err }

func (b brokenHistory) Usage(context.Context, time.Time, []string) (map[string]history.Usage, error) {
	return nil, b.err
}

func (b brokenHistory) Daily(context.Context, string, int, time.Time) ([]history.Day, time.Time, error) {
	return nil, time.Time{}, b.err
}

// memFloor is the heap below which the dashboard leaves the runtime's
// default (GOGC=100: the heap may grow to twice what is live) alone: a
// table of 100,000 keys lives in about 95 MiB.
const memFloor = 512 << 20

// boundHeap holds the dashboard process's memory to about 1.5 times its
// live heap once that passes floor, instead of the default twice: at a
// million keys the table holds about 370 MB, briefly 540 MB while the last
// pages are merged, and the default headroom took the process past 1 GiB.
// The limit follows the live heap after every collection, so a bigger
// table raises it rather than making the collector run without pause; the
// runtime also returns freed pages to the system to stay under it. A
// limit the admin set (GOMEMLIMIT) is left as it is. It is process-wide:
// only the local dashboard, one per process, sets it. The returned
// function restores the limit there was.
func boundHeap(floor int64) (stop func()) {
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
	debug.SetMemoryLimit(heapLimit(live, t.floor))
	return true
}

// heapLimit is the memory limit for a live heap: half again over it,
// never under floor.
func heapLimit(live, floor int64) int64 {
	return max(floor, live+live/2)
}
