package keytable

import (
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
	nameMin     = 16
	nameMax     = 48
	collMax     = 24
)

// dropOrder is the order in which columns give way on narrow terminals.
// Name, Status and Last Used always stay; Stops working gives way before
// Total Calls (and so before Last Used), and the all-users view's User
// column last of all.
var dropOrder = []Column{ColCreated, ColSecret, ColInactivity, ColCollection, ColExpiry, ColStops, ColCalls, ColUser}

// columnLayout is which columns show and how wide, decided per size and
// load, never per frame.
type columnLayout struct {
	cols   []Column
	widths [numColumns]int
	// lineWidth is the width of a rendered row before padding to the
	// table's width.
	lineWidth int
	header    string
	// long marks columns shown with their long title (longTitles).
	long [numColumns]bool
}

// longTitles are the titles some columns get when there is room; the short
// ones (Column.Title) decide which columns fit.
var longTitles = map[Column]string{
	ColStops:      "Stops working",
	ColInactivity: "Inactivity Interval", // the web page's
}

func (l columnLayout) shows(c Column) bool {
	for _, x := range l.cols {
		if x == c {
			return true
		}
	}
	return false
}

// Columns returns the columns shown at the current size, in order.
func (m *Model) Columns() []Column { return append([]Column(nil), m.lay.cols...) }

func (m *Model) headerTitle(c Column) string {
	t := c.Title()
	if c >= 0 && c < numColumns && m.lay.long[c] {
		t = longTitles[c]
	}
	return t + m.sortMark(c)
}

// sortMark is " ▲" or " ▼" after the sort column's title, "" elsewhere.
func (m *Model) sortMark(c Column) string {
	switch {
	case c != m.sortCol:
		return ""
	case m.desc:
		return " ▼"
	}
	return " ▲"
}

func (m *Model) natural(c Column) int {
	w := max(m.maxW[c], ansi.StringWidth(m.headerTitle(c)))
	switch c {
	case ColName:
		w = min(w, nameMax)
	case ColCollection:
		w = min(w, collMax)
	}
	return w
}

// relayout decides the columns for the current width and widest cells.
func (m *Model) relayout() {
	m.lay.long = [numColumns]bool{} // decide the columns with the short titles
	var lay columnLayout
	nameW := 0
	for drop := 0; drop <= len(dropOrder); drop++ {
		lay.cols = lay.cols[:0]
		fixed := m.markCells() + actionWidth
		for c := range numColumns {
			if containsCol(dropOrder[:drop], c) || c == ColUser && !m.showUser {
				continue
			}
			lay.cols = append(lay.cols, c)
			fixed += gap
			if c != ColName {
				lay.widths[c] = m.natural(c)
				fixed += lay.widths[c]
			}
		}
		nat := m.natural(ColName)
		if fixed+min(nat, nameMin) <= m.width || drop == len(dropOrder) {
			nameW = max(1, min(nat, m.width-fixed))
			lay.lineWidth = fixed + nameW
			break
		}
	}
	lay.widths[ColName] = nameW
	// Long titles where there is room for them, Stops working first.
	for _, c := range []Column{ColStops, ColInactivity} {
		if !lay.shows(c) {
			continue
		}
		long := ansi.StringWidth(longTitles[c] + m.sortMark(c))
		if extra := long - lay.widths[c]; extra <= 0 || lay.lineWidth+extra <= m.width {
			lay.long[c] = true
			lay.lineWidth += max(0, extra)
			lay.widths[c] = max(long, lay.widths[c])
		}
	}
	m.lay.long = lay.long

	var b strings.Builder
	b.WriteString(spaces(m.markCells()))
	for i, c := range lay.cols {
		if i > 0 {
			b.WriteString(spaces(gap))
		}
		writeCell(&b, m.headerTitle(c), ansi.StringWidth(m.headerTitle(c)), lay.widths[c], c == ColCalls)
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

func containsCol(cs []Column, c Column) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
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
	if len(m.view) == 0 {
		empty := m.emptyText
		if len(m.all) > 0 {
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
		if i < len(m.view) {
			m.renderRow(&b, &m.all[m.view[i]], i == m.cursor)
		}
	}
	return b.String()
}

func (m *Model) renderRow(b *strings.Builder, r *row, cursor bool) {
	_, sel := m.selected[r.key.ID]
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

func (m *Model) writeRow(b *strings.Builder, r *row, kind rowKind, sel, cursor bool) {
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
		w := m.lay.widths[c]
		if c == ColStatus {
			sb := m.brushes.status[kind][r.status]
			b.WriteString(rb.post)
			b.WriteString(sb.pre)
			writeCell(b, r.cell(c), int(r.widths[c]), w, false)
			b.WriteString(sb.post)
			b.WriteString(rb.pre)
			continue
		}
		writeCell(b, r.cell(c), int(r.widths[c]), w, c == ColCalls)
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
