package ui

import (
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/components/actions"
	"h2ogpte-keys/ui/components/confirm"
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
		return a.push(actions.NewBulk(a.dialogCommon(), a.table.Selected(), a.table.HiddenSelectedCount()))
	}
	k, ok := a.table.Current()
	if !ok {
		return nil
	}
	return a.push(actions.New(a.dialogCommon(), k))
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
		name := displayName(r.Key)
		return a.push(confirm.New(c, confirm.Options{
			Title: "Deactivate key " + name + "?",
			Lines: []string{
				keyLine(r.Key),
				"Owner: " + model.CleanText(r.Key.Username),
				"Anything that uses this key stops working at once.",
				"This cannot be undone: there is no way to reactivate a key.",
			},
			ConfirmLabel: "Deactivate",
			Danger:       true,
			Tag:          deactivateTag{key: r.Key},
		}))
	}
	return nil
}

// onConfirmed acts on a yes from a confirmation, told apart by its tag.
func (a *App) onConfirmed(tag any) tea.Cmd {
	switch t := tag.(type) {
	case deactivateTag:
		return a.mutate("Deactivating "+displayName(t.key)+"…", deactivate(a.ctx, a.api, t.key))
	case bulkTag:
		return a.startBulk(t)
	case overwriteTag:
		return a.overwrite(t)
	}
	return nil // reportTag: nothing to do
}

// onChanged reports a one-key change and reloads the keys.
func (a *App) onChanged(msg changedMsg) tea.Cmd {
	if msg.err != nil {
		a.status.SetError(msg.err)
	} else {
		a.status.SetInfo(msg.info)
	}
	return a.refreshAfterChange()
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
	return a.request("loading collections of "+model.CleanText(owner.Username)+"…", prepareNewKey(a.ctx, a.api, owner))
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

// onCreated shows the secret, or reopens the form with what was typed and
// the server's answer.
func (a *App) onCreated(msg createdMsg) tea.Cmd {
	if msg.err != nil {
		a.status.SetError(fmt.Errorf("could not create the key: %s", describe(msg.err)))
		a.newCols = msg.cols
		return a.push(newkey.New(a.dialogCommon(), msg.user, msg.cols, msg.limit, msg.draft, msg.err))
	}
	a.status.SetInfo(fmt.Sprintf("Created key %s for %s", displayName(msg.created.Key), model.CleanText(msg.user.Username)))
	a.focusID = msg.created.Key.ID
	return a.push(secret.New(a.dialogCommon(), msg.created, a.copier))
}

// keyLine names a key in a confirmation: name, masked secret, collection.
func keyLine(k model.APIKey) string {
	s := displayName(k) + "  " + common.MaskedSecret(k.Hint)
	if !k.IsGlobal && k.CollectionName != "" {
		s += "  (collection " + model.CleanText(k.CollectionName) + ")"
	}
	return s
}
