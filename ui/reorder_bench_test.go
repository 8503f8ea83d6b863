package ui

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/keytable"
)

// BenchmarkReorderMillion is the UI goroutine's longest step (Update and
// the View after it, as the runtime runs them) when the admin sorts (s),
// toggles a quick filter (2), types in the filter (a letter, then
// backspace), and when usage arrives while the table is sorted by Calls/d,
// on 1,000,000 keys at 200x50. mode=sync works all of it out on Update
// (AsyncRows -1, as before); mode=async is the default: work above
// keytable.DefaultAsyncRows runs in a command and lands as a message,
// whose Update is timed too. Reported: ui-max-ms, the longest step over
// the run, and ready-ms, the longest wait from the key to the new rows
// on screen.
func BenchmarkReorderMillion(b *testing.B) {
	const n = 1_000_000
	keys := benchKeys(n)
	usage := func(shift int) *keytable.Usage {
		byID := make(map[string]model.KeyUsage, n/2)
		for i := 0; i < n; i += 2 {
			byID[keys[i].ID] = model.KeyUsage{PerDay: float64((i + shift) % 5000), PerDayKnown: true, Change: model.UsageChange(i % 1000 / 999)}
		}
		return keytable.MeasureUsage(byID)
	}
	usages := []*keytable.Usage{usage(0), usage(1)}
	for _, mode := range []struct {
		name string
		rows int
	}{{"sync", -1}, {"async", 0}} {
		a := New(newTestAPI(b), Options{Now: func() time.Time { return testNow }, Copier: &fakeCopier{},
			Table: keytable.Options{AsyncRows: mode.rows}})
		a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
		a.hasUser, a.allUsers = true, true
		a.table.SetShowUser(true)
		a.table.SetKeys(keys)
		seq := 1
		steps := []struct {
			name  string
			setup func()
			msg   func(i int) tea.Msg
		}{
			{"sort-press", nil, func(int) tea.Msg { return commontest.Key("s") }},
			{"quick-filter-press", nil, func(int) tea.Msg { return commontest.Key("2") }},
			{"filter-keystroke", func() { driveWork(b, a, commontest.Key("/")) }, func(i int) tea.Msg {
				if i%2 == 0 {
					return commontest.Key("k")
				}
				return tea.KeyMsg{Type: tea.KeyBackspace}
			}},
			{"usage-under-calls-per-day", func() {
				driveWork(b, a, tea.KeyMsg{Type: tea.KeyEsc})
				a.table.SetUsage(usages[0])
				a.table.SortBy(keytable.Column(model.ColCallsPerDay), true)
				driveWork(b, a, nil)
			}, func(i int) tea.Msg {
				seq++
				return usageMsg{tag: loadTag{all: true, seq: seq}, usage: usages[i%2]}
			}},
		}
		for _, st := range steps {
			b.Run(fmt.Sprintf("step=%s/mode=%s", st.name, mode.name), func(b *testing.B) {
				if st.setup != nil {
					st.setup()
				}
				var maxUI, ready time.Duration
				i := 0
				for b.Loop() {
					step, wait := driveWork(b, a, st.msg(i))
					maxUI, ready = max(maxUI, step), max(ready, wait)
					i++
				}
				b.ReportMetric(float64(maxUI.Microseconds())/1000, "ui-max-ms")
				b.ReportMetric(float64(ready.Microseconds())/1000, "ready-ms")
			})
		}
		a.cancel()
	}
}

// driveWork sends msg through Update and View (nil: none, only the table's
// pending work), runs the commands it returns in goroutines as the
// runtime does, and takes each table result back through Update and View,
// until the table shows what it was asked for. Other messages (spinner
// ticks, cursor blinks) are dropped. It returns the longest Update+View
// and the time from msg to the rows shown.
func driveWork(b *testing.B, a *App, msg tea.Msg) (longest, ready time.Duration) {
	b.Helper()
	msgs := make(chan tea.Msg, 64)
	var run func(tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd != nil {
			go func() { msgs <- cmd() }()
		}
	}
	start := time.Now()
	step := func(m tea.Msg) {
		t0 := time.Now()
		_, cmd := a.Update(m)
		_ = a.View()
		longest = max(longest, time.Since(t0))
		run(cmd)
	}
	if msg != nil {
		step(msg)
	} else {
		step(tea.WindowSizeMsg{Width: a.width, Height: a.height})
	}
	for a.table.Working() != "" {
		select {
		case m := <-msgs:
			switch m := m.(type) {
			case tea.BatchMsg:
				for _, c := range m {
					run(c)
				}
			case keytable.ReorderedMsg:
				step(m)
			}
		case <-time.After(30 * time.Second):
			b.Fatal("the table's work never landed")
		}
	}
	return longest, time.Since(start)
}
