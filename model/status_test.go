package model

import (
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func TestStatusAt(t *testing.T) {
	now := testNow
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name string
		key  APIKey
		want Status
	}{
		{name: "active, nothing set", key: APIKey{IsActive: true, Created: ago(day)}, want: StatusActive},
		{name: "active, old server without optional fields",
			key: APIKey{IsActive: true, Created: ago(1000 * day)}, want: StatusActive},
		{name: "deactivated", key: APIKey{IsActive: false, Created: ago(day)}, want: StatusInactive},
		{name: "deactivated wins over expired and idle",
			key: APIKey{IsActive: false, Created: ago(100 * day), Expires: ptr(ago(day)),
				LastUsed: Some(ago(50 * day)), InactivityDays: Some(10)},
			want: StatusInactive},
		{name: "expired", key: APIKey{IsActive: true, Created: ago(10 * day), Expires: ptr(ago(time.Second))}, want: StatusExpired},
		{name: "exactly at expires_at counts expired",
			key: APIKey{IsActive: true, Created: ago(10 * day), Expires: ptr(now)}, want: StatusExpired},
		{name: "just before expires_at",
			key: APIKey{IsActive: true, Created: ago(10 * day), Expires: ptr(now.Add(time.Nanosecond))}, want: StatusActive},
		{name: "expired wins over idle",
			key:  APIKey{IsActive: true, Created: ago(100 * day), Expires: ptr(ago(day)), InactivityDays: Some(10)},
			want: StatusExpired},
		{name: "idle from last_used_at",
			key:  APIKey{IsActive: true, Created: ago(100 * day), LastUsed: Some(ago(31 * day)), InactivityDays: Some(30)},
			want: StatusIdle},
		{name: "idle exactly at the cut-off",
			key:  APIKey{IsActive: true, Created: ago(100 * day), LastUsed: Some(ago(30 * day)), InactivityDays: Some(30)},
			want: StatusIdle},
		{name: "recent use keeps it active",
			key:  APIKey{IsActive: true, Created: ago(100 * day), LastUsed: Some(ago(29 * day)), InactivityDays: Some(30)},
			want: StatusActive},
		{name: "never used (null): idle from created_at",
			key:  APIKey{IsActive: true, Created: ago(31 * day), LastUsed: Null[time.Time](), InactivityDays: Some(30)},
			want: StatusIdle},
		{name: "never used (absent): idle from created_at",
			key: APIKey{IsActive: true, Created: ago(31 * day), InactivityDays: Some(30)}, want: StatusIdle},
		{name: "never used, young key",
			key:  APIKey{IsActive: true, Created: ago(29 * day), LastUsed: Null[time.Time](), InactivityDays: Some(30)},
			want: StatusActive},
		{name: "last_used before created_at is ignored",
			key:  APIKey{IsActive: true, Created: ago(10 * day), LastUsed: Some(ago(40 * day)), InactivityDays: Some(30)},
			want: StatusActive},
		{name: "no interval (null): long unused stays active",
			key:  APIKey{IsActive: true, Created: ago(1000 * day), LastUsed: Some(ago(900 * day)), InactivityDays: Null[int]()},
			want: StatusActive},
		{name: "interval 0 means none",
			key:  APIKey{IsActive: true, Created: ago(1000 * day), InactivityDays: Some(0)},
			want: StatusActive},
		{name: "negative interval means none",
			key:  APIKey{IsActive: true, Created: ago(1000 * day), InactivityDays: Some(-5)},
			want: StatusActive},
		{name: "huge interval from the server does not overflow into idle",
			key:  APIKey{IsActive: true, Created: ago(1000 * day), InactivityDays: Some(1 << 40)},
			want: StatusActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.key.StatusAt(now); got != tt.want {
				t.Errorf("StatusAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIdleCutoffAndStopsAt(t *testing.T) {
	now := testNow
	created := now.Add(-100 * day)
	used := now.Add(-5 * day)
	exp := now.Add(10 * day)
	tests := []struct {
		name    string
		key     APIKey
		idle    time.Time
		idleOK  bool
		stops   time.Time
		stopsOK bool
	}{
		{name: "neither", key: APIKey{Created: created}},
		{name: "expiry only", key: APIKey{Created: created, Expires: &exp}, stops: exp, stopsOK: true},
		{name: "idle from last use only",
			key:  APIKey{Created: created, LastUsed: Some(used), InactivityDays: Some(30)},
			idle: used.Add(30 * day), idleOK: true, stops: used.Add(30 * day), stopsOK: true},
		{name: "idle from creation when never used",
			key:  APIKey{Created: created, LastUsed: Null[time.Time](), InactivityDays: Some(30)},
			idle: created.Add(30 * day), idleOK: true, stops: created.Add(30 * day), stopsOK: true},
		{name: "last use before creation ignored",
			key:  APIKey{Created: created, LastUsed: Some(created.Add(-day)), InactivityDays: Some(30)},
			idle: created.Add(30 * day), idleOK: true, stops: created.Add(30 * day), stopsOK: true},
		{name: "both, expiry earlier",
			key:  APIKey{Created: created, Expires: &exp, LastUsed: Some(used), InactivityDays: Some(30)},
			idle: used.Add(30 * day), idleOK: true, stops: exp, stopsOK: true},
		{name: "both, idle earlier",
			key:  APIKey{Created: created, Expires: &exp, LastUsed: Some(used), InactivityDays: Some(7)},
			idle: used.Add(7 * day), idleOK: true, stops: used.Add(7 * day), stopsOK: true},
		{name: "interval null", key: APIKey{Created: created, LastUsed: Some(used), InactivityDays: Null[int]()}},
		{name: "interval zero", key: APIKey{Created: created, InactivityDays: Some(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idle, ok := tt.key.IdleCutoff()
			if ok != tt.idleOK || !idle.Equal(tt.idle) {
				t.Errorf("IdleCutoff = %v, %v; want %v, %v", idle, ok, tt.idle, tt.idleOK)
			}
			stops, ok := tt.key.StopsAt()
			if ok != tt.stopsOK || !stops.Equal(tt.stops) {
				t.Errorf("StopsAt = %v, %v; want %v, %v", stops, ok, tt.stops, tt.stopsOK)
			}
		})
	}
}

func TestIdleCutoffHugeIntervalIsFarAhead(t *testing.T) {
	k := APIKey{Created: testNow, InactivityDays: Some(1 << 40)}
	idle, ok := k.IdleCutoff()
	if !ok || !idle.After(testNow.AddDate(200, 0, 0)) {
		t.Errorf("IdleCutoff = %v, %v; want ok and centuries ahead", idle, ok)
	}
}

func TestStatusStringAndParse(t *testing.T) {
	tests := []struct {
		in     string
		want   Status
		wantOK bool
	}{
		{"Active", StatusActive, true},
		{"active", StatusActive, true},
		{" IDLE ", StatusIdle, true},
		{"inactive", StatusInactive, true},
		{"Expired", StatusExpired, true},
		{"deactivated", 0, false},
		{"", 0, false},
		{"Unknown", 0, false},
		{"act", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseStatus(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
	for _, st := range []Status{StatusActive, StatusInactive, StatusExpired, StatusIdle} {
		back, ok := ParseStatus(st.String())
		if !ok || back != st {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", st.String(), back, ok, st)
		}
		if st.Working() != (st == StatusActive) {
			t.Errorf("%v.Working() = %v", st, st.Working())
		}
	}
	if s := Status(99).String(); s != "Unknown" {
		t.Errorf("Status(99).String() = %q", s)
	}
}
