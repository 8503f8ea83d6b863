package common

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
)

// TestForStatus: each status has its own colour, from the renderer the
// styles were built for; a colourless terminal gets none.
func TestForStatus(t *testing.T) {
	colour := lipgloss.NewRenderer(&bytes.Buffer{}, termenv.WithProfile(termenv.TrueColor))
	colour.SetColorProfile(termenv.TrueColor)
	colour.SetHasDarkBackground(true)
	s := NewStylesFor(colour, DefaultTheme())
	seen := map[string]model.Status{}
	for st := model.StatusActive; st <= model.StatusIdle; st++ {
		out := s.ForStatus(st).Render(st.String())
		if !strings.Contains(out, "\x1b[") {
			t.Errorf("%v drawn without colour on a true-colour terminal: %q", st, out)
		}
		code := strings.TrimSuffix(out, st.String()+"\x1b[0m")
		if prev, dup := seen[code]; dup {
			t.Errorf("%v and %v share a colour", prev, st)
		}
		seen[code] = st
	}
	if got := s.ForStatus(model.Status(99)).Render("x"); got != s.ForStatus(model.StatusInactive).Render("x") {
		t.Errorf("an unknown status is not drawn as inactive: %q", got)
	}
	ascii := lipgloss.NewRenderer(&bytes.Buffer{})
	ascii.SetColorProfile(termenv.Ascii)
	plain := NewStylesFor(ascii, DefaultTheme())
	if got := plain.ForStatus(model.StatusExpired).Render("Expired"); got != "Expired" {
		t.Errorf("a colourless terminal got %q", got)
	}
	if plain.Renderer == nil || s.Renderer != colour {
		t.Error("Styles do not keep the renderer they were built for")
	}
}
