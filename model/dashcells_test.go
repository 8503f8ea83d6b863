package model

import (
	"testing"
	"time"
)

// The dashboard's part of the spec is whole: every dashboard column has a
// place of its own, one column takes the room left over, and the
// dashboard's own texts say what the table has always said.
func TestDashboardColumns(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	places, flex := map[int]ColumnID{}, 0
	for _, c := range DashboardColumns() {
		if other, dup := places[c.DashboardOrder]; dup || c.DashboardOrder == 0 {
			t.Errorf("columns %s and %s share dashboard place %d", c.ID, other, c.DashboardOrder)
		}
		places[c.DashboardOrder] = c.ID
		if c.Flex {
			flex++
		}
	}
	if flex != 1 {
		t.Errorf("%d flexible columns, want 1", flex)
	}
	exp := now.Add(30 * 24 * time.Hour)
	k := APIKey{Created: now.Add(-10 * 24 * time.Hour), Expires: &exp, LastUsed: Some(now.Add(-3 * time.Hour)),
		InactivityDays: Some(1000), CollectionID: "c1", IsActive: true}
	for id, want := range map[ColumnID]string{ColCreated: "2026-11-16", ColExpires: "2026-12-26", ColLastUsed: "3h ago",
		ColInactivity: "1,000 days", ColCollection: "c1", ColCalls: "-"} {
		c, _ := ColumnByID(id)
		if got := c.DashboardText(k, now); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	for d, want := range map[time.Duration]string{30 * time.Second: "just now", -5 * 24 * time.Hour: "in 5d", 400 * 24 * time.Hour: "13mo ago", 800 * 24 * time.Hour: "2y ago"} {
		if got := Ago(now.Add(-d), now); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}
