package keytable

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
)

var down = tea.KeyMsg{Type: tea.KeyDown}

// BenchmarkMoveAndView is one frame: a key press (down) and View, at
// 200x50, for this table and for bubbles/table holding the same rows.
func BenchmarkMoveAndView(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		keys := genKeys(n, 9)
		b.Run(fmt.Sprintf("keytable/%d", n), func(b *testing.B) {
			m := newTable(200, 50)
			m.SetKeys(keys)
			b.ResetTimer()
			for i := range b.N {
				if i%n == n-1 {
					m.moveTo(0)
				}
				m.Update(down)
				_ = m.View()
			}
		})
		b.Run(fmt.Sprintf("bubbles-table/%d", n), func(b *testing.B) {
			t := bubblesTable(keys)
			b.ResetTimer()
			for i := range b.N {
				if i%n == n-1 {
					t.GotoTop()
				}
				t, _ = t.Update(down)
				_ = t.View()
			}
		})
	}
}

func bubblesTable(keys []model.APIKey) table.Model {
	m := newTable(200, 50)
	m.SetKeys(keys)
	var cols []table.Column
	for _, c := range m.lay.cols {
		cols = append(cols, table.Column{Title: c.Title(), Width: m.lay.widths[c]})
	}
	rows := make([]table.Row, len(m.all))
	for i := range m.all {
		r := make(table.Row, len(m.lay.cols))
		for j, c := range m.lay.cols {
			r[j] = m.all[i].cells[c]
		}
		rows[i] = r
	}
	s := common.NewStyles(common.DefaultTheme())
	st := table.DefaultStyles()
	st.Header, st.Selected = s.TableHeader, s.TableCursor
	return table.New(table.WithColumns(cols), table.WithRows(rows), table.WithHeight(49), table.WithWidth(200), table.WithFocused(true), table.WithStyles(st))
}

func BenchmarkFilter100k(b *testing.B) {
	m := newTable(200, 50)
	m.SetKeys(genKeys(100_000, 10))
	filters := []string{"laptop", "collection 1", ""}
	b.ResetTimer()
	for i := range b.N {
		m.SetFilter(filters[i%len(filters)])
	}
}

func BenchmarkSort100k(b *testing.B) {
	m := newTable(200, 50)
	m.SetKeys(genKeys(100_000, 11))
	b.ResetTimer()
	for i := range b.N {
		m.SortBy(sortCycle[i%len(sortCycle)], i%2 == 1)
	}
}

// BenchmarkLoad100k formats and indexes 100,000 keys (what a load costs)
// and reports the memory the table then holds.
func BenchmarkLoad100k(b *testing.B) {
	keys := genKeys(100_000, 12)
	var held uint64
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m := newTable(200, 50)
		m.SetKeys(keys)
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
		runtime.KeepAlive(m)
	}
	b.ReportMetric(float64(held)/1e6, "MB-held")
}
