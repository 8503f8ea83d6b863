// Package keytable is the dashboard's table of API keys. It is virtualised:
// keys are measured where pages arrive (FormatRows, off Update), a reload
// is indexed page by page as they arrive (Builder) and sorted and filtered
// off Update too (PrepareBuilt), a big first load is merged in steps off
// Update (PrepareAppend); filtering and sorting rebuild only an index of
// row numbers; View formats only the rows on screen. So a million keys move, filter and sort without a frozen
// frame. bubbles/table (v1.0.0) also renders only about two viewports of
// rows per change, but it keeps every row as a slice of strings built up
// front and allocates a slice as long as the whole table on every cursor
// move, and it has no index to filter or sort through without rebuilding
// those rows.
//
// The audit rules are the model's: filters are model.Filter (text and the
// quick filters), and the order is model.Compare's, computed from keys
// precomputed per row.
package keytable

import (
	"maps"
	"slices"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Model is the key table. Use New; the zero value is not ready.
type Model struct {
	c    common.Common
	keys KeyMap

	// spec is the dashboard's columns (model.DashboardColumns) and the
	// usage columns (model.UsageColumns), in order.
	spec []model.Column
	// usage is the usage history's figures; nil hides the usage columns.
	usage *Usage

	d *tableData
	// scratch lends the sorts of key presses their working memory.
	scratch scratchCache
	// spareOrder is the order the last sort replaced, which nothing else
	// reads any more: the next sort writes its result into it.
	spareOrder []int32

	sortCol Column // NoColumn: arrival order
	desc    bool

	filter string // the text filter, lower-cased
	quick  [NumQuick]bool
	flt    model.Filter // text and quick filters together
	fltOn  bool

	selected   map[string]struct{}
	selectable bool
	showUser   bool

	cursor, offset int // cursor and first shown row, both indexes into view
	width, height  int
	emptyText      string

	// Worked out from the rows and the size, not on every frame.
	lay     columnLayout
	brushes brushes
	cells   cellCache

	// asyncRows is the size from which sorting and filtering run off
	// Update (Options.AsyncRows); 0: never.
	asyncRows int
	// background runs the rank jobs (Options.Background); nil runs them
	// directly.
	background func(work func())
	// applied is the settings d's order and view were worked out for:
	// the settings themselves (settings()) once Work has caught up.
	applied settings
	// gen counts changes to the rows: a job's result for rows since
	// changed is dropped. seq numbers jobs; job is the one in flight.
	gen, seq uint64
	job      *job
	// ranking is the gen whose name order a rank job is working out (0:
	// none); see Work.
	ranking uint64
}

var _ common.Component = (*Model)(nil)

// New returns an empty table.
func New(c common.Common) *Model {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Styles == nil {
		c.Styles = common.NewStyles(common.DefaultTheme())
	}
	m := &Model{
		c:          c,
		keys:       DefaultKeyMap(),
		spec:       model.DashboardColumnsOf(append(model.Columns(), model.UsageColumns()...)),
		d:          newData(c.Now()),
		selected:   map[string]struct{}{},
		selectable: !c.ReadOnly,
		asyncRows:  DefaultAsyncRows,
	}
	m.applied = m.settings()
	m.brushes = newBrushes(c.Styles)
	m.SetSize(c.Width, c.Height)
	return m
}

// settings is the sort and filters in effect, as a value.
func (m *Model) settings() settings {
	s := settings{flt: m.flt, fltOn: m.fltOn, text: m.filter, desc: m.desc,
		usage: m.usage, useChanged: m.quick[QuickUseChanged] && m.usage != nil}
	if m.sortCol != NoColumn {
		if i := m.colIndex(m.sortCol); i >= 0 && m.spec[i].Sortable {
			s.col, s.sorted = m.spec[i].Sort, true
			if m.spec[i].UsageSort != nil {
				if m.usage == nil {
					s.sorted = false
				} else {
					s.usort = m.spec[i].UsageSort
				}
			}
		}
	}
	return s
}

// colIndex is c's place in spec, -1 when the table has no such column.
func (m *Model) colIndex(c Column) int {
	for i := range m.spec {
		if m.spec[i].ID == model.ColumnID(c) {
			return i
		}
	}
	return -1
}

// Reset drops every row, the selection and the cursor: another user's keys
// are about to arrive. The filters and sort stay.
func (m *Model) Reset() {
	m.d = newData(m.d.asOf)
	m.spareOrder = nil
	m.applied = m.settings()
	m.gen++
	m.cells.clear()
	m.selected = map[string]struct{}{}
	m.cursor, m.offset = 0, 0
	m.relayout()
}

// SetShowUser shows or hides the User column: the all-users view shows
// whose each key is.
func (m *Model) SetShowUser(on bool) {
	if m.showUser == on {
		return
	}
	m.showUser = on
	if i := m.colIndex(m.sortCol); !on && i >= 0 && m.spec[i].Owner {
		m.SortBy(NoColumn, false)
	}
	m.relayout()
}

// ShowUser reports whether the User column is on.
func (m *Model) ShowUser() bool { return m.showUser }

// SetKeys replaces every row with keys, judged now (FormatRows then
// SetRows; the dashboard prepares big loads off Update instead).
func (m *Model) SetKeys(keys []model.APIKey) { m.SetRows(FormatRows(keys, m.c.Now())) }

// AppendKeys formats keys now and appends them (see AppendRows).
func (m *Model) AppendKeys(keys []model.APIKey) { m.AppendRows(FormatRows(keys, m.c.Now())) }

// prepared is a whole new set of rows, indexed, sorted and filtered under
// the settings it was built for.
type prepared struct {
	d *tableData
	s settings
}

// Prepare returns the work of SetRows(rows) under the table's current sort
// and filters, as a function that reads nothing of the table: run it off
// the UI goroutine (in a tea.Cmd) and hand its result to SetRows, which
// then only swaps it in (a big table whose sort or filters changed
// meanwhile shows it as prepared until Work catches up). Indexing, sorting and filtering a million keys
// takes far longer than a frame. The function uses rows up: each page is
// let go once indexed, so a million keys are not held twice over. (The
// dashboard's refresh does not hold its pages at all: it indexes them as
// they arrive, Builder, and prepares with PrepareBuilt.)
func (m *Model) Prepare(rows Rows) func() Rows {
	s := m.settings()
	return func() Rows {
		d := buildData(&rows, true) // uses rows up before they are handed on
		return finishPrepare(d, s, rows, true)
	}
}

// Builder indexes a new set of rows page by page as the pages arrive, off
// the UI goroutine, for a table that shows its old rows meanwhile (a
// refresh). Each page is let go once indexed, so a million keys are not
// held as pages beside the table being built and the one shown (about 300
// MB more at the end of a refresh that kept its pages for Prepare), and
// the indexing is done by the time the last page is in: PrepareBuilt only
// sorts and filters. A repeated key replaces its first row, as in
// SetRows. One goroutine at a time may use a Builder.
type Builder struct {
	d *tableData
	n int // keys added, repeats included
}

// NewBuilder starts a set of rows judged as of now (statuses, relative
// times); sizeHint is about how many keys it will hold (the table's own
// count, for a refresh).
func NewBuilder(now time.Time, sizeHint int) *Builder {
	d := newData(now)
	d.index = newRowIndex(sizeHint)
	return &Builder{d: d}
}

// Add indexes rows, formatted as of the builder's time, and uses them up.
func (b *Builder) Add(rows *Rows) {
	b.d.widen(rows.widths)
	b.n += rows.n
	in := batch{d: b.d} // the index's lock once per indexBatch keys, not per key
	defer in.done()
	rows.drain(in.add)
}

// PrepareBuilt is Prepare for the rows b has indexed: the function sorts
// and filters them under the table's current settings, off the UI
// goroutine, for SetRows. b must take no more rows.
func (m *Model) PrepareBuilt(b *Builder) func() Rows {
	s := m.settings()
	return func() Rows {
		return finishPrepare(b.d, s, Rows{n: b.n, now: b.d.asOf, widths: b.d.widths}, true)
	}
}

// finishPrepare sorts and filters d under s and returns it as rows'
// prepared result. ranks works out the name order every sort breaks ties
// by, here, when the rows are sorted; unsorted, the load ends without it
// (half a second of a million keys' load) and Work starts a job for it
// once nothing else is to be done.
func finishPrepare(d *tableData, s settings, rows Rows, ranks bool) Rows {
	if ranks && s.sorted {
		d.ensureRanks()
	}
	if s.sorted || len(d.order) != d.all.n {
		d.resort(s) // unsorted, an order extended to every row (PrepareAppend) stands
	}
	d.refilter(s)
	rows.ready = &prepared{d: d, s: s}
	return rows
}

// PrepareAppend is Prepare for the table's rows followed by rows: the
// work of AppendRows, off the UI goroutine, for loads too big to merge page
// by page on it. The result shares the table's blocks of keys (copying
// only those it changes), so it costs the new keys, not all of them again.
// The table should take no rows (AppendRows) until the result is swapped
// in with SetRows or dropped (a table that takes rows after dropping one
// first indexes its rows anew: see tableData.indexHanded). last says no
// more rows follow: only then is the name order (which the first sort
// needs) worked out, not at every step. Like Prepare's, the function uses
// rows up.
func (m *Model) PrepareAppend(rows Rows, last bool) func() Rows {
	s := m.settings()
	old := m.d
	all := old.all.share()
	if old.indexHanded {
		old.ownIndex()
	}
	index := old.index // shared: see rowIndex
	old.indexHanded = true
	// Unsorted before and after, the order is arrival order (row numbers
	// in turn): it is extended, not written anew, when its tail is the
	// table's to hand over (ownTail). Handed over here, on Update, so no
	// two merges ever hold it.
	var order []int32
	if !s.sorted && !m.applied.sorted && old.ownTail && len(old.order) == old.all.n {
		order, old.ownTail, old.orderHanded = old.order, false, true
		if old.loans == nil {
			old.loans = new(bool) // shared from here: a loan to either set is the other's too
		}
	}
	loans := old.loans
	widths := maps.Clone(old.widths) // the table's own, which it may widen meanwhile
	return func() Rows {
		d := newData(old.asOf)
		if all.n == 0 {
			d.asOf = rows.now
		}
		d.all = all
		d.partial = !last
		d.index = index
		d.widen(widths)
		d.widen(rows.widths)
		b := batch{d: d}
		defer b.done() // a panic must not leave the screen's look-ups waiting
		rows.drain(b.add)
		b.done()
		if order != nil {
			d.order, d.ownTail, d.loans = order, true, loans
			for i := len(order); i < d.all.n; i++ {
				d.appendOrder(int32(i))
			}
		}
		return finishPrepare(d, s, rows, last)
	}
}

// MergesCheaply reports whether PrepareAppend costs about the rows it
// adds: true when the table is neither sorted nor filtered, so the rows
// merged keep the order they came in. Otherwise it sorts and filters the
// whole table again.
func (m *Model) MergesCheaply() bool {
	s := m.settings()
	return !s.sorted && !s.fltOn
}

// buildData indexes rows: a repeated key replaces its first row. With
// drain it uses rows up (Rows.drain).
func buildData(rows *Rows, drain bool) *tableData {
	if drain {
		b := NewBuilder(rows.now, rows.n)
		b.Add(rows)
		return b.d
	}
	d := newData(rows.now)
	d.index = newRowIndex(rows.n)
	d.widen(rows.widths)
	for _, p := range rows.pages {
		for i := range p {
			d.add(&p[i])
		}
	}
	return d
}

// SetRows replaces every row. The selection (minus keys that are gone)
// and the cursor's key survive. Rows from Prepare are swapped in as they
// are, unless the sort or the filters changed meanwhile.
func (m *Model) SetRows(rows Rows) {
	cur, hasCur := m.currentID()
	s := m.settings()
	var d *tableData
	if p := rows.ready; p != nil {
		d = p.d
		switch {
		case m.asyncRows > 0 && d.all.n >= m.asyncRows:
			// Shown as prepared; Work catches up with any change since.
			s = p.s
		case !sameOrder(p.s, s):
			d.resort(s)
			d.refilter(s)
		case !sameFilter(p.s, s):
			d.refilter(s)
		}
	} else {
		d = buildData(&rows, false)
		d.resort(s)
		d.refilter(s)
	}
	m.d = d
	m.applied = s
	m.gen++
	m.cells.clear()
	for id := range m.selected {
		if _, ok := d.find(id); !ok {
			delete(m.selected, id)
		}
	}
	if !hasCur || !m.GoTo(cur) {
		m.moveTo(m.cursor)
	}
	m.relayout()
}

func sameFilter(a, b settings) bool {
	return a.fltOn == b.fltOn && a.text == b.text && slices.Equal(a.flt.Statuses, b.flt.Statuses) &&
		a.flt.ExpiringWithin == b.flt.ExpiringWithin && a.flt.UnusedFor == b.flt.UnusedFor &&
		a.flt.NeverUsed == b.flt.NeverUsed && a.flt.NotWorking == b.flt.NotWorking &&
		a.flt.GlobalOnly == b.flt.GlobalOnly && a.flt.Text == b.flt.Text &&
		a.useChanged == b.useChanged && (!a.useChanged || a.usage == b.usage)
}

// AppendRows adds a page of rows as it arrives while loading. Only the new
// rows are merged into the order: loading n keys in pages never re-sorts
// earlier rows.
func (m *Model) AppendRows(rows Rows) {
	if rows.n == 0 {
		return
	}
	d := m.d
	if d.all.n == 0 {
		d.asOf = rows.now
	}
	cur := int32(-1) // the row under the cursor, which must stay under it
	if m.cursor < len(d.view) {
		cur = d.view[m.cursor]
	}
	if d.indexHanded {
		d.ownIndex()
	}
	// Merged under the settings the order was worked out for: Work
	// catches up with any change since.
	s := m.applied
	m.gen++
	added := make([]int32, 0, rows.n)
	replaced := false
	for _, p := range rows.pages {
		for i := range p {
			if at, isNew := d.add(&p[i]); isNew {
				added = append(added, at)
			} else {
				replaced = true
			}
		}
	}
	if replaced {
		m.cells.clear()
	}
	d.widen(rows.widths)
	d.ranksValid = false
	if s.sorted {
		slices.SortFunc(added, func(i, j int32) int { return d.compareRows(i, j, &s) })
		d.order, d.ownTail = d.merge(d.order, added, s), false
	} else {
		d.appendOrder(added...)
	}
	if !s.fltOn {
		d.view = d.order
		m.keepCursor(cur, added, s)
		return
	}
	var shown []int32
	for _, i := range added {
		if d.matches(i, &s) {
			shown = append(shown, i)
		}
	}
	d.view = d.merge(d.view, shown, s)
	m.keepCursor(cur, shown, s)
}

// keepCursor: under a sort, new rows can land above the cursor (an
// all-users load merges pages of every user); move the cursor, and the
// page with it, past them so the highlighted key stays the one the admin
// chose.
func (m *Model) keepCursor(cur int32, shown []int32, s settings) {
	before := 0
	if s.sorted && cur >= 0 {
		before, _ = slices.BinarySearchFunc(shown, cur, func(x, c int32) int { return m.d.compareRows(x, c, &s) })
	}
	m.offset += before
	m.moveTo(m.cursor + before)
	m.relayout()
}

// Len is the number of keys loaded.
func (m *Model) Len() int { return m.d.all.n }

// Shown is the number of rows the filters let through.
func (m *Model) Shown() int { return len(m.d.view) }

// ShownKeys returns the keys shown, in display order (filtered and sorted),
// as an export writes them.
func (m *Model) ShownKeys() []model.APIKey {
	out := make([]model.APIKey, len(m.d.view))
	for i, v := range m.d.view {
		out[i] = m.d.key(v)
	}
	return out
}

// ShownCell returns the text of column c in the i-th shown row, as the
// table draws it before padding (tests compare exports with it).
func (m *Model) ShownCell(i int, c Column) string {
	ci := m.colIndex(c)
	if i < 0 || i >= len(m.d.view) || ci < 0 {
		return ""
	}
	k := m.d.key(m.d.view[i])
	return m.cellText(ci, &k)
}

// cellText is spec column c's text for k: from the usage history for a
// usage column, else from the key.
func (m *Model) cellText(c int, k *model.APIKey) string {
	if f := m.spec[c].UsageCell; f != nil {
		return f(m.usage.of(k.ID))
	}
	return m.spec[c].DashboardText(*k, m.d.asOf)
}

// SortBy orders rows by column c (descending when desc); NoColumn, or a
// column that does not sort, restores arrival order.
func (m *Model) SortBy(c Column, desc bool) {
	cur, hasCur := m.currentID()
	if i := m.colIndex(c); i < 0 || !m.spec[i].Sortable {
		c, desc = NoColumn, false
	}
	m.sortCol, m.desc = c, desc
	if m.reindex(true) && hasCur {
		m.GoTo(cur)
	}
	m.relayout()
}

// Sort reports the sort column (NoColumn for arrival order) and direction.
func (m *Model) Sort() (Column, bool) { return m.sortCol, m.desc }

// nextSort moves the sort to the next shown column that sorts, ascending:
// sorting by a column one cannot see would look like a shuffle.
func (m *Model) nextSort() {
	start := m.colIndex(m.sortCol) // -1 when unsorted
	for i := 1; i <= len(m.spec); i++ {
		c := m.spec[(start+i+len(m.spec))%len(m.spec)]
		if c.Sortable && m.lay.shows(m.colIndex(Column(c.ID))) {
			m.SortBy(Column(c.ID), false)
			return
		}
	}
}

func (m *Model) reverse() {
	if m.sortCol == NoColumn {
		m.SortBy(ColName, true)
		return
	}
	m.SortBy(m.sortCol, !m.desc)
}

// Current returns the key under the cursor.
func (m *Model) Current() (model.APIKey, bool) {
	if m.cursor < 0 || m.cursor >= len(m.d.view) {
		return model.APIKey{}, false
	}
	return m.d.key(m.d.view[m.cursor]), true
}

func (m *Model) currentID() (string, bool) {
	k, ok := m.Current()
	return k.ID, ok
}

// Selected returns the selected keys in display order, those the filter
// hides included.
func (m *Model) Selected() []model.APIKey {
	if len(m.selected) == 0 {
		return nil
	}
	out := make([]model.APIKey, 0, len(m.selected))
	for _, i := range m.d.order {
		if m.isSel(m.d.id(i)) {
			out = append(out, m.d.key(i))
		}
	}
	return out
}

// SelectedCount is the number of selected keys.
func (m *Model) SelectedCount() int { return len(m.selected) }

func (m *Model) isSel(id string) bool {
	_, ok := m.selected[id]
	return ok
}

// IsSelected reports whether the key with this id is selected.
func (m *Model) IsSelected(id string) bool {
	_, ok := m.selected[id]
	return ok
}

// SelectedOrCurrent is what an action on "these keys" means: the
// selection, or the current key when nothing is selected.
func (m *Model) SelectedOrCurrent() []model.APIKey {
	if len(m.selected) > 0 {
		return m.Selected()
	}
	if k, ok := m.Current(); ok {
		return []model.APIKey{k}
	}
	return nil
}

// HiddenSelectedCount is how many selected keys the filter hides, so a
// confirmation can say that it touches keys not on screen.
func (m *Model) HiddenSelectedCount() int {
	if len(m.selected) == 0 {
		return 0
	}
	shown := 0
	for _, i := range m.d.view {
		if m.isSel(m.d.id(i)) {
			shown++
		}
	}
	return len(m.selected) - shown
}

// Deselect unselects the keys with these ids (deleted keys, for one).
func (m *Model) Deselect(ids ...string) {
	for _, id := range ids {
		delete(m.selected, id)
	}
}

// ClearSelection unselects everything.
func (m *Model) ClearSelection() { clear(m.selected) }

// SetSelectable turns selecting, and the selection column, on or off (off
// in read-only mode, where no action takes a selection).
func (m *Model) SetSelectable(on bool) {
	if m.selectable == on {
		return
	}
	m.selectable = on
	if !on {
		m.ClearSelection()
	}
	m.relayout()
}

// GoTo moves the cursor to the key with this id if it is shown.
func (m *Model) GoTo(id string) bool {
	i, ok := m.d.find(id)
	if !ok {
		return false
	}
	for pos, v := range m.d.view {
		if v == i {
			m.moveTo(pos)
			return true
		}
	}
	return false
}

// Cursor is the cursor's position among the shown rows.
func (m *Model) Cursor() int { return m.cursor }

// SetEmptyText is what the table says when it has no rows at all.
func (m *Model) SetEmptyText(s string) { m.emptyText = s }

// SetSize sets the space the table draws in, its header line included.
func (m *Model) SetSize(width, height int) {
	if width == m.width && height == m.height {
		return
	}
	m.width, m.height = width, height
	m.relayout()
	m.moveTo(m.cursor)
}

func (m *Model) pageRows() int { return max(1, m.height-1) }

func (m *Model) moveTo(i int) {
	n := len(m.d.view)
	m.cursor = max(0, min(i, n-1))
	rows := m.pageRows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, n-rows))
}

