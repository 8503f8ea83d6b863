package ui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"h2ogpte-keys/change"
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
	// indexed counts keys of a refresh indexed into its own table instead
	// of sent as rows; built is that table, on the refresh's last event.
	indexed int
	built   *keytable.Builder
	done    bool
	err     error
}

// keysPageMsg is one or more pages of a load (or its end) reaching Update,
// formatted: Update only appends them.
type keysPageMsg struct {
	tag     loadTag
	rows    keytable.Rows
	indexed int               // see keysEvent
	built   *keytable.Builder // see keysEvent
	done    bool
	err     error
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

// createdMsg answers a create with the pipeline's report. When the
// create surely did not happen it carries everything needed to reopen the
// form as it was.
type createdMsg struct {
	user   model.User
	cols   []model.Collection
	limit  int
	draft  newkey.Draft
	report change.CreateReport
	err    error
}

// rotatedMsg answers a rotation with the pipeline's report; err is
// ErrReadOnly or the Recorder's.
type rotatedMsg struct {
	report change.RotationReport
	err    error
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

// overwriteReq is an export to write over an existing file once the
// admin agrees.
type overwriteReq struct {
	path   string
	format export.Format
	keys   []model.APIKey
	now    time.Time
}
