package keytable

import (
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Column is one of the table's data columns, in display order.
type Column int

// The data columns. The selection mark and the ⋯ actions cell are not
// columns: they are always there. ColUser shows only in the all-users view.
const (
	ColName Column = iota
	ColUser
	ColSecret
	ColCollection
	ColCreated
	ColStatus
	ColExpiry
	ColInactivity
	ColStops
	ColLastUsed
	ColCalls
	numColumns
)

var columnTitles = [numColumns]string{
	ColName:       "Name",
	ColUser:       "User",
	ColSecret:     "Secret key",
	ColCollection: "Collection",
	ColCreated:    "Created",
	ColStatus:     "Status",
	ColExpiry:     "Expiry Date",
	ColInactivity: "Inactivity",
	ColStops:      "Stops",
	ColLastUsed:   "Last Used",
	ColCalls:      "Total Calls",
}

// Title is the column's short header text; where there is room, Stops
// and Inactivity show a longer one ("Stops working", "Inactivity
// Interval").
func (c Column) Title() string {
	if c < 0 || c >= numColumns {
		return ""
	}
	return columnTitles[c]
}

// sortColumns maps each column to the model's sort column (the one
// definition of the order, shared with the CLI); the secret has none.
var sortColumns = [numColumns]model.SortColumn{
	ColName:       model.SortName,
	ColUser:       model.SortUser,
	ColSecret:     -1,
	ColCollection: model.SortCollection,
	ColCreated:    model.SortCreated,
	ColStatus:     model.SortStatus,
	ColExpiry:     model.SortExpires,
	ColInactivity: model.SortInactivity,
	ColStops:      model.SortStopsAt,
	ColLastUsed:   model.SortLastUsed,
	ColCalls:      model.SortTotalCalls,
}

// SortColumn is the model's sort column for c; ok is false for a column
// that does not sort (the secret).
func (c Column) SortColumn() (model.SortColumn, bool) {
	if c < 0 || c >= numColumns || sortColumns[c] < 0 {
		return 0, false
	}
	return sortColumns[c], true
}

// maxSortKeys is room for every model.SortColumn in a row's fixed-size
// arrays (a test checks that it is enough).
const maxSortKeys = 10

// Flags of a precomputed sort key.
const (
	// keyMissing: the key has no value (never used, no expiry...).
	keyMissing uint8 = 1 << iota
	// keyExact: two equal sort keys mean equal values; otherwise equal
	// keys are settled by model.Compare.
	keyExact
)

// row is one key with everything the table shows or sorts by worked out
// once, when the key arrives: View only pads and joins, and a sort only
// compares integers (falling back to model.Compare on the rare ties the
// integers cannot settle).
type row struct {
	key model.APIKey
	// text holds every cell, one after another; cell c ends at ends[c].
	// One string per row, not one per cell, keeps 100,000 rows small.
	text   string
	ends   [numColumns]uint32
	widths [numColumns]uint16
	status model.Status
	// sortKey and sortFlags are the row's order-preserving key for each
	// model.SortColumn.
	sortKey   [maxSortKeys]uint64
	sortFlags [maxSortKeys]uint8
	// foldName and foldColl are the name and collection name with ASCII
	// letters lowered: byte order on them is model's compareFold order.
	// They share the original's memory when it has no capital.
	foldName, foldColl string
	// nameKey2 is bytes 8-15 of foldName as a key, idKey the first 8
	// bytes of the id: with sortKey[SortName] they order names without
	// touching the strings.
	nameKey2, idKey uint64
	// nameFlags say how far those keys go (nameFits, nameCaps, idFits).
	nameFlags uint8
}

// Flags of the name and id keys.
const (
	// nameFits: the folded name is the 16 bytes of its keys, whole.
	nameFits uint8 = 1 << iota
	// nameCaps: the name has ASCII capitals (foldName differs from it).
	nameCaps
	// idFits: the id is the 8 bytes of idKey, whole.
	idFits
)

func (r *row) cell(c Column) string {
	start := uint32(0)
	if c > 0 {
		start = r.ends[c-1]
	}
	return r.text[start:r.ends[c]]
}

// Rows are keys formatted for the table. Formatting is the costly part of
// loading, so it runs where pages arrive (in a command, off Update), and
// the table only appends what is ready.
type Rows struct {
	rows []row
	now  time.Time
}

// FormatRows formats keys as of now: statuses, relative times and the
// stops-working column are computed against it.
func FormatRows(keys []model.APIKey, now time.Time) Rows {
	out := Rows{rows: make([]row, len(keys)), now: now}
	var b strings.Builder
	for i := range keys {
		out.rows[i] = newRow(keys[i], now, &b)
	}
	return out
}

// Len is the number of rows.
func (r Rows) Len() int { return len(r.rows) }

// Append returns r followed by o (pages of one load taken together, all
// formatted as of the same time; r's time stands for both).
func (r Rows) Append(o Rows) Rows {
	if len(r.rows) == 0 {
		return o
	}
	r.rows = append(r.rows, o.rows...)
	return r
}

// newRow formats k as of now. Every string that came from the server goes
// through model.CleanText here, so nothing later needs to.
func newRow(k model.APIKey, now time.Time, b *strings.Builder) row {
	loc := now.Location()
	r := row{key: k, status: k.StatusAt(now)}
	var cells [numColumns]string
	cells[ColName] = model.CleanText(k.Name)
	cells[ColUser] = model.CleanText(k.Username)
	cells[ColSecret] = common.MaskedSecret(k.Hint)
	if !k.IsGlobal {
		cells[ColCollection] = model.CleanText(k.CollectionName)
		if cells[ColCollection] == "" {
			cells[ColCollection] = model.CleanText(k.CollectionID)
		}
	}
	cells[ColCreated] = common.Date(k.Created.In(loc))
	cells[ColStatus] = r.status.String()
	cells[ColExpiry] = "never"
	if k.Expires != nil {
		cells[ColExpiry] = common.Date(k.Expires.In(loc))
	}
	if days, ok := k.InactivityDays.Get(); ok && days > 0 {
		cells[ColInactivity] = common.Count(days, "day")
	}
	cells[ColStops] = model.StopsCell(k, now, func(t time.Time) string { return common.Date(t.In(loc)) }, "never", "-")
	switch lu, ok := k.LastUsed.Get(); {
	case !k.LastUsed.Reported:
		cells[ColLastUsed] = "-"
	case !ok:
		cells[ColLastUsed] = "never"
	default:
		cells[ColLastUsed] = common.Relative(lu, now)
	}
	cells[ColCalls] = "-"
	if n, ok := k.TotalCalls.Get(); ok {
		cells[ColCalls] = common.Grouped(n)
	}

	b.Reset()
	for c := range numColumns {
		b.WriteString(cells[c])
		r.ends[c] = uint32(b.Len())
		r.widths[c] = uint16(min(ansi.StringWidth(cells[c]), math.MaxUint16))
	}
	r.text = b.String()
	r.foldName, r.foldColl = foldASCII(k.Name), foldASCII(k.CollectionName)
	if len(r.foldName) > 8 {
		r.nameKey2, _ = stringKey(r.foldName[8:], false)
	}
	if len(r.foldName) <= 16 && strings.IndexByte(r.foldName, 0) < 0 {
		r.nameFlags |= nameFits
	}
	if len(r.foldName) > 0 && r.foldName != k.Name {
		r.nameFlags |= nameCaps
	}
	var idExact bool
	if r.idKey, idExact = stringKey(k.ID, false); idExact {
		r.nameFlags |= idFits
	}
	r.setSortKeys()
	return r
}

// foldASCII lowers ASCII capitals only, as model's compareFold compares:
// strings.Compare(foldASCII(a), foldASCII(b)) == compareFold(a, b).
func foldASCII(s string) string {
	i := 0
	for i < len(s) && (s[i] < 'A' || s[i] > 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// setSortKeys works out the row's key for every sort column, following
// model.Compare's compareBy: which values are missing, and how two present
// ones order.
func (r *row) setSortKeys() {
	k := &r.key
	set := func(col model.SortColumn, key uint64, exact, ok bool) {
		var f uint8
		if !ok {
			f |= keyMissing
		}
		if exact {
			f |= keyExact
		}
		r.sortKey[col], r.sortFlags[col] = key, f
	}
	setTime := func(col model.SortColumn, t time.Time, ok bool) {
		key, exact := timeKey(t)
		set(col, key, exact, ok)
	}
	setInt := func(col model.SortColumn, v int64, ok bool) { set(col, intKey(v), true, ok) }

	key, exact := stringKey(k.Name, true)
	set(model.SortName, key, exact, true)
	key, exact = stringKey(k.Username, false)
	set(model.SortUser, key, exact, true)
	key, exact = stringKey(k.CollectionName, true)
	set(model.SortCollection, key, exact, true)
	setTime(model.SortCreated, k.Created, true)
	// The status the row shows, computed at the same now.
	set(model.SortStatus, uint64(r.status), true, true)
	if k.Expires != nil {
		setTime(model.SortExpires, *k.Expires, true)
	} else {
		set(model.SortExpires, 0, true, false)
	}
	days, ok := k.InactivityDays.Get()
	setInt(model.SortInactivity, int64(days), ok)
	lu, ok := k.LastUsed.Get()
	setTime(model.SortLastUsed, lu, ok)
	calls, ok := k.TotalCalls.Get()
	setInt(model.SortTotalCalls, calls, ok)
	stop, ok := k.StopsAtForSort()
	setTime(model.SortStopsAt, stop, ok)
}

// stringKey is an order-preserving key of s's first 8 bytes (ASCII case
// folded when fold, as model's compareFold does). exact says that s fits
// whole, so equal keys mean equal strings; a NUL byte would look like the
// padding, so a string holding one is never exact.
func stringKey(s string, fold bool) (key uint64, exact bool) {
	n := min(len(s), 8)
	for i := 0; i < n; i++ {
		c := s[i]
		if fold && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		key |= uint64(c) << (56 - 8*i)
	}
	return key, len(s) <= 8 && strings.IndexByte(s, 0) < 0
}

// timeKey is an order-preserving key of t: seconds since 1970 above 30
// bits of nanoseconds, exact from 1970 to 2514; times outside clamp to the
// ends and are settled by model.Compare.
func timeKey(t time.Time) (key uint64, exact bool) {
	sec := t.Unix()
	switch {
	case sec < 0:
		return 0, false
	case sec >= 1<<34:
		return math.MaxUint64, false
	}
	return uint64(sec)<<30 | uint64(t.Nanosecond()), true
}

// intKey maps a signed integer to an unsigned one in the same order.
func intKey(v int64) uint64 { return uint64(v) ^ 1<<63 }
