package keytable

import (
	"strings"
	"testing"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

// TestUsageColumnOnlyWithFigures: usage read once (no key covered for a
// day yet) leaves every Calls/d cell blank, and a column of blanks must
// not push Created off a 140-column screen; one figure brings it in.
func TestUsageColumnOnlyWithFigures(t *testing.T) {
	keys := genKeys(20, 1)
	c := commontest.Common()
	c.Width, c.Height = 140, 20
	m := New(c)
	m.SetKeys(keys)
	before := m.View()

	blank := map[string]model.KeyUsage{}
	for _, k := range keys {
		blank[k.ID] = model.KeyUsage{} // seen once: nothing known yet
	}
	m.SetUsage(MeasureUsage(blank))
	if got := m.View(); strings.Contains(got, "Calls/d") || strings.Contains(got, "Calls / day") || got != before {
		t.Errorf("a column of blank usage changed the table:\n%s", got)
	}

	blank[keys[0].ID] = model.KeyUsage{PerDay: 42, PerDayKnown: true}
	m.SetUsage(MeasureUsage(blank))
	if got := m.View(); !strings.Contains(got, "Calls/d") && !strings.Contains(got, "Calls / day") {
		t.Errorf("a usage figure did not bring the Calls/d column in:\n%s", got)
	}
}
