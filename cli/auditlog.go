package cli

import (
	"context"
	"errors"
	"fmt"

	"h2ogpte-keys/audit"
	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
)

// unknownOwner is the audit log's owner for keys the change named by id
// only (a command line's `delete ID --yes` does not look keys up): the log
// says so rather than guessing.
const unknownOwner = "(unknown)"

// auditWho is who makes the changes a recorder writes down.
type auditWho struct {
	Person      string
	Fingerprint string
	RemoteAddr  string
}

// auditRecorder is the change pipeline's Recorder writing to an audit log
// as one person. A report becomes one line per owner whose keys it touched
// (a dashboard's bulk change over "All users" can span several).
type auditRecorder struct {
	// log is kept open by `serve`; nil means path is opened for each
	// report, so a local command holds no file open it might not need.
	log  *audit.Log
	path string
	who  auditWho
}

// Record writes rep before the Runner returns it, so a result shown is a
// result on record. A report with no keys has nothing to record.
func (r *auditRecorder) Record(_ context.Context, rep change.Report) error {
	entries, err := auditEntries(rep, r.who)
	if err != nil || len(entries) == 0 {
		return err
	}
	l := r.log
	if l == nil {
		if l, err = audit.Open(r.path); err != nil {
			return err
		}
		defer l.Close()
	}
	for _, e := range entries {
		if err := l.Write(e); err != nil {
			return err
		}
	}
	return nil
}

// auditAction maps a change's verb to the log's action. An unknown verb is
// an error, so a new kind of change cannot go unrecorded quietly.
func auditAction(verb string) (audit.Action, error) {
	switch verb {
	case "create":
		return audit.Create, nil
	case "rotate":
		return audit.Rotate, nil
	case change.Deactivate().Verb:
		return audit.Deactivate, nil
	case change.Delete().Verb:
		return audit.Delete, nil
	case change.SetExpiry(model.Expiry{Never: true}).Verb:
		return audit.Expire, nil
	case change.SetInactivity(0).Verb:
		return audit.Inactivity, nil
	}
	return "", fmt.Errorf("audit: no action for the change %q", model.CleanText(verb))
}

// auditEntries turns rep into log entries, one per owner in the order the
// owners first appear. Nothing secret is in a Report, and audit scrubs
// every string again on the way out.
func auditEntries(rep change.Report, who auditWho) ([]audit.Entry, error) {
	if len(rep.Results) == 0 {
		return nil, nil
	}
	action, err := auditAction(rep.Action)
	if err != nil {
		return nil, err
	}
	// A rotation is one change to one key that reports two results (the
	// new key and the old one's retirement); bulk means several keys asked.
	bulk := len(rep.Results) > 1 && action != audit.Rotate
	var entries []audit.Entry
	index := map[string]int{}
	for _, res := range rep.Results {
		owner := res.Key.Username
		if owner == "" {
			owner = unknownOwner
		}
		i, ok := index[owner]
		if !ok {
			i = len(entries)
			index[owner] = i
			entries = append(entries, audit.Entry{
				Time:        rep.Finished,
				Person:      who.Person,
				Fingerprint: who.Fingerprint,
				RemoteAddr:  who.RemoteAddr,
				Action:      action,
				Bulk:        bulk,
				Owner:       owner,
				Detail:      rep.Value,
			})
		}
		k := audit.KeyResult{ID: res.Key.ID, Name: res.Key.Name, Outcome: res.Outcome}
		if res.Err != nil {
			k.Err = res.Err.Error()
		}
		entries[i].Keys = append(entries[i].Keys, k)
	}
	return entries, nil
}

// unrecorded is the error of a run whose changes reached the server and
// were reported, but whose audit line could not be written (err is the
// Runner's Recorder error). It comes after the report, never instead of
// it: a report withheld would hide a change that happened (a create's
// secret with it) and invite the admin to send it again.
func unrecorded(err error) error {
	return exitError{code: exitFail, msg: "the outcome is as reported, but the audit log could not record it: " + err.Error()}
}

// failAlsoUnrecorded is fail, the run's own failure, with the Recorder's
// error recErr (if any) added to its one line.
func failAlsoUnrecorded(fail, recErr error) error {
	if recErr == nil {
		return fail
	}
	var ee exitError
	if errors.As(fail, &ee) {
		ee.msg += "; and the audit log could not record it: " + recErr.Error()
		return ee
	}
	return exitError{code: exitFail, msg: fail.Error() + "; and the audit log could not record it: " + recErr.Error()}
}

// recorder is the audit Recorder for changes this run makes: the SSH
// person's for a command sent over SSH, otherwise $USER's when config.yaml
// sets audit_log, otherwise none (a nil interface: nothing to record).
// The change pipeline is built with it (change.Options.Recorder).
func (a *app) recorder() change.Recorder {
	if a.remote != nil {
		return a.remote.recorder
	}
	if a.cfg.AuditLog == "" {
		return nil
	}
	return &auditRecorder{path: a.cfg.AuditLog, who: auditWho{Person: localPerson(a.Getenv)}}
}

// localPerson names the person at this machine for the audit log; their
// lines have no fingerprint, which tells them from SSH people's.
func localPerson(getenv func(string) string) string {
	for _, v := range []string{"USER", "LOGNAME", "USERNAME"} {
		if p := getenv(v); p != "" {
			return p
		}
	}
	return "unknown local user"
}
