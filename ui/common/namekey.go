package common

import (
	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
)

// NameKey keeps out of a key typed (or pasted) into a key name's field what
// a name may not hold (model.DropForbidden): a pasted bidi override or
// escape never enters the field nor reaches the screen, and the field shows
// exactly what will be sent. It returns the key to pass on, what the first
// character left out was ("" when none), and pass false when nothing is
// left to pass on. Keys other than typed text pass unchanged.
func NameKey(km tea.KeyMsg) (out tea.KeyMsg, dropped string, pass bool) {
	if km.Type != tea.KeyRunes {
		return km, "", true
	}
	kept, dropped := model.DropForbidden(string(km.Runes))
	if dropped == "" {
		return km, "", true
	}
	km.Runes = []rune(kept)
	return km, dropped, kept != ""
}
