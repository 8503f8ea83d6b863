package common

import (
	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
)

// NameKey keeps out of a key typed (or pasted) into a key name's field what
// a name may not hold (model.DropForbidden): a pasted bidi override or
// escape never enters the field nor reaches the screen, and the field shows
// exactly what will be sent. It returns the key to pass on, and pass false
// when nothing is left to pass on; when something was left out, *dropped
// is set to what the first character was. Keys other than typed text pass
// unchanged.
func NameKey(km tea.KeyMsg, dropped *string) (out tea.KeyMsg, pass bool) {
	if km.Type != tea.KeyRunes {
		return km, true
	}
	kept, first := model.DropForbidden(string(km.Runes))
	if first == "" {
		return km, true
	}
	*dropped = first
	km.Runes = []rune(kept)
	return km, kept != ""
}
