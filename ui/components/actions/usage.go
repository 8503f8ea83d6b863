package actions

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// UsageDays is how many days of daily calls the details ask the usage
// history for.
const UsageDays = 30

// UsageView is what the details dialog shows of a key's usage history.
// The root reads it (in a command) when the dialog opens, and sets it when
// it arrives.
type UsageView struct {
	// Loading: the daily calls are being read.
	Loading bool
	// Days are the days the history covers, oldest first, up to
	// UsageDays; Since is when its coverage began.
	Days  []model.UsageDay
	Since time.Time
	// None: the history holds nothing for this key yet.
	None bool
	// Err is why the history could not be read.
	Err error
	// Usage is the key's usage figures, when HasUsage.
	Usage    model.KeyUsage
	HasUsage bool
}

// SetUsage shows v in the details (the details of one key only).
func (m *Model) SetUsage(v UsageView) {
	if m.bulk == nil {
		m.usage = &v
	}
}

// Key is the key whose details the dialog shows (zero for a bulk menu).
func (m *Model) Key() model.APIKey { return m.key }

// usageFacts are the details' lines about the usage history; none when
// the dashboard keeps none.
func usageFacts(v *UsageView, now time.Time) []Fact {
	if v == nil {
		return nil
	}
	switch {
	case v.Loading:
		return []Fact{{"Usage (30 days)", "reading the usage history…"}}
	case v.Err != nil:
		return []Fact{{"Usage (30 days)", "could not read the usage history: " + model.CleanText(v.Err.Error())}}
	case v.None || len(v.Days) == 0:
		return []Fact{{"Usage (30 days)", "no usage history yet"}}
	case now.Sub(v.Since) < 24*time.Hour:
		// Less than a day since the first read: a bar for a part of
		// today would look like a quiet day.
		return []Fact{{"Usage (30 days)", "no usage history yet"}, {"", "first read " + exactMinute(v.Since, now)}}
	}
	calls := make([]int64, len(v.Days))
	var top int64
	estimated := false
	for i, d := range v.Days {
		calls[i], top = d.Calls, max(top, d.Calls)
		estimated = estimated || d.Estimated
	}
	facts := []Fact{{"Usage (30 days)", common.Sparkline(calls)}}
	if estimated {
		// A mark under each day whose calls were spread from a gap
		// between reads, so the bar above it is not read as observed.
		var b strings.Builder
		for _, d := range v.Days {
			if d.Estimated {
				b.WriteString("~")
			} else {
				b.WriteString(" ")
			}
		}
		facts = append(facts, Fact{"", b.String()})
	}
	var notes []string
	if len(v.Days) < UsageDays {
		notes = append(notes, "history since "+common.Date(v.Since.UTC()))
	}
	notes = append(notes, "peak "+common.Grouped(top)+"/day")
	if estimated {
		notes = append(notes, "~ estimated")
	}
	facts = append(facts, Fact{"", strings.Join(notes, " · ")})
	if v.HasUsage {
		if cell := model.CallsPerDayCell(&v.Usage); cell != "" {
			facts = append(facts, Fact{"Calls / day (7d)", cell})
		}
		if why := UseChangedReason(v.Usage, v.Days, now); why != "" {
			facts = append(facts, Fact{"Use changed", why})
		}
	}
	return facts
}

// UseChangedReason says why a key's use is flagged as changed, from its
// usage and daily calls: "14,203 calls in 24 h, 10× the median of the 7
// days before" or "silent for 24 h after steady use". Empty when it is not.
// The baseline is the history's: the 7 UTC days before the one holding
// now-24h.
func UseChangedReason(u model.KeyUsage, days []model.UsageDay, now time.Time) string {
	switch u.Change {
	case model.UsageSilent:
		return "silent for 24 h after steady use (calls on most of the 7 days before)"
	case model.UsageSpike:
	default:
		return ""
	}
	calls := "calls in 24 h"
	if u.Calls24hKnown {
		calls = common.Grouped(u.Calls24h) + " calls in 24 h"
	}
	d0 := now.Add(-24 * time.Hour).UTC().Truncate(24 * time.Hour)
	base := make([]int64, 0, 7)
	for _, d := range days {
		if d.Date.Before(d0) && !d.Date.Before(d0.AddDate(0, 0, -7)) {
			base = append(base, d.Calls)
		}
	}
	if len(base) < 7 || !u.Calls24hKnown {
		return calls + ", over 10× the daily median of the 7 days before"
	}
	slices.Sort(base)
	median := base[3]
	if median == 0 {
		return calls + ", after a median of 0 calls a day over the 7 days before"
	}
	ratio := float64(u.Calls24h) / float64(median)
	return fmt.Sprintf("%s, %s× the median of the 7 days before (%s)", calls,
		common.Grouped(int64(math.Floor(ratio))), common.Grouped(median))
}

// exactMinute is t to the minute, with its zone, in the clock's location.
func exactMinute(t, now time.Time) string {
	return t.In(now.Location()).Format("2006-01-02 15:04 MST")
}
