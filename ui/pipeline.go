package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/change"
	"h2ogpte-keys/client"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/editvalue"
)

// ErrReadOnly is the answer to any change asked for in read-only mode; the
// change pipeline refuses with it too, below the dialogs.
var ErrReadOnly = change.ErrReadOnly

// plan is one change about to run through the pipeline: the shared
// descriptor, the keys it touches and the dashboard's words for it. A key
// from its own menu is a plan of one (single), reported in one line.
type plan struct {
	change change.Change
	keys   []model.APIKey
	// skipped are selected keys left out (deactivated ones: already
	// inactive for a deactivation, past changing for a value), named in
	// the confirmation and the report.
	skipped []model.APIKey
	skipWhy string
	single  bool
	// title names the action in a report's title ("Set expiry"); label is
	// the confirm button's text.
	title, label string
	// doing is the spinner's verb: "Deactivating".
	doing string
	// value is the confirmation's line for the new value ("" for none).
	value string
	// note is the confirmation's warning for a change that cannot be undone.
	note string
	// summary says what was done to what ("3 keys", "2 of 3 keys").
	summary func(what string) string
	// singleDone is the one-line report of a single key done.
	singleDone func(name string) string
	// stored, when set, words the value the server stored for a single
	// key done, read back after the change: a server may store something
	// other than what was asked (its own default expiry, say).
	stored func(k model.APIKey) string
}

func deactivatePlan(keys []model.APIKey) plan {
	return plan{
		change: change.Deactivate(), keys: keys, skipWhy: "already inactive",
		title: "Deactivate", doing: "Deactivating", label: "Deactivate " + common.Count(len(keys), "key"),
		note:       "Deactivated keys stop working at once. This cannot be undone.",
		summary:    func(what string) string { return "Deactivated " + what },
		singleDone: func(name string) string { return "Deactivated " + name },
	}
}

func deletePlan(keys []model.APIKey) plan {
	return plan{
		change: change.Delete(), keys: keys,
		title: "Delete", doing: "Deleting", label: "Delete " + common.Count(len(keys), "key"),
		note:       "Deleted keys stop working at once. This cannot be undone.",
		summary:    func(what string) string { return "Deleted " + what },
		singleDone: func(name string) string { return "Deleted key " + name },
	}
}

func (a *App) expiryPlan(keys []model.APIKey, e model.Expiry) plan {
	p := plan{
		change: change.SetExpiry(e), keys: keys, skipWhy: "deactivated",
		title: "Set expiry", label: "Set expiry", doing: "Setting the expiry of",
	}
	if e.Never {
		p.value = "New expiry: none (the keys will never expire)"
		p.summary = func(what string) string { return "Removed the expiry of " + what }
		p.singleDone = func(name string) string { return "Expiry of " + name + " removed" }
	} else {
		at := common.DateTime(e.At)
		p.value = fmt.Sprintf("New expiry: %s (%s)", at, common.Relative(e.At, a.c.Now()))
		p.summary = func(what string) string { return "Set the expiry of " + what + " to " + at }
		p.singleDone = func(name string) string { return "Expiry of " + name + " set to " + at }
	}
	p.stored = func(k model.APIKey) string {
		if k.Expires == nil {
			return "the server stored: never expires"
		}
		return "the server stored: expires " + common.DateTime(*k.Expires)
	}
	return p
}

func inactivityPlan(keys []model.APIKey, days int) plan {
	p := plan{
		change: change.SetInactivity(days), keys: keys, skipWhy: "deactivated",
		title: "Set inactivity interval", label: "Set interval", doing: "Setting the inactivity interval of",
	}
	if days == 0 {
		p.value = "New inactivity interval: none (unused keys keep working)"
		p.summary = func(what string) string { return "Removed the inactivity interval of " + what }
		p.singleDone = func(name string) string { return "Inactivity interval of " + name + " removed" }
	} else {
		n := common.Count(days, "day")
		p.value = "New inactivity interval: " + n
		p.summary = func(what string) string { return "Set the inactivity interval of " + what + " to " + n }
		p.singleDone = func(name string) string { return "Inactivity interval of " + name + " set to " + n }
	}
	return p
}

// changeDoneMsg is a plan's report from the pipeline.
type changeDoneMsg struct {
	plan   plan
	report change.Report
	err    error
	// stored is the single key as read back after it was done, when the
	// plan asks to show what the server stored (nil when not read).
	stored *model.APIKey
}

