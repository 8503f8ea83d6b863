package actions

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

// Fact is one line of a key's details: a label and its value, in words.
type Fact struct{ Label, Value string }

// Details are a key's exact facts as of now, for the details dialog: the
// table shows them briefly (relative times, dates), these in full. Every
// string from the server is cleaned (model.CleanText).
func Details(k model.APIKey, now time.Time) []Fact {
	exact := func(t time.Time) string { return exactTime(t, now) }
	withRelative := func(t time.Time) string { return exact(t) + " (" + common.Relative(t, now) + ")" }

	collection := "global"
	if !k.IsGlobal {
		collection = model.CleanText(k.CollectionName)
		if collection == "" {
			collection = model.CleanText(k.CollectionID)
		}
	}
	expires := "never"
	if k.Expires != nil {
		expires = exact(*k.Expires)
	}
	// A current server (one that reports total_calls) may leave empty
	// fields out or send null: both mean none / never. Only an older
	// server's keys are "not reported".
	inactivity := "none"
	switch days, ok := k.InactivityDays.Get(); {
	case !k.InactivityReported():
		inactivity = "not reported"
	case ok && days > 0:
		inactivity = dayCount(days)
	}
	lastUsed := "never"
	switch lu, ok := k.LastUsed.Get(); {
	case !k.UsageReported():
		lastUsed = "not reported"
	case ok:
		lastUsed = withRelative(lu)
	}
	calls := "not reported"
	if n, ok := k.TotalCalls.Get(); ok {
		calls = common.Grouped(n)
	}
	return []Fact{
		{"Status", StatusReason(k, now)},
		{"ID", model.CleanText(k.ID)},
		{"Owner", model.CleanText(k.Username)},
		{"Collection", collection},
		{"Created", exact(k.Created)},
		{"Expires", expires},
		{"Inactivity interval", inactivity},
		{"Last used", lastUsed},
		{"Stops working", model.StopsCell(k, now, withRelative, "never", "not reported")},
		{"Total calls", calls},
	}
}

// StatusReason is the key's status at now and why: "Active", "Inactive:
// deactivated", "Expired on …", "Idle: unused since … for more than N days".
func StatusReason(k model.APIKey, now time.Time) string {
	switch k.StatusAt(now) {
	case model.StatusInactive:
		return "Inactive: deactivated"
	case model.StatusExpired:
		return "Expired on " + exactTime(*k.Expires, now)
	case model.StatusIdle:
		days, _ := k.InactivityDays.Get()
		if lu, used := k.LastUsed.Get(); used && lu.After(k.Created) {
			return "Idle: unused since " + common.Date(lu.In(now.Location())) + " for more than " + dayCount(days)
		}
		return "Idle: never used, and created more than " + dayCount(days) + " ago"
	}
	return "Active"
}

// exactTime is t to the second, with its zone, in the clock's location
// (the table's dates are in it too).
func exactTime(t, now time.Time) string {
	return t.In(now.Location()).Format("2006-01-02 15:04:05 MST")
}

func dayCount(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// detailsHeader is the key's name and masked secret, then its details,
// each value wrapped beside its label.
func (m *Model) detailsHeader(inner int) []string {
	st := m.c.Styles
	name := model.CleanText(m.key.Name)
	if strings.TrimSpace(name) == "" {
		name = "(unnamed key)"
	}
	secret := common.MaskedSecret(m.key.Hint)
	title := st.DialogTitle.UnsetMarginBottom().Render(ansi.Truncate(name, max(inner-ansi.StringWidth(secret)-2, 1), "…"))
	lines := []string{title + "  " + st.Hint.Render(secret), ""}

	now := m.now()
	facts := append(Details(m.key, now), usageFacts(m.usage, now)...)
	labelW := 0
	for _, f := range facts {
		labelW = max(labelW, ansi.StringWidth(f.Label))
	}
	valueW := max(inner-labelW-2, 8)
	indent := strings.Repeat(" ", labelW+2)
	for _, f := range facts {
		label := st.Hint.Render(f.Label + strings.Repeat(" ", labelW-ansi.StringWidth(f.Label)+2))
		value := st.TableCell
		if f.Label == "Status" {
			value = st.ForStatus(m.key.StatusAt(now))
		}
		for i, part := range strings.Split(ansi.Wrap(f.Value, valueW, " "), "\n") {
			part = value.Render(part)
			if i == 0 {
				lines = append(lines, label+part)
			} else {
				lines = append(lines, indent+part)
			}
		}
	}
	return append(lines, "")
}
