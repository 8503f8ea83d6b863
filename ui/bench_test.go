package ui

// Whole-app benchmarks (run: go test -run '^$' -bench . -benchmem ./ui/).
// Figures are printed, never asserted.

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/components/keytable"
)

// benchKeys is n keys spread over 500 users, in every state.
func benchKeys(n int) []model.APIKey {
	out := make([]model.APIKey, n)
	for i := range out {
		out[i] = model.APIKey{
			ID: fmt.Sprintf("k%06d", i), Username: fmt.Sprintf("user%d", i%500),
			Name: fmt.Sprintf("key %d", i), Hint: "abcd",
			Created:  testNow.Add(-time.Duration(i) * time.Minute),
			IsActive: i%7 != 0, IsGlobal: i%3 == 0,
			CollectionID: "c", CollectionName: "collection",
			TotalCalls: model.Some(int64(i)), LastUsed: model.Some(testNow.Add(-time.Hour)),
		}
	}
	return out
}

// BenchmarkAppFrame100k is one frame of the whole dashboard: a key press
// (down) through App.Update and App.View, at 200x50, on the all-users
// table of 100,000 keys, in true colour (what a real terminal pays).
func BenchmarkAppFrame100k(b *testing.B) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	b.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	a := New(newTestAPI(b), Options{Now: func() time.Time { return testNow }, Copier: &fakeCopier{}, Address: "https://h2ogpte.example.com"})
	b.Cleanup(a.cancel)
	a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	a.hasUser, a.allUsers = true, true
	a.table.SetShowUser(true)
	const n = 100_000
	a.table.SetKeys(benchKeys(n))
	down := tea.KeyMsg{Type: tea.KeyDown}
	b.ResetTimer()
	for i := range b.N {
		if i%n == n-1 {
			a.table.GoTo("k000000")
		}
		a.Update(down)
		_ = a.View()
	}
}

// BenchmarkLoadMillion is a whole load of 1,000,000 keys (500 users) as
// the UI sees it, in pages of 1,000 measured up front (the streaming
// command's work, which runs beside the UI): every Update a page or a
// merge brings, and the commands they return run in line (the merges
// that run off the UI goroutine included). It reports the longest single
// Update ("ui-max-ms": the frame that waits longest, issue 13's ≤ 50 ms),
// the last page's Update, and the whole, for a first load and a refresh,
// unsorted and under a sort.
func BenchmarkLoadMillion(b *testing.B) {
	const n, page = 1_000_000, 1000
	keys := benchKeys(n)
	var pages []keytable.Rows
	for i := 0; i < n; i += page {
		pages = append(pages, keytable.FormatRows(keys[i:i+page], testNow))
	}
	for _, refresh := range []bool{false, true} {
		for _, sorted := range []bool{false, true} {
			b.Run(fmt.Sprintf("refresh=%v/sorted=%v", refresh, sorted), func(b *testing.B) {
				api := newTestAPI(b) // never called: the pages come from the loop below
				var maxUI, last, total time.Duration
				for range b.N {
					b.StopTimer()
					a := New(api, Options{Now: func() time.Time { return testNow }, Copier: &fakeCopier{}})
					a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
					a.hasUser, a.allUsers = true, true
					a.table.SetShowUser(true)
					if sorted {
						a.table.SortBy(keytable.ColCreated, false) // arrival is newest first: every page lands above the last
					}
					if refresh {
						a.table.SetKeys(keys)
					}
					runtime.GC()
					b.StartTimer()
					start := time.Now()
					a.startLoad(refresh)
					closed := make(chan keysEvent)
					close(closed)
					a.load.ch = closed // pages come from here, not the server
					tag := a.load.tag
					maxUI = 0
					var queue []tea.Msg
					for i, p := range pages {
						queue = append(queue, keysPageMsg{tag: tag, rows: p, done: i == len(pages)-1})
					}
					for len(queue) > 0 {
						msg := queue[0]
						queue = queue[1:]
						t0 := time.Now()
						_, cmd := a.Update(msg)
						d := time.Since(t0)
						maxUI = max(maxUI, d)
						if m, ok := msg.(keysPageMsg); ok && (m.done || len(queue) == 0) {
							last = d
						}
						queue = append(queue, results(cmd)...)
					}
					total = time.Since(start)
					b.StopTimer()
					if a.table.Len() != n {
						b.Fatalf("%d keys loaded", a.table.Len())
					}
					a.cancel()
					b.StartTimer()
				}
				b.ReportMetric(float64(maxUI.Microseconds())/1000, "ui-max-ms")
				b.ReportMetric(float64(last.Microseconds())/1000, "last-msg-ms")
				b.ReportMetric(total.Seconds(), "total-s")
			})
		}
	}
}

