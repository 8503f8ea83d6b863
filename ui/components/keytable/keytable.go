// Package keytable is the dashboard's table of API keys. It is virtualised:
// each row is formatted once, when its key arrives; filtering and sorting
// rebuild only an index of row numbers; View renders only the rows on
// screen. So 100,000 keys move, filter and sort without lag, which
// bubbles/table (it re-renders every row on every change) cannot do.
package keytable

import (
	"slices"
	"strings"
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

	sortCol Column // -1: arrival order
	desc    bool
	filter  string // lower-cased

	selected   map[string]struct{}
	selectable bool

	cursor, offset int // cursor and first shown row, both indexes into view
	width, height  int
	emptyText      string

	// Worked out from the rows and the size, not on every frame.
	maxW    [numColumns]int
	lay     columnLayout
	brushes brushes
}

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
	}
	m.brushes = newBrushes(c.Styles)
	m.resetWidths()
	m.SetSize(c.Width, c.Height)
	return m
}

// Reset drops every row, the selection and the cursor: another user's keys
// are about to arrive. The filter and sort stay.
func (m *Model) Reset() {
	m.all, m.order, m.view = nil, nil, nil
	m.index = map[string]int32{}
	m.selected = map[string]struct{}{}
	m.cursor, m.offset = 0, 0
	m.resetWidths()
	m.relayout()
}

// SetKeys replaces every row with keys, formatted as of the clock's now.
// The selection (minus keys that are gone) and the cursor's key survive.
func (m *Model) SetKeys(keys []model.APIKey) {
	cur, hasCur := m.currentID()
	now := m.c.Now()
	m.all = make([]row, 0, len(keys))
	m.index = make(map[string]int32, len(keys))
	m.resetWidths()
	for _, k := range keys {
		m.add(k, now)
	}
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

// AppendKeys adds a page of keys as it arrives while loading. Only the new
// rows are formatted and merged into the order: loading n keys in pages
// never re-formats earlier rows.
func (m *Model) AppendKeys(keys []model.APIKey) {
	if len(keys) == 0 {
		return
	}
	now := m.c.Now()
	added := make([]int32, 0, len(keys))
	for _, k := range keys {
		if i, isNew := m.add(k, now); isNew {
			added = append(added, i)
		}
	}
	if m.sortCol >= 0 {
		m.sortIndexes(added)
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
	if m.sortCol >= 0 {
		m.view = m.merge(m.view, shown)
	} else {
		m.view = append(m.view, shown...)
	}
	m.moveTo(m.cursor)
	m.relayout()
}

// add formats k into a row; a key already present (pages can overlap when
// the server's list shifts while it is read) is replaced in place.
func (m *Model) add(k model.APIKey, now time.Time) (int32, bool) {
	r := newRow(k, now)
	for c := range numColumns {
		m.maxW[c] = max(m.maxW[c], int(r.widths[c]))
	}
	if i, ok := m.index[k.ID]; ok {
		m.all[i] = r
		return i, false
	}
	i := int32(len(m.all))
	m.all = append(m.all, r)
	m.index[k.ID] = i
	return i, true
}

func (m *Model) resetWidths() {
	for c := range numColumns {
		m.maxW[c] = 0
	}
}

// Len is the number of keys loaded; Shown the number the filter lets through.
func (m *Model) Len() int { return len(m.all) }

// Shown is the number of rows the filter lets through.
func (m *Model) Shown() int { return len(m.view) }

// ShownKeys returns the keys shown, in display order (filtered and sorted),
// as an export would write them.
func (m *Model) ShownKeys() []model.APIKey {
	out := make([]model.APIKey, len(m.view))
	for i, v := range m.view {
		out[i] = m.all[v].key
	}
	return out
}

// SetFilter shows only keys whose name or collection contains text, case
// insensitively. It rebuilds the index only.
func (m *Model) SetFilter(text string) {
	f := strings.ToLower(strings.TrimSpace(text))
	if f == m.filter {
		return
	}
	cur, hasCur := m.currentID()
	m.filter = f
	m.refilter()
	if !hasCur || !m.GoTo(cur) {
		m.moveTo(0)
	}
}

// Filter returns the filter in effect (lower-cased), "" for none.
func (m *Model) Filter() string { return m.filter }

func (m *Model) matches(i int32) bool {
	return m.filter == "" || strings.Contains(m.all[i].search, m.filter)
}

func (m *Model) refilter() {
	if m.filter == "" {
		m.view = append(m.view[:0:0], m.order...)
		return
	}
	view := make([]int32, 0, len(m.view))
	for _, i := range m.order {
		if m.matches(i) {
			view = append(view, i)
		}
	}
	m.view = view
}

// SortBy orders rows by column c (descending when desc); c < 0 restores
// arrival order.
func (m *Model) SortBy(c Column, desc bool) {
	cur, hasCur := m.currentID()
	m.sortCol, m.desc = c, desc
	if c < 0 {
		m.desc = false
	}
	m.resort()
	m.refilter()
	if hasCur {
		m.GoTo(cur)
	}
	m.relayout()
}

// Sort reports the sort column (-1 for arrival order) and direction.
func (m *Model) Sort() (Column, bool) { return m.sortCol, m.desc }

// sortCycle is the order in which s walks the columns.
var sortCycle = []Column{ColName, ColCollection, ColCreated, ColStatus, ColExpiry, ColInactivity, ColLastUsed, ColCalls}

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
	m.order = make([]int32, len(m.all))
	for i := range m.order {
		m.order[i] = int32(i)
	}
	if m.sortCol >= 0 {
		m.sortIndexes(m.order)
	}
}

// sortIndexes sorts row numbers by the current column; ties keep arrival
// order so every sort is deterministic.
func (m *Model) sortIndexes(idx []int32) {
	c, desc := m.sortCol, m.desc
	slices.SortFunc(idx, func(i, j int32) int {
		if x := compare(&m.all[i], &m.all[j], c, desc); x != 0 {
			return x
		}
		return int(i - j)
	})
}

// merge merges two index lists sorted by the current column.
func (m *Model) merge(a, b []int32) []int32 {
	if len(b) == 0 {
		return a
	}
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x := compare(&m.all[a[i]], &m.all[b[j]], m.sortCol, m.desc)
		if x < 0 || x == 0 && a[i] < b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
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

// SetSelectable turns selecting on or off (off in read-only mode, where no
// action takes a selection).
func (m *Model) SetSelectable(on bool) { m.selectable = on }

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

// SetEmptyText is what the table says when no row is shown.
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
	m.updateKeys()
	switch k := m.keys; {
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
	}
	m.updateKeys()
	return nil
}

// updateKeys enables only the keys that do something now, so the help
// line shows only those.
func (m *Model) updateKeys() {
	rows := len(m.view) > 0
	for _, b := range []*key.Binding{&m.keys.Up, &m.keys.Down, &m.keys.Top, &m.keys.Bottom, &m.keys.PageUp, &m.keys.PageDown} {
		b.SetEnabled(rows)
	}
	m.keys.Toggle.SetEnabled(rows && m.selectable)
	m.keys.SelectAll.SetEnabled(rows && m.selectable)
	m.keys.ClearSelection.SetEnabled(len(m.selected) > 0)
	m.keys.Sort.SetEnabled(len(m.all) > 1)
	m.keys.Reverse.SetEnabled(len(m.all) > 1)
}

// KeyMap returns the table's keys, enabled as they apply now.
func (m *Model) KeyMap() KeyMap {
	m.updateKeys()
	return m.keys
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding { return m.KeyMap().ShortHelp() }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return m.KeyMap().FullHelp() }
