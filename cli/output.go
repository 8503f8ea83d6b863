package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

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
	// color marks statuses with ANSI colours in tables (a terminal, and
	// neither --no-color nor NO_COLOR).
	color bool
}

// timeLayout is how tables show a time: minutes are precise enough to read,
// and JSON/CSV carry the full value.
const timeLayout = "2006-01-02 15:04"

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

// statusColor gives each status's SGR colour. Every code has the same length,
// so tabwriter, which counts the escape bytes as text, still aligns the
// column; the header gets a same-length no-op code for the same reason.
var statusColor = map[model.Status]string{
	model.StatusActive:   "\x1b[32m",
	model.StatusInactive: "\x1b[90m",
	model.StatusExpired:  "\x1b[31m",
	model.StatusIdle:     "\x1b[33m",
}

const (
	sgrReset   = "\x1b[0m"
	sgrDefault = "\x1b[39m" // same length as the colours above
)

func (p printer) keysTable(keys []model.APIKey) error {
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	status := func(s string, code string) string {
		if !p.color {
			return s
		}
		return code + s + sgrReset
	}
	fmt.Fprintf(tw, "ID\tNAME\tUSER\tSECRET\tCOLLECTION\tCREATED\t%s\tEXPIRES\tINACTIVITY\tLAST USED\tCALLS\tSTOPS AT\n",
		status("STATUS", sgrDefault))
	for _, k := range keys {
		st := k.StatusAt(p.now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			cell(k.ID),
			cell(k.Name),
			cell(k.Username),
			"sk-…"+cell(k.Hint),
			cell(k.CollectionName),
			p.time(k.Created),
			status(st.String(), statusColor[st]),
			p.expires(k),
			inactivity(k.InactivityDays),
			p.lastUsed(k.LastUsed),
			calls(k.TotalCalls),
			p.stops(k),
		)
	}
	return tw.Flush()
}

// cell makes server text safe and short for a table cell.
func cell(s string) string {
	s = model.CleanText(s)
	if utf8.RuneCountInString(s) <= maxCell {
		return s
	}
	r := []rune(s)
	return string(r[:maxCell-1]) + "…"
}

func (p printer) time(t time.Time) string { return t.In(p.now.Location()).Format(timeLayout) }

func (p printer) expires(k model.APIKey) string {
	if k.Expires == nil {
		return "never"
	}
	return p.time(*k.Expires)
}

func (p printer) lastUsed(o model.Opt[time.Time]) string {
	if !o.Reported {
		return "-"
	}
	if t, ok := o.Get(); ok {
		return p.time(t)
	}
	return "never"
}

// stops is the table's STOPS AT cell: the time a working key will stop,
// "already" for one that has stopped, "never" when nothing will stop it,
// and "-" when an older server leaves that unknown.
func (p printer) stops(k model.APIKey) string {
	return model.StopsCell(k, p.now, p.time, "never", "-")
}

func inactivity(o model.Opt[int]) string {
	if !o.Reported {
		return "-"
	}
	d, ok := o.Get()
	if !ok || d <= 0 {
		return ""
	}
	return pluralDays(d)
}

func pluralDays(d int) string {
	if d == 1 {
		return "1 day"
	}
	return strconv.Itoa(d) + " days"
}

func calls(o model.Opt[int64]) string {
	if !o.Reported {
		return "-"
	}
	n, ok := o.Get()
	if !ok {
		return "-"
	}
	return groupDigits(n)
}

// groupDigits writes n with thousands separators: 123,456.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
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
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tEMAIL")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", cell(u.ID), cell(u.Username), cell(u.Email))
	}
	return tw.Flush()
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
