package model

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Align is how a column's cells line up.
type Align int

// Alignments.
const (
	AlignLeft Align = iota
	AlignRight
)

// ColumnID names a key column; it is also the column's word on the command
// line (--sort takes the sortable ones).
type ColumnID string

// The key columns.
const (
	ColID         ColumnID = "id"
	ColName       ColumnID = "name"
	ColUser       ColumnID = "user"
	ColSecret     ColumnID = "secret"
	ColCollection ColumnID = "collection"
	ColCreated    ColumnID = "created"
	ColStatus     ColumnID = "status"
	ColExpires    ColumnID = "expires"
	ColInactivity ColumnID = "inactivity"
	ColLastUsed   ColumnID = "last-used"
	ColCalls      ColumnID = "total-calls"
	ColStopsAt    ColumnID = "stops-at"
)

// Column is one key column, declared once: the command line's table, the
// dashboard's table and the sort order read it. Cell text is plain (server
// text cleaned by CleanText, never cut): a table cuts long cells itself.
type Column struct {
	ID ColumnID
	// Header is the command line table's heading.
	Header string
	// Title is the dashboard's heading where there is room; ShortTitle the
	// one that decides whether the column fits.
	Title, ShortTitle string
	// Drop is the column's place in giving way on a narrow screen: 1 goes
	// first; 0 never goes.
	Drop int
	// Dashboard is false for a column only the command line shows (the id).
	Dashboard bool
	// Align is how its cells line up.
	Align Align
	// Sort is the column's sort order (model.Compare), when Sortable.
	Sort     SortColumn
	Sortable bool
	// Cell is the column's text for k, judged at now and shown in now's
	// location.
	Cell func(k APIKey, now time.Time) string

	// What follows is the dashboard's alone.

	// DashboardCell is the dashboard's text where it differs from Cell
	// (dates without the time, "3h ago"); nil means Cell.
	DashboardCell func(k APIKey, now time.Time) string
	// DashboardWidth, where set, is the width in cells of the dashboard's
	// text for k without writing it (a table measures every key's cells,
	// a million at a time); false means it cannot tell, and the text is
	// measured. It must agree with the text (TestDashboardWidths).
	DashboardWidth func(k *APIKey, now time.Time) (int, bool)
	// DashboardOrder places the column on the dashboard, whose order
	// differs from the command line's: Stops working sits by the expiry
	// and inactivity it follows from.
	DashboardOrder int
	// MinWidth and MaxWidth bound the column's width on the dashboard (0:
	// no bound); Flex marks the column that takes the room left over.
	MinWidth, MaxWidth int
	Flex               bool
	// Owner marks the owner's column: the dashboard shows it only where
	// keys of several users are listed.
	Owner bool
	// StatusTint paints the cell in the colour of the key's status.
	StatusTint bool

	// UsageCell, set on the usage columns alone (UsageColumns), is the
	// cell's text from the key's usage history instead of the key: u is
	// nil where the history does not cover the key. Such a column sorts by
	// UsageSort (false: no value, sorted last as other empty values), not
	// by Sort, and its Cell is blank.
	UsageCell func(u *KeyUsage) string
	UsageSort func(u *KeyUsage) (float64, bool)
}

// TimeLayout is how table cells show a time: minutes are precise enough to
// read; JSON and CSV carry the full value.
const TimeLayout = "2006-01-02 15:04"

