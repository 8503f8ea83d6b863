package ui

import (
	"fmt"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/editvalue"
)

// onBulkAction opens the step after the bulk menu: the value to set, or
// (for deactivation) the confirmation. Deactivated keys are skipped by
// every bulk change: a deactivated key can never work again, so a new
// expiry or interval would change nothing, and it is already inactive.
// The value dialog gets the keys that change; its result finds the
// skipped ones again beside them in the selection (skippedBeside).
func (a *App) onBulkAction(r actions.BulkChosen) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	active, deactivated := splitDeactivated(r.Keys)
	op := bulkDeactivate
	switch r.Action {
	case actions.EditExpiry:
		op = bulkExpiry
	case actions.EditInactivity:
		op = bulkInactivity
	case actions.Deactivate:
	default:
		return nil
	}
	if op == bulkDeactivate || len(active) == 0 {
		return a.confirmBulk(bulkTag{op: op, keys: active, skipped: deactivated})
	}
	if op == bulkExpiry {
		if cmd := a.needLimit(); cmd != nil {
			return cmd
		}
	}
	c := a.dialogCommon()
	if op == bulkExpiry {
		return a.push(editvalue.NewBulkExpiry(c, active, a.limitDays))
	}
	return a.push(editvalue.NewBulkInactivity(c, active))
}

// skippedBeside is what a bulk value dialog for keys left out: the
// deactivated keys of the selection, read when its value comes back, so
// no state waits in the root across the dialog (the selection cannot
// change while a dialog is open).
func (a *App) skippedBeside(keys []model.APIKey) []model.APIKey {
	_, deactivated := splitDeactivated(a.table.Selected())
	return slices.DeleteFunc(deactivated, func(d model.APIKey) bool {
		return slices.ContainsFunc(keys, func(k model.APIKey) bool { return k.ID == d.ID })
	})
}

// splitDeactivated parts keys into those still active and those
// deactivated, each in the order given.
func splitDeactivated(keys []model.APIKey) (active, deactivated []model.APIKey) {
	for _, k := range keys {
		if k.IsActive {
			active = append(active, k)
		} else {
			deactivated = append(deactivated, k)
		}
	}
	return active, deactivated
}

// confirmBulk asks once before a bulk change (or a delete of the selection
// or the current key), naming the count, the keys, how many of them the
// filter hides and how many are skipped.
func (a *App) confirmBulk(t bulkTag) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	if len(t.keys) == 0 {
		if t.op == bulkDelete {
			return nil // no key to delete: nothing to say
		}
		n := len(t.skipped)
		if t.op == bulkDeactivate {
			a.status.SetInfo(fmt.Sprintf("Nothing to deactivate: the %s selected %s already inactive.", common.Count(n, "key"), isAre(n)))
		} else {
			a.status.SetInfo(fmt.Sprintf("Nothing to change: the %s selected %s deactivated, and a deactivated key can never work again.", common.Count(n, "key"), isAre(n)))
		}
		return nil
	}
	n := common.Count(len(t.keys), "key")
	var title, label string
	var lines []string
	now := a.c.Now()
	switch t.op {
	case bulkDeactivate:
		title, label = "Deactivate "+n+"?", "Deactivate "+n
	case bulkDelete:
		title, label = "Delete "+n+"?", "Delete "+n
		if len(t.keys) == 1 {
			title = "Delete key " + displayName(t.keys[0]) + "?"
		}
	case bulkExpiry:
		title, label = "Set the expiry of "+n+"?", "Set expiry"
		if t.expiry.Never {
			lines = append(lines, "New expiry: none (the keys will never expire)")
		} else {
			lines = append(lines, fmt.Sprintf("New expiry: %s (%s)", common.DateTime(t.expiry.At), common.Relative(t.expiry.At, now)))
		}
	case bulkInactivity:
		title, label = "Set the inactivity interval of "+n+"?", "Set interval"
		if t.days == 0 {
			lines = append(lines, "New inactivity interval: none (unused keys keep working)")
		} else {
			lines = append(lines, "New inactivity interval: "+common.Count(t.days, "day"))
		}
	}
	for i, k := range t.keys {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("…and %d more", len(t.keys)-maxListed))
			break
		}
		lines = append(lines, "• "+a.ownedKeyLine(k))
	}
	var notes []string
	if hidden := a.table.HiddenSelectedCount(); hidden > 0 {
		notes = append(notes, fmt.Sprintf("%d selected %s hidden by the current filter.", hidden, keyIsAre(hidden)))
	}
	if n := len(t.skipped); n > 0 {
		if t.op == bulkDeactivate {
			notes = append(notes, fmt.Sprintf("%d selected %s already inactive and will be skipped.", n, keyIsAre(n)))
		} else {
			notes = append(notes, fmt.Sprintf("%d selected %s deactivated and will be skipped: a deactivated key can never work again.", n, keyIsAre(n)))
		}
	}
	switch t.op {
	case bulkDeactivate:
		notes = append(notes, "Deactivated keys stop working at once. This cannot be undone.")
	case bulkDelete:
		notes = append(notes, "Deleted keys stop working at once. This cannot be undone.")
	}
	if len(notes) > 0 {
		lines = append(append(lines, ""), notes...) // the list apart from the notes
	}
	return a.push(confirm.New(a.dialogCommon(), confirm.Options{
		Title:        title,
		Lines:        lines,
		ConfirmLabel: label,
		Danger:       t.op == bulkDeactivate || t.op == bulkDelete,
		Tag:          t,
	}))
}

