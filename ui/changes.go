package ui

import (
	"context"
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
	"h2ogpte-keys/ui/components/editvalue"
	"h2ogpte-keys/ui/components/newkey"
	"h2ogpte-keys/ui/components/rotate"
	"h2ogpte-keys/ui/components/secret"
	"h2ogpte-keys/ui/components/userpicker"
)

// maxListed is how many key names a confirmation lists before "…and N more".
const maxListed = 8

// openActions opens the actions menu for the selected keys when there are
// any (bulk), else the details and actions of the key under the cursor.
// In read-only mode the details open without actions (the dialog offers
// none), and a selection cannot exist.
func (a *App) openActions() tea.Cmd {
	if a.table.SelectedCount() > 0 {
		if cmd := a.refuseChanges(); cmd != nil {
			return cmd
		}
		m := a.withoutUnsupported(actions.NewBulk(a.dialogCommon(), a.table.Selected(), a.table.HiddenSelectedCount()))
		return a.push(m, whenChosen(m, a.onBulkAction))
	}
	k, ok := a.table.Current()
	if !ok {
		return nil
	}
	m := a.withoutUnsupported(actions.New(a.dialogCommon(), k))
	usage := a.withUsage(m)
	return tea.Batch(a.push(m, whenChosen(m, a.onAction)), usage)
}

// withoutUnsupported leaves out of m what the server said it does not
// support.
func (a *App) withoutUnsupported(m *actions.Model) *actions.Model {
	if a.noInactivity {
		m.Without(actions.EditInactivity)
	}
	return m
}

// onAction opens the dialog for the action chosen in a key's own menu.
func (a *App) onAction(r actions.Chosen) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	if len(r.Keys) != 1 {
		return nil
	}
	k, c := r.Keys[0], a.dialogCommon()
	switch r.Action {
	case actions.EditExpiry:
		if cmd := a.needLimit(); cmd != nil {
			return cmd
		}
		d := editvalue.NewExpiry(c, k, a.limitDays)
		return a.push(d, whenChosen(d, a.onExpiryChosen))
	case actions.EditInactivity:
		d := editvalue.NewInactivity(c, k)
		return a.push(d, whenChosen(d, a.onInactivityChosen))
	case actions.Rotate:
		return a.startRotate(k)
	case actions.Deactivate:
		p := deactivatePlan(r.Keys)
		p.single = true
		return a.confirmPlan(p)
	}
	return nil
}

// onExpiryChosen runs a single key's new expiry: the dialog was the
// confirmation.
func (a *App) onExpiryChosen(r editvalue.Chosen) tea.Cmd {
	p := a.expiryPlan(r.Keys, r.Expiry)
	p.single = true
	return a.runPlan(p)
}

// onInactivityChosen runs a single key's new inactivity interval.
func (a *App) onInactivityChosen(r editvalue.Chosen) tea.Cmd {
	p := inactivityPlan(r.Keys, r.Days)
	p.single = true
	return a.runPlan(p)
}

// startNewKey opens the New API key form for the user on screen; in the
// all-users view it asks whose key it is first.
func (a *App) startNewKey() tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	if !a.hasUser {
		return nil
	}
	if a.allUsers {
		return a.pickOwner()
	}
	return a.prepareNewKeyFor(a.user)
}

// pickOwner opens the picker (without "All users") to choose the new
// key's owner.
func (a *App) pickOwner() tea.Cmd {
	if !a.usersLoaded {
		a.afterUsers = a.pickOwner
		return a.loadUsersCmd()
	}
	p := userpicker.NewWithOptions(a.dialogCommon(), a.users, userpicker.Options{Title: "New API key: choose its owner"})
	return a.push(p, whenChosen(p, func(r userpicker.Chosen) tea.Cmd { return a.prepareNewKeyFor(r.User) }))
}

// prepareNewKeyFor fetches owner's collections, then opens the form.
func (a *App) prepareNewKeyFor(owner model.User) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	a.pendingOwner = owner.ID
	return a.read("loading collections of "+model.CleanText(owner.Username)+"…",
		func(ctx context.Context) func() tea.Msg { return prepareNewKey(ctx, a.api, owner) })
}

