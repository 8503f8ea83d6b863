package model

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckKeyName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// want is a fragment of the error; "" means accepted.
		want string
	}{
		{"plain", "ci-deploy", ""},
		{"spaces and punctuation", "Q3 reports (read only)", ""},
		{"non-latin", "ключ для отчётов", ""},
		{"emoji", "deploy 🚀", ""},
		{"exactly 100 runes", strings.Repeat("é", 100), ""},
		{"formula-looking names are names", "=HYPERLINK(\"x\")", ""},
		{"empty", "", "empty"},
		{"101 runes", strings.Repeat("a", 101), "101 characters; at most 100"},
		{"130 KB", strings.Repeat("a", 130_000), "130000 characters"},
		{"newline", "a\nb", "character 2 is a line break"},
		{"carriage return", "a\rb", "line break"},
		{"tab", "a\tb", "a tab"},
		{"escape sequence", "a\x1b[31mred", "escape character"},
		{"NUL", "a\x00", "control character"},
		{"DEL", "a\x7f", "control character"},
		{"C1 control", "a\u0085", "control character"},
		{"RLO", "invoice\u202Efdp.exe", "character 8 is a bidirectional override"},
		{"LRE", "\u202Aa", "bidirectional override"},
		{"PDF", "a\u202C", "bidirectional override"},
		{"isolate LRI", "a\u2066b", "bidirectional override or isolate"},
		{"isolate PDI", "a\u2069b", "bidirectional override or isolate"},
		{"LRM", "a\u200Eb", "bidirectional mark"},
		{"RLM", "a\u200Fb", "bidirectional mark"},
		{"arabic letter mark", "a\u061Cb", "bidirectional mark"},
		{"zero-width space", "ad\u200Bmin", "zero-width"},
		{"ZWNJ", "a\u200Cb", "zero-width"},
		{"ZWJ", "a\u200Db", "zero-width"},
		{"word joiner", "a\u2060b", "zero-width"},
		{"BOM", "\uFEFFkey", "character 1 is a zero-width"},
		{"line separator", "a\u2028b", "line or paragraph separator"},
		{"soft hyphen", "a\u00ADb", "invisible formatting character"},
		{"replacement character", "a\uFFFDb", "replacement character"},
		{"invalid UTF-8", "a\xffb", "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckKeyName(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckKeyName refused a good name: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckKeyName accepted %q", Clip(tc.in, 20))
			}
			if !errors.Is(err, ErrBadKeyName) {
				t.Errorf("error %v does not wrap ErrBadKeyName", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q lacks %q", msg, tc.want)
			}
			// The message words the problem; it never carries the
			// offending character, nor the whole input.
			if CleanText(msg) != msg {
				t.Errorf("error %q holds control or format characters", msg)
			}
			if len(msg) > 200 {
				t.Errorf("error is %d bytes long; it echoes the input", len(msg))
			}
		})
	}
}

// TestCheckKeyNameEveryRune sweeps the BMP and the first supplementary
// plane: every rune is either accepted in a name or refused with a reason
// worded by position, and every rune CleanText would strip is refused, so
// an accepted name is always shown as it is held.
func TestCheckKeyNameEveryRune(t *testing.T) {
	for r := rune(0); r < 0x20000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are not valid in UTF-8 text
		}
		s := "k" + string(r) + "k"
		err := CheckKeyName(s)
		if err != nil && !strings.Contains(err.Error(), "character 2 is ") {
			t.Fatalf("U+%04X: reason not worded by position: %v", r, err)
		}
		if CleanText(s) != s && err == nil {
			t.Errorf("U+%04X is stripped by CleanText but accepted in a name", r)
		}
	}
}

func FuzzCheckKeyName(f *testing.F) {
	for _, s := range []string{"ci", "", "a\u202Eb", strings.Repeat("x", 101), "\xff", "\x1b]52;c;AAAA\x07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckKeyName(s)
		if err != nil {
			if msg := err.Error(); CleanText(msg) != msg {
				t.Fatalf("error %q holds control or format characters", msg)
			}
			return
		}
		// An accepted name is shown exactly as it is held.
		if n := utf8.RuneCountInString(s); n < 1 || n > MaxKeyNameLen || CleanText(s) != s {
			t.Fatalf("accepted %q", s)
		}
	})
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 80, "short"},
		{strings.Repeat("a", 80), 80, strings.Repeat("a", 80)},
		{strings.Repeat("a", 81), 80, strings.Repeat("a", 79) + "…"},
		{strings.Repeat("é", 200), 10, strings.Repeat("é", 9) + "…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"", 5, ""},
	}
	for _, tc := range tests {
		got := Clip(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", Clip(tc.in, 20), tc.n, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); tc.n > 0 && n > tc.n {
			t.Errorf("Clip(.., %d) has %d runes", tc.n, n)
		}
	}
	big := strings.Repeat("x", 130_000)
	if got := Clip(big, ClipLen); utf8.RuneCountInString(got) != ClipLen || !utf8.ValidString(got) {
		t.Errorf("Clip of 130 KB: %d runes", utf8.RuneCountInString(got))
	}
}

func TestDropForbidden(t *testing.T) {
	for _, tt := range []struct{ in, kept, dropped string }{
		{"plain name", "plain name", ""},
		{"invoice\u202Efdp.exe", "invoicefdp.exe", "a bidirectional override or isolate, which reorders how text is shown (U+202E)"},
		{"a\x1b[2Jb\u200B", "a[2Jb", "an escape character (the start of a terminal control sequence) (U+001B)"},
		{"\u200B\u200D", "", "a zero-width character, invisible when shown (U+200B)"},
	} {
		kept, dropped := DropForbidden(tt.in)
		if kept != tt.kept || dropped != tt.dropped {
			t.Errorf("DropForbidden(%q) = %q, %q; want %q, %q", tt.in, kept, dropped, tt.kept, tt.dropped)
		}
		if kept != "" && CheckKeyName(kept) != nil && len(kept) <= MaxKeyNameLen {
			t.Errorf("what DropForbidden kept of %q is still refused: %v", tt.in, CheckKeyName(kept))
		}
	}
}
