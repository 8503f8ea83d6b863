package ui

// Whole-app benchmarks (run: go test -run '^$' -bench . -benchmem ./ui/).
// Figures are printed, never asserted.

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
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
	a := New(newFakeAPI(), Options{Now: func() time.Time { return testNow }, Copier: &fakeCopier{}, Address: "https://h2ogpte.example.com"})
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
