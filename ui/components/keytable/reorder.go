package keytable

import (
	"sync/atomic"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/ui/common"
)

// DefaultAsyncRows is the size from which a table sorts and filters off
// the UI goroutine: at 50,000 keys a sort takes a few milliseconds, at a
// million it takes about 90 and a filter up to 50, too long for a frame.
const DefaultAsyncRows = 50_000

// Options tune a table beyond common.Common.
type Options struct {
	// AsyncRows is the number of keys from which a new sort or filter is
	// worked out in a command (Work) instead of on the key press: the old
	// order stays on screen until the new one lands. 0 means
	// DefaultAsyncRows; a negative number means never (every sort and
	// filter on Update, as small tables do).
	AsyncRows int
	// Background, when set, runs the work the table starts that no one
	// waits on (the name order worked out after a load, for the sorts to
	// come), to bound how many processors such work takes; nil runs it
	// directly.
	Background func(work func())
}

// NewWithOptions returns an empty table tuned by o.
func NewWithOptions(c common.Common, o Options) *Model {
	m := New(c)
	m.background = o.Background
	switch {
	case o.AsyncRows > 0:
		m.asyncRows = o.AsyncRows
	case o.AsyncRows < 0:
		m.asyncRows = 0
	}
	return m
}

// ReorderedMsg is a sort or filter worked out off the UI goroutine (the
// command Work returns), for Reordered.
type ReorderedMsg struct {
	seq uint64
	gen uint64
	s   settings
	// order and view are the new order and the rows shown; ranks are the
	// name order, when the work had to find it (rows changed since the
	// last sort).
	order, view                []int32
	byName, nameRank, foldRank []int32
}

// job is the sort or filter in flight.
type job struct {
	seq  uint64
	gen  uint64
	s    settings
	sort bool // false: only the filter changed
	stop *atomic.Bool
}

// async reports whether the table is big enough to sort and filter off
// Update.
func (m *Model) async() bool { return m.asyncRows > 0 && m.d.all.n >= m.asyncRows }

// sameOrder reports whether a and b order rows alike.
func sameOrder(a, b settings) bool {
	return a.sorted == b.sorted && (!a.sorted || a.col == b.col && a.desc == b.desc &&
		(a.usort == nil) == (b.usort == nil) && (a.usort == nil || a.usage == b.usage))
}

// reindex brings the order (when sort) and the view in line with the
// settings: at once on a small table, which it reports; a big one keeps
// what it shows until Work's result lands (Reordered).
func (m *Model) reindex(sort bool) bool {
	if m.async() {
		return false
	}
	s := m.settings()
	if sort {
		m.d.resort(s)
	}
	m.d.refilter(s)
	m.applied = s
	return true
}

// Work returns the command that brings a big table's order and view in
// line with its sort and filters, or nil when they are (a small table is
// brought in line here, at once). Call it after every change to the table
// (the dashboard does, after each Update) and hand the command's
// ReorderedMsg to Reordered. With nothing else to do, a big table without
// its name order gets a job for it (RankedMsg, for Ranked). A newer sort or filter supersedes a job in
// flight: it is told to stop and its result, if it still comes, is
// dropped.
func (m *Model) Work() tea.Cmd {
	s := m.settings()
	if sameOrder(m.applied, s) && sameFilter(m.applied, s) {
		if m.job != nil {
			m.job.stop.Store(true)
			m.job = nil
		}
		return m.rankLater()
	}
	if !m.async() {
		if m.job != nil {
			m.job.stop.Store(true)
			m.job = nil
		}
		cur, hasCur := m.currentID()
		m.reindex(!sameOrder(m.applied, s))
		m.keepOn(cur, hasCur)
		return nil
	}
	if j := m.job; j != nil {
		if j.gen == m.gen && sameOrder(j.s, s) && sameFilter(j.s, s) {
			return nil // already under way
		}
		j.stop.Store(true)
	}
	m.seq++
	j := &job{seq: m.seq, gen: m.gen, s: s, sort: !sameOrder(m.applied, s), stop: &atomic.Bool{}}
	m.job = j
	d := m.d.snapshot()
	d.scratch = &m.scratch
	var order []int32
	if j.sort {
		d.spare, m.spareOrder = m.spareOrder, nil
	} else {
		order = m.d.order
		m.d.lendOrder()
	}
	return func() tea.Msg { return d.work(j, order) }
}

// snapshot is what a job reads: the rows as they are now, which the table
// copies before it next writes to them, and the name order when it is
// current (never written once made). The job writes only to the snapshot.
func (d *tableData) snapshot() *tableData {
	for i := range d.all.owned {
		d.all.owned[i] = false
	}
	snap := &tableData{all: d.all.share(), asOf: d.asOf}
	if d.ranksValid && len(d.nameRank) == d.all.n {
		snap.byName, snap.nameRank, snap.foldRank, snap.ranksValid = d.byName, d.nameRank, d.foldRank, true
	}
	return snap
}

