package model

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

// unsafeForTerminal is the test's own idea of what must never reach the
// screen; it does not call the code under test.
func unsafeForTerminal(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.Is(unicode.Cf, r) ||
		r == utf8.RuneError || r == '\u2028' || r == '\u2029'
}

func assertTerminalSafe(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("CleanText(%q) = %q: invalid UTF-8", in, out)
	}
	for i, r := range out {
		if unsafeForTerminal(r) {
			t.Errorf("CleanText(%q) = %q: unsafe rune %U at byte %d", in, out, r, i)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "ci runner 2", want: "ci runner 2"},
		{name: "unicode letters", in: "clé → 世界 🔑", want: "clé → 世界 🔑"},
		{name: "empty", in: "", want: ""},
		{name: "CSI colour", in: "\x1b[31mred\x1b[0m", want: "[31mred[0m"},
		{name: "clear screen and home", in: "a\x1b[2J\x1b[Hb", want: "a[2J[Hb"},
		{name: "OSC title with BEL", in: "\x1b]0;pwned\x07name", want: "]0;pwnedname"},
		{name: "OSC 52 clipboard with ST", in: "\x1b]52;c;ZXZpbA==\x1b\\x", want: "]52;c;ZXZpbA==\\x"},
		{name: "C1 CSI", in: "C1\u009b31m", want: "C131m"},
		{name: "DEL and backspace", in: "ab\x7fc\bd", want: "abcd"},
		{name: "bidi override", in: "abc\u202Egnp.exe", want: "abcgnp.exe"},
		{name: "bidi isolates", in: "\u2066x\u2069", want: "x"},
		{name: "zero width and BOM", in: "\u200bze\u200dro\ufeff", want: "zero"},
		{name: "tabs and newlines", in: "a\tb\nc\r\nd", want: "a b c  d"},
		{name: "line and paragraph separators", in: "a\u2028b\u2029c", want: "a b c"},
		{name: "invalid UTF-8", in: "bad\xffutf\xc3", want: "badutf"},
		{name: "encoded surrogate", in: "x\xed\xa0\x80y", want: "xy"},
		{name: "NUL", in: "a\x00b", want: "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanText(tt.in)
			if got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			assertTerminalSafe(t, tt.in, got)
			for i := 0; i < len(got); i++ {
				// Byte-level check for the ESC family; multi-byte UTF-8 is
				// covered by the rune check above.
				if c := got[i]; c < 0x20 || c == 0x7f {
					t.Errorf("CleanText(%q) = %q: control byte %#x", tt.in, got, c)
				}
			}
			if again := CleanText(got); again != got {
				t.Errorf("CleanText not idempotent: %q -> %q", got, again)
			}
		})
	}
}