// Columns returns the key columns in display order (a fresh slice).
func Columns() []Column {
	at := func(t time.Time, now time.Time) string { return t.In(now.Location()).Format(TimeLayout) }
	return []Column{
		{ID: ColID, Header: "ID", Title: "ID", ShortTitle: "ID",
			Cell: func(k APIKey, _ time.Time) string { return CleanText(k.ID) }},
		{ID: ColName, Header: "NAME", Title: "Name", ShortTitle: "Name", Dashboard: true, DashboardOrder: 1,
			MinWidth: 16, MaxWidth: 48, Flex: true,
			Sort: SortName, Sortable: true,
			Cell:           func(k APIKey, _ time.Time) string { return CleanText(k.Name) },
			DashboardWidth: func(k *APIKey, _ time.Time) (int, bool) { return plainWidth(k.Name) }},
		{ID: ColUser, Header: "USER", Title: "User", ShortTitle: "User", Drop: 8, Dashboard: true, DashboardOrder: 2, Owner: true,
			Sort: SortUser, Sortable: true,
			Cell:           func(k APIKey, _ time.Time) string { return CleanText(k.Username) },
			DashboardWidth: func(k *APIKey, _ time.Time) (int, bool) { return plainWidth(k.Username) }},
		{ID: ColSecret, Header: "SECRET", Title: "Secret key", ShortTitle: "Secret key", Drop: 2, Dashboard: true, DashboardOrder: 3,
			Cell:           func(k APIKey, _ time.Time) string { return MaskedSecret(k.Hint) },
			DashboardWidth: func(k *APIKey, _ time.Time) (int, bool) { return maskedWidth(k.Hint) }},
		{ID: ColCollection, Header: "COLLECTION", Title: "Collection", ShortTitle: "Collection", Drop: 4, Dashboard: true, DashboardOrder: 4,
			MaxWidth: 24, Sort: SortCollection, Sortable: true,
			Cell:           func(k APIKey, _ time.Time) string { return CleanText(k.CollectionName) },
			DashboardCell:  DashboardCollection,
			DashboardWidth: dashboardCollectionWidth},
		{ID: ColCreated, Header: "CREATED", Title: "Created", ShortTitle: "Created", Drop: 1, Dashboard: true, DashboardOrder: 5,
			Sort: SortCreated, Sortable: true,
			Cell:           func(k APIKey, now time.Time) string { return at(k.Created, now) },
			DashboardCell:  func(k APIKey, now time.Time) string { return DateCell(k.Created, now) },
			DashboardWidth: func(k *APIKey, _ time.Time) (int, bool) { return dateWidth(k.Created) }},
		{ID: ColStatus, Header: "STATUS", Title: "Status", ShortTitle: "Status", Dashboard: true, DashboardOrder: 6, StatusTint: true,
			Sort: SortStatus, Sortable: true,
			Cell:           func(k APIKey, now time.Time) string { return k.StatusAt(now).String() },
			DashboardWidth: func(k *APIKey, now time.Time) (int, bool) { return len(k.StatusAt(now).String()), true }},
		{ID: ColExpires, Header: "EXPIRES", Title: "Expiry Date", ShortTitle: "Expiry Date", Drop: 5, Dashboard: true, DashboardOrder: 7,
			Sort: SortExpires, Sortable: true, DashboardCell: DashboardExpires, DashboardWidth: dashboardExpiresWidth,
			Cell: func(k APIKey, now time.Time) string {
				if k.Expires == nil {
					return "never"
				}
				return at(*k.Expires, now)
			}},
		{ID: ColInactivity, Header: "INACTIVITY", Title: "Inactivity Interval", ShortTitle: "Inactivity", Drop: 3, Dashboard: true, DashboardOrder: 8,
			Sort: SortInactivity, Sortable: true, DashboardCell: DashboardInactivity, DashboardWidth: dashboardInactivityWidth,
			Cell: func(k APIKey, _ time.Time) string {
				if !k.InactivityDays.Reported {
					return "-"
				}
				if d, ok := k.InactivityDays.Get(); ok && d > 0 {
					return PluralDays(d)
				}
				return ""
			}},
		{ID: ColLastUsed, Header: "LAST USED", Title: "Last Used", ShortTitle: "Last Used", Dashboard: true, DashboardOrder: 10,
			Sort: SortLastUsed, Sortable: true, DashboardCell: DashboardLastUsed, DashboardWidth: dashboardLastUsedWidth,
			Cell: func(k APIKey, now time.Time) string {
				if !k.LastUsed.Reported {
					return "-"
				}
				if t, ok := k.LastUsed.Get(); ok {
					return at(t, now)
				}
				return "never"
			}},
		{ID: ColCalls, Header: "CALLS", Title: "Total Calls", ShortTitle: "Total Calls", Drop: 7, Dashboard: true, DashboardOrder: 11,
			Align: AlignRight, Sort: SortTotalCalls, Sortable: true,
			Cell: func(k APIKey, _ time.Time) string {
				if n, ok := k.TotalCalls.Get(); ok {
					return GroupDigits(n)
				}
				return "-"
			},
			DashboardWidth: func(k *APIKey, _ time.Time) (int, bool) {
				if n, ok := k.TotalCalls.Get(); ok {
					return groupedWidth(n), true
				}
				return 1, true
			}},
		{ID: ColStopsAt, Header: "STOPS AT", Title: "Stops working", ShortTitle: "Stops", Drop: 6, Dashboard: true, DashboardOrder: 9,
			Sort: SortStopsAt, Sortable: true, DashboardCell: DashboardStops, DashboardWidth: dashboardStopsWidth,
			Cell: func(k APIKey, now time.Time) string {
				return StopsCell(k, now, func(t time.Time) string { return at(t, now) }, "never", "-")
			}},
	}
}

