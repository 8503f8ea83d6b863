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
		{name: "plain row", row: 4, cursor: 3, not: []string{"bold", selFg, curBg}, mark: " [ ]"},
		{name: "selected row", row: 1, cursor: 3, want: []string{selFg}, not: []string{"bold", curBg}, mark: " [x]"},
		{name: "cursor row", row: 3, cursor: 3, want: []string{"bold", curBg}, not: []string{selFg}, mark: "›[ ]"},
		{name: "cursor on a selected row", row: 2, cursor: 2, want: []string{"bold", curBg, selFg}, mark: "›[x]"},
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
			if plain := ansi.Strip(line); !strings.HasPrefix(plain, tt.mark) {
				t.Errorf("row %q does not start with %q", plain, tt.mark)
			}
		})
	}
}

// TestSelectionColumnOnlyWhenSelectable: read-only mode (not selectable)
// has no column of boxes that could never be ticked; the rest of the row
// keeps its layout, the cursor marker included.
func TestSelectionColumnOnlyWhenSelectable(t *testing.T) {
	tests := []struct {
		selectable         bool
		header, cur, other string // what the header and rows start with
	}{
		{selectable: true, header: "      Name", cur: "›[ ]  ", other: " [ ]  "},
		{selectable: false, header: "  Name", cur: "› ", other: "  "},
	}
	for _, tt := range tests {
		c := commontest.Common()
		c.Width, c.Height, c.ReadOnly = 100, 6, !tt.selectable
		m := New(c)
		m.SetKeys(genKeys(4, 2))
		lines := strings.Split(m.View(), "\n")
		if !strings.HasPrefix(lines[0], tt.header) {
			t.Errorf("selectable %v: header %q, want it to start with %q", tt.selectable, lines[0], tt.header)
		}
		for i, l := range lines[1:5] {
			want := tt.other + m.ShownCell(i, ColName)
			if i == m.Cursor() {
				want = tt.cur + m.ShownCell(i, ColName)
			}
			if !strings.HasPrefix(l, want) {
				t.Errorf("selectable %v: row %q, want it to start with %q", tt.selectable, l, want)
			}
			if w := ansi.StringWidth(l); w != 100 {
				t.Errorf("selectable %v: row is %d wide, want 100", tt.selectable, w)
			}
		}
		at := len([]rune(lines[0][:max(0, strings.Index(lines[0], "Status"))]))
		if row := []rune(lines[1]); at == 0 || m.ShownCell(0, ColStatus) != strings.Fields(string(row[at:]))[0] {
			t.Errorf("selectable %v: the Status column is not under its title:\n%s", tt.selectable, strings.Join(lines, "\n"))
		}
	}
}

// TestCursorMarker: the cursor row, and only it, starts with "›", with
// colour and without (where its style is nothing), on a plain row and on a
// selected one; every row keeps its width and its columns under the titles.
func TestCursorMarker(t *testing.T) {
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	for _, profile := range []termenv.Profile{termenv.Ascii, termenv.TrueColor} {
		lipgloss.SetColorProfile(profile)
		m := newTable(120, 8) // styles are taken apart in New, under the profile
		m.SetKeys(genKeys(6, 1))
		press(m, "j", "space", "j", "j", "space") // rows 1 and 3 selected
		for _, cursor := range []int{0, 1, 3, 5} {
			m.moveTo(cursor)
			lines := strings.Split(ansi.Strip(m.View()), "\n")
			nameAt := strings.Index(lines[0], "Name")
			for i, l := range lines[1:7] {
				mark := "[ ]"
				if i == 1 || i == 3 {
					mark = "[x]"
				}
				lead := " "
				if i == cursor {
					lead = "›"
				}
				if want := lead + mark + "  " + m.ShownCell(i, ColName); !strings.HasPrefix(l, want) {
					t.Errorf("profile %v, cursor %d: row %d is %q, want it to start with %q", profile, cursor, i, l, want)
				}
				if r := []rune(l); len(r) < nameAt || !strings.HasPrefix(string(r[nameAt:]), m.ShownCell(i, ColName)) {
					t.Errorf("profile %v, cursor %d: row %d's name is not under its title:\n%s", profile, cursor, i, strings.Join(lines, "\n"))
				}
				if w := ansi.StringWidth(l); w != 120 {
					t.Errorf("profile %v, cursor %d: row %d is %d wide, want 120", profile, cursor, i, w)
				}
			}
		}
	}
}
