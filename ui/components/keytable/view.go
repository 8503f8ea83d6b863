package keytable

import (
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Layout constants, in cells.
const (
	// cursorWidth is the cursor marker's cell ("›" on the cursor row),
	// first on every row: without colour it is what tells the cursor row
	// apart from the rest at a glance.
	cursorWidth = 1
	markWidth   = 3 // "[x]"
	gap         = 2 // between columns
	actionWidth = 1 // "⋯"
)

// columnLayout is which columns show and how wide, decided per size and
// load, never per frame. Columns are indexes into the table's spec.
type columnLayout struct {
	cols   []int
	widths []int // by spec index
	// lineWidth is the width of a rendered row before padding to the
	// table's width.
	lineWidth int
	header    string
	// long marks columns shown with their long title (model.Column.Title;
	// ShortTitle decides which columns fit).
	long []bool
}

func (l columnLayout) shows(c int) bool { return c >= 0 && slices.Contains(l.cols, c) }

// Columns returns the columns shown at the current size, in order.
func (m *Model) Columns() []Column {
	out := make([]Column, len(m.lay.cols))
	for i, c := range m.lay.cols {
		out[i] = Column(m.spec[c].ID)
	}
	return out
}

func (m *Model) headerTitle(c int, long bool) string {
	t := m.spec[c].ShortTitle
	if long {
		t = m.spec[c].Title
	}
	return t + m.sortMark(c)
}

// sortMark is " ▲" or " ▼" after the sort column's title, "" elsewhere.
func (m *Model) sortMark(c int) string {
	switch {
	case m.sortCol == NoColumn || m.spec[c].ID != model.ColumnID(m.sortCol):
		return ""
	case m.desc:
		return " ▼"
	}
	return " ▲"
}

// natural is column c's width with nothing cut: its widest cell or short
// title, within its maximum.
func (m *Model) natural(c int) int {
	cells := m.d.widths[m.spec[c].ID]
	if m.spec[c].UsageCell != nil && m.usage != nil {
		cells = m.usage.widths[m.spec[c].ID]
	}
	w := max(cells, ansi.StringWidth(m.headerTitle(c, false)))
	if mx := m.spec[c].MaxWidth; mx > 0 {
		w = min(w, mx)
	}
	return w
}

// dropOrder is the spec's columns that give way on a narrow screen, in
// the order they go (model.Column.Drop).
func (m *Model) dropOrder() []int {
	var out []int
	for i, c := range m.spec {
		if c.Drop > 0 {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return m.spec[a].Drop - m.spec[b].Drop })
	return out
}

// relayout decides the columns for the current width and widest cells.
// The flexible column (the name) takes what is left, at least its
// MinWidth before another column gives way; long titles go where there is
// room, the column that gives way last first.
func (m *Model) relayout() {
	n := len(m.spec)
	lay := columnLayout{widths: make([]int, n), long: make([]bool, n)}
	drops := m.dropOrder()
	flex := -1
	for drop := 0; drop <= len(drops); drop++ {
		lay.cols = lay.cols[:0]
		flex = -1
		fixed := m.markCells() + actionWidth
		for c := range n {
			if slices.Contains(drops[:drop], c) || m.spec[c].Owner && !m.showUser || m.spec[c].UsageCell != nil && !m.usage.shows(m.spec[c].ID) {
				continue
			}
			lay.cols = append(lay.cols, c)
			fixed += gap
			if m.spec[c].Flex && flex < 0 {
				flex = c
				continue
			}
			lay.widths[c] = m.natural(c)
			fixed += lay.widths[c]
		}
		if flex < 0 {
			if fixed <= m.width || drop == len(drops) {
				lay.lineWidth = fixed
				break
			}
			continue
		}
		nat := m.natural(flex)
		if fixed+min(nat, m.spec[flex].MinWidth) <= m.width || drop == len(drops) {
			lay.widths[flex] = max(1, min(nat, m.width-fixed))
			lay.lineWidth = fixed + lay.widths[flex]
			break
		}
	}
	byLast := slices.Clone(drops)
	slices.Reverse(byLast)
	for _, c := range byLast {
		if !lay.shows(c) || m.spec[c].Title == m.spec[c].ShortTitle {
			continue
		}
		long := ansi.StringWidth(m.headerTitle(c, true))
		if extra := long - lay.widths[c]; extra <= 0 || lay.lineWidth+extra <= m.width {
			lay.long[c] = true
			lay.lineWidth += max(0, extra)
			lay.widths[c] = max(long, lay.widths[c])
		}
	}

	var b strings.Builder
	b.WriteString(spaces(m.markCells()))
	for i, c := range lay.cols {
		if i > 0 {
			b.WriteString(spaces(gap))
		}
		t := m.headerTitle(c, lay.long[c])
		writeCell(&b, t, ansi.StringWidth(t), lay.widths[c], m.spec[c].Align == model.AlignRight)
	}
	b.WriteString(spaces(gap + actionWidth))
	line := b.String()
	if pad := m.width - lay.lineWidth; pad > 0 {
		line += spaces(pad)
	} else if pad < 0 {
		line = ansi.Truncate(line, m.width, "")
	}
	lay.header = m.c.Styles.TableHeader.Render(line)
	m.lay = lay
}

// markCells is the width of what comes before the first column: the
// cursor marker, the selection mark and the gap after them ("›[x]  "). The
// selection mark is left out when keys cannot be selected (read-only mode),
// where a column of empty boxes would only suggest they could; the marker
// then stands one space from the name ("› name"), as in the menus.
func (m *Model) markCells() int {
	if m.selectable {
		return cursorWidth + markWidth + gap
	}
	return cursorWidth + 1
}

// cellCache keeps the cells of rows drawn lately, a slot per row number
// modulo its size: a frame formats only rows that came on screen since the
// last one, and no key's cells are kept beyond about a screenful.
type cellCache struct {
	slots [256]cachedRow
}

type cachedRow struct {
	row    int32 // -1 or unused when ok is false
	ok     bool
	status model.Status
	cells  []string
	widths []int
}

func (c *cellCache) clear() { c.slots = [256]cachedRow{} }

// rowCells returns row i's cells, formatted as of the rows' time.
func (m *Model) rowCells(i int32) *cachedRow {
	s := &m.cells.slots[int(i)%len(m.cells.slots)]
	if s.ok && s.row == i && len(s.cells) == len(m.spec) {
		return s
	}
	k := m.d.key(i)
	s.row, s.ok, s.status = i, true, k.StatusAt(m.d.asOf)
	s.cells = slices.Grow(s.cells[:0], len(m.spec))[:len(m.spec)]
	s.widths = slices.Grow(s.widths[:0], len(m.spec))[:len(m.spec)]
	for c := range m.spec {
		s.cells[c] = m.cellText(c, &k)
		s.widths[c] = cellWidth(s.cells[c])
	}
	return s
}

// brush is a style taken apart into what goes before and after the text,
// so a frame is plain string joins: lipgloss's Render per cell would cost
// more than the whole frame budget.
type brush struct{ pre, post string }

func brushOf(s lipgloss.Style) brush {
	const mark = "M" // SGR sequences never contain it
	out := s.Render(mark)
	i := strings.Index(out, mark)
	if i < 0 {
		return brush{}
	}
	return brush{pre: out[:i], post: out[i+len(mark):]}
}

type rowKind int

const (
	kindNormal rowKind = iota
	kindSelected
	kindCursor
	// kindCursorSelected is the cursor on a selected row: the cursor's
	// background and weight with the selection's colour, so both show.
	kindCursorSelected
	numKinds
)

type brushes struct {
	row    [numKinds]brush
	status [numKinds][4]brush
	muted  brush
}

func newBrushes(s *common.Styles) brushes {
	if s == nil {
		s = common.NewStyles(common.DefaultTheme())
	}
	var b brushes
	rowStyles := [numKinds]lipgloss.Style{s.TableCell, s.TableSelected, s.TableCursor, s.TableCursor.Inherit(s.TableSelected)}
	for k, rs := range rowStyles {
		b.row[k] = brushOf(rs)
		for st := model.StatusActive; st <= model.StatusIdle; st++ {
			b.status[k][st] = brushOf(s.ForStatus(st).Inherit(rs))
		}
	}
	b.muted = brushOf(s.TableMuted)
	return b
}

const blanks = "                                                                                                                                "

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// writeCell writes text (of display width tw) padded or cut to w cells.
func writeCell(b *strings.Builder, text string, tw, w int, right bool) {
	if tw > w {
		text = ansi.Truncate(text, w, "…")
		tw = ansi.StringWidth(text)
	}
	if right {
		b.WriteString(spaces(w - tw))
		b.WriteString(text)
		return
	}
	b.WriteString(text)
	b.WriteString(spaces(w - tw))
}

// View renders the header and the rows in the window: exactly height
// lines, whatever the number of keys.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow((m.lay.lineWidth + 32) * m.height)
	b.WriteString(m.lay.header)
	rows := m.height - 1
	if len(m.d.view) == 0 {
		empty := m.emptyText
		if m.d.all.n > 0 {
			empty = m.noMatchText()
		}
		if rows > 0 && empty != "" {
			b.WriteByte('\n')
			b.WriteString(m.brushes.muted.pre)
			b.WriteString(ansi.Truncate("  "+empty, m.width, "…"))
			b.WriteString(m.brushes.muted.post)
			rows--
		}
		for range rows {
			b.WriteByte('\n')
		}
		return b.String()
	}
	for i := m.offset; i < m.offset+rows; i++ {
		b.WriteByte('\n')
		if i < len(m.d.view) {
			m.renderRow(&b, m.d.view[i], i == m.cursor)
		}
	}
	return b.String()
}

