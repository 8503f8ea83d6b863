package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// The smallest terminal the dashboard draws in; below it, a notice.
const (
	minWidth  = 60
	minHeight = 16
)

// layout is every size on screen, worked out in one place from the
// terminal's size and the styles' frames.
type layout struct {
	width, height    int
	tooSmall         bool
	headerInner      int // header content width
	toolbarInner     int // toolbar content width
	toolbarHeight    int
	tableHeight      int // table lines, its header line included
	statusHeight     int
	dialogW, dialogH int // the most a dialog may take
}

// relayout recomputes the layout and tells every part its size. It runs
// after each Update: it only does arithmetic (and measures the help), and
// parts ignore sizes they already have.
func (a *App) relayout() {
	s := a.c.Styles
	l := layout{width: a.width, height: a.height}
	l.tooSmall = a.width < minWidth || a.height < minHeight
	l.headerInner = max(0, a.width-s.Header.GetHorizontalFrameSize())
	l.toolbarInner = max(0, a.width-s.Toolbar.GetHorizontalFrameSize())
	headerH := 1 + s.Header.GetVerticalFrameSize()
	toolbarH := 1 + s.Toolbar.GetVerticalFrameSize()

	a.status.SetSize(a.width, 0)
	l.statusHeight = a.status.Height()
	l.toolbarHeight = toolbarH
	l.tableHeight = max(1, a.height-headerH-toolbarH-l.statusHeight)
	l.dialogW = max(1, a.width-4)
	l.dialogH = max(1, a.height-2)

	a.table.SetSize(a.width, l.tableHeight)
	a.filter.Width = max(8, min(30, l.toolbarInner/3))
	if l.dialogW != a.lay.dialogW || l.dialogH != a.lay.dialogH {
		for _, f := range a.dialogs {
			f.d.SetSize(l.dialogW, l.dialogH)
		}
	}
	a.lay = l
}

// tooSmallView replaces the screen when it cannot hold the layout.
func (a *App) tooSmallView() string {
	msg := fmt.Sprintf("terminal too small (need at least %dx%d, have %dx%d)", minWidth, minHeight, a.width, a.height)
	text := a.c.Styles.Hint.Width(max(1, min(a.width, lipgloss.Width(msg)))).Render(msg)
	return lipgloss.Place(a.width, a.height, lipgloss.Center, lipgloss.Center, text)
}

// overlay draws fg centred over bg (width x height), keeping bg around it,
// as a modal sits over a web page. Lines are cut with ANSI-aware functions
// so styles in bg neither break nor bleed into fg.
func overlay(bg, fg string, width, height int) string {
	bgLines := strings.Split(bg, "\n")
	for len(bgLines) < height {
		bgLines = append(bgLines, "")
	}
	fgLines := strings.Split(fg, "\n")
	if len(fgLines) > height {
		fgLines = fgLines[:height]
	}
	fw := 0
	for _, l := range fgLines {
		fw = max(fw, ansi.StringWidth(l))
	}
	fw = min(fw, width)
	x, y := max(0, (width-fw)/2), max(0, (height-len(fgLines))/2)
	for i, fl := range fgLines {
		bl := bgLines[y+i]
		left := ansi.Truncate(bl, x, "")
		if w := ansi.StringWidth(left); w < x {
			left += strings.Repeat(" ", x-w)
		}
		if w := ansi.StringWidth(fl); w > fw {
			fl = ansi.Truncate(fl, fw, "")
		} else {
			fl += strings.Repeat(" ", fw-w)
		}
		right := ansi.TruncateLeft(bl, x+fw, "")
		bgLines[y+i] = left + reset(left) + fl + reset(fl) + right
	}
	return strings.Join(bgLines[:max(height, 0)], "\n")
}

// reset ends any style s left open, so it does not run into what follows.
func reset(s string) string {
	if ansi.Strip(s) != s {
		return ansi.ResetStyle
	}
	return ""
}