func (m *Model) toggle() {
	k, ok := m.Current()
	if !ok {
		return
	}
	if _, on := m.selected[k.ID]; on {
		delete(m.selected, k.ID)
	} else {
		m.selected[k.ID] = struct{}{}
	}
}

func (m *Model) selectAllShown() {
	for _, i := range m.d.view {
		m.selected[m.d.id(i)] = struct{}{}
	}
}

// Update handles the table's keys. It never returns a command: the table
// does no I/O.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	switch k := m.KeyMap(); {
	case key.Matches(km, k.Up):
		m.moveTo(m.cursor - 1)
	case key.Matches(km, k.Down):
		m.moveTo(m.cursor + 1)
	case key.Matches(km, k.Top):
		m.moveTo(0)
	case key.Matches(km, k.Bottom):
		m.moveTo(len(m.d.view) - 1)
	case key.Matches(km, k.PageUp):
		m.moveTo(m.cursor - m.pageRows())
	case key.Matches(km, k.PageDown):
		m.moveTo(m.cursor + m.pageRows())
	case key.Matches(km, k.Toggle):
		m.toggle()
	case key.Matches(km, k.SelectAll):
		m.selectAllShown()
	case key.Matches(km, k.ClearSelection):
		m.ClearSelection()
	case key.Matches(km, k.Sort):
		m.nextSort()
	case key.Matches(km, k.Reverse):
		m.reverse()
	default:
		for q := range NumQuick {
			if key.Matches(km, k.Quick[q]) {
				m.ToggleQuick(q)
				break
			}
		}
	}
	return nil
}

