package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// zoneX is a non-UTC location for date parsing: 15:00 UTC is 20:00 there.
var zoneX = time.FixedZone("X", 5*3600)

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in     string
		want   Interval
		errHas string // non-empty: want an error containing this
	}{
		{in: "30 days", want: Interval{30, Day}},
		{in: "30d", want: Interval{30, Day}},
		{in: "1 day", want: Interval{1, Day}},
		{in: "5days", want: Interval{5, Day}},
		{in: "12h", want: Interval{12, Hour}},
		{in: "1 hour", want: Interval{1, Hour}},
		{in: "2w", want: Interval{2, Week}},
		{in: " 3 Weeks ", want: Interval{3, Week}},
		{in: "6 months", want: Interval{6, Month}},
		{in: "2 mo", want: Interval{2, Month}},
		{in: "90m", want: Interval{90, Minute}},
		{in: "90 minutes", want: Interval{90, Minute}},
		{in: "1 minute", want: Interval{1, Minute}},
		{in: "1y", want: Interval{1, Year}},
		{in: "2 YEARS", want: Interval{2, Year}},
		{in: "007d", want: Interval{7, Day}},
		{in: "1000000 days", want: Interval{1_000_000, Day}},
		// Dates far ahead go out as minutes; those must parse back.
		{in: "60000000 minutes", want: Interval{60_000_000, Minute}},
		{in: "", errHas: "want a whole number and a unit"},
		{in: "days", errHas: "want a whole number and a unit"},
		{in: "-5d", errHas: "negative"},
		{in: "+5d", errHas: "want a whole number"},
		{in: "0d", errHas: "more than zero"},
		{in: "0", errHas: "more than zero"},
		{in: "5", errHas: "missing unit"},
		{in: "5 fortnights", errHas: `unknown unit "fortnights"`},
		{in: "1.5h", errHas: "unknown unit"},
		{in: "1000001 days", errHas: "too large"},
		{in: "60000001 minutes", errHas: "too large"},
		{in: "99999999999999999999999d", errHas: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseInterval(tt.in)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("ParseInterval(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseInterval(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestIntervalString(t *testing.T) {
	tests := []struct {
		iv   Interval
		want string
	}{
		{Interval{1, Minute}, "1 minute"},
		{Interval{90, Minute}, "90 minutes"},
		{Interval{1, Hour}, "1 hour"},
		{Interval{12, Hour}, "12 hours"},
		{Interval{1, Day}, "1 day"},
		{Interval{30, Day}, "30 days"},
		{Interval{2, Week}, "2 weeks"},
		{Interval{1, Month}, "1 month"},
		{Interval{6, Month}, "6 months"},
		{Interval{1, Year}, "1 year"},
		{Interval{0, Hour}, "0 hours"},
	}
	for _, tt := range tests {
		if got := tt.iv.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.iv, got, tt.want)
		}
		if tt.iv.N > 0 {
			if back, err := ParseInterval(tt.iv.String()); err != nil || back != tt.iv {
				t.Errorf("ParseInterval(%q) = %v, %v; want %v", tt.iv.String(), back, err, tt.iv)
			}
		}
	}
	if got := Unit(9).String(); got != "Unit(9)" {
		t.Errorf("Unit(9).String() = %q", got)
	}
}