func (a *App) onNewKeyReady(msg newKeyReadyMsg) tea.Cmd {
	if msg.user.ID != a.pendingOwner || len(a.dialogs) > 0 {
		return nil // the admin moved on while collections loaded
	}
	a.pendingOwner = ""
	if msg.err != nil {
		a.status.SetError(fmt.Errorf("could not load the collections of %s: %s", model.CleanText(msg.user.Username), describe(msg.err)))
		return nil
	}
	if msg.limitKnown {
		a.limitDays, a.limitKnown = msg.limit, true
	}
	if cmd := a.needLimit(); cmd != nil {
		return cmd
	}
	return a.openForm(msg.user, msg.cols, a.limitDays, newkey.Draft{}, nil)
}

// openForm opens the New API key form; its submission is created with
// the collections it offered and the limit it was checked against.
func (a *App) openForm(owner model.User, cols []model.Collection, limit int, draft newkey.Draft, lastErr error) tea.Cmd {
	f := newkey.New(a.dialogCommon(), owner, cols, limit, draft, lastErr)
	return a.push(f, whenChosen(f, func(sub newkey.Submitted) tea.Cmd { return a.onSubmitted(sub, cols, limit) }))
}

// onSubmitted sends a submitted form's create.
func (a *App) onSubmitted(sub newkey.Submitted, cols []model.Collection, limit int) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	return a.request("Creating key "+model.CleanText(sub.Key.Name)+"…", a.inFlight(func(ctx context.Context) func() tea.Msg { return createKey(ctx, a.runner, sub, cols, limit) }))
}

// onCreated shows the secret. A create that surely did not happen
// reopens the form with what was typed and the server's answer; one whose
// answer was lost never does (one more enter would make a second key): if
// the key was read back it is named, with the keep / deactivate / delete
// choice, and if not even that worked the admin is told to reload.
func (a *App) onCreated(msg createdMsg) tea.Cmd {
	rep := msg.report
	owner := model.CleanText(msg.user.Username)
	if msg.err != nil && len(rep.Results) == 0 {
		a.status.SetError(fmt.Errorf("could not create the key: %s", describe(msg.err)))
		return nil
	}
	switch {
	case rep.Outcome() == model.Unknown:
		a.status.SetError(fmt.Errorf("unknown whether key %s was created for %s (%s): reload to see before trying again",
			model.CleanText(rep.Key().Name), owner, describe(rep.Err())))
		return a.refreshAfterChange()
	case rep.Outcome() == model.NotDone:
		if errors.Is(msg.err, change.ErrReadOnly) { // refused before sending
			a.status.SetError(msg.err)
			return nil
		}
		if rep.Results[0].ReadBack {
			// The answer was lost and the key was not there when read
			// back; a server behind a gateway may still be at work, so no
			// form waits for one more enter: the admin looks first.
			a.status.SetError(withRecorderErr(fmt.Errorf("key %s was not created for %s (the answer was lost: %s; read back, it is not there): reload to check before creating it again",
				model.CleanText(rep.Key().Name), owner, describe(rep.Err())), msg.err))
			return a.refreshAfterChange()
		}
		// Any other err is the Recorder's: the server's refusal still
		// stands, and the form reopens for it.
		why := fmt.Errorf("could not create the key: %s", describe(rep.Err()))
		if msg.err != nil {
			why = fmt.Errorf("%w; %s", why, describe(msg.err))
		}
		a.status.SetError(why)
		return a.openForm(msg.user, msg.cols, msg.limit, msg.draft, rep.Err())
	case rep.SecretLost():
		k := rep.Key()
		a.focusID = k.ID
		d := newLostSecret(a.dialogCommon(), k, owner)
		keep := whenChosen(d, func(confirm.Confirmed) tea.Cmd { return a.runPlan(deletePlan([]model.APIKey{k})) })
		return tea.Batch(a.push(d, keep), a.refreshAfterChange())
	}
	a.status.SetInfo(fmt.Sprintf("Created key %s for %s (%s)", displayName(rep.Created.Key), owner, storedExpiry(rep.Created.Key)))
	if msg.err != nil {
		a.status.SetError(msg.err) // the recorder failed: say so
	}
	a.focusID = rep.Created.Key.ID
	s := secret.New(a.dialogCommon(), rep.Created, a.copier)
	return a.push(s, whenChosen(s, func(r secret.Closed) tea.Cmd {
		a.focusID = r.Key.ID
		return a.refreshAfterChange()
	}))
}

