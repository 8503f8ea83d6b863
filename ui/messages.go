package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/components/newkey"
)

// loadTag names one load of a user's keys. A reply whose tag is not the
// current load's is stale (the user switched, or a refresh replaced it) and
// is dropped.
type loadTag struct {
	user string
	seq  int
}

// taskDoneMsg carries a request's reply together with its status-bar task,
// so the spinner stops whatever the reply says.
type taskDoneMsg struct {
	task int
	msg  tea.Msg
}

type usersLoadedMsg struct {
	users []model.User
	err   error
}

type limitLoadedMsg struct {
	days int
	err  error
}

// keysEvent is what the streaming goroutine sends: a page, or the end.
type keysEvent struct {
	keys []model.APIKey
	done bool
	err  error
}

// keysPageMsg is one or more pages of a load (or its end) reaching Update.
type keysPageMsg struct {
	tag  loadTag
	keys []model.APIKey
	done bool
	err  error
}

// newKeyReadyMsg brings what the New API key form needs: the user's own
// collections and the current expiry limit.
type newKeyReadyMsg struct {
	user       model.User
	cols       []model.Collection
	limit      int
	limitKnown bool
	err        error
}

// createdMsg answers a create. On failure it carries everything needed to
// reopen the form as it was.
type createdMsg struct {
	user    model.User
	cols    []model.Collection
	limit   int
	draft   newkey.Draft
	created model.CreatedKey
	err     error
}

// changedMsg answers a change to one key (expiry, inactivity, deactivate).
type changedMsg struct {
	info string
	err  error
}

// deleteDoneMsg reports a delete of several keys, key by key.
type deleteDoneMsg struct {
	deleted []model.APIKey
	failed  []deleteFailure
}

type deleteFailure struct {
	key model.APIKey
	err error
}

// Tags that tell the root which confirmation came back.
type (
	deactivateTag struct{ key model.APIKey }
	deleteTag     struct{ keys []model.APIKey }
	reportTag     struct{}
)