// runPlan sends p through the pipeline in one command, with a spinner.
// The UI's guard comes first so that no spinner starts for a refusal; the
// Runner refuses on its own too.
func (a *App) runPlan(p plan) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	what := common.Count(len(p.keys), "key")
	if p.single {
		what = displayName(p.keys[0])
	}
	return a.request(p.doing+" "+what+"…", a.inFlight(func(ctx context.Context) func() tea.Msg { return applyPlan(ctx, a.runner, a.api, p) }))
}

// applyPlan runs p's change over its keys, then reads a single key back
// when p shows what the server stored; it reads nothing from the App.
func applyPlan(ctx context.Context, r *change.Runner, api API, p plan) func() tea.Msg {
	return func() tea.Msg {
		rep, err := r.Run(ctx, p.change, p.keys)
		msg := changeDoneMsg{plan: p, report: rep, err: err}
		if p.single && p.stored != nil && len(rep.Results) == 1 && rep.Results[0].Outcome == model.Done {
			msg.stored = readKey(ctx, api, rep.Results[0].Key)
		}
		return msg
	}
}

// readKey reads k back from its owner's keys; nil when it cannot be read
// (the report then says only what was asked).
func readKey(ctx context.Context, api API, k model.APIKey) *model.APIKey {
	found, err := change.FindKey(ctx, api, k.Username, k.ID)
	if err != nil {
		return nil
	}
	return found
}

// onBulkAction opens the step after the bulk menu: the value to set, or
// (for deactivation) the confirmation. Deactivated keys are skipped by
// every bulk change: a deactivated key can never work again, so a new
// expiry or interval would change nothing, and it is already inactive.
func (a *App) onBulkAction(r actions.Chosen) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	active, deactivated := splitDeactivated(r.Keys)
	switch r.Action {
	case actions.Deactivate:
		p := deactivatePlan(active)
		p.skipped = deactivated
		return a.confirmPlan(p)
	case actions.EditExpiry:
		if len(active) == 0 {
			p := a.expiryPlan(nil, model.Expiry{Never: true})
			p.skipped = deactivated
			return a.confirmPlan(p)
		}
		if cmd := a.needLimit(); cmd != nil {
			return cmd
		}
		d := editvalue.NewBulkExpiry(a.dialogCommon(), active, a.limitDays)
		return a.push(d, whenChosen(d, a.onBulkExpiryChosen))
	case actions.EditInactivity:
		if len(active) == 0 {
			p := inactivityPlan(nil, 0)
			p.skipped = deactivated
			return a.confirmPlan(p)
		}
		d := editvalue.NewBulkInactivity(a.dialogCommon(), active)
		return a.push(d, whenChosen(d, a.onBulkInactivityChosen))
	}
	return nil
}

// onBulkExpiryChosen asks once before setting the expiry of every key.
func (a *App) onBulkExpiryChosen(r editvalue.Chosen) tea.Cmd {
	p := a.expiryPlan(r.Keys, r.Expiry)
	p.skipped = a.skippedBeside(r.Keys)
	return a.confirmPlan(p)
}

// onBulkInactivityChosen asks once before setting the interval of every key.
func (a *App) onBulkInactivityChosen(r editvalue.Chosen) tea.Cmd {
	p := inactivityPlan(r.Keys, r.Days)
	p.skipped = a.skippedBeside(r.Keys)
	return a.confirmPlan(p)
}