// ownedKeyLine is keyLine with the owner in the all-users view, where
// names alone do not tell keys apart.
func (a *App) ownedKeyLine(k model.APIKey) string {
	if a.allUsers {
		return keyLine(k) + "  [" + model.CleanText(k.Username) + "]"
	}
	return keyLine(k)
}

// startBulk sends the confirmed change, one key after another, in one
// command.
func (a *App) startBulk(t bulkTag) tea.Cmd {
	var verb string
	switch t.op {
	case bulkDeactivate:
		verb = "Deactivating"
	case bulkDelete:
		verb = "Deleting"
	case bulkExpiry:
		verb = "Setting the expiry of"
	case bulkInactivity:
		verb = "Setting the inactivity interval of"
	}
	return a.mutate(verb+" "+common.Count(len(t.keys), "key")+"…", runBulk(a.ctx, a.api, t))
}

// onBulkDone reports what changed and what failed (with a dialog when
// anything did, so it is not missed), then reloads. Keys that changed, or
// were skipped, leave the selection; those that failed stay selected,
// ready for another try.
func (a *App) onBulkDone(msg bulkDoneMsg) tea.Cmd {
	t := msg.tag
	var ids []string
	for _, k := range append(slices.Clip(msg.done), t.skipped...) {
		ids = append(ids, k.ID)
	}
	a.table.Deselect(ids...)
	total := len(msg.done) + len(msg.failed)
	skipped := ""
	if n := len(t.skipped); n > 0 {
		why := "deactivated"
		if t.op == bulkDeactivate {
			why = "already inactive"
		}
		skipped = fmt.Sprintf(" (%d %s, skipped)", n, why)
	}
	if len(msg.failed) == 0 {
		what := common.Count(total, "key")
		if t.op == bulkDelete && total == 1 {
			what = "key " + displayName(msg.done[0])
		}
		a.status.SetInfo(bulkSummary(t, what) + skipped)
		return a.refreshAfterChange()
	}
	var fails, lines []string
	for _, f := range msg.failed {
		fails = append(fails, fmt.Sprintf("%s (%s)", displayName(f.key), describe(f.err)))
		lines = append(lines, fmt.Sprintf("✗ %s: %s", displayName(f.key), describe(f.err)))
	}
	summary := bulkSummary(t, fmt.Sprintf("%d of %s", len(msg.done), common.Count(total, "key"))) + "." + skipped
	a.status.SetError(fmt.Errorf("%s Failed: %s", summary, strings.Join(fails, "; ")))
	report := a.push(confirm.New(a.dialogCommon(), confirm.Options{
		Title:       bulkTitle(t.op) + " finished with errors",
		Lines:       append([]string{summary}, lines...),
		Acknowledge: true,
		Tag:         reportTag{},
	}))
	return tea.Batch(report, a.refreshAfterChange())
}

// bulkSummary says what was done to what ("3 keys", "2 of 3 keys").
func bulkSummary(t bulkTag, what string) string {
	switch t.op {
	case bulkDeactivate:
		return "Deactivated " + what
	case bulkDelete:
		return "Deleted " + what
	case bulkExpiry:
		if t.expiry.Never {
			return "Removed the expiry of " + what
		}
		return "Set the expiry of " + what + " to " + common.DateTime(t.expiry.At)
	case bulkInactivity:
		if t.days == 0 {
			return "Removed the inactivity interval of " + what
		}
		return "Set the inactivity interval of " + what + " to " + common.Count(t.days, "day")
	}
	return ""
}

func bulkTitle(op bulkOp) string {
	switch op {
	case bulkDeactivate:
		return "Deactivate"
	case bulkDelete:
		return "Delete"
	case bulkExpiry:
		return "Set expiry"
	}
	return "Set inactivity interval"
}

func keyIsAre(n int) string {
	if n == 1 {
		return "key is"
	}
	return "keys are"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
