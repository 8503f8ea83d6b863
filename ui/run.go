package ui

import (
	"context"
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
)

// Run runs the dashboard until the admin quits or ctx ends. It draws on the
// alternate screen, so no secret is left in the scrollback afterwards.
func Run(ctx context.Context, api API, opts Options) error {
	opts.Context = ctx
	app := New(api, opts)
	defer app.Close() // the context may end the program with the secret shown
	p := tea.NewProgram(app, tea.WithAltScreen(), tea.WithContext(ctx))
	if _, err := p.Run(); err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
