package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
)

// outputFormat is what --output selects.
type outputFormat string

const (
	formatTable outputFormat = "table"
	formatJSON  outputFormat = "json"
	formatCSV   outputFormat = "csv"
)

// chooseFormat honours --output when given, else picks a table for a person
// at a terminal and JSON for a pipe or file.
func chooseFormat(flag string, given, stdoutTTY bool) (outputFormat, error) {
	if !given {
		if stdoutTTY {
			return formatTable, nil
		}
		return formatJSON, nil
	}
	switch f := outputFormat(strings.ToLower(strings.TrimSpace(flag))); f {
	case formatTable, formatJSON, formatCSV:
		return f, nil
	}
	return "", usageErrorf("--output %s: want table, json or csv", echo(flag))
}

// printer renders results in the chosen format. now is the clock reading that
// every status in one listing is computed against; times are shown in its
// location.
type printer struct {
	w      io.Writer
	format outputFormat
	now    time.Time
	// color marks statuses with colours in tables (a terminal, and
	// neither --no-color nor NO_COLOR).
	color bool
}

// maxCell caps free-text cells in tables so one long key name cannot push
// every other column off the screen; JSON and CSV carry the full text.
const maxCell = 40

// sortKeys orders keys by owner, then age, so output is stable whatever
// order the server's pages came in.
func sortKeys(keys []model.APIKey) {
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Username != b.Username {
			return a.Username < b.Username
		}
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.ID < b.ID
	})
}

func (p printer) keys(keys []model.APIKey) error {
	switch p.format {
	case formatJSON:
		return model.WriteKeysJSON(p.w, keys, p.now)
	case formatCSV:
		rows := make([][]string, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, model.KeyCSVRow(k, p.now))
		}
		return writeCSV(p.w, model.KeyColumns(), rows)
	}
	return p.keysTable(keys)
}

// statusColor is each status's colour in tables (ANSI 16-colour numbers,
// so a terminal's theme decides the shade).
var statusColor = map[model.Status]lipgloss.Color{
	model.StatusActive:   "2",
	model.StatusInactive: "8",
	model.StatusExpired:  "1",
	model.StatusIdle:     "3",
}

// colGap is the space between table columns.
const colGap = 2

// keysTable draws the keys with lipgloss/table, one column per
// model.Columns entry: no borders, columns two spaces apart, cells cut to
// maxCell characters, counts right-aligned; statuses coloured only when
// colour is on.
func (p printer) keysTable(keys []model.APIKey) error {
	cols := model.Columns()
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.Header
	}
	rows := make([][]string, len(keys))
	statuses := make([]model.Status, len(keys))
	for r, k := range keys {
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = model.Cut(c.Cell(k, p.now), maxCell)
		}
		rows[r] = row
		statuses[r] = k.StatusAt(p.now)
	}
	return p.table(headers, rows, func(row, col int, st lipgloss.Style) lipgloss.Style {
		if cols[col].Align == model.AlignRight {
			st = st.Align(lipgloss.Right)
		}
		if row >= 0 && cols[col].ID == model.ColStatus {
			st = st.Foreground(statusColor[statuses[row]])
		}
		return st
	})
}

// table writes a borderless table with lipgloss/table. style adjusts a
// cell's style (row -1 is the header); colours show only when p.color is
// set, since the renderer's profile is plain text otherwise.
func (p printer) table(headers []string, rows [][]string, style func(row, col int, st lipgloss.Style) lipgloss.Style) error {
	re := lipgloss.NewRenderer(p.w)
	re.SetColorProfile(termenv.Ascii)
	if p.color {
		re.SetColorProfile(termenv.ANSI)
	}
	last := len(headers) - 1
	t := table.New().
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).BorderRow(false).
		Headers(headers...).Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			st := re.NewStyle()
			if col < last {
				st = st.PaddingRight(colGap)
			}
			if style != nil {
				st = style(row, col, st)
			}
			return st
		})
	var b strings.Builder
	for _, line := range strings.Split(t.String(), "\n") {
		// The last column is padded to its width: trailing spaces are
		// noise in a terminal and in a diff.
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

// cell makes server text safe and short for a table cell.
func cell(s string) string { return model.Cut(model.CleanText(s), maxCell) }

func (p printer) time(t time.Time) string { return t.In(p.now.Location()).Format(model.TimeLayout) }

func (p printer) expires(k model.APIKey) string {
	if k.Expires == nil {
		return "never"
	}
	return p.time(*k.Expires)
}

func (p printer) users(users []model.User) error {
	switch p.format {
	case formatJSON:
		if users == nil {
			users = []model.User{}
		}
		return writeJSON(p.w, users)
	case formatCSV:
		rows := make([][]string, 0, len(users))
		for _, u := range users {
			rows = append(rows, []string{model.CleanText(u.ID), model.CleanText(u.Username), model.CleanText(u.Email)})
		}
		return writeCSV(p.w, []string{"id", "username", "email"}, rows)
	}
	rows := make([][]string, 0, len(users))
	for _, u := range users {
		rows = append(rows, []string{cell(u.ID), cell(u.Username), cell(u.Email)})
	}
	return p.table([]string{"ID", "USERNAME", "EMAIL"}, rows, nil)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeCSV is the one way the CLI writes CSV: every cell passes
// model.CSVCell, so a key named =HYPERLINK(...) is text, not a formula, in
// a spreadsheet. JSON output is not touched.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(model.CSVRow(header)); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	for _, row := range rows {
		if err := cw.Write(model.CSVRow(row)); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}
