package model

import (
	"slices"
	"strconv"
	"time"
)

// The dashboard's own cell texts (Column.DashboardCell): a table read at a
// glance shows dates without the time and the last use as an age.

// DateCell is t's date in now's location: 2026-11-26.
func DateCell(t, now time.Time) string { return t.In(now.Location()).Format(DateLayout) }

// DashboardCollection is the key's collection, its id when the server
// gives no name, and nothing for a global key.
func DashboardCollection(k APIKey, _ time.Time) string {
	if k.IsGlobal {
		return ""
	}
	if s := CleanText(k.CollectionName); s != "" {
		return s
	}
	return CleanText(k.CollectionID)
}

// DashboardExpires is the expiry date, or "never".
func DashboardExpires(k APIKey, now time.Time) string {
	if k.Expires == nil {
		return "never"
	}
	return DateCell(*k.Expires, now)
}

// DashboardInactivity is the inactivity interval in days ("1 day",
// "1,000 days"), empty when the key has none or it is not reported.
func DashboardInactivity(k APIKey, _ time.Time) string {
	d, ok := k.InactivityDays.Get()
	switch {
	case !ok || d <= 0:
		return ""
	case d == 1:
		return "1 day"
	}
	return GroupDigits(int64(d)) + " days"
}

// DashboardLastUsed is how long ago the key was last used ("3h ago"),
// "never", or "-" where the server does not report usage.
func DashboardLastUsed(k APIKey, now time.Time) string {
	if !k.LastUsed.Reported {
		return "-"
	}
	if t, ok := k.LastUsed.Get(); ok {
		return Ago(t, now)
	}
	return "never"
}

// DashboardStops is the date the key stops working, "never", "already",
// or "-" where the server does not say enough to tell.
func DashboardStops(k APIKey, now time.Time) string {
	return StopsCell(k, now, func(t time.Time) string { return DateCell(t, now) }, "never", "-")
}

// Ago says how long ago (or until) t is from now, briefly: "3h ago",
// "in 5d", "just now".
func Ago(t, now time.Time) string {
	n, unit, future := agoParts(t, now)
	switch {
	case unit == "":
		return "just now"
	case future:
		return "in " + strconv.Itoa(n) + unit
	}
	return strconv.Itoa(n) + unit + " ago"
}

// agoParts is Ago's number and unit, and whether t is to come; unit is
// empty for "just now".
func agoParts(t, now time.Time) (n int, unit string, future bool) {
	d := now.Sub(t)
	if d < 0 {
		d, future = -d, true
	}
	switch {
	case d < time.Minute:
		return 0, "", future
	case d < time.Hour:
		return int(d.Minutes()), "m", future
	case d < 48*time.Hour:
		return int(d.Hours()), "h", future
	case d < 60*24*time.Hour:
		return int(d.Hours() / 24), "d", future
	case d < 730*24*time.Hour:
		return int(d.Hours() / 24 / 30), "mo", future
	}
	return int(d.Hours() / 24 / 365), "y", future
}

// The dashboard's cell widths (Column.DashboardWidth), each the width of
// the cell text above it would write, or false where it does not know.

// agoWidth is the width of Ago(t, now).
func agoWidth(t, now time.Time) int {
	n, unit, future := agoParts(t, now)
	switch {
	case unit == "":
		return len("just now")
	case future:
		return len("in ") + digits(int64(n)) + len(unit)
	}
	return digits(int64(n)) + len(unit) + len(" ago")
}

// dateWidth is the width of DateCell(t, now): a date of a four-digit year
// (a day's shift to now's location keeps it four digits); other years are
// measured from the text.
func dateWidth(t time.Time) (int, bool) {
	if y := t.Year(); y > 1000 && y < 9999 {
		return len(DateLayout), true
	}
	return 0, false
}

// maskedWidth is the width of MaskedSecret(hint) for a printable ASCII
// hint.
func maskedWidth(hint string) (int, bool) {
	if !printableASCII(hint) {
		return 0, false
	}
	return len("sk-") + 1 + len(hint), true // "…" is one cell
}

// plainWidth is the width of CleanText(s) for printable ASCII s, which
// CleanText leaves as it is.
func plainWidth(s string) (int, bool) {
	if !printableASCII(s) {
		return 0, false
	}
	return len(s), true
}

// dashboardCollectionWidth is the width of DashboardCollection.
func dashboardCollectionWidth(k *APIKey, _ time.Time) (int, bool) {
	switch {
	case k.IsGlobal:
		return 0, true
	case k.CollectionName != "":
		return plainWidth(k.CollectionName)
	}
	return plainWidth(k.CollectionID)
}

// digits is the length of n written in decimal, its sign included.
func digits(n int64) int {
	var buf [24]byte
	return len(strconv.AppendInt(buf[:0], n, 10))
}

// groupedWidth is the width of GroupDigits(n).
func groupedWidth(n int64) int {
	w := digits(n)
	if n < 0 {
		return w + (w-2)/3
	}
	return w + (w-1)/3
}

func dashboardExpiresWidth(k *APIKey, _ time.Time) (int, bool) {
	if k.Expires == nil {
		return len("never"), true
	}
	return dateWidth(*k.Expires)
}

func dashboardInactivityWidth(k *APIKey, _ time.Time) (int, bool) {
	d, ok := k.InactivityDays.Get()
	switch {
	case !ok || d <= 0:
		return 0, true
	case d == 1:
		return len("1 day"), true
	}
	return groupedWidth(int64(d)) + len(" days"), true
}

func dashboardLastUsedWidth(k *APIKey, now time.Time) (int, bool) {
	if !k.LastUsed.Reported {
		return 1, true
	}
	if t, ok := k.LastUsed.Get(); ok {
		return agoWidth(t, now), true
	}
	return len("never"), true
}

func dashboardStopsWidth(k *APIKey, now time.Time) (int, bool) {
	known := true
	s := StopsCell(*k, now, func(t time.Time) string {
		if w, ok := dateWidth(t); ok {
			return DateLayout[:w]
		}
		known = false
		return ""
	}, "never", "-")
	return len(s), known
}

// DashboardText is c's text on the dashboard: DashboardCell, or Cell.
func (c Column) DashboardText(k APIKey, now time.Time) string {
	if c.DashboardCell != nil {
		return c.DashboardCell(k, now)
	}
	return c.Cell(k, now)
}

// DashboardColumns returns the columns the dashboard shows, in its order.
func DashboardColumns() []Column { return DashboardColumnsOf(Columns()) }

// DashboardColumnsOf picks from cols those the dashboard shows, in its
// order (stable for equal DashboardOrder).
func DashboardColumnsOf(cols []Column) []Column {
	var out []Column
	for _, c := range cols {
		if c.Dashboard {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Column) int { return a.DashboardOrder - b.DashboardOrder })
	return out
}
