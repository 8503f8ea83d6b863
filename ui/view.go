package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/secret"
	"h2ogpte-keys/ui/components/userpicker"
)

// View draws header, toolbar, table and status bar, with the top dialog
// over them.
func (a *App) View() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.width <= 0 || a.height <= 0 {
		return ""
	}
	if a.lay.tooSmall {
		return a.tooSmallView()
	}
	var top common.Dialog
	if n := len(a.dialogs); n > 0 {
		top = a.dialogs[n-1].d
	}
	if _, plain := top.(*secret.Model); plain {
		// The secret must sit alone on its line, from the first column, so
		// selecting it by hand picks nothing else: no table behind it.
		return strings.Join([]string{
			a.headerView(),
			plainBody(top.View(), a.lay.toolbarHeight+a.lay.tableHeight),
			a.status.View(),
		}, "\n")
	}
	screen := strings.Join([]string{
		a.headerView(),
		a.toolbarView(),
		a.table.View(),
		a.status.View(),
	}, "\n")
	if top != nil {
		screen = overlay(screen, top.View(), a.width, a.height)
	}
	return screen
}

// plainBody is view cut or padded to exactly height lines.
func plainBody(view string, height int) string {
	lines := strings.Split(view, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// headerView: tool name and server on the left; user and badges right.
func (a *App) headerView() string {
	s := a.c.Styles
	inner := a.lay.headerInner
	name := "none"
	switch {
	case a.allUsers:
		name = userpicker.AllUsersLabel
	case a.hasUser:
		name = model.CleanText(a.user.Username)
	}
	right := s.HeaderInfo.Render("User: ") + s.ToolbarKey.Render(name+" ▾")
	// Two blank cells before each badge: its padding is coloured too, and
	// fonts draw the ambiguous-width ▾ into the next cell, so with one the
	// badge seemed to touch the ▾ (or the badge before it).
	if a.opts.ReadOnly {
		right += "  " + s.BadgeWarn.Render("READ-ONLY")
	}
	if a.opts.Insecure {
		right += "  " + s.BadgeDanger.Render("INSECURE TLS")
	}
	title := s.HeaderTitle.Render("h2ogpte-keys")
	room := inner - lipgloss.Width(title) - lipgloss.Width(right) - 4
	left := title
	if addr := model.CleanText(a.opts.Address); addr != "" && room > 3 {
		left += "  " + s.HeaderInfo.Render(ansi.Truncate(addr, room, "…"))
	}
	return s.Header.Render(spread(left, right, inner))
}

// toolbarView: the actions on the left (hidden in read-only mode), the
// filter, and the counts on the right.
func (a *App) toolbarView() string {
	s := a.c.Styles
	item := func(k, label string) string {
		return s.ToolbarKey.Render(k) + " " + s.ToolbarLabel.Render(label)
	}
	var parts []string
	if !a.opts.ReadOnly && a.hasUser {
		parts = append(parts, item("n", "New API key"))
		del := "Delete"
		if n := a.table.SelectedCount(); n > 0 {
			del = fmt.Sprintf("Delete (%d selected)", n)
		}
		parts = append(parts, item("D", del))
	}
	switch {
	case a.filtering:
		parts = append(parts, a.filter.View())
	case a.table.Filter() != "":
		parts = append(parts, s.ToolbarLabel.Render("Filter: ")+s.ToolbarOn.Render(model.CleanText(a.filter.Value())))
	case a.table.Len() > 0 && len(a.table.Quicks()) == 0:
		parts = append(parts, item("/", "Filter"), item(a.table.QuickRange(), "Quick filters"))
	case !a.hasUser:
		parts = append(parts, item("u", "Choose a user"))
	}
	if qs := a.table.Quicks(); len(qs) > 0 {
		var on []string
		for _, q := range qs {
			on = append(on, s.ToolbarKey.Render(q.Key())+" "+s.ToolbarOn.Render(q.Label()))
		}
		parts = append(parts, strings.Join(on, "  "))
	}
	left := strings.Join(parts, "   ")
	right := ""
	if a.hasUser {
		right = s.ToolbarLabel.Render(a.countText())
	}
	return s.Toolbar.Render(spread(left, right, a.lay.toolbarInner))
}

// countText is "12 keys", or "3 of 12 shown" under a filter.
func (a *App) countText() string {
	total := a.table.Len()
	keys := "keys"
	if total == 1 {
		keys = "key"
	}
	if a.table.Filtered() {
		return fmt.Sprintf("%s of %s shown", common.Grouped(int64(a.table.Shown())), common.Grouped(int64(total)))
	}
	return fmt.Sprintf("%s %s", common.Grouped(int64(total)), keys)
}

// spread puts left and right at the two ends of width cells, cutting left
// when both do not fit.
func spread(left, right string, width int) string {
	rw := lipgloss.Width(right)
	if lipgloss.Width(left)+rw+1 > width {
		left = ansi.Truncate(left, max(0, width-rw-1), "…")
	}
	gap := max(1, width-lipgloss.Width(left)-rw)
	return left + strings.Repeat(" ", gap) + right
}
