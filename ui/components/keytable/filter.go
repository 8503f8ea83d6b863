package keytable

import (
	"strings"
	"time"

	"h2ogpte-keys/model"
)

// Quick is one of the quick audit filters, each toggled by its own key.
// Each is a model.Filter: the one definition of the audit rules, shared
// with the CLI's list flags.
type Quick int

// The quick filters, in key order (1 to 6).
const (
	// QuickExpiring keeps working keys that expire or go idle within 7 days.
	QuickExpiring Quick = iota
	// QuickNeverUsed keeps keys never used.
	QuickNeverUsed
	// QuickUnused keeps keys unused (never used: since creation) for 90 days or more.
	QuickUnused
	// QuickNotWorking keeps inactive, expired and idle keys.
	QuickNotWorking
	// QuickGlobal keeps global keys.
	QuickGlobal
	// QuickUseChanged keeps keys whose use suddenly changed (a spike, or
	// silence after steady use), by the usage history: it works only
	// while the table has usage (SetUsage).
	QuickUseChanged
	// NumQuick is the number of quick filters.
	NumQuick
)

const day = 24 * time.Hour

var quickInfo = [NumQuick]struct {
	label  string
	filter model.Filter
}{
	QuickExpiring:   {"expiring ≤7d", model.Filter{ExpiringWithin: 7 * day}},
	QuickNeverUsed:  {"never used", model.Filter{NeverUsed: true}},
	QuickUnused:     {"unused 90d+", model.Filter{UnusedFor: 90 * day}},
	QuickNotWorking: {"not working", model.Filter{NotWorking: true}},
	QuickGlobal:     {"global only", model.Filter{GlobalOnly: true}},
	// Not a model.Filter: the usage is not in the key (settings.useChanged).
	QuickUseChanged: {"use changed", model.Filter{}},
}

// Label names the quick filter in the toolbar and the help.
func (q Quick) Label() string { return quickInfo[q].label }

// Filter is the quick filter's rule.
func (q Quick) Filter() model.Filter { return quickInfo[q].filter }

// Key is the key that toggles it: "1" to "6".
func (q Quick) Key() string { return string(rune('1' + q)) }

// combine is the filter of every quick filter that is on, and text.
func combine(on [NumQuick]bool, text string) model.Filter {
	f := model.Filter{Text: text}
	for q := range NumQuick {
		if !on[q] {
			continue
		}
		qf := q.Filter()
		f.ExpiringWithin = max(f.ExpiringWithin, qf.ExpiringWithin)
		f.UnusedFor = max(f.UnusedFor, qf.UnusedFor)
		f.NeverUsed = f.NeverUsed || qf.NeverUsed
		f.NotWorking = f.NotWorking || qf.NotWorking
		f.GlobalOnly = f.GlobalOnly || qf.GlobalOnly
		f.Statuses = append(f.Statuses, qf.Statuses...)
	}
	return f
}

// SetFilter shows only keys whose name, collection or owner contains text,
// ignoring case (model.Filter's Text), on top of the quick filters. It
// rebuilds the index only.
func (m *Model) SetFilter(text string) {
	f := strings.ToLower(strings.TrimSpace(text))
	if f == m.filter {
		return
	}
	m.filter = f
	m.applyFilter()
}

// Filter returns the text filter in effect (lower-cased), "" for none.
func (m *Model) Filter() string { return m.filter }

// ToggleQuick turns a quick filter on or off.
func (m *Model) ToggleQuick(q Quick) { m.SetQuick(q, !m.quick[q]) }

// SetQuick turns a quick filter on or off.
func (m *Model) SetQuick(q Quick, on bool) {
	if q < 0 || q >= NumQuick || m.quick[q] == on || on && q == QuickUseChanged && m.usage == nil {
		return
	}
	m.quick[q] = on
	m.applyFilter()
}

// QuickOn reports whether quick filter q is on.
func (m *Model) QuickOn(q Quick) bool { return q >= 0 && q < NumQuick && m.quick[q] }

// Quicks lists the quick filters that are on, in key order.
func (m *Model) Quicks() []Quick {
	var out []Quick
	for q := range NumQuick {
		if m.quick[q] {
			out = append(out, q)
		}
	}
	return out
}

// ClearFilters turns off the text and every quick filter.
func (m *Model) ClearFilters() {
	if !m.Filtered() {
		return
	}
	m.filter = ""
	m.quick = [NumQuick]bool{}
	m.applyFilter()
}

// Filtered reports whether any filter (text or quick) narrows the rows.
func (m *Model) Filtered() bool { return m.fltOn }

// AuditFilter is the whole filter in effect, as the model states it; the
// rows shown are those it matches as of AsOf.
func (m *Model) AuditFilter() model.Filter { return m.flt }

// Unjudged is how many keys the filter in effect could not judge: with a
// never-used or unused-for rule on, the keys whose usage the server does
// not report (model.Filter.Unjudged). They are not shown, and the caller
// says how many there are instead of letting them vanish silently.
func (m *Model) Unjudged() int {
	if !m.flt.NeverUsed && m.flt.UnusedFor <= 0 {
		return 0
	}
	n := 0
	for i := range int32(m.d.all.n) {
		if model.UsageUnknown(m.d.all.row(i).usage()) {
			n++
		}
	}
	return n
}

// AsOf is the time the rows were formatted at: statuses, the filters and
// the sort are all judged at it.
func (m *Model) AsOf() time.Time { return m.d.asOf }

// applyFilter rebuilds the shown index after the filter changed, keeping
// the cursor on its key when that key is still shown.
func (m *Model) applyFilter() {
	cur, hasCur := m.currentID()
	m.flt = combine(m.quick, m.filter)
	m.fltOn = m.flt.Active() || m.quick[QuickUseChanged]
	if !m.reindex(false) {
		return
	}
	if !hasCur || !m.GoTo(cur) {
		m.moveTo(0)
	}
}
