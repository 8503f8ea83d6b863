package keytable

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
)

// leadingSGR is the parameters of the escape sequences a line starts with
// (the row's style), as attributes: "bold", "fg R;G;B", "bg R;G;B".
func leadingSGR(line string) []string {
	var attrs []string
	for strings.HasPrefix(line, "\x1b[") {
		end := strings.IndexByte(line, 'm')
		if end < 0 {
			break
		}
		params := strings.Split(line[2:end], ";")
		line = line[end+1:]
		for i := 0; i < len(params); i++ {
			switch p := params[i]; {
			case p == "1":
				attrs = append(attrs, "bold")
			case (p == "38" || p == "48") && i+4 < len(params) && params[i+1] == "2":
				attrs = append(attrs, map[string]string{"38": "fg ", "48": "bg "}[p]+strings.Join(params[i+2:i+5], ";"))
				i += 4
			}
		}
	}
	return attrs
}

// TestRowStylesDistinct: the cursor row has a background and is bold;
// selected rows have the selection colour and no background; the cursor on
// a selected row has both, so it never passes for either alone.
func TestRowStylesDistinct(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	lipgloss.SetHasDarkBackground(true)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	theme := common.DefaultTheme()
	rgb := func(hex string) string {
		seq := termenv.TrueColor.Color(hex).Sequence(false) // 38;2;R;G;B
		return strings.TrimPrefix(seq, "38;2;")
	}
	selFg, curBg := "fg "+rgb(theme.Selected.Dark), "bg "+rgb(theme.Cursor.Dark)

	m := newTable(120, 10)
	m.SetKeys(genKeys(5, 1))
	press(m, "j", "space", "j", "space", "j") // rows 1 and 2 selected, cursor on 3
	tests := []struct {
		name        string
		row, cursor int
		want, not   []string
		mark        string
	}{
		{name: "plain row", row: 4, cursor: 3, not: []string{"bold", selFg, curBg}, mark: "[ ]"},
		{name: "selected row", row: 1, cursor: 3, want: []string{selFg}, not: []string{"bold", curBg}, mark: "[x]"},
		{name: "cursor row", row: 3, cursor: 3, want: []string{"bold", curBg}, not: []string{selFg}, mark: "[ ]"},
		{name: "cursor on a selected row", row: 2, cursor: 2, want: []string{"bold", curBg, selFg}, mark: "[x]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.moveTo(tt.cursor)
			line := strings.Split(m.View(), "\n")[1+tt.row]
			attrs := leadingSGR(line)
			for _, w := range tt.want {
				if !slices.Contains(attrs, w) {
					t.Errorf("row style %v lacks %q", attrs, w)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(attrs, n) {
					t.Errorf("row style %v has %q", attrs, n)
				}
			}
			for _, a := range attrs {
				if strings.HasPrefix(a, "bg ") && a != curBg {
					t.Errorf("row style %v has a background other than the cursor's", attrs)
				}
			}
			if !strings.Contains(line, tt.mark) {
				t.Errorf("row %q lacks %s", line, tt.mark)
			}
		})
	}
}

// TestSelectionColumnOnlyWhenSelectable: read-only mode (not selectable)
// has no column of boxes that could never be ticked; the rest of the row
// keeps its layout.
func TestSelectionColumnOnlyWhenSelectable(t *testing.T) {
	for _, selectable := range []bool{true, false} {
		c := commontest.Common()
		c.Width, c.Height, c.ReadOnly = 100, 6, !selectable
		m := New(c)
		m.SetKeys(genKeys(4, 2))
		lines := strings.Split(m.View(), "\n")
		header := "Name"
		if selectable {
			header = "     Name"
		}
		if !strings.HasPrefix(lines[0], header) {
			t.Errorf("selectable %v: header %q, want it to start with %q", selectable, lines[0], header)
		}
		for i, l := range lines[1:5] {
			name := m.ShownCell(i, ColName)
			if got := strings.HasPrefix(l, "[ ]  "+name); got != selectable {
				t.Errorf("selectable %v: row %q starts with a mark = %v", selectable, l, got)
			}
			if !selectable && !strings.HasPrefix(l, name) {
				t.Errorf("row %q does not start with its name %q", l, name)
			}
			if w := ansi.StringWidth(l); w != 100 {
				t.Errorf("selectable %v: row is %d wide, want 100", selectable, w)
			}
		}
		at := len([]rune(lines[0][:max(0, strings.Index(lines[0], "Status"))]))
		if row := []rune(lines[1]); at == 0 || m.ShownCell(0, ColStatus) != strings.Fields(string(row[at:]))[0] {
			t.Errorf("selectable %v: the Status column is not under its title:\n%s", selectable, strings.Join(lines, "\n"))
		}
	}
}
