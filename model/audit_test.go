package model

import (
	"slices"
	"testing"
	"time"
)

func auditKeys(now time.Time) []APIKey {
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	in := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	return []APIKey{
		{ID: "a", Name: "alpha", Username: "alice", Created: ago(200 * day), IsActive: true,
			LastUsed: Some(ago(1 * day)), TotalCalls: Some[int64](50), IsGlobal: true},
		{ID: "b", Name: "Bravo", Username: "alice", Created: ago(120 * day), IsActive: true,
			LastUsed: Null[time.Time](), TotalCalls: Some[int64](0), CollectionID: "c1", CollectionName: "Docs"},
		{ID: "c", Name: "charlie", Username: "bob", Created: ago(10 * day), IsActive: true, Expires: in(3 * day),
			LastUsed: Some(ago(2 * time.Hour)), TotalCalls: Some[int64](900), IsGlobal: true},
		{ID: "d", Name: "delta", Username: "bob", Created: ago(300 * day), IsActive: false,
			LastUsed: Some(ago(100 * day)), TotalCalls: Some[int64](7), IsGlobal: true},
		{ID: "e", Name: "echo", Username: "carol", Created: ago(30 * day), IsActive: true,
			InactivityDays: Some(30), LastUsed: Some(ago(25 * day)), TotalCalls: Some[int64](3), IsGlobal: true},
		{ID: "f", Name: "foxtrot", Username: "carol", Created: ago(5 * day), IsActive: true}, // old server: nothing reported
	}
}

func ids(keys []APIKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

func TestFilterApply(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	keys := auditKeys(now)
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"zero matches all", Filter{}, []string{"a", "b", "c", "d", "e", "f"}},
		{"expiring within 7d: expiry in 3d and idle cut-off in 5d", Filter{ExpiringWithin: 7 * day}, []string{"c", "e"}},
		{"expiring within 4d", Filter{ExpiringWithin: 4 * day}, []string{"c"}},
		{"never used excludes not reported", Filter{NeverUsed: true}, []string{"b"}},
		{"unused for 90d counts creation of never-used keys", Filter{UnusedFor: 90 * day}, []string{"b", "d"}},
		{"not working", Filter{NotWorking: true}, []string{"d"}},
		{"statuses", Filter{Statuses: []Status{StatusActive}}, []string{"a", "b", "c", "e", "f"}},
		{"global only", Filter{GlobalOnly: true}, []string{"a", "c", "d", "e", "f"}},
		{"text matches name case-insensitively", Filter{Text: "BRA"}, []string{"b"}},
		{"text matches collection", Filter{Text: "docs"}, []string{"b"}},
		{"text matches owner", Filter{Text: "carol"}, []string{"e", "f"}},
		{"combined", Filter{GlobalOnly: true, Text: "bob"}, []string{"c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(tt.f.Apply(keys, now)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if tt.f.Active() == (tt.name == "zero matches all") {
				t.Errorf("Active() = %v", tt.f.Active())
			}
		})
	}
}

func TestCompare(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		col       SortColumn
		desc      bool
		wantOrder []string
	}{
		{SortName, false, []string{"a", "b", "c", "d", "e", "f"}},
		{SortName, true, []string{"f", "e", "d", "c", "b", "a"}},
		// never-used (b) and not-reported (f) sort last in both directions
		{SortLastUsed, false, []string{"d", "e", "a", "c", "b", "f"}},
		{SortLastUsed, true, []string{"c", "a", "e", "d", "b", "f"}},
		{SortTotalCalls, true, []string{"c", "a", "d", "e", "b", "f"}},
		// d is deactivated: it has stopped already, so it comes first.
		{SortStopsAt, false, []string{"d", "c", "e", "a", "b", "f"}},
		{SortStatus, false, []string{"a", "b", "c", "e", "f", "d"}},
		{SortUser, false, []string{"a", "b", "c", "d", "e", "f"}},
	}
	for _, tt := range tests {
		t.Run(tt.col.String(), func(t *testing.T) {
			keys := auditKeys(now)
			slices.SortFunc(keys, func(a, b APIKey) int { return Compare(&a, &b, tt.col, tt.desc, now) })
			if got := ids(keys); !slices.Equal(got, tt.wantOrder) {
				t.Errorf("desc=%v: got %v, want %v", tt.desc, got, tt.wantOrder)
			}
		})
	}
}

func TestParseSortColumn(t *testing.T) {
	for _, c := range SortColumns() {
		got, err := ParseSortColumn(c.String())
		if err != nil || got != c {
			t.Errorf("ParseSortColumn(%q) = %v, %v", c.String(), got, err)
		}
	}
	if got, err := ParseSortColumn("Last_Used"); err != nil || got != SortLastUsed {
		t.Errorf("Last_Used: %v %v", got, err)
	}
	if _, err := ParseSortColumn("colour"); err == nil {
		t.Error("want error for unknown column")
	}
}

// TestStopsAtForSortDeactivated: a deactivated key whose expiry is still in
// the future has stopped already; it must not sort among working keys.
func TestStopsAtForSortDeactivated(t *testing.T) {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	later := now.Add(3 * day)
	soon := now.Add(1 * day)
	off := APIKey{ID: "off", Name: "off", Created: now.Add(-day), Expires: &later, IsActive: false}
	on := APIKey{ID: "on", Name: "on", Created: now.Add(-day), Expires: &soon, IsActive: true}
	if c := Compare(&off, &on, SortStopsAt, false, now); c >= 0 {
		t.Errorf("ascending: deactivated key sorts after a working one (Compare = %d)", c)
	}
	if st, _ := off.StopsAtForSort(); !st.Before(now) {
		t.Errorf("StopsAtForSort of a deactivated key = %v, want a time in the past", st)
	}
	if st, ok := on.StopsAtForSort(); !ok || !st.Equal(soon) {
		t.Errorf("StopsAtForSort of a working key = %v, %v, want its expiry", st, ok)
	}
}
