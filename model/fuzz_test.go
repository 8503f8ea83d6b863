package model

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{
		"30 days", "30d", "1 day", "12h", "2w", "6 months", "2 mo", "90m", "90 minutes", "1y", "007d",
		"", " ", "d", "-5d", "+5d", "0d", "0", "5", "1.5h", "5 fortnights", "1000000 days", "1000001 days",
		"60000000 minutes", "60000001 minutes", "99999999999999999999999d", "5 D A Y S", "5\x00d", "５d",
		"1 K", "3 Weeks ", "\t4\nh",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := ParseInterval(s)
		if err != nil {
			return
		}
		if iv.N <= 0 || iv.Unit < Minute || iv.Unit > Year {
			t.Fatalf("ParseInterval(%q) = %+v", s, iv)
		}
		back, err := ParseInterval(iv.String())
		if err != nil || back != iv {
			t.Fatalf("ParseInterval(%q) = %v; its String %q parses to %v, %v", s, iv, iv.String(), back, err)
		}
		if !iv.AddTo(testNow).After(testNow) {
			t.Fatalf("%v.AddTo(now) is not after now", iv)
		}
	})
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{
		"never", "None", "NEVER", "", "  ", "2026-12-31", "2026-11-26", "2026-11-25", "2026-11-27",
		"2026-02-30", "2026-13-01", "12-31-2026", "9999-12-31", "2100-01-01", "0000-01-01", "2026-1-1",
		"30d", "12h", "2w", "90 days", "6 months", "90m", "1y", "-5d", "0d", "0", "garbage",
		"2026-12-31T00:00:00Z", "1000000y", "60000000m", "-2026-12-31", "2026--12-31",
	} {
		f.Add(s)
	}
	nows := []time.Time{
		testNow,
		testNow.In(zoneX),
		time.Date(2026, 11, 26, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 3, 29, 0, 30, 0, 0, time.FixedZone("Y", -9*3600-30*60)),
		time.Date(2026, 11, 26, 9, 26, 53, 0, time.UTC),
		time.Date(2026, 11, 26, 9, 26, 53, 123_456_789, zoneX),
		time.Date(2026, 11, 26, 23, 59, 30, 0, time.UTC),
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, now := range nows {
			e, err := ParseExpiry(s, now)
			if err != nil {
				continue
			}
			if e.Never {
				if e.ExpiresIn() != "" || e.In != (Interval{}) {
					t.Fatalf("ParseExpiry(%q) = %+v: Never with an interval", s, e)
				}
				continue
			}
			if !e.At.After(now) {
				t.Fatalf("ParseExpiry(%q, %v).At = %v, not after now", s, now, e.At)
			}
			back, err := ParseInterval(e.ExpiresIn())
			if err != nil || back != e.In {
				t.Fatalf("ParseExpiry(%q).ExpiresIn() = %q parses to %v, %v; want %v", s, e.ExpiresIn(), back, err, e.In)
			}
			// What the server sets (its now + expires_in) is At, the time
			// that is shown and checked against the limit.
			if sent := e.In.AddTo(now); !sent.Equal(e.At) {
				t.Fatalf("ParseExpiry(%q, %v): now + %s = %v, At = %v", s, now, e.ExpiresIn(), sent, e.At)
			}
			// A date expires on that date in now's location, unless under a
			// minute of it is left: one minute is the least that is sent.
			if d, err := time.ParseInLocation(DateLayout, strings.TrimSpace(s), now.Location()); err == nil {
				ay, am, ad := e.At.In(now.Location()).Date()
				dy, dm, dd := d.Date()
				lastMinute := d.AddDate(0, 0, 1).Add(-time.Second).Sub(now) < time.Minute
				switch {
				case lastMinute && e.In != (Interval{1, Minute}):
					t.Fatalf("ParseExpiry(%q, %v) with under a minute left sends %s", s, now, e.ExpiresIn())
				case !lastMinute && (ay != dy || am != dm || ad != dd):
					t.Fatalf("ParseExpiry(%q, %v).At = %v, not on the asked date", s, now, e.At)
				}
			}
		}
	})
}

func FuzzParseInactivityDays(f *testing.F) {
	for _, s := range []string{
		"60", "60d", "60 days", "1 day", "none", "never", "NONE", "", "0", "0d", "-5", "-5d", "abc", "1.5",
		"36500", "36501", "99999999999999999999999", "+5", "d", "days", "5dd", " 7 DAYS ", "-abc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseInactivityDays(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseInactivityDays(%q) = %d with error %v", s, n, err)
			}
			return
		}
		word := strings.ToLower(strings.TrimSpace(s))
		none := word == "none" || word == "never"
		switch {
		case none && n != 0:
			t.Fatalf("ParseInactivityDays(%q) = %d, want 0", s, n)
		case !none && (n < 1 || n > 36500):
			t.Fatalf("ParseInactivityDays(%q) = %d, want 1..36500", s, n)
		}
		if n > 0 {
			if back, err := ParseInactivityDays(strconv.Itoa(n)); err != nil || back != n {
				t.Fatalf("ParseInactivityDays(%d) = %d, %v", n, back, err)
			}
		}
	})
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{
		"", "plain", "clé → 世界", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07", "\u009b2J", "a\u202Eb", "\u200b\ufeff",
		"a\tb\nc\r\n", "\u2028\u2029", "bad\xff\xc3", "\xed\xa0\x80", "\x00\x7f", "\ufffd", "\xe2\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		assertTerminalSafe(t, s, out)
		if again := CleanText(out); again != out {
			t.Fatalf("CleanText not idempotent: %q -> %q -> %q", s, out, again)
		}
		if len(out) > len(s) {
			t.Fatalf("CleanText(%q) = %q grew", s, out)
		}
		safe := utf8.ValidString(s)
		for _, r := range s {
			safe = safe && !unsafeForTerminal(r)
		}
		if safe && out != s {
			t.Fatalf("CleanText changed safe text %q to %q", s, out)
		}
	})
}
