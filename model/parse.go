package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is a unit of the API's interval strings ("30 days").
type Unit int

// The units the API's expires_in accepts.
const (
	Minute Unit = iota
	Hour
	Day
	Week
	Month
	Year
)

var unitNames = [...]string{"minute", "hour", "day", "week", "month", "year"}

// String names the unit in the singular, as the API spells it.
func (u Unit) String() string {
	if u < 0 || int(u) >= len(unitNames) {
		return "Unit(" + strconv.Itoa(int(u)) + ")"
	}
	return unitNames[u]
}

// unitWords maps what a person may type to a unit. "m" is minutes, as in
// "90m"; months are "mo" or spelled out.
var unitWords = map[string]Unit{
	"m": Minute, "min": Minute, "mins": Minute, "minute": Minute, "minutes": Minute,
	"h": Hour, "hr": Hour, "hrs": Hour, "hour": Hour, "hours": Hour,
	"d": Day, "day": Day, "days": Day,
	"w": Week, "wk": Week, "wks": Week, "week": Week, "weeks": Week,
	"mo": Month, "mon": Month, "month": Month, "months": Month,
	"y": Year, "yr": Year, "yrs": Year, "year": Year, "years": Year,
}

// Interval is a whole number of units, as the API's expires_in carries it.
type Interval struct {
	N    int
	Unit Unit
}

// String formats the interval the way the API expects: "30 days", "1 hour".
func (iv Interval) String() string {
	name := iv.Unit.String()
	if iv.N != 1 {
		name += "s"
	}
	return strconv.Itoa(iv.N) + " " + name
}

// AddTo returns t plus the interval. Months and years follow the calendar,
// as a database interval does: a day past the end of the target month becomes
// its last day (Jan 31 + 1 month = Feb 28), where time.AddDate would spill
// into the next month.
func (iv Interval) AddTo(t time.Time) time.Time {
	switch iv.Unit {
	case Minute:
		return t.Add(time.Duration(iv.N) * time.Minute)
	case Hour:
		return t.Add(time.Duration(iv.N) * time.Hour)
	case Day:
		return t.AddDate(0, 0, iv.N)
	case Week:
		return t.AddDate(0, 0, 7*iv.N)
	case Month:
		return addMonths(t, iv.N)
	default:
		return addMonths(t, 12*iv.N)
	}
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	// Day 0 of the month after the target is the target's last day.
	last := time.Date(y, m+time.Month(n)+1, 0, 0, 0, 0, 0, t.Location()).Day()
	return time.Date(y, m+time.Month(n), min(d, last), hh, mm, ss, t.Nanosecond(), t.Location())
}

// maxIntervalN keeps AddTo far from time.Duration overflow (about 290 years).
// Minutes get more room (the same 114 years as maxIntervalN hours) because a
// date expiry is sent as minutes, and whatever ParseExpiry sends must parse
// back (the demo server reads expires_in with ParseInterval).
const (
	maxIntervalN       = 1_000_000
	maxIntervalMinutes = maxIntervalN * 60
)

// ParseInterval reads a whole number and a unit: "30 days", "30d", "12h",
// "2 weeks", "6 months", "90 minutes". It is the grammar of both the CLI's
// durations and the API's expires_in.
func ParseInterval(s string) (Interval, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	i := 0
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	if i == 0 {
		if strings.HasPrefix(in, "-") {
			return Interval{}, fmt.Errorf("%q: must not be negative", s)
		}
		return Interval{}, fmt.Errorf("%q: want a whole number and a unit, such as 30d, 12h, 2w, 6 months", s)
	}
	n, err := strconv.Atoi(in[:i])
	if err != nil || n > maxIntervalMinutes {
		return Interval{}, fmt.Errorf("%q: number too large", s)
	}
	if n == 0 {
		return Interval{}, fmt.Errorf("%q: must be more than zero", s)
	}
	word := strings.TrimSpace(in[i:])
	u, ok := unitWords[word]
	if !ok {
		if word == "" {
			return Interval{}, fmt.Errorf("%q: missing unit (minutes, hours, days, weeks, months or years)", s)
		}
		return Interval{}, fmt.Errorf("%q: unknown unit %q (use minutes, hours, days, weeks, months or years)", s, word)
	}
	if u != Minute && n > maxIntervalN {
		return Interval{}, fmt.Errorf("%q: number too large", s)
	}
	return Interval{N: n, Unit: u}, nil
}

// Expiry is an expiry an admin asked for: never, or a time that the API gets
// as an interval from now.
type Expiry struct {
	// Never means no expiry (remove it).
	Never bool
	// In is the interval sent to the server as expires_in.
	In Interval
	// At is when the key will expire if the request is sent at the parse time.
	At time.Time
}