func TestIntervalAddTo(t *testing.T) {
	now := testNow // 2026-11-26 15:00 UTC
	d := func(y int, m time.Month, dd, h, mi int) time.Time { return time.Date(y, m, dd, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		iv   Interval
		from time.Time
		want time.Time
	}{
		{Interval{90, Minute}, now, d(2026, 11, 26, 16, 30)},
		{Interval{12, Hour}, now, d(2026, 11, 27, 3, 0)},
		{Interval{30, Day}, now, d(2026, 12, 26, 15, 0)},
		{Interval{2, Week}, now, d(2026, 12, 10, 15, 0)},
		{Interval{3, Month}, now, d(2027, 2, 26, 15, 0)},
		{Interval{6, Month}, now, d(2027, 5, 26, 15, 0)},
		{Interval{1, Year}, now, d(2027, 11, 26, 15, 0)},
		// Calendar months clamp to the end of a shorter month, as a database does.
		{Interval{1, Month}, d(2027, 1, 31, 9, 0), d(2027, 2, 28, 9, 0)},
		{Interval{1, Month}, d(2028, 1, 31, 9, 0), d(2028, 2, 29, 9, 0)},
		{Interval{3, Month}, d(2026, 11, 30, 9, 0), d(2027, 2, 28, 9, 0)},
		{Interval{13, Month}, d(2026, 3, 31, 9, 0), d(2027, 4, 30, 9, 0)},
		{Interval{1, Year}, d(2028, 2, 29, 9, 0), d(2029, 2, 28, 9, 0)},
		{Interval{4, Year}, d(2028, 2, 29, 9, 0), d(2032, 2, 29, 9, 0)},
	}
	for _, tt := range tests {
		if got := tt.iv.AddTo(tt.from); !got.Equal(tt.want) {
			t.Errorf("%v.AddTo(%v) = %v, want %v", tt.iv, tt.from, got, tt.want)
		}
	}
	// The location is kept, so a date shown to the user stays in their zone.
	if got := (Interval{1, Month}).AddTo(now.In(zoneX)); got.Location() != zoneX {
		t.Errorf("AddTo lost the location: %v", got.Location())
	}
}

func TestParseExpiry(t *testing.T) {
	utc := testNow                            // 2026-11-26 15:00 UTC
	inX := testNow.In(zoneX)                  // 2026-11-26 20:00 X
	lateX := utc.Add(5 * time.Hour).In(zoneX) // 2026-11-27 01:00 X, still the 26th in UTC
	withSecs := time.Date(2026, 11, 26, 9, 26, 53, 0, time.UTC)
	tests := []struct {
		name   string
		in     string
		now    time.Time
		want   Expiry
		errHas string
	}{
		// A date goes out as whole minutes rounded down, so At is exactly
		// now + In and stays on the asked day.
		{name: "date", in: "2026-12-31", now: utc,
			want: Expiry{In: Interval{35*24*60 + 9*60 - 1, Minute}, At: time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)}},
		{name: "today", in: "2026-11-26", now: utc,
			want: Expiry{In: Interval{9*60 - 1, Minute}, At: time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)}},
		{name: "date in now's location", in: "2026-11-26", now: inX,
			want: Expiry{In: Interval{4*60 - 1, Minute}, At: time.Date(2026, 11, 26, 23, 59, 0, 0, zoneX)}},
		{name: "tomorrow in now's location", in: "2026-11-27", now: inX,
			want: Expiry{In: Interval{28*60 - 1, Minute}, At: time.Date(2026, 11, 27, 23, 59, 0, 0, zoneX)}},
		{name: "date surrounded by spaces", in: "  2026-11-26 ", now: utc,
			want: Expiry{In: Interval{9*60 - 1, Minute}, At: time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC)}},
		// A now with seconds: rounding up would send 51274 minutes, and the
		// server's now + that is 2027-01-01 00:00:53, the day after the one
		// asked for.
		{name: "now with seconds stays on the asked day", in: "2026-12-31", now: withSecs,
			want: Expiry{In: Interval{35*24*60 + 14*60 + 33, Minute}, At: time.Date(2026, 12, 31, 23, 59, 53, 0, time.UTC)}},
		{name: "now with seconds, today", in: "2026-11-26", now: withSecs,
			want: Expiry{In: Interval{14*60 + 33, Minute}, At: time.Date(2026, 11, 26, 23, 59, 53, 0, time.UTC)}},
		{name: "now with seconds and nanoseconds", in: "2027-01-01", now: withSecs.Add(500 * time.Millisecond),
			want: Expiry{In: Interval{36*24*60 + 14*60 + 33, Minute}, At: time.Date(2027, 1, 1, 23, 59, 53, 500_000_000, time.UTC)}},
		{name: "now with seconds in now's location", in: "2026-11-26", now: withSecs.In(zoneX), // 14:26:53 X
			want: Expiry{In: Interval{9*60 + 33, Minute}, At: time.Date(2026, 11, 26, 23, 59, 53, 0, zoneX)}},
		{name: "last whole minute of the day", in: "2026-11-26",
			now:  time.Date(2026, 11, 26, 23, 58, 59, 0, time.UTC),
			want: Expiry{In: Interval{1, Minute}, At: time.Date(2026, 11, 26, 23, 59, 59, 0, time.UTC)}},
		// Under a minute left: one minute is the least expires_in can say,
		// and At says honestly that it ends just past midnight.
		{name: "under a minute left still gets one minute", in: "2026-11-26",
			now:  time.Date(2026, 11, 26, 23, 59, 30, 0, time.UTC),
			want: Expiry{In: Interval{1, Minute}, At: time.Date(2026, 11, 27, 0, 0, 30, 0, time.UTC)}},
		{name: "far date goes out as minutes", in: "2100-01-01", now: utc,
			want: Expiry{In: Interval{int(time.Date(2100, 1, 2, 0, 0, 0, 0, time.UTC).Sub(utc).Minutes()) - 1, Minute},
				At: time.Date(2100, 1, 1, 23, 59, 0, 0, time.UTC)}},
		{name: "yesterday", in: "2026-11-25", now: utc, errHas: "in the past"},
		{name: "past in now's location though today in UTC", in: "2026-11-26", now: lateX, errHas: "in the past"},
		{name: "invalid day", in: "2026-02-30", now: utc, errHas: "not a valid date"},
		{name: "invalid month", in: "2026-13-01", now: utc, errHas: "not a valid date"},
		{name: "US order", in: "12-31-2026", now: utc, errHas: "not a valid date"},
		{name: "too far ahead", in: "9999-12-31", now: utc, errHas: "too far ahead"},

		{name: "30d", in: "30d", now: utc, want: Expiry{In: Interval{30, Day}, At: utc.AddDate(0, 0, 30)}},
		{name: "12h", in: "12h", now: utc, want: Expiry{In: Interval{12, Hour}, At: utc.Add(12 * time.Hour)}},
		{name: "2w", in: "2w", now: utc, want: Expiry{In: Interval{2, Week}, At: utc.AddDate(0, 0, 14)}},
		{name: "90 days", in: "90 days", now: utc, want: Expiry{In: Interval{90, Day}, At: utc.AddDate(0, 0, 90)}},
		{name: "6 months", in: "6 months", now: utc,
			want: Expiry{In: Interval{6, Month}, At: time.Date(2027, 5, 26, 15, 0, 0, 0, time.UTC)}},
		{name: "90m is minutes", in: "90m", now: utc, want: Expiry{In: Interval{90, Minute}, At: utc.Add(90 * time.Minute)}},
		{name: "1y", in: "1y", now: utc, want: Expiry{In: Interval{1, Year}, At: time.Date(2027, 11, 26, 15, 0, 0, 0, time.UTC)}},
		{name: "duration keeps now's location", in: "1d", now: inX,
			want: Expiry{In: Interval{1, Day}, At: time.Date(2026, 11, 27, 20, 0, 0, 0, zoneX)}},

		{name: "never", in: "never", now: utc, want: Expiry{Never: true}},
		{name: "None", in: " None ", now: utc, want: Expiry{Never: true}},
		{name: "NEVER", in: "NEVER", now: utc, want: Expiry{Never: true}},

		{name: "empty", in: "", now: utc, errHas: "empty"},
		{name: "blank", in: "   ", now: utc, errHas: "empty"},
		{name: "garbage", in: "soonish", now: utc, errHas: "want a whole number and a unit"},
		{name: "negative", in: "-5d", now: utc, errHas: "negative"},
		{name: "zero", in: "0d", now: utc, errHas: "more than zero"},
		{name: "bare zero", in: "0", now: utc, errHas: "more than zero"},
		{name: "unknown unit", in: "3 fortnights", now: utc, errHas: "unknown unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExpiry(tt.in, tt.now)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("ParseExpiry(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseExpiry(%q): %v", tt.in, err)
			}
			if got.Never != tt.want.Never || got.In != tt.want.In || !got.At.Equal(tt.want.At) {
				t.Fatalf("ParseExpiry(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if !got.Never && got.At.Location() != tt.now.Location() {
				t.Errorf("At location = %v, want %v", got.At.Location(), tt.now.Location())
			}
			if !got.Never {
				// The server adds In to its now: that must be the At shown
				// and limit-checked.
				if sent := got.In.AddTo(tt.now); !sent.Equal(got.At) {
					t.Errorf("now + %s = %v, At = %v", got.ExpiresIn(), sent, got.At)
				}
				// What is sent must be what a server (or the demo server) parses back.
				if back, err := ParseInterval(got.ExpiresIn()); err != nil || back != got.In {
					t.Errorf("ParseInterval(ExpiresIn() = %q) = %v, %v; want %v", got.ExpiresIn(), back, err, got.In)
				}
			}
		})
	}
}

