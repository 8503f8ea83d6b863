package keytable

import (
	"iter"
	"math"

	"h2ogpte-keys/model"
)

// Usage is the usage history's figures for keys, by key id, measured for
// the table: the usage columns (model.UsageColumns) read their cells from
// it, a map lookup per row drawn. Build it with MeasureUsage off the UI
// goroutine; the table never changes it, so one Usage may be shared.
type Usage struct {
	byID map[string]model.KeyUsage
	// widths is the widest cell of each usage column.
	widths map[model.ColumnID]int
	// changed are the ids whose use changed (spike or silence).
	changed []string
}

// MeasureUsage measures byID for the table (every usage column's widest
// cell, the keys whose use changed). It reads all of byID: run it in a
// command. The table keeps byID as given.
func MeasureUsage(byID map[string]model.KeyUsage) *Usage {
	u := &Usage{byID: byID, widths: map[model.ColumnID]int{}}
	cols := model.UsageColumns()
	for id, ku := range byID {
		for _, c := range cols {
			u.widths[c.ID] = max(u.widths[c.ID], cellWidth(c.UsageCell(&ku)))
		}
		if ku.Changed() {
			u.changed = append(u.changed, id)
		}
	}
	return u
}

// shows reports whether usage column id has a figure to show for any key:
// a column of blanks (the first read, before the history covers a day)
// would only push a column with something to say off a narrow screen.
func (u *Usage) shows(id model.ColumnID) bool {
	return u != nil && u.widths[id] > 0
}

// of is the usage of key id; nil when the history does not cover it.
func (u *Usage) of(id string) *model.KeyUsage {
	if u == nil {
		return nil
	}
	ku, ok := u.byID[id]
	if !ok {
		return nil
	}
	return &ku
}

// SetUsage gives the table the usage history's figures (nil: no history,
// and the usage columns and the use-changed filter go away). Rows drawn
// from then on show them; a sort by a usage column or the use-changed
// filter is worked out again.
func (m *Model) SetUsage(u *Usage) {
	cur, hasCur := m.currentID()
	m.usage = u
	if u == nil {
		if i := m.colIndex(m.sortCol); i >= 0 && m.spec[i].UsageCell != nil {
			m.sortCol, m.desc = NoColumn, false
		}
		m.quick[QuickUseChanged] = false
		m.flt = combine(m.quick, m.filter)
		m.fltOn = m.flt.Active()
	}
	m.cells.clear()
	s := m.settings()
	if (s.usort != nil || s.useChanged || u == nil) && m.reindex(s.usort != nil) {
		if !hasCur || !m.GoTo(cur) {
			m.moveTo(m.cursor)
		}
	}
	m.relayout()
}

// HasUsage reports whether the table holds usage history figures.
func (m *Model) HasUsage() bool { return m.usage != nil }

// UsageOf returns the usage history's figures for the key with this id.
func (m *Model) UsageOf(id string) (model.KeyUsage, bool) {
	if p := m.usage.of(id); p != nil {
		return *p, true
	}
	return model.KeyUsage{}, false
}

// ChangedCount is how many of the keys loaded have use changed.
func (m *Model) ChangedCount() int {
	if m.usage == nil {
		return 0
	}
	n := 0
	for _, id := range m.usage.changed {
		if _, ok := m.d.find(id); ok {
			n++
		}
	}
	return n
}

// usageKey is a usage column's sort key for k: order-preserving bits of
// the non-negative figure, exact (equal keys are equal values).
func usageKey(k *model.APIKey, s *settings) (uint64, bool, bool) {
	v, ok := s.usort(s.usage.of(k.ID))
	if !ok || math.IsNaN(v) {
		return 0, false, false
	}
	return math.Float64bits(max(v, 0)), true, true
}

// KeysSnapshot returns every key held, in arrival order, as a sequence
// that may be read any number of times and from any goroutine: it reads
// nothing of the table but blocks the table no longer writes (the table
// copies a block before it next writes to it). Nothing is copied up
// front, so recording a million keys in the history (a command's work)
// does not first need a second copy of them. Each key yielded is a copy
// valid until the next: keep its fields' values, never the pointer, nor
// k.Expires (it points at a variable the next key's expiry overwrites).
func (m *Model) KeysSnapshot() iter.Seq[*model.APIKey] {
	all := &m.d.all
	for i := range all.owned {
		all.owned[i] = false
	}
	snap := all.share()
	return snap.each
}
