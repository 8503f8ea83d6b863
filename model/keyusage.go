package model

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// KeyUsage is what the usage history (the local record of earlier reads)
// says about one key's calls. It is not part of APIKey: the server does not
// send it. The dashboard holds it by key id beside the keys, and the
// columns that show it (UsageColumns) read it from there.
type KeyUsage struct {
	// PerDay is the average calls per day over the last 7 days (or the
	// history there is, when shorter); PerDayKnown is false when the
	// history covers less than a day.
	PerDay      float64
	PerDayKnown bool
	// Calls24h is the calls in the last 24 hours, when Calls24hKnown.
	Calls24h      int64
	Calls24hKnown bool
	// Estimated: a figure includes a share of calls made between two
	// reads, spread in proportion to time, not observed.
	Estimated bool
	// Change flags a sudden change of use.
	Change UsageChange
	// Since is when the key's call total was first known.
	Since time.Time
}

// UsageChange says whether a key's use changed suddenly (the history's
// rule: a spike above 10 times the baseline median, or silence after
// steady use).
type UsageChange int

// The changes of use.
const (
	UsageSteady UsageChange = iota
	UsageSpike
	UsageSilent
)

// Changed reports whether use changed (spike or silence).
func (u KeyUsage) Changed() bool { return u.Change != UsageSteady }

// Blank reports whether u holds nothing a table shows or filters by: no
// calls a day, no calls in 24 hours, no change of use (a key the history
// has seen at one read only).
func (u KeyUsage) Blank() bool { return !u.PerDayKnown && !u.Calls24hKnown && !u.Changed() }

// UsageDay is one UTC day's calls of one key, as the history holds them.
type UsageDay struct {
	Date  time.Time
	Calls int64
	// Estimated: some calls were spread onto the day from a gap between
	// reads that spanned several days.
	Estimated bool
}

// ColCallsPerDay is the dashboard's calls-per-day column (UsageColumns).
const ColCallsPerDay ColumnID = "calls-per-day"

// UsageColumns returns the dashboard's columns whose text comes from the
// usage history instead of the key: each has UsageCell and UsageSort, and
// no Cell. They are the dashboard's alone (the command line's list
// --with-usage prints its own usage fields), so Columns leaves them out;
// the dashboard shows them only while it has usage history.
func UsageColumns() []Column {
	return []Column{
		{ID: ColCallsPerDay, Header: "CALLS/DAY", Title: "Calls / day (7d)", ShortTitle: "Calls/d", Drop: 9,
			Dashboard: true, DashboardOrder: 12, Align: AlignRight, Sortable: true,
			Cell:      func(APIKey, time.Time) string { return "" },
			UsageCell: CallsPerDayCell,
			UsageSort: func(u *KeyUsage) (float64, bool) {
				if u == nil || !u.PerDayKnown {
					return 0, false
				}
				return u.PerDay, true
			}},
	}
}

// CallsPerDayCell is the calls-per-day cell: blank where the history does
// not cover the key (never a 0 it did not see), "~" before an estimate,
// one decimal below 10 and whole numbers (grouped) above.
func CallsPerDayCell(u *KeyUsage) string {
	if u == nil || !u.PerDayKnown {
		return ""
	}
	s := FormatPerDay(u.PerDay)
	if u.Estimated {
		return "~" + s
	}
	return s
}

// FormatPerDay writes a calls-per-day average: "0", "0.4", "3.5", "12",
// "1,204".
func FormatPerDay(v float64) string {
	switch {
	case v <= 0 || math.IsNaN(v):
		return "0"
	case v < 9.95:
		s := strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
		if s == "0" {
			return "<0.1"
		}
		return s
	}
	return GroupDigits(int64(math.Round(v)))
}