func (m *Model) renderRow(b *strings.Builder, i int32, cursor bool) {
	sel := m.isSel(m.d.id(i))
	r := m.rowCells(i)
	kind := kindNormal
	switch {
	case cursor && sel:
		kind = kindCursorSelected
	case cursor:
		kind = kindCursor
	case sel:
		kind = kindSelected
	}
	if m.lay.lineWidth > m.width {
		// Too narrow even for the columns that never give way: build the
		// row plainly and cut it.
		var tmp strings.Builder
		m.writeRow(&tmp, r, kind, sel, cursor)
		b.WriteString(ansi.Truncate(tmp.String(), m.width, ""))
		return
	}
	m.writeRow(b, r, kind, sel, cursor)
}

func (m *Model) writeRow(b *strings.Builder, r *cachedRow, kind rowKind, sel, cursor bool) {
	rb := m.brushes.row[kind]
	b.WriteString(rb.pre)
	if cursor {
		b.WriteString("›")
	} else {
		b.WriteString(spaces(cursorWidth))
	}
	switch {
	case !m.selectable:
		b.WriteString(" ")
	case sel:
		b.WriteString("[x]" + spaces(gap))
	default:
		b.WriteString("[ ]" + spaces(gap))
	}
	for i, c := range m.lay.cols {
		if i > 0 {
			b.WriteString(spaces(gap))
		}
		w, spec := m.lay.widths[c], &m.spec[c]
		if spec.StatusTint {
			sb := m.brushes.status[kind][r.status]
			b.WriteString(rb.post)
			b.WriteString(sb.pre)
			writeCell(b, r.cells[c], r.widths[c], w, spec.Align == model.AlignRight)
			b.WriteString(sb.post)
			b.WriteString(rb.pre)
			continue
		}
		writeCell(b, r.cells[c], r.widths[c], w, spec.Align == model.AlignRight)
	}
	b.WriteString(spaces(gap))
	if cursor {
		b.WriteString("⋯")
	} else {
		b.WriteString(spaces(actionWidth))
	}
	b.WriteString(spaces(m.width - m.lay.lineWidth))
	b.WriteString(rb.post)
}

// noMatchText explains an empty table under filters.
func (m *Model) noMatchText() string {
	quick := len(m.Quicks()) > 0
	switch {
	case m.filter != "" && quick:
		return "No key matches \"" + model.CleanText(m.filter) + "\" with the quick filters on."
	case quick:
		return "No key matches the quick filters."
	}
	return "No key matches \"" + model.CleanText(m.filter) + "\"."
}
