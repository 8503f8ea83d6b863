// Package keytable is the dashboard's table of API keys. It is virtualised:
// each row is formatted once, when its key arrives (FormatRows, which the
// dashboard runs off Update); filtering and sorting rebuild only an index of
// row numbers; View renders only the rows on screen. So 100,000 keys move,
// filter and sort without lag. bubbles/table (v1.0.0) also renders only
// about two viewports of rows per change, but it keeps every row as a
// slice of strings built up front and allocates a slice as long as the
// whole table on every cursor move, and it has no index to filter or sort
// through without rebuilding those rows.
//
// The audit rules are the model's: filters are model.Filter (text and the
// quick filters), and the order is model.Compare's, computed from keys
// precomputed per row.
package keytable

import (
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

	// all holds every row in arrival order; index finds a row by key id.
	all   []row
	index map[string]int32
	// order is every row number in sort order (arrival order when
	// unsorted); view is order with the filter applied: what is shown.
	order []int32
	view  []int32
	// asOf is when the rows were formatted: the filters and the sort
	// judge statuses at the same instant the Status column shows.
	asOf time.Time

	sortCol Column // -1: arrival order
	desc    bool
	// byName, nameRank and foldRank serve the sort (sort.go); they are
	// worked out on the first sort after rows change.
	byName, nameRank, foldRank []int32
	ranksValid                 bool

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
	maxW    [numColumns]int
	lay     columnLayout
	brushes brushes
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
		index:      map[string]int32{},
		selected:   map[string]struct{}{},
		selectable: !c.ReadOnly,
		sortCol:    -1,
		asOf:       c.Now(),
	}
	m.brushes = newBrushes(c.Styles)
	m.resetWidths()
	m.SetSize(c.Width, c.Height)
	return m
}

// Reset drops every row, the selection and the cursor: another user's keys
// are about to arrive. The filters and sort stay.
func (m *Model) Reset() {
	m.all, m.order, m.view = nil, nil, nil
	m.invalidateRanks()
	m.index = map[string]int32{}
	m.selected = map[string]struct{}{}
	m.cursor, m.offset = 0, 0
	m.resetWidths()
	m.relayout()
}

// SetShowUser shows or hides the User column: the all-users view shows
// whose each key is.
func (m *Model) SetShowUser(on bool) {
	if m.showUser == on {
		return
	}
	m.showUser = on
	if !on && m.sortCol == ColUser {
		m.SortBy(-1, false)
	}
	m.relayout()
}

// ShowUser reports whether the User column is on.
func (m *Model) ShowUser() bool { return m.showUser }

// SetKeys replaces every row with keys, formatted now (FormatRows then
// SetRows; the dashboard formats big loads off Update instead).
func (m *Model) SetKeys(keys []model.APIKey) { m.SetRows(FormatRows(keys, m.c.Now())) }

// AppendKeys formats keys now and appends them (see AppendRows).
func (m *Model) AppendKeys(keys []model.APIKey) { m.AppendRows(FormatRows(keys, m.c.Now())) }

// SetRows replaces every row; the table takes rows over (the caller must
// not use them again). The selection (minus keys that are gone) and the
// cursor's key survive.
func (m *Model) SetRows(rows Rows) {
	cur, hasCur := m.currentID()
	m.resetWidths()
	m.asOf = rows.now
	m.index = make(map[string]int32, len(rows.rows))
	// Compact in place: a repeated key replaces its first row, so the
	// write index never passes the read index.
	all := rows.rows[:0]
	for i := range rows.rows {
		r := rows.rows[i]
		m.widen(&r)
		if j, ok := m.index[r.key.ID]; ok {
			all[j] = r
			continue
		}
		m.index[r.key.ID] = int32(len(all))
		all = append(all, r)
	}
	m.all = all
	m.invalidateRanks()
	for id := range m.selected {
		if _, ok := m.index[id]; !ok {
			delete(m.selected, id)
		}
	}
	m.resort()
	m.refilter()
	if !hasCur || !m.GoTo(cur) {
		m.moveTo(m.cursor)
	}
	m.relayout()
}

// AppendRows adds a page of rows as it arrives while loading. Only the new
// rows are merged into the order: loading n keys in pages never re-formats
// or re-sorts earlier rows.
func (m *Model) AppendRows(rows Rows) {
	if len(rows.rows) == 0 {
		return
	}
	if len(m.all) == 0 {
		m.asOf = rows.now
	}
	cur := int32(-1) // the row under the cursor, which must stay under it
	if m.cursor < len(m.view) {
		cur = m.view[m.cursor]
	}
	added := make([]int32, 0, len(rows.rows))
	for i := range rows.rows {
		if at, isNew := m.add(&rows.rows[i]); isNew {
			added = append(added, at)
		}
	}
	m.invalidateRanks()
	sorted := m.sortCol >= 0
	if sorted {
		col, _ := m.sortCol.SortColumn()
		slices.SortFunc(added, func(i, j int32) int { return m.compareRows(i, j, col, m.desc) })
		m.order = m.merge(m.order, added)
	} else {
		m.order = append(m.order, added...)
	}
	var shown []int32
	for _, i := range added {
		if m.matches(i) {
			shown = append(shown, i)
		}
	}
	// Under a sort, new rows can land above the cursor (an all-users load
	// merges pages of every user); move the cursor, and the page with it,
	// past them so the highlighted key stays the one the admin chose.
	before := 0
	if sorted {
		if col, ok := m.sortCol.SortColumn(); ok && cur >= 0 {
			before, _ = slices.BinarySearchFunc(shown, cur, func(s, c int32) int { return m.compareRows(s, c, col, m.desc) })
		}
		m.view = m.merge(m.view, shown)
	} else {
		m.view = append(m.view, shown...)
	}
	m.offset += before
	m.moveTo(m.cursor + before)
	m.relayout()
}