// pushConfirm asks c's question and runs p on a yes.
func (a *App) pushConfirm(c *confirm.Model, p plan) tea.Cmd {
	return a.push(c, whenChosen(c, func(confirm.Confirmed) tea.Cmd { return a.runPlan(p) }))
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

// confirmPlan asks once before a change of several keys (or a delete or
// deactivation of one), naming the count, the keys, how many of them the
// filter hides and how many are skipped. The plan waits in the dialog's
// continuation and runs on a yes.
func (a *App) confirmPlan(p plan) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	if len(p.keys) == 0 {
		if p.change.Verb == "delete" {
			return nil // no key to delete: nothing to say
		}
		n := len(p.skipped)
		if p.skipWhy == "already inactive" {
			a.status.SetInfo(fmt.Sprintf("Nothing to deactivate: the %s selected %s already inactive.", common.Count(n, "key"), isAre(n)))
		} else {
			a.status.SetInfo(fmt.Sprintf("Nothing to change: the %s selected %s deactivated, and a deactivated key can never work again.", common.Count(n, "key"), isAre(n)))
		}
		return nil
	}
	if p.single {
		return a.confirmSingle(p)
	}
	n := common.Count(len(p.keys), "key")
	title := strings.ToUpper(p.change.Verb[:1]) + p.change.Verb[1:] + " " + n + "?"
	if p.change.Verb == "delete" && len(p.keys) == 1 {
		title = "Delete key " + displayName(p.keys[0]) + "?"
	}
	var lines []string
	if p.value != "" {
		lines = append(lines, p.value)
	}
	for i, k := range p.keys {
		if i == maxListed {
			lines = append(lines, fmt.Sprintf("…and %d more", len(p.keys)-maxListed))
			break
		}
		lines = append(lines, "• "+a.ownedKeyLine(k))
	}
	var notes []string
	if hidden := a.table.HiddenSelectedCount(); hidden > 0 {
		notes = append(notes, fmt.Sprintf("%d selected %s hidden by the current filter.", hidden, keyIsAre(hidden)))
	}
	if n := len(p.skipped); n > 0 {
		if p.skipWhy == "already inactive" {
			notes = append(notes, fmt.Sprintf("%d selected %s already inactive and will be skipped.", n, keyIsAre(n)))
		} else {
			notes = append(notes, fmt.Sprintf("%d selected %s deactivated and will be skipped: a deactivated key can never work again.", n, keyIsAre(n)))
		}
	}
	if p.note != "" {
		notes = append(notes, p.note)
	}
	if len(notes) > 0 {
		lines = append(append(lines, ""), notes...) // the list apart from the notes
	}
	return a.pushConfirm(confirm.New(a.dialogCommon(), confirm.Options{
		Title:        title,
		Lines:        lines,
		ConfirmLabel: p.label,
		Danger:       p.change.Danger,
	}), p)
}

// confirmSingle asks before a change to the one key of its own menu that
// cannot be undone.
func (a *App) confirmSingle(p plan) tea.Cmd {
	k := p.keys[0]
	return a.pushConfirm(confirm.New(a.dialogCommon(), confirm.Options{
		Title: p.title + " key " + displayName(k) + "?",
		Lines: []string{
			keyLine(k),
			"Owner: " + model.CleanText(k.Username),
			"Anything that uses this key stops working at once.",
			"This cannot be undone: there is no way to reactivate a key.",
		},
		ConfirmLabel: p.title,
		Danger:       true,
	}), p)
}

// ownedKeyLine is keyLine with the owner in the all-users view, where
// names alone do not tell keys apart.
func (a *App) ownedKeyLine(k model.APIKey) string {
	if a.allUsers {
		return keyLine(k) + "  [" + model.CleanText(k.Username) + "]"
	}
	return keyLine(k)
}