// ExpiresIn returns the API's expires_in value; empty for Never.
func (e Expiry) ExpiresIn() string {
	if e.Never {
		return ""
	}
	return e.In.String()
}

// DateLayout is the date form the tool accepts and prints: 2026-12-31.
const DateLayout = "2006-01-02"

// ParseExpiry reads an expiry as a person types it: "never" (or "none"), a
// date (2026-12-31, meaning the end of that day in now's location, to the
// whole minute from now), or an interval from now (30d, 12h, 2w, 90 days,
// 6 months). The result's At is relative to now: In.AddTo(now) == At.
func ParseExpiry(s string, now time.Time) (Expiry, error) {
	in := strings.TrimSpace(s)
	switch strings.ToLower(in) {
	case "":
		return Expiry{}, errors.New("expiry is empty: give a date (2026-12-31), a duration (30d, 12h, 6 months) or never")
	case "never", "none":
		return Expiry{Never: true}, nil
	}
	if d, err := time.ParseInLocation(DateLayout, in, now.Location()); err == nil {
		end := d.AddDate(0, 0, 1).Add(-time.Second) // 23:59:59 that day
		if !end.After(now) {
			return Expiry{}, fmt.Errorf("expiry %s is in the past", in)
		}
		// Whole minutes rounded down: the server adds them to its own now,
		// so rounding up would carry a now with seconds past midnight into
		// the next day. At is then exactly what the server will set, so what
		// is shown, limit-checked and sent agree. With under a minute of the
		// day left, one minute is the least the API can express.
		mins := max(1, int(end.Sub(now)/time.Minute))
		if mins > maxIntervalMinutes {
			return Expiry{}, fmt.Errorf("expiry %s is too far ahead", in)
		}
		iv := Interval{N: mins, Unit: Minute}
		return Expiry{In: iv, At: iv.AddTo(now)}, nil
	} else if looksLikeDate(in) {
		return Expiry{}, fmt.Errorf("expiry %q is not a valid date (want YYYY-MM-DD)", in)
	}
	iv, err := ParseInterval(in)
	if err != nil {
		return Expiry{}, fmt.Errorf("expiry %w", err)
	}
	return Expiry{In: iv, At: iv.AddTo(now)}, nil
}

func looksLikeDate(s string) bool {
	return len(s) >= 8 && strings.Count(s, "-") == 2 && s[0] >= '0' && s[0] <= '9'
}

// LimitError says an expiry is past the server's global expiry limit.
type LimitError struct {
	LimitDays int
	Latest    time.Time
	Asked     time.Time
}

// Error names the limit in days and the latest expiry allowed.
func (e *LimitError) Error() string {
	return fmt.Sprintf("expiry %s is past the server's limit of %d days: the latest allowed is %s",
		e.Asked.Format("2006-01-02 15:04"), e.LimitDays, e.Latest.Format("2006-01-02 15:04"))
}

// LatestExpiry returns the latest expiry allowed under a limit of limitDays
// (0 = none), counted from now.
func LatestExpiry(limitDays int, now time.Time) (time.Time, bool) {
	if limitDays <= 0 {
		return time.Time{}, false
	}
	return now.AddDate(0, 0, limitDays), true
}

// CheckExpiry returns a *LimitError when e is past the server's global limit
// of limitDays (0 = no limit). Never passes: the limit caps how far ahead an
// expiry may be, and nothing published says a key without one is refused,
// so that is sent and a refusing server's own message shown.
func CheckExpiry(e Expiry, limitDays int, now time.Time) error {
	latest, limited := LatestExpiry(limitDays, now)
	if !limited || e.Never {
		return nil
	}
	if e.At.After(latest) {
		return &LimitError{LimitDays: limitDays, Latest: latest, Asked: e.At}
	}
	return nil
}

// ParseInactivityDays reads an inactivity interval in whole days: "60",
// "60d", "60 days". "none" (or "never") returns 0, meaning no interval.
func ParseInactivityDays(s string) (int, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	switch in {
	case "":
		return 0, errors.New("inactivity interval is empty: give whole days (60) or none")
	case "none", "never":
		return 0, nil
	}
	num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(in, "days"), "day"), "d"))
	n, err := strconv.Atoi(num)
	switch {
	case err != nil && strings.HasPrefix(num, "-"):
		return 0, fmt.Errorf("inactivity interval %q must not be negative", s)
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("inactivity interval %q is more than 100 years", s)
	case err != nil:
		return 0, fmt.Errorf("inactivity interval %q is not a whole number of days", s)
	case n < 0:
		return 0, fmt.Errorf("inactivity interval %q must not be negative", s)
	case n == 0:
		return 0, fmt.Errorf("inactivity interval must be at least 1 day (use none to remove it)")
	case n > 36500:
		return 0, fmt.Errorf("inactivity interval %d days is more than 100 years", n)
	}
	return n, nil
}
