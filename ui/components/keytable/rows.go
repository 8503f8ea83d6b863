package keytable

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Column is one of the table's data columns, in display order.
type Column int

// The data columns. The selection mark and the ⋯ actions cell are not
// columns: they are always there.
const (
	ColName Column = iota
	ColSecret
	ColCollection
	ColCreated
	ColStatus
	ColExpiry
	ColInactivity
	ColLastUsed
	ColCalls
	numColumns
)

var columnTitles = [numColumns]string{
	ColName:       "Name",
	ColSecret:     "Secret key",
	ColCollection: "Collection",
	ColCreated:    "Created",
	ColStatus:     "Status",
	ColExpiry:     "Expiry Date",
	ColInactivity: "Inactivity",
	ColLastUsed:   "Last Used",
	ColCalls:      "Total Calls",
}

// Title is the column's header text.
func (c Column) Title() string {
	if c < 0 || c >= numColumns {
		return ""
	}
	return columnTitles[c]
}

// missing sorts after every real value in both directions.
const missing = math.MinInt64

// row is one key with everything the table shows or sorts by worked out
// once, when the key arrives: View only pads and joins.
type row struct {
	key    model.APIKey
	cells  [numColumns]string
	widths [numColumns]uint16
	status model.Status
	// search is the lower-cased name, a newline, and the lower-cased
	// collection; nameEnd splits it. The filter matches on it.
	search  string
	nameEnd int
	// Numeric sort keys; missing when the value is absent.
	created, expires, lastUsed, inactivity, calls int64
}

// newRow formats k as of now. Every string that came from the server goes
// through model.CleanText here, so nothing later needs to.
func newRow(k model.APIKey, now time.Time) row {
	loc := now.Location()
	r := row{key: k, status: k.StatusAt(now)}
	name := model.CleanText(k.Name)
	coll := ""
	if !k.IsGlobal {
		coll = model.CleanText(k.CollectionName)
		if coll == "" {
			coll = model.CleanText(k.CollectionID)
		}
	}
	r.cells[ColName] = name
	r.cells[ColSecret] = common.MaskedSecret(k.Hint)
	r.cells[ColCollection] = coll
	r.cells[ColCreated] = common.Date(k.Created.In(loc))
	r.cells[ColStatus] = r.status.String()
	r.created = k.Created.Unix()

	r.expires = missing
	if k.Expires != nil {
		r.cells[ColExpiry] = common.Date(k.Expires.In(loc))
		r.expires = k.Expires.Unix()
	} else {
		r.cells[ColExpiry] = "never"
	}

	r.inactivity = missing
	if days, ok := k.InactivityDays.Get(); ok && days > 0 {
		r.cells[ColInactivity] = plural(days, "day")
		r.inactivity = int64(days)
	}

	r.lastUsed = missing
	switch lu, ok := k.LastUsed.Get(); {
	case !k.LastUsed.Reported:
		r.cells[ColLastUsed] = "-"
	case !ok:
		r.cells[ColLastUsed] = "never"
	default:
		r.cells[ColLastUsed] = common.Relative(lu, now)
		r.lastUsed = lu.Unix()
	}

	r.calls = missing
	if n, ok := k.TotalCalls.Get(); ok {
		r.cells[ColCalls] = common.Grouped(n)
		r.calls = n
	} else {
		r.cells[ColCalls] = "-"
	}

	for c := range numColumns {
		r.widths[c] = uint16(min(ansi.StringWidth(r.cells[c]), math.MaxUint16))
	}
	lname := strings.ToLower(name)
	r.search = lname + "\n" + strings.ToLower(coll)
	r.nameEnd = len(lname)
	return r
}

func plural(n int, unit string) string {
	s := strconv.Itoa(n) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}

// compare orders a before b by column c, ascending unless desc. Missing
// values (never used, no expiry, not reported) come last either way.
func compare(a, b *row, c Column, desc bool) int {
	var x int
	switch c {
	case ColName:
		x = strings.Compare(a.search[:a.nameEnd], b.search[:b.nameEnd])
	case ColCollection:
		ac, bc := a.search[a.nameEnd+1:], b.search[b.nameEnd+1:]
		switch {
		case ac == "" && bc != "":
			return 1
		case bc == "" && ac != "":
			return -1
		}
		x = strings.Compare(ac, bc)
	case ColSecret:
		x = strings.Compare(a.cells[ColSecret], b.cells[ColSecret])
	case ColStatus:
		x = int(a.status) - int(b.status)
	default:
		av, bv := a.number(c), b.number(c)
		switch {
		case av == bv:
			return 0
		case av == missing:
			return 1
		case bv == missing:
			return -1
		case av < bv:
			x = -1
		default:
			x = 1
		}
	}
	if desc {
		return -x
	}
	return x
}

func (r *row) number(c Column) int64 {
	switch c {
	case ColCreated:
		return r.created
	case ColExpiry:
		return r.expires
	case ColInactivity:
		return r.inactivity
	case ColLastUsed:
		return r.lastUsed
	case ColCalls:
		return r.calls
	}
	return 0
}