func TestExpiresIn(t *testing.T) {
	tests := []struct {
		in   string
		now  time.Time
		want string
	}{
		{"never", testNow, ""},
		{"30d", testNow, "30 days"},
		{"1 day", testNow, "1 day"},
		{"12h", testNow, "12 hours"},
		{"90m", testNow, "90 minutes"},
		{"2w", testNow, "2 weeks"},
		{"6mo", testNow, "6 months"},
		{"1y", testNow, "1 year"},
		{"2026-11-26", testNow, "539 minutes"},
		{"2026-11-26", testNow.In(zoneX), "239 minutes"},
		// Partial minutes round down, so now + the interval stays on the
		// asked day; at least one minute is sent.
		{"2026-11-26", testNow.Add(30 * time.Second), "539 minutes"},
		{"2026-11-26", time.Date(2026, 11, 26, 23, 58, 0, 0, time.UTC), "1 minute"},
		{"2026-11-26", time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC), "1 minute"},
	}
	for _, tt := range tests {
		e, err := ParseExpiry(tt.in, tt.now)
		if err != nil {
			t.Fatalf("ParseExpiry(%q): %v", tt.in, err)
		}
		if got := e.ExpiresIn(); got != tt.want {
			t.Errorf("ParseExpiry(%q, %v).ExpiresIn() = %q, want %q", tt.in, tt.now, got, tt.want)
		}
		// The server counts from its own now: now + the interval is At.
		if !e.Never && !e.In.AddTo(tt.now).Equal(e.At) {
			t.Errorf("%q: now + %s = %v, At %v", tt.in, e.ExpiresIn(), e.In.AddTo(tt.now), e.At)
		}
	}
}

