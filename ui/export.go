package ui

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/export"
)

// openExport asks where to write the rows shown. Exporting changes nothing
// on the server, so read-only mode allows it; Options.NoExport does not.
func (a *App) openExport() tea.Cmd {
	n := a.table.Shown()
	if n == 0 {
		return nil
	}
	if a.opts.NoExport != "" {
		a.status.SetInfo(a.opts.NoExport)
		return nil
	}
	scope := "all-users"
	if !a.allUsers {
		scope = a.user.Username
	}
	var notes []string
	switch {
	case a.load != nil && !a.load.refresh:
		notes = append(notes, "Keys are still loading: only those loaded so far will be written.")
	case a.partial:
		notes = append(notes, "The last load stopped part-way: keys it did not load are not in the table, nor in the file (r reloads).")
	}
	d := export.New(a.dialogCommon(), export.Options{
		Path:  export.DefaultPath(scope, a.c.Now()),
		Count: n,
		Notes: notes,
	})
	return a.push(d, whenChosen(d, a.startExport))
}

// startExport writes the rows shown now, in the order shown, with the
// statuses shown (the table's as-of time), in a command.
func (a *App) startExport(r export.Chosen) tea.Cmd {
	keys := a.table.ShownKeys()
	return a.request("exporting "+common.Count(len(keys), "key")+"…", writeExport(r.Path, r.Format, keys, a.table.AsOf(), false))
}

// onExported names the file, asks before replacing one, or reports why
// the export failed.
func (a *App) onExported(msg exportDoneMsg) tea.Cmd {
	switch {
	case msg.exists:
		again := overwriteReq{path: msg.path, format: msg.format, keys: msg.keys, now: msg.now}
		d := confirm.New(a.dialogCommon(), confirm.Options{
			Title: "Replace " + msg.path + "?",
			Lines: []string{
				"A file with this name exists.",
				fmt.Sprintf("Replacing it writes the %s shown (%s) in its place; what it holds now is lost.", common.Count(len(msg.keys), "key"), msg.format),
			},
			ConfirmLabel: "Replace",
			Danger:       true,
		})
		return a.push(d, whenChosen(d, func(confirm.Confirmed) tea.Cmd { return a.overwrite(again) }))
	case msg.err != nil:
		a.status.SetError(fmt.Errorf("could not export: %s", describe(msg.err)))
		return nil
	}
	a.status.SetInfo(fmt.Sprintf("Exported %s to %s", common.Count(len(msg.keys), "key"), msg.path))
	return nil
}

// overwrite writes the export over the existing file, as confirmed.
func (a *App) overwrite(t overwriteReq) tea.Cmd {
	return a.request("exporting "+common.Count(len(t.keys), "key")+"…", writeExport(t.path, t.format, t.keys, t.now, true))
}
