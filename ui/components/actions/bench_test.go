package actions_test

import (
	"fmt"
	"testing"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/actions"
)

// BenchmarkBulkView100k is one frame of the bulk menu over a selection of
// 100,000 keys (select all in the all-users view). Figures are printed,
// never asserted.
func BenchmarkBulkView100k(b *testing.B) {
	keys := make([]model.APIKey, 100_000)
	for i := range keys {
		keys[i] = model.APIKey{ID: fmt.Sprint(i), Name: fmt.Sprint("key ", i), IsActive: i%7 != 0}
	}
	c := commontest.Common()
	c.Width, c.Height = 196, 48
	m := actions.NewBulk(c, keys, 0)
	b.ResetTimer()
	for range b.N {
		_ = m.View()
	}
}