// results runs cmd and the commands it batches, and returns the messages
// that carry rows (merged or prepared rows coming back); a wait for the
// next page finds the channel closed and brings nothing.
func results(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, results(c)...)
		}
		return out
	case keysPageMsg:
		if msg.rows.Len() > 0 {
			return []tea.Msg{msg}
		}
	}
	return nil
}

// BenchmarkDemoLoad is the dashboard's whole "All users" load from the
// in-process demo server (over HTTP on loopback, through the client), as
// the Bubble Tea runtime would run it: commands in goroutines, messages
// through Update one at a time (spinner ticks dropped). The server shares
// the process and the CPUs, as with `demo --keys N`. Reported: seconds to
// fully loaded, the longest Update, the live heap once loaded, and the
// most memory the Go runtime held from the system (less what it had
// returned) during the load, sampled every 5 ms, the server's included;
// "bounded" runs under BoundHeap, as the dashboard command does.
func BenchmarkDemoLoad(b *testing.B) {
	for _, run := range []struct {
		n     int
		bound bool
	}{{100_000, false}, {1_000_000, false}, {1_000_000, true}} {
		n := run.n
		name := fmt.Sprint(n)
		if run.bound {
			name += "/bounded"
		}
		b.Run(name, func(b *testing.B) {
			if run.bound {
				defer BoundHeap()()
			}
			srv := demoserver.New(demoserver.Options{Seed: 1, Now: func() time.Time { return testNow }, ExtraKeys: n})
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken)})
			if err != nil {
				b.Fatal(err)
			}
			var loaded, maxUI time.Duration
			var heap, peak uint64
			for range b.N {
				a := New(c, Options{Now: func() time.Time { return testNow }, Copier: &fakeCopier{}})
				a.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
				a.hasUser, a.allUsers = true, true
				a.table.SetShowUser(true)
				runtime.GC()
				start := time.Now()
				msgs := make(chan tea.Msg, 64)
				var run func(tea.Cmd)
				run = func(cmd tea.Cmd) {
					if cmd == nil {
						return
					}
					go func() { msgs <- cmd() }()
				}
				stopPeak := samplePeak(&peak)
				run(a.startLoad(false))
				maxUI = 0
				for a.load != nil {
					msg := <-msgs
					if batch, ok := msg.(tea.BatchMsg); ok {
						for _, c := range batch {
							run(c)
						}
						continue
					}
					if _, ok := msg.(spinner.TickMsg); ok {
						continue
					}
					t0 := time.Now()
					_, cmd := a.Update(msg)
					_ = a.View() // the runtime renders after every Update
					maxUI = max(maxUI, time.Since(t0))
					run(cmd)
				}
				loaded = time.Since(start)
				stopPeak()
				heap = liveHeapUI()
				if a.table.Len() < n {
					b.Fatalf("%d keys loaded", a.table.Len())
				}
				a.cancel()
			}
			b.ReportMetric(loaded.Seconds(), "loaded-s")
			b.ReportMetric(float64(maxUI.Microseconds())/1000, "ui-max-ms")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		})
	}
}

// samplePeak records in *peak the most memory the runtime holds from the
// system, less what it has returned, until the returned function is called.
func samplePeak(peak *uint64) (stop func()) {
	*peak = 0
	done, finished := make(chan struct{}), make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	read := func() {
		metrics.Read(s)
		*peak = max(*peak, s[0].Value.Uint64()-s[1].Value.Uint64())
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// liveHeapUI is the heap in use after a full collection (the server's
// keys included: it shares the process).
func liveHeapUI() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
