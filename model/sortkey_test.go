package model

import (
	"cmp"
	"fmt"
	"testing"
	"time"
)

// SortKey's integers order present values as Compare does, prove equal
// values when exact on both sides, and say missing where Compare does.
func TestSortKeyAgreesWithCompare(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	far := time.Date(2600, 1, 1, 0, 0, 0, 0, time.UTC)
	old := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	var keys []APIKey
	names := []string{"", "a", "A", "abcdefgh", "abcdefghi", "ABCDEFGHIJ", "a\x00", "zz", "Zz"}
	times := []time.Time{now, at(time.Nanosecond), at(-time.Hour), far, far.Add(time.Second), old, old.Add(time.Second)}
	for i := range 60 {
		k := APIKey{ID: fmt.Sprint(i), Name: names[i%len(names)], Username: names[(i+3)%len(names)],
			CollectionName: names[(i+5)%len(names)], Created: times[i%len(times)], IsActive: i%4 != 0}
		switch i % 3 {
		case 0:
			e := times[(i+1)%len(times)]
			k.Expires = &e
			k.LastUsed = Some(times[(i+2)%len(times)])
			k.InactivityDays = Some(i % 5)
			k.TotalCalls = Some(int64(i%7 - 3))
		case 1:
			k.LastUsed = Null[time.Time]()
			k.InactivityDays = Null[int]()
		}
		keys = append(keys, k)
	}
	for _, col := range SortColumns() {
		for i := range keys {
			for j := range keys {
				a, b := &keys[i], &keys[j]
				ka, ea, oka := SortKey(a, col, now)
				kb, eb, okb := SortKey(b, col, now)
				want, wa, wb := compareBy(a, b, col, now)
				if oka != wa || okb != wb {
					t.Fatalf("%s: present %v,%v, Compare says %v,%v", col, oka, okb, wa, wb)
				}
				if !oka || !okb {
					continue
				}
				got := cmp.Compare(ka, kb)
				if got != 0 && got != cmp.Compare(want, 0) {
					t.Errorf("%s: keys of %d and %d order %d, Compare %d", col, i, j, got, want)
				}
				if got == 0 && ea && eb && want != 0 {
					t.Errorf("%s: exact equal keys of %d and %d, values differ", col, i, j)
				}
				if CompareValues(a, b, col, now) != want {
					t.Errorf("%s: CompareValues differs from Compare", col)
				}
			}
		}
	}
}
