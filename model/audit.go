package model

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Filter selects keys for an audit. The zero Filter matches every key; each
// set field narrows the result, and all of them must hold.
type Filter struct {
	// ExpiringWithin keeps working keys that stop working (expiry or idle
	// cut-off) within this long from now.
	ExpiringWithin time.Duration
	// NeverUsed keeps keys with no recorded use on a server that reports
	// usage. Keys whose usage is not reported (older servers) never match:
	// Unjudged counts them.
	NeverUsed bool
	// UnusedFor keeps keys whose last use (or, never used, creation) is at
	// least this long ago; like NeverUsed it leaves out, and Unjudged
	// counts, keys whose usage is not reported.
	UnusedFor time.Duration
	// NotWorking keeps keys that are inactive, expired or idle.
	NotWorking bool
	// Statuses keeps keys in any of these statuses.
	Statuses []Status
	// GlobalOnly keeps global keys (no collection).
	GlobalOnly bool
	// Text keeps keys whose name, collection or owner contains it, ignoring case.
	Text string
}

// Active reports whether the filter narrows anything.
func (f Filter) Active() bool {
	return f.ExpiringWithin > 0 || f.NeverUsed || f.UnusedFor > 0 || f.NotWorking ||
		len(f.Statuses) > 0 || f.GlobalOnly || f.Text != ""
}

// Match reports whether k passes the filter at now. lowerText must be
// strings.ToLower(f.Text); callers filtering many keys compute it once.
func (f Filter) Match(k *APIKey, now time.Time, lowerText string) bool {
	if f.GlobalOnly && k.CollectionID != "" {
		return false
	}
	if f.NeverUsed || f.UnusedFor > 0 {
		if !k.UsageReported() {
			return false
		}
		if _, used := k.LastUsed.Get(); f.NeverUsed && used {
			return false
		}
		if f.UnusedFor > 0 && now.Sub(k.LastActivity()) < f.UnusedFor {
			return false
		}
	}
	if f.NotWorking || len(f.Statuses) > 0 || f.ExpiringWithin > 0 {
		st := k.StatusAt(now)
		if f.NotWorking && st.Working() {
			return false
		}
		if len(f.Statuses) > 0 && !containsStatus(f.Statuses, st) {
			return false
		}
		if f.ExpiringWithin > 0 {
			stop, ok := k.StopsAt()
			if !st.Working() || !ok || stop.Sub(now) > f.ExpiringWithin {
				return false
			}
		}
	}
	if lowerText != "" && !containsFold(k.Name, lowerText) &&
		!containsFold(k.CollectionName, lowerText) && !containsFold(k.Username, lowerText) {
		return false
	}
	return true
}

// Unjudged counts the keys the filter could not judge: with NeverUsed or
// UnusedFor set, those whose usage the server does not report (they match
// neither way). Callers say so beside the result instead of silently
// matching none.
func (f Filter) Unjudged(keys []APIKey) int {
	if !f.NeverUsed && f.UnusedFor <= 0 {
		return 0
	}
	return CountUsageUnknown(keys)
}

// Apply returns the keys that pass the filter, in their order.
func (f Filter) Apply(keys []APIKey, now time.Time) []APIKey {
	lower := strings.ToLower(f.Text)
	out := make([]APIKey, 0, len(keys))
	for i := range keys {
		if f.Match(&keys[i], now, lower) {
			out = append(out, keys[i])
		}
	}
	return out
}

// LastActivity is the key's last use, or its creation when it was never used.
func (k *APIKey) LastActivity() time.Time {
	if lu, ok := k.LastUsed.Get(); ok && lu.After(k.Created) {
		return lu
	}
	return k.Created
}

func containsStatus(list []Status, s Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains lowerSub ignoring case; lowerSub is
// already lower-case. ASCII fast path, no allocation for ASCII s.
func containsFold(s, lowerSub string) bool {
	if len(lowerSub) > len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lowerSub)
		}
	}
	n := len(lowerSub)
