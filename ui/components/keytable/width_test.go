package keytable

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// A column's DashboardWidth, where it answers, is the width of the text it
// stands for; and it answers for the keys a server sends (the fast path is
// taken, not only correct).
func TestDashboardWidths(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("east", 14*60*60), time.FixedZone("west", -12*60*60)}
	durations := []time.Duration{0, time.Second, time.Minute - 1, time.Minute, time.Hour - 1, time.Hour, 48*time.Hour - 1,
		48 * time.Hour, 60*24*time.Hour - 1, 60 * 24 * time.Hour, 730*24*time.Hour - 1, 730 * 24 * time.Hour, 100 * 365 * 24 * time.Hour}
	times := []time.Time{
		time.Date(1000, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(1001, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9998, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), {},
	}
	for _, d := range durations {
		times = append(times, now.Add(d), now.Add(-d))
	}
	pick := func() time.Time {
		if r.IntN(3) == 0 {
			return times[r.IntN(len(times))].In(zones[r.IntN(len(zones))])
		}
		return now.Add(time.Duration(r.Int64N(int64(40*365*24*time.Hour))) - 20*365*24*time.Hour).In(zones[r.IntN(len(zones))])
	}
	numbers := []int64{0, 1, -1, 9, 10, 99, 999, 1000, -999, -1000, 999_999, 1_000_000, math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32}
	number := func() int64 {
		if r.IntN(2) == 0 {
			return numbers[r.IntN(len(numbers))]
		}
		return r.Int64N(1<<40) - 1<<39
	}
	hints := []string{"abcd", "", "ab\x1bc", "äöü✓", "a\tb", "x~ y", "\u202e1234"}
	texts := append(hints, "laptop", "ci-pipeline", "Quarterly reports", "日本語", "\x1b[31mred", "\u200b", "a\x7fb")
	keys := genKeys(300, 9)
	for range 20_000 {
		text := func() string { return texts[r.IntN(len(texts))] }
		k := model.APIKey{ID: "k", Name: text(), Username: text(), Created: pick(), Hint: hints[r.IntN(len(hints))], IsActive: r.IntN(4) > 0}
		switch r.IntN(4) {
		case 0:
			k.IsGlobal = true
		case 1:
			k.CollectionName, k.CollectionID = text(), text()
		case 2:
			k.CollectionID = text()
		}
		if r.IntN(3) > 0 {
			at := pick()
			k.Expires = &at
		}
		switch r.IntN(3) {
		case 0:
			k.LastUsed = model.Some(pick())
		case 1:
			k.LastUsed = model.Null[time.Time]()
		}
		switch r.IntN(3) {
		case 0:
			k.InactivityDays = model.Some(int(number()))
		case 1:
			k.InactivityDays = model.Null[int]()
		}
		if r.IntN(3) > 0 {
			k.TotalCalls = model.Some(number())
		}
		keys = append(keys, k)
	}
	nows := []time.Time{now, now.In(zones[1]), now.In(zones[2])}
	for _, c := range model.DashboardColumns() {
		if c.DashboardWidth == nil {
			continue
		}
		answered := 0
		for i := range keys {
			at := nows[i%len(nows)]
			w, ok := c.DashboardWidth(&keys[i], at)
			if !ok {
				continue
			}
			answered++
			if text := c.DashboardText(keys[i], at); w != cellWidth(text) {
				t.Fatalf("%s of %+v at %v: width %d, text %q is %d wide", c.ID, keys[i], at, w, text, cellWidth(text))
			}
		}
		if answered < len(keys)/4 {
			t.Errorf("%s answered for %d keys of %d: the text is measured instead", c.ID, answered, len(keys))
		}
		for _, k := range genKeys(300, 10) {
			if _, ok := c.DashboardWidth(&k, now); !ok {
				t.Errorf("%s does not answer for the generated key %+v", c.ID, k)
				break
			}
		}
	}
}
