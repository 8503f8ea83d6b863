package model

import (
	"math"
	"strings"
	"time"
)

// SortKey is an order-preserving integer for k's value in col at now, so a
// table can sort many keys by comparing integers (or radix-sorting them)
// and call CompareValues only where two keys tie without being exact:
// Compare's order on present values is the order of their keys, and equal
// exact keys mean equal values. ok is false when k has no value in col
// (it sorts last, as in Compare).
func SortKey(k *APIKey, col SortColumn, now time.Time) (key uint64, exact, ok bool) {
	switch col {
	case SortName:
		key, exact = StringKey(k.Name, true)
	case SortUser:
		key, exact = StringKey(k.Username, false)
	case SortCollection:
		key, exact = StringKey(k.CollectionName, true)
	case SortCreated:
		key, exact = TimeKey(k.Created)
	case SortStatus:
		key, exact = uint64(k.StatusAt(now)), true
	case SortExpires:
		if k.Expires == nil {
			return 0, true, false
		}
		key, exact = TimeKey(*k.Expires)
	case SortInactivity:
		d, has := k.InactivityDays.Get()
		return intKey(int64(d)), true, has
	case SortLastUsed:
		t, has := k.LastUsed.Get()
		key, exact = TimeKey(t)
		return key, exact, has
	case SortTotalCalls:
		n, has := k.TotalCalls.Get()
		return intKey(n), true, has
	case SortStopsAt:
		t, has := k.StopsAtForSort()
		key, exact = TimeKey(t)
		return key, exact, has
	}
	return key, exact, true
}

// CompareValues compares two present values of col exactly, as Compare
// does before its tie-breaks (ascending, no missing values).
func CompareValues(a, b *APIKey, col SortColumn, now time.Time) int {
	c, _, _ := compareBy(a, b, col, now)
	return c
}

// StringKey is an order-preserving key of s's first 8 bytes (ASCII case
// folded when fold, as Compare's name order folds). exact says that s fits
// whole, so equal keys mean equal strings; a NUL byte would look like the
// padding, so a string holding one is never exact.
func StringKey(s string, fold bool) (key uint64, exact bool) {
	n := min(len(s), 8)
	for i := 0; i < n; i++ {
		c := s[i]
		if fold && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		key |= uint64(c) << (56 - 8*i)
	}
	return key, len(s) <= 8 && strings.IndexByte(s, 0) < 0
}

// TimeKey is an order-preserving key of t: seconds since 1970 above 30
// bits of nanoseconds, exact from 1970 to 2514; times outside clamp to the
// ends and are left to CompareValues.
func TimeKey(t time.Time) (key uint64, exact bool) {
	sec := t.Unix()
	switch {
	case sec < 0:
		return 0, false
	case sec >= 1<<34:
		return math.MaxUint64, false
	}
	return uint64(sec)<<30 | uint64(t.Nanosecond()), true
}

// intKey maps a signed integer to an unsigned one in the same order.
func intKey(v int64) uint64 { return uint64(v) ^ 1<<63 }