func TestLatestExpiry(t *testing.T) {
	tests := []struct {
		limit  int
		now    time.Time
		want   time.Time
		wantOK bool
	}{
		{90, testNow, time.Date(2027, 2, 24, 15, 0, 0, 0, time.UTC), true},
		{1, testNow.In(zoneX), time.Date(2026, 11, 27, 20, 0, 0, 0, zoneX), true},
		{0, testNow, time.Time{}, false},
		{-1, testNow, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := LatestExpiry(tt.limit, tt.now)
		if ok != tt.wantOK || !got.Equal(tt.want) {
			t.Errorf("LatestExpiry(%d, %v) = %v, %v; want %v, %v", tt.limit, tt.now, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCheckExpiry(t *testing.T) {
	now := testNow // latest under 90 days: 2027-02-24 15:00 UTC
	tests := []struct {
		name      string
		in        string
		limit     int
		wantErr   bool
		wantLimit bool     // want a *LimitError
		errHas    []string // substrings of the message
	}{
		{name: "within limit", in: "30d", limit: 90},
		{name: "exactly at limit", in: "90 days", limit: 90},
		{name: "exactly at limit in hours", in: "2160h", limit: 90},
		{name: "date within limit", in: "2027-02-23", limit: 90},
		{name: "one minute past", in: "129601 minutes", limit: 90, wantErr: true, wantLimit: true,
			errHas: []string{"90 days", "2027-02-24 15:00"}},
		{name: "past limit", in: "91d", limit: 90, wantErr: true, wantLimit: true,
			errHas: []string{"limit of 90 days", "latest allowed is 2027-02-24 15:00", "2027-02-25 15:00"}},
		{name: "calendar months can pass a day limit", in: "3 months", limit: 90, wantErr: true, wantLimit: true,
			errHas: []string{"90 days", "2027-02-24"}},
		{name: "date on the last day but after the limit's time", in: "2027-02-24", limit: 90, wantErr: true, wantLimit: true,
			errHas: []string{"90 days", "2027-02-24 15:00"}},
		{name: "no limit", in: "10y", limit: 0},
		{name: "negative limit is no limit", in: "10y", limit: -1},
		{name: "never without limit", in: "never", limit: 0},
		// The expiry stays optional under a limit: only a date past it is
		// refused before sending; a server that refuses never says so itself.
		{name: "never under a limit", in: "never", limit: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseExpiry(tt.in, now)
			if err != nil {
				t.Fatalf("ParseExpiry(%q): %v", tt.in, err)
			}
			err = CheckExpiry(e, tt.limit, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckExpiry(%q, %d) = %v, want error %v", tt.in, tt.limit, err, tt.wantErr)
			}
			if err == nil {
				return
			}
			var le *LimitError
			if got := errors.As(err, &le); got != tt.wantLimit {
				t.Errorf("errors.As(*LimitError) = %v, want %v (%v)", got, tt.wantLimit, err)
			}
			if le != nil {
				latest, _ := LatestExpiry(tt.limit, now)
				if le.LimitDays != tt.limit || !le.Latest.Equal(latest) || !le.Asked.Equal(e.At) {
					t.Errorf("LimitError = %+v, want days %d latest %v asked %v", le, tt.limit, latest, e.At)
				}
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestParseInactivityDays(t *testing.T) {
	tests := []struct {
		in     string
		want   int
		errHas string
	}{
		{in: "60", want: 60},
		{in: "60d", want: 60},
		{in: "60 days", want: 60},
		{in: " 60 DAYS ", want: 60},
		{in: "1 day", want: 1},
		{in: "1", want: 1},
		{in: "36500", want: 36500},
		{in: "none", want: 0},
		{in: "Never", want: 0},
		{in: "NONE", want: 0},
		{in: "", errHas: "empty"},
		{in: "0", errHas: "at least 1 day"},
		{in: "0d", errHas: "at least 1 day"},
		{in: "-5", errHas: "negative"},
		{in: "-5d", errHas: "negative"},
		{in: "-5 days", errHas: "negative"},
		{in: "abc", errHas: "not a whole number"},
		{in: "1.5", errHas: "not a whole number"},
		{in: "2 weeks", errHas: "not a whole number"},
		{in: "d", errHas: "not a whole number"},
		{in: "36501", errHas: "more than 100 years"},
		{in: "99999999999999999999999", errHas: "more than 100 years"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseInactivityDays(tt.in)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("ParseInactivityDays(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseInactivityDays(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}