// onChangeDone reports what the pipeline did, key by key: done, not done,
// unknown. Anything not done or unknown raises a report dialog, so it is
// not missed; then the keys reload. Keys done, or skipped, leave the
// selection; the rest stay selected, ready for another try.
func (a *App) onChangeDone(msg changeDoneMsg) tea.Cmd {
	p, rep := msg.plan, msg.report
	if msg.err != nil && len(rep.Results) == 0 {
		a.status.SetError(msg.err)
		return nil
	}
	if errorsIsReadOnly(msg.err) {
		a.status.SetError(msg.err)
		return nil
	}
	var ids []string
	for _, k := range append(rep.Keys(model.Done), p.skipped...) {
		ids = append(ids, k.ID)
	}
	a.table.Deselect(ids...)
	if unsupported(rep) {
		// Nothing changed: the server predates inactivity intervals.
		// Stop offering them rather than fail the same way again.
		a.noInactivity = true
		a.status.SetError(errNoInactivity)
		return nil
	}
	if p.single {
		return a.reportSingle(p, rep.Results[0], msg.stored, msg.err)
	}
	total := len(rep.Results)
	skipped := ""
	if n := len(p.skipped); n > 0 {
		skipped = fmt.Sprintf(" (%d %s, skipped)", n, p.skipWhy)
	}
	if rep.AllDone() {
		what := common.Count(total, "key")
		if p.change.Verb == "delete" && total == 1 {
			what = "key " + displayName(rep.Results[0].Key)
		}
		a.status.SetInfo(p.summary(what) + skipped)
		if msg.err != nil {
			a.status.SetError(msg.err) // the recorder failed: say so
		}
		return a.refreshAfterChange()
	}
	var fails, unknown, lines []string
	for _, r := range rep.Results {
		switch r.Outcome {
		case model.NotDone:
			fails = append(fails, fmt.Sprintf("%s (%s)", displayName(r.Key), describe(r.Err)))
			lines = append(lines, fmt.Sprintf("✗ %s: %s", displayName(r.Key), describe(r.Err)))
		case model.Unknown:
			unknown = append(unknown, fmt.Sprintf("%s (%s)", displayName(r.Key), describe(r.Err)))
			lines = append(lines, fmt.Sprintf("? %s: unknown whether it changed: %s", displayName(r.Key), describe(r.Err)))
		}
	}
	summary := p.summary(fmt.Sprintf("%d of %s", rep.Count(model.Done), common.Count(total, "key"))) + "." + skipped
	var parts []string
	if len(fails) > 0 {
		parts = append(parts, "Failed: "+strings.Join(fails, "; "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "Unknown (reload to see): "+strings.Join(unknown, "; "))
	}
	if msg.err != nil {
		// The recorder (the audit log) failed: a report must say so.
		parts = append(parts, describe(msg.err))
		lines = append(lines, "! "+describe(msg.err))
	}
	a.status.SetError(fmt.Errorf("%s %s", summary, strings.Join(parts, ". ")))
	report := a.push(confirm.New(a.dialogCommon(), confirm.Options{
		Title:       p.title + " finished with errors",
		Lines:       append([]string{summary}, lines...),
		Acknowledge: true,
	}), nil)
	return tea.Batch(report, a.refreshAfterChange())
}

// reportSingle is the one-line report of a key from its own menu.
func (a *App) reportSingle(p plan, r change.Result, stored *model.APIKey, err error) tea.Cmd {
	name := displayName(r.Key)
	switch r.Outcome {
	case model.Done:
		text := p.singleDone(name)
		if stored != nil && p.stored != nil {
			text += " (" + p.stored(*stored) + ")"
		}
		a.status.SetInfo(text)
		if err != nil {
			a.status.SetError(err)
		}
	case model.Unknown:
		a.status.SetError(withRecorderErr(fmt.Errorf("unknown whether the change to %s was made (%s): reload to see", name, describe(r.Err)), err))
	default:
		a.status.SetError(withRecorderErr(fmt.Errorf("could not %s %s: %s", p.change.Verb, name, describe(r.Err)), err))
	}
	return a.refreshAfterChange()
}

// withRecorderErr adds the recorder's failure (the audit log's), if any, to
// a report: a change not on record must not pass unsaid.
func withRecorderErr(report, recErr error) error {
	if recErr == nil {
		return report
	}
	return fmt.Errorf("%w; %s", report, describe(recErr))
}

// errNoInactivity is what an older server's refusal of inactivity
// intervals (client.ErrUnsupported) is shown as.
var errNoInactivity = errors.New("this server does not support inactivity intervals")

// unsupported reports whether every key of rep was refused because the
// server does not support the change (client.ErrUnsupported).
func unsupported(rep change.Report) bool {
	if len(rep.Results) == 0 {
		return false
	}
	for _, r := range rep.Results {
		if r.Outcome != model.NotDone || !errors.Is(r.Err, client.ErrUnsupported) {
			return false
		}
	}
	return true
}

func errorsIsReadOnly(err error) bool { return err != nil && err == change.ErrReadOnly }

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

// newLostSecret is the dialog for a key created without its answer: it
// exists, its secret cannot be shown again. Cancel (the default) keeps it;
// the button deletes it; deactivating is a press of a on it, where the
// cursor goes. notes say more (a rotation: what became of the old key).
func newLostSecret(c common.Common, k model.APIKey, owner string, notes ...string) *confirm.Model {
	lines := []string{
		keyLine(k),
		"Owner: " + owner,
		"The server created this key but its answer was lost on the way back,",
		"so its secret cannot be shown again, and nothing that needs the key has it.",
	}
	lines = append(lines, notes...)
	lines = append(lines, "", "Keep it (Cancel), delete it now, or keep it and press a on it to deactivate it.")
	return confirm.New(c, confirm.Options{
		Title:        "Key " + displayName(k) + " was created; its secret is lost",
		Lines:        lines,
		ConfirmLabel: "Delete it",
		Danger:       true,
	})
}
