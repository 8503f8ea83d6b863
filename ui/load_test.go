package ui

import (
	"testing"

	"h2ogpte-keys/ui/components/keytable"
)

// TestRefreshOverCutShortLoadIsPartial: r during a first load stops it
// with some rows on screen; if the refresh is then stopped too, those rows
// are all there is, and an export must say the table is partial.
func TestRefreshOverCutShortLoadIsPartial(t *testing.T) {
	tests := []struct {
		name        string
		firstDone   bool
		wantPartial bool
	}{
		{"first load cut short by r", false, true},
		{"first load complete", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI()
			a := startApp(t, f, Options{User: "alice"}, 100, 30)
			a.switchUser(a.user) // a first load, left in flight
			a.Update(keysPageMsg{tag: a.load.tag, rows: keytable.FormatRows(f.keys["alice"][:2], testNow), done: tt.firstDone})
			a.refresh()
			a.stopLoad()
			if a.partial != tt.wantPartial {
				t.Errorf("%d of %d keys shown, partial %v, want %v", a.table.Len(), len(f.keys["alice"]), a.partial, tt.wantPartial)
			}
		})
	}
}
