package cli

import (
	"context"
	"fmt"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/ui"
)

// OpenDashboard checks that the token may manage keys, then runs the
// dashboard until the admin quits. A rejected token or a non-admin's key is
// one clear line and exit 1, never an empty table.
func OpenDashboard(ctx context.Context, d DashboardDeps) error {
	if err := d.Client.CheckAdmin(ctx); err != nil {
		return fmt.Errorf("cannot open the dashboard: %w", err)
	}
	if d.NoColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	return ui.Run(ctx, d.Client, ui.Options{
		Address:  d.Address,
		User:     d.User,
		ReadOnly: d.ReadOnly,
		Insecure: d.Insecure,
		Now:      d.Now,
	})
}
