package keytable

import (
	"fmt"
	"testing"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

// BenchmarkUsage: what the usage history costs the table at 1,000,000
// keys: measuring the usage (off Update, in the recording command), and
// on Update handing it over (SetUsage) and sorting by Calls/d.
func BenchmarkUsage(b *testing.B) {
	const n = 1_000_000
	keys := make([]model.APIKey, n)
	byID := make(map[string]model.KeyUsage, n)
	for i := range keys {
		id := fmt.Sprintf("k%07d", i)
		keys[i] = model.APIKey{ID: id, Name: fmt.Sprintf("key-%d", i%9973)}
		byID[id] = model.KeyUsage{PerDay: float64(i%5000) / 7, PerDayKnown: i%10 != 0, Change: model.UsageChange(i % 1000 / 999)}
	}
	m := New(commontest.Common())
	m.SetSize(140, 40)
	m.SetKeys(keys)
	b.Run("MeasureUsage", func(b *testing.B) {
		for b.Loop() {
			MeasureUsage(byID)
		}
	})
	u := MeasureUsage(byID)
	b.Run("SetUsage", func(b *testing.B) {
		for b.Loop() {
			m.SetUsage(u)
		}
	})
	b.Run("SortByCallsPerDay", func(b *testing.B) {
		m.SetUsage(u)
		for b.Loop() {
			m.SortBy(Column(model.ColCallsPerDay), true)
			m.SortBy(NoColumn, false)
		}
	})
}
