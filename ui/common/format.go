package common

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/model"
)

// MaskedSecret shows a key the way the web page does: sk-…abcd from its hint.
func MaskedSecret(hint string) string {
	return "sk-…" + model.CleanText(hint)
}

// Grouped writes n with thousands separators: 1,234,567.
func Grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Relative says how long ago (or until) t is from now, briefly: "3h ago",
// "in 5d", "just now": the table's Last Used words, model.Ago.
func Relative(t, now time.Time) string { return model.Ago(t, now) }

// Date formats a time as the table's date: 2026-11-26 in t's location.
func Date(t time.Time) string { return t.Format(model.DateLayout) }

// DateTime formats a time for details and dialogs: 2026-11-26 15:04.
func DateTime(t time.Time) string { return t.Format("2006-01-02 15:04") }

// Count writes a count with its unit, singular or plural, digits grouped:
// "1 key", "1,234 keys", "60 days".
func Count(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return Grouped(int64(n)) + " " + unit + "s"
}

// Wrap wraps text at width, breaking at spaces, ANSI-aware.
func Wrap(s string, width int) string { return ansi.Wrap(s, width, " ") }

// FitLines keeps the first maxLines lines of s (at least one), so a dialog
// never grows past the height it was given.
func FitLines(s string, maxLines int) string {
	maxLines = max(maxLines, 1)
	lines := strings.Split(s, "\n")
	if len(lines) <= maxLines {
		return s
	}
	return strings.Join(lines[:maxLines], "\n")
}
