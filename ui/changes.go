package ui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/editvalue"
	"h2ogpte-keys/ui/components/newkey"
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
		return a.push(a.withoutUnsupported(actions.NewBulk(a.dialogCommon(), a.table.Selected(), a.table.HiddenSelectedCount())))
	}
	k, ok := a.table.Current()
	if !ok {
		return nil
	}
	return a.push(a.withoutUnsupported(actions.New(a.dialogCommon(), k)))
}

// withoutUnsupported leaves out of m what the server said it does not
// support.
func (a *App) withoutUnsupported(m *actions.Model) *actions.Model {
	if a.noInactivity {
		m.Without(actions.EditInactivity)
	}
	return m
}

// onAction opens the dialog for the action chosen in the menu.
func (a *App) onAction(r actions.Chosen) tea.Cmd {
	if cmd := a.refuseChanges(); cmd != nil {
		return cmd
	}
	c := a.dialogCommon()
	switch r.Action {
	case actions.EditExpiry:
		if cmd := a.needLimit(); cmd != nil {
			return cmd
		}
		return a.push(editvalue.NewExpiry(c, r.Key, a.limitDays))
	case actions.EditInactivity:
		return a.push(editvalue.NewInactivity(c, r.Key))
	case actions.Deactivate:
		p := deactivatePlan([]model.APIKey{r.Key})
		p.single = true
		return a.confirmPlan(p)
	}
	return nil
}

// onConfirmed acts on a yes from a confirmation, told apart by its tag.
func (a *App) onConfirmed(tag any) tea.Cmd {
	switch t := tag.(type) {
	case plan:
		return a.runPlan(t)
	case overwriteTag:
		return a.overwrite(t)
	}
	return nil // reportTag: nothing to do
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
		a.wantOwner = true
		return a.loadUsersCmd()
	}
	return a.push(userpicker.NewWithOptions(a.dialogCommon(), a.users, userpicker.Options{
		Title: "New API key: choose its owner",
		Tag:   ownerTag{},
	}))
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
	a.newCols = msg.cols
	return a.push(newkey.New(a.dialogCommon(), msg.user, msg.cols, a.limitDays, newkey.Draft{}, nil))
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
		if msg.err != nil { // refused before sending (read-only)
			a.status.SetError(msg.err)
			return nil
		}
		a.status.SetError(fmt.Errorf("could not create the key: %s", describe(rep.Err())))
		a.newCols = msg.cols
		return a.push(newkey.New(a.dialogCommon(), msg.user, msg.cols, msg.limit, msg.draft, rep.Err()))
	case rep.SecretLost():
		k := rep.Key()
		a.focusID = k.ID
		return tea.Batch(a.push(newLostSecret(a.dialogCommon(), k, owner)), a.refreshAfterChange())
	}
	a.status.SetInfo(fmt.Sprintf("Created key %s for %s (%s)", displayName(rep.Created.Key), owner, storedExpiry(rep.Created.Key)))
	if msg.err != nil {
		a.status.SetError(msg.err) // the recorder failed: say so
	}
	a.focusID = rep.Created.Key.ID
	return a.push(secret.New(a.dialogCommon(), rep.Created, a.copier))
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
