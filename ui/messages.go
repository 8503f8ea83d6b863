package ui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/components/export"
	"h2ogpte-keys/ui/components/keytable"
	"h2ogpte-keys/ui/components/newkey"
)

// loadTag names one load of a user's keys ("" with all set: every user's).
// A reply whose tag is not the current load's is stale (the user switched,
// or a refresh replaced it) and is dropped.
type loadTag struct {
	user string
	all  bool
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

// keysEvent is what the streaming goroutine sends: a page, already
// formatted for the table, or the end.
type keysEvent struct {
	rows keytable.Rows
	done bool
	err  error
}

// keysPageMsg is one or more pages of a load (or its end) reaching Update,
// formatted: Update only appends them.
type keysPageMsg struct {
	tag  loadTag
	rows keytable.Rows
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

// bulkFailure is one key a bulk change could not change, and why.
type bulkFailure struct {
	key model.APIKey
	err error
}

// bulkOp is a change applied to each selected key; a delete is one too,
// of the selection or the key under the cursor.
type bulkOp int

const (
	bulkDeactivate bulkOp = iota
	bulkExpiry
	bulkInactivity
	bulkDelete
)

// bulkTag is a confirmed bulk change: what, to which keys, with which
// value; skipped keys (deactivated ones: already inactive for a
// deactivation, past changing for an expiry or interval; a delete skips
// none) are named for the report.
type bulkTag struct {
	op      bulkOp
	keys    []model.APIKey
	expiry  model.Expiry
	days    int
	skipped []model.APIKey
}

// bulkDoneMsg reports a bulk change key by key.
type bulkDoneMsg struct {
	tag    bulkTag
	done   []model.APIKey
	failed []bulkFailure
}

// exportDoneMsg answers an export: written (n keys), or refused because
// the file exists, or failed.
type exportDoneMsg struct {
	path   string
	format export.Format
	keys   []model.APIKey
	now    time.Time
	exists bool
	err    error
}

// Tags that tell the root which confirmation (or picker) came back.
type (
	deactivateTag struct{ key model.APIKey }
	reportTag     struct{}
	// overwriteTag: replace an existing file with the export.
	overwriteTag struct {
		path   string
		format export.Format
		keys   []model.APIKey
		now    time.Time
	}
	// ownerTag: the picker chose the owner of a new key.
	ownerTag struct{}
)
