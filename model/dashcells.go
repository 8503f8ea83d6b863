package model

import (
	"fmt"
	"slices"
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
	d := now.Sub(t)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, ""
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh", int(d.Hours()))
	case d < 60*24*time.Hour:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	case d < 730*24*time.Hour:
		s = fmt.Sprintf("%dmo", int(d.Hours()/24/30))
	default:
		s = fmt.Sprintf("%dy", int(d.Hours()/24/365))
	}
	if suffix == "" {
		return "in " + s
	}
	return s + suffix
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
