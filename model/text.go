package model

import (
	"strings"
	"unicode"
)

// CleanText strips control and formatting characters (C0, C1, DEL, bidi
// overrides, zero-width joiners...) from text the server sent, so a name
// cannot move the cursor, recolour the screen or reorder what an admin reads.
// Tabs, newlines and the Unicode line and paragraph separators become spaces.
func CleanText(s string) string {
	if printableASCII(s) {
		return s
	}
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case unsafeRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// printableASCII reports whether s is all printable ASCII (space to
// tilde): text CleanText leaves as it is, one cell a byte.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func unsafeRune(r rune) bool {
	return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		r == '\u2028' || r == '\u2029'
}