// ColumnByID finds a column by its id, the usage columns included.
func ColumnByID(id ColumnID) (Column, bool) {
	for _, c := range append(Columns(), UsageColumns()...) {
		if c.ID == id {
			return c, true
		}
	}
	return Column{}, false
}

// MaskedSecret is how a key's secret is shown: never the secret, only the
// hint the server keeps (its last characters) after "sk-…".
func MaskedSecret(hint string) string { return "sk-…" + CleanText(hint) }

// PluralDays words a number of days: "1 day", "60 days".
func PluralDays(d int) string {
	if d == 1 {
		return "1 day"
	}
	return strconv.Itoa(d) + " days"
}

// GroupDigits writes n with thousands separators: 1,234,567.
func GroupDigits(n int64) string {
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

// Cut shortens s to at most n characters, ending in "…" when cut.
func Cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// RecordField is one field of a key record: its JSON name (the API's) and
// its CSV cell. JSON is written from KeyRecord's struct tags; a test holds
// their order to this list.
type RecordField struct {
	Name string
	// CSV is the field's cell for k (already normalized) at now: empty for
	// null and not reported alike.
	CSV func(k APIKey, now time.Time) string
}

// RecordFields returns the fields of a key record in the JSON's order, the
// order of CSV's columns.
func RecordFields() []RecordField {
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	return []RecordField{
		{"id", func(k APIKey, _ time.Time) string { return CleanText(k.ID) }},
		{"username", func(k APIKey, _ time.Time) string { return CleanText(k.Username) }},
		{"name", func(k APIKey, _ time.Time) string { return CleanText(k.Name) }},
		{"hint", func(k APIKey, _ time.Time) string { return CleanText(k.Hint) }},
		{"created_at", func(k APIKey, _ time.Time) string { return rfc(k.Created) }},
		{"expires_at", func(k APIKey, _ time.Time) string {
			if k.Expires == nil {
				return ""
			}
			return rfc(*k.Expires)
		}},
		{"last_used_at", func(k APIKey, _ time.Time) string {
			if t, ok := k.LastUsed.Get(); ok {
				return rfc(t)
			}
			return ""
		}},
		{"inactivity_interval", func(k APIKey, _ time.Time) string {
			if d, ok := k.InactivityDays.Get(); ok {
				return strconv.Itoa(d)
			}
			return ""
		}},
		{"total_calls", func(k APIKey, _ time.Time) string {
			if n, ok := k.TotalCalls.Get(); ok {
				return strconv.FormatInt(n, 10)
			}
			return ""
		}},
		{"is_active", func(k APIKey, _ time.Time) string { return strconv.FormatBool(k.IsActive) }},
		{"collection_name", func(k APIKey, _ time.Time) string { return CleanText(k.CollectionName) }},
		{"collection_id", func(k APIKey, _ time.Time) string { return CleanText(k.CollectionID) }},
		{"is_global_key", func(k APIKey, _ time.Time) string { return strconv.FormatBool(k.IsGlobal) }},
		{"status", func(k APIKey, now time.Time) string { return StatusName(k.StatusAt(now)) }},
		{"stops_at", func(k APIKey, now time.Time) string { return StopsCell(k, now, rfc, "", "") }},
	}
}