outer:
	for i := 0; i+n <= len(s); i++ {
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerSub[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// SortColumn names what keys can be sorted by.
type SortColumn int

// The sortable columns, in the table's order.
const (
	SortName SortColumn = iota
	SortUser
	SortCollection
	SortCreated
	SortStatus
	SortExpires
	SortInactivity
	SortLastUsed
	SortTotalCalls
	SortStopsAt
	sortColumns
)

var sortNames = [...]string{"name", "user", "collection", "created", "status", "expires", "inactivity", "last-used", "total-calls", "stops-at"}

func (c SortColumn) String() string { return sortNames[c] }

// SortColumns lists every sortable column.
func SortColumns() []SortColumn {
	out := make([]SortColumn, sortColumns)
	for i := range out {
		out[i] = SortColumn(i)
	}
	return out
}

// ParseSortColumn reads a column name as String writes it ("last-used");
// underscores and spaces work too.
func ParseSortColumn(s string) (SortColumn, error) {
	norm := strings.NewReplacer("_", "-", " ", "-").Replace(strings.ToLower(strings.TrimSpace(s)))
	for i, n := range sortNames {
		if n == norm {
			return SortColumn(i), nil
		}
	}
	return 0, fmt.Errorf("unknown sort column %q (want one of %s)", s, strings.Join(sortNames[:], ", "))
}

// Compare orders a and b by col at now, ascending or (desc) descending.
// Missing values sort last either way (never-used keys after used ones, no
// expiry after any expiry); ties fall back to name, then id, so the order is
// total and stable across refreshes.
func Compare(a, b *APIKey, col SortColumn, desc bool, now time.Time) int {
	c, aok, bok := compareBy(a, b, col, now)
	if desc {
		c = -c
	}
	if c = compareMissing(aok, bok, c); c != 0 {
		return c
	}
	if c = compareFold(a.Name, b.Name); c != 0 {
		return c
	}
	if c = cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// compareBy compares one column; aok and bok say whether each has a value.
func compareBy(a, b *APIKey, col SortColumn, now time.Time) (c int, aok, bok bool) {
	aok, bok = true, true
	switch col {
	case SortName:
		c = compareFold(a.Name, b.Name)
	case SortUser:
		c = cmp.Compare(a.Username, b.Username)
	case SortCollection:
		c = compareFold(a.CollectionName, b.CollectionName)
	case SortCreated:
		c = a.Created.Compare(b.Created)
	case SortStatus:
		c = cmp.Compare(a.StatusAt(now), b.StatusAt(now))
	case SortExpires:
		aok, bok = a.Expires != nil, b.Expires != nil
		if aok && bok {
			c = a.Expires.Compare(*b.Expires)
		}
	case SortInactivity:
		var ad, bd int
		ad, aok = a.InactivityDays.Get()
		bd, bok = b.InactivityDays.Get()
		c = cmp.Compare(ad, bd)
	case SortLastUsed:
		var at, bt time.Time
		at, aok = a.LastUsed.Get()
		bt, bok = b.LastUsed.Get()
		c = at.Compare(bt)
	case SortTotalCalls:
		var an, bn int64
		an, aok = a.TotalCalls.Get()
		bn, bok = b.TotalCalls.Get()
		c = cmp.Compare(an, bn)
	case SortStopsAt:
		var at, bt time.Time
		at, aok = a.StopsAtForSort()
		bt, bok = b.StopsAtForSort()
		c = at.Compare(bt)
	}
	return c, aok, bok
}

// compareMissing puts present values before missing ones; c orders two
// present values.
func compareMissing(aok, bok bool, c int) int {
	switch {
	case aok && bok:
		return c
	case aok:
		return -1
	case bok:
		return 1
	}
	return 0
}

// compareFold compares ignoring ASCII case without allocating, so sorting
// 100,000 keys by name stays cheap; non-ASCII bytes compare as they are.
func compareFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(a), len(b))
}