// storedExpiry words the expiry the server stored for a new key, which may
// be its own default rather than what the form asked for.
func storedExpiry(k model.APIKey) string {
	if k.Expires == nil {
		return "the server stored: never expires"
	}
	return "the server stored: expires " + common.DateTime(*k.Expires)
}

// keyLine names a key in a confirmation: name, masked secret, collection.
func keyLine(k model.APIKey) string {
	s := displayName(k) + "  " + common.MaskedSecret(k.Hint)
	if !k.IsGlobal && k.CollectionName != "" {
		s += "  (collection " + model.CleanText(k.CollectionName) + ")"
	}
	return s
}

// startRotate opens the rotation plan of k, from its menu or R. A key
// that cannot be rotated (deactivated, say) is refused on the status bar
// before any dialog opens; the plan needs the server's expiry limit.
func (a *App) startRotate(k model.APIKey) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	if cmd := a.needLimit(); cmd != nil {
		return cmd
	}
	plan, err := change.PlanRotation(k, a.limitDays, a.opts.Now())
	switch {
	case err != nil && !k.IsActive:
		// The plan's reason names the key by id; the name is shorter and
		// the whole line fits the status bar.
		a.status.SetError(fmt.Errorf("cannot rotate %s: it is deactivated, and a deactivated key stays retired", displayName(k)))
		return nil
	case errors.Is(err, change.ErrNameNotReusable):
		// The plan comes without a name: the dialog asks for one.
	case err != nil:
		a.status.SetError(fmt.Errorf("cannot rotate %s: %w", displayName(k), err))
		return nil
	}
	plan.OwnerID = a.ownerID(k.Username)
	d := rotate.New(a.dialogCommon(), plan)
	return a.push(d, whenChosen(d, a.onRotateChosen))
}

// ownerID is the user id of username when the dashboard knows it, which
// spares the Runner a read; "" lets the Runner look it up.
func (a *App) ownerID(username string) string {
	if a.hasUser && !a.allUsers && a.user.Username == username {
		return a.user.ID
	}
	for _, u := range a.users {
		if u.Username == username {
			return u.ID
		}
	}
	return ""
}

// onRotateChosen runs the rotation as planned on the plan screen, which
// was its confirmation (and that of a destructive retirement).
func (a *App) onRotateChosen(r rotate.Chosen) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	return a.request("Rotating key "+displayName(r.Plan.Old)+"…", a.inFlight(func(ctx context.Context) func() tea.Msg { return rotateKey(ctx, a.runner, r.Plan, r.Then) }))
}

// rotateKey runs one rotation through the pipeline; it reads nothing from
// the App. The create in it is never retried.
func rotateKey(ctx context.Context, r *change.Runner, plan change.RotationPlan, then change.Retire) func() tea.Msg {
	return func() tea.Msg {
		rep, err := r.Rotate(ctx, plan, then)
		return rotatedMsg{report: rep, err: err}
	}
}