// add takes in a formatted row; a key already present (pages can overlap
// when the server's list shifts while it is read) is replaced in place.
func (m *Model) add(r *row) (int32, bool) {
	m.widen(r)
	if i, ok := m.index[r.key.ID]; ok {
		m.all[i] = *r
		return i, false
	}
	i := int32(len(m.all))
	m.all = append(m.all, *r)
	m.index[r.key.ID] = i
	return i, true
}

// widen grows the columns' natural widths to fit r.
func (m *Model) widen(r *row) {
	for c := range numColumns {
		m.maxW[c] = max(m.maxW[c], int(r.widths[c]))
	}
}

func (m *Model) resetWidths() {
	for c := range numColumns {
		m.maxW[c] = 0
	}
}

// Len is the number of keys loaded.
func (m *Model) Len() int { return len(m.all) }

// Shown is the number of rows the filters let through.
func (m *Model) Shown() int { return len(m.view) }

// ShownKeys returns the keys shown, in display order (filtered and sorted),
// as an export writes them.
func (m *Model) ShownKeys() []model.APIKey {
	out := make([]model.APIKey, len(m.view))
	for i, v := range m.view {
		out[i] = m.all[v].key
	}
	return out
}

// ShownCell returns the text of column c in the i-th shown row, as the
// table draws it before padding (tests compare exports with it).
func (m *Model) ShownCell(i int, c Column) string {
	if i < 0 || i >= len(m.view) || c < 0 || c >= numColumns {
		return ""
	}
	return m.all[m.view[i]].cell(c)
}

// SortBy orders rows by column c (descending when desc); c < 0, or a
// column that does not sort, restores arrival order.
func (m *Model) SortBy(c Column, desc bool) {
	cur, hasCur := m.currentID()
	if _, ok := c.SortColumn(); !ok {
		c, desc = -1, false
	}
	m.sortCol, m.desc = c, desc
	m.resort()
	m.refilter()
	if hasCur {
		m.GoTo(cur)
	}
	m.relayout()
}

// Sort reports the sort column (-1 for arrival order) and direction.
func (m *Model) Sort() (Column, bool) { return m.sortCol, m.desc }

// sortCycle is the order in which s walks the columns: every column that
// sorts, in display order.
var sortCycle = []Column{ColName, ColUser, ColCollection, ColCreated, ColStatus, ColExpiry, ColInactivity, ColStops, ColLastUsed, ColCalls}

// nextSort moves the sort to the next shown column, ascending: sorting by a
// column one cannot see would look like a shuffle.
func (m *Model) nextSort() {
	start := slices.Index(sortCycle, m.sortCol)
	for i := 1; i <= len(sortCycle); i++ {
		c := sortCycle[(start+i)%len(sortCycle)] // start is -1 when unsorted
		if m.lay.shows(c) {
			m.SortBy(c, false)
			return
		}
	}
}

func (m *Model) reverse() {
	if m.sortCol < 0 {
		m.SortBy(ColName, true)
		return
	}
	m.SortBy(m.sortCol, !m.desc)
}

func (m *Model) resort() {
	if m.sortCol >= 0 {
		m.order = m.sortAll()
		return
	}
	m.order = make([]int32, len(m.all))
	for i := range m.order {
		m.order[i] = int32(i)
	}
}

// Current returns the key under the cursor.
func (m *Model) Current() (model.APIKey, bool) {
	if m.cursor < 0 || m.cursor >= len(m.view) {
		return model.APIKey{}, false
	}
	return m.all[m.view[m.cursor]].key, true
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
	for _, i := range m.order {
		if _, ok := m.selected[m.all[i].key.ID]; ok {
			out = append(out, m.all[i].key)
		}
	}
	return out
}

// SelectedCount is the number of selected keys.
func (m *Model) SelectedCount() int { return len(m.selected) }

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
	for _, i := range m.view {
		if _, ok := m.selected[m.all[i].key.ID]; ok {
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
	i, ok := m.index[id]
	if !ok {
		return false
	}
	for pos, v := range m.view {
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
	n := len(m.view)
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
	for _, i := range m.view {
		m.selected[m.all[i].key.ID] = struct{}{}
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
		m.moveTo(len(m.view) - 1)
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
	rows := len(m.view) > 0
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Top, &k.Bottom, &k.PageUp, &k.PageDown} {
		b.SetEnabled(rows)
	}
	k.Toggle.SetEnabled(rows && m.selectable)
	k.SelectAll.SetEnabled(rows && m.selectable)
	k.ClearSelection.SetEnabled(len(m.selected) > 0)
	k.Sort.SetEnabled(len(m.all) > 1)
	k.Reverse.SetEnabled(len(m.all) > 1)
	quick := len(m.all) > 0 || m.fltOn
	for q := range NumQuick {
		k.Quick[q].SetEnabled(quick)
	}
	k.Quicks.SetEnabled(quick)
	return k
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.KeyMap().ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.KeyMap().FullHelp() }