// KeyMap returns the table's keys with only those that do something now
// enabled, so the help line shows only those. It is a copy, worked out
// from the table's state: asking (from View, for the help) changes
// nothing.
func (m *Model) KeyMap() KeyMap {
	k := m.keys
	rows := len(m.d.view) > 0
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown} {
		b.SetEnabled(rows)
	}
	k.Toggle.SetEnabled(rows && m.selectable)
	k.SelectAll.SetEnabled(rows && m.selectable)
	k.ClearSelection.SetEnabled(len(m.selected) > 0)
	k.Sort.SetEnabled(m.d.all.n > 1)
	k.Reverse.SetEnabled(m.d.all.n > 1)
	quick := m.d.all.n > 0 || m.fltOn
	for q := range NumQuick {
		k.Quick[q].SetEnabled(quick)
	}
	if m.usage == nil {
		// Without usage history there is nothing for "use changed" to
		// judge: its key and its place in the help go.
		k.Quick[QuickUseChanged].SetEnabled(false)
		var keys []string
		for q := range QuickUseChanged {
			keys = append(keys, q.Key())
		}
		k.Quicks.SetKeys(keys...)
	}
	k.Quicks.SetHelp(m.QuickRange(), "quick filters")
	k.Quicks.SetEnabled(quick)
	return k
}

// QuickRange names the quick filters' keys for the help: "1-5", or "1-6"
// while the table has usage history.
func (m *Model) QuickRange() string {
	last := QuickUseChanged - 1
	if m.usage != nil {
		last = NumQuick - 1
	}
	return QuickExpiring.Key() + "-" + last.Key()
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.KeyMap().ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.KeyMap().FullHelp() }