// onRotated reports a rotation as onCreated reports a create: refused or
// not created, nothing changed; created unknown, reload (never a second
// try from here, which could make a second key); created with its secret
// lost, the lost-secret dialog, the old key kept; else the secret, shown
// once, and when it closes what became of the old key.
func (a *App) onRotated(msg rotatedMsg) tea.Cmd {
	rep := msg.report
	if len(rep.Results) == 0 {
		a.status.SetError(fmt.Errorf("could not rotate the key: %s", describe(msg.err)))
		return nil
	}
	old := rep.Plan.Old
	oldName, owner := namedKey(old), model.CleanText(old.Username)
	cr := rep.Create()
	switch {
	case rep.Refused != nil:
		a.status.SetError(withRecorderErr(fmt.Errorf("did not rotate %s: %s; nothing was changed", oldName, describe(rep.Refused)), msg.err))
		return nil
	case cr.Outcome == model.Unknown:
		a.status.SetError(withRecorderErr(fmt.Errorf("unknown whether the new key %s was created for %s (%s): reload to see before trying again; the old key %s was left active",
			displayName(cr.Key), owner, describe(cr.Err), oldName), msg.err))
		return a.refreshAfterChange()
	case cr.Outcome == model.NotDone:
		a.status.SetError(withRecorderErr(fmt.Errorf("could not create the new key to rotate %s: %s; the old key was left as it was", oldName, describe(cr.Err)), msg.err))
		return nil
	case rep.SecretLost():
		k := rep.NewKey()
		a.focusID = k.ID
		if msg.err != nil {
			a.status.SetError(msg.err) // the recorder failed: say so
		}
		d := newLostSecret(a.dialogCommon(), k, owner,
			"The old key "+oldName+" was kept: it is still active, and its secret is still the one that works.")
		del := whenChosen(d, func(confirm.Confirmed) tea.Cmd { return a.runPlan(deletePlan([]model.APIKey{k})) })
		return tea.Batch(a.push(d, del), a.refreshAfterChange())
	}
	a.status.SetInfo("Created the new key to rotate " + oldName + ": store its secret now, it is shown once")
	if msg.err != nil {
		a.status.SetError(msg.err) // the recorder failed: say so
	}
	a.focusID = rep.Created.Key.ID
	s := secret.New(a.dialogCommon(), rep.Created, a.copier)
	// The report waits for the dialog to close, without the secret: the
	// dialog owns it and wipes it on close.
	rep.Created.Secret = model.Secret{}
	return a.push(s, func() tea.Cmd { return a.reportRotation(rep, msg.err) })
}

// reportRotation says what became of the old key once the new secret's
// dialog is closed: one line when everything asked for was done, else a
// dialog to acknowledge, naming the old key still active and how to
// retire it. The new key exists either way.
func (a *App) reportRotation(rep change.RotationReport, recErr error) tea.Cmd {
	old, nk := rep.Plan.Old, rep.NewKey()
	oldName, newName := namedKey(old), namedKey(nk)
	a.focusID = nk.ID
	if rep.Complete() {
		fate := "old key kept: it stays active until you deactivate or delete it"
		if rep.Then != change.RetireKeep {
			fate = "old key " + retiredWord(rep.Then)
		}
		a.status.SetInfo(fmt.Sprintf("Rotated %s: new key %s; %s", oldName, newName, fate))
		if recErr != nil {
			a.status.SetError(recErr)
		}
		return a.refreshAfterChange()
	}
	res, _ := rep.Retirement()
	past := retiredWord(rep.Then)
	lines := []string{"✓ Created the new key " + newName + " for " + model.CleanText(old.Username) + "; its secret was shown."}
	var still string
	switch res.Outcome {
	case model.Done:
		lines = append(lines, "✓ The old key "+oldName+" was "+past+".")
	case model.Unknown:
		lines = append(lines, fmt.Sprintf("? Unknown whether the old key %s was %s: %s", oldName, past, describe(res.Err)))
		still = "The old key " + oldName + " may still be active: reload, and if it is, deactivate or delete it from its actions menu."
	default:
		lines = append(lines, fmt.Sprintf("✗ The old key %s was not %s: %s", oldName, past, describe(res.Err)))
		still = "The old key " + oldName + " is still active: deactivate or delete it from its actions menu."
	}
	if rep.OldStillActive() && still != "" {
		lines = append(lines, "", still)
	}
	// An unknown retirement may have happened: the title must not say
	// the old key is still active.
	title := "Rotated " + displayName(old) + ": the old key is still active"
	if res.Outcome == model.Unknown {
		title = "Rotated " + displayName(old) + ": the old key may still be active"
		a.status.SetError(fmt.Errorf("rotated %s, but unknown whether the old key was %s: reload to see", oldName, past))
	} else {
		a.status.SetError(fmt.Errorf("rotated %s, but the old key was not %s: it is still active", oldName, past))
	}
	d := confirm.New(a.dialogCommon(), confirm.Options{
		Title:       title,
		Lines:       lines,
		Acknowledge: true,
	})
	return tea.Batch(a.push(d, nil), a.refreshAfterChange())
}

// namedKey names a key with its masked secret: a rotation's two keys
// share their name.
func namedKey(k model.APIKey) string {
	return displayName(k) + " (" + common.MaskedSecret(k.Hint) + ")"
}

// retiredWord is the past tense of a retirement: deactivated, deleted.
func retiredWord(t change.Retire) string {
	if t == change.RetireDelete {
		return "deleted"
	}
	return "deactivated"
}