// work is j on the snapshot d; order is the order in effect, kept when
// only the filter changed.
func (d *tableData) work(j *job, order []int32) tea.Msg {
	msg := ReorderedMsg{seq: j.seq, gen: j.gen, s: j.s}
	if j.stop.Load() {
		return msg
	}
	ranked := d.ranksValid
	if j.sort {
		d.resort(j.s)
	} else {
		d.order = order
	}
	if j.stop.Load() {
		return msg
	}
	d.refilter(j.s)
	msg.order, msg.view = d.order, d.view
	if !ranked && d.ranksValid {
		msg.byName, msg.nameRank, msg.foldRank = d.byName, d.nameRank, d.foldRank
	}
	return msg
}

// RankedMsg is a rank job's result: the name order of the rows as of gen.
type RankedMsg struct {
	gen                        uint64
	byName, nameRank, foldRank []int32
}

// rankLater is the command that works out the name order (every sort's
// tie-break) of a big table that has none, off Update: a load that is
// not sorted ends without it, so the first sort does not wait for it
// either. Nil when there is nothing to do, a job is already at it, or the
// rows are a load's with more to come (their order would be thrown away
// at the next merge).
func (m *Model) rankLater() tea.Cmd {
	if !m.async() || m.d.ranksValid || m.d.partial || m.ranking == m.gen {
		return nil
	}
	m.ranking = m.gen
	d, gen, scratch, run := m.d.snapshot(), m.gen, &m.scratch, m.background
	if run == nil {
		run = func(work func()) { work() }
	}
	return func() tea.Msg {
		run(func() {
			d.ensureRanks()
			scratch.warm(d.all.n)
		})
		return RankedMsg{gen: gen, byName: d.byName, nameRank: d.nameRank, foldRank: d.foldRank}
	}
}

// Ranked takes in a rank job's result, unless the rows changed since (or a
// sort worked the order out meanwhile).
func (m *Model) Ranked(msg RankedMsg) {
	if m.ranking == msg.gen {
		m.ranking = 0
	}
	if msg.gen == m.gen && !m.d.ranksValid && len(msg.nameRank) == m.d.all.n {
		m.d.byName, m.d.nameRank, m.d.foldRank, m.d.ranksValid = msg.byName, msg.nameRank, msg.foldRank, true
	}
}

// Reordered takes in Work's result: the new order and view are swapped in,
// the cursor staying on its key when it is still shown. A result that a
// newer sort or filter superseded, or whose rows have changed since (a
// page arrived, a reload), is dropped; Work starts again from what is
// there now.
func (m *Model) Reordered(msg ReorderedMsg) {
	j := m.job
	if j == nil || msg.seq != j.seq {
		return
	}
	m.job = nil
	if msg.gen != m.gen || msg.order == nil && m.d.all.n > 0 {
		return
	}
	cur, hasCur := m.currentID()
	if msg.nameRank != nil && !m.d.ranksValid {
		m.d.byName, m.d.nameRank, m.d.foldRank, m.d.ranksValid = msg.byName, msg.nameRank, msg.foldRank, true
	}
	// A new order (the job sorted) is the job's own array: the one it
	// replaces is the next sort's to write into, unless it was lent. The
	// same order (only the filter changed) stays lent. Either way it is
	// not extended in place.
	if old := m.d.order; len(msg.order) > 0 && (len(old) == 0 || &old[0] != &msg.order[0]) {
		if m.d.orderFree() && cap(old) > 0 {
			m.spareOrder = old
		}
		m.d.orderHanded, m.d.loans = false, nil
	}
	m.d.order, m.d.view, m.d.ownTail = msg.order, msg.view, false
	m.applied = msg.s
	m.keepOn(cur, hasCur)
}

// keepOn keeps the cursor on key cur if it is still shown, else where it
// is, and lays the table out for what it now shows.
func (m *Model) keepOn(cur string, hasCur bool) {
	if !hasCur || !m.GoTo(cur) {
		m.moveTo(m.cursor)
	}
	m.relayout()
}

// Working names the sort or filter being worked out off Update for the
// status bar ("sorting…", "filtering…"), "" when none is or waits for
// Work: meanwhile the table shows the order and rows it had.
func (m *Model) Working() string {
	sort := false
	switch s := m.settings(); {
	case m.job != nil:
		sort = m.job.sort
	case !m.async() || sameOrder(m.applied, s) && sameFilter(m.applied, s):
		return ""
	default:
		sort = !sameOrder(m.applied, s)
	}
	if sort {
		return "sorting…"
	}
	return "filtering…"
}
