package model

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxKeyNameLen is the longest key name accepted, in characters (runes).
const MaxKeyNameLen = 100

// ErrBadKeyName is wrapped by every error CheckKeyName returns, so callers
// can tell a refused name from other failures.
var ErrBadKeyName = errors.New("invalid key name")

// CheckKeyName applies the rules a new key's name must meet before it is
// sent: 1 to MaxKeyNameLen characters, valid UTF-8, and none of the
// characters that make a name read differently from what it holds (control
// characters, bidi overrides and isolates, zero-width and other invisible
// formatting characters). An accepted name is one CleanText leaves as is. The
// error words the problem and the position, never the character itself: the
// message goes to a terminal, and quoting a U+202E would reorder it.
func CheckKeyName(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: it is not valid UTF-8 text", ErrBadKeyName)
	}
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return fmt.Errorf("%w: it is empty", ErrBadKeyName)
	case n > MaxKeyNameLen:
		return fmt.Errorf("%w: it has %d characters; at most %d are allowed", ErrBadKeyName, n, MaxKeyNameLen)
	}
	pos := 0
	for _, r := range name {
		pos++
		if what := forbiddenRune(r); what != "" {
			return fmt.Errorf("%w: character %d is %s (U+%04X)", ErrBadKeyName, pos, what, r)
		}
	}
	return nil
}

// DropForbidden removes from typed or pasted text every character a key
// name may not hold, so it never reaches a field (or the screen), and says
// what the first one removed was ("" when nothing was removed).
func DropForbidden(s string) (kept, dropped string) {
	var b strings.Builder
	for _, r := range s {
		if kind := forbiddenRune(r); kind != "" {
			if dropped == "" {
				dropped = fmt.Sprintf("%s (U+%04X)", kind, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), dropped
}

// forbiddenRune names the kind of character r is when a key name may not
// hold it, or returns "".
func forbiddenRune(r rune) string {
	switch {
	case r == '\n' || r == '\r':
		return "a line break"
	case r == '\t':
		return "a tab"
	case r == 0x1b:
		return "an escape character (the start of a terminal control sequence)"
	case unicode.IsControl(r):
		return "a control character"
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return "a bidirectional override or isolate, which reorders how text is shown"
	case r == 0x200E || r == 0x200F || r == 0x061C:
		return "a bidirectional mark, which reorders how text is shown"
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		return "a zero-width character, invisible when shown"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	case unicode.Is(unicode.Cf, r):
		// Soft hyphens, invisible operators, other scripts' format
		// controls: the screen strips them, so a name holding one would
		// not be the name shown.
		return "an invisible formatting character"
	case r == utf8.RuneError:
		return "a replacement character (left by text that was not valid)"
	}
	return ""
}

// ClipLen is how many characters of user input an error message echoes.
const ClipLen = 80

// Clip cuts s to at most n characters (runes), ending a cut string with
// "…", so an error can echo what the user typed without repeating a 130 KB
// argument. It does not clean s; pair it with CleanText for terminals.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}
