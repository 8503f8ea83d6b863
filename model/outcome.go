package model

import "errors"

// ErrOutcomeUnknown marks an error after which nobody knows whether a change
// happened: the request was sent, then the answer was lost (a timeout after
// sending, a gateway's 502/503/504, a connection closed before the answer).
// Callers must read the server back before they report anything; the
// client's errors match it with errors.Is.
var ErrOutcomeUnknown = errors.New("outcome unknown: the request was sent but its answer was lost")

// Outcome is what truly happened to one key in a change, as far as the tool
// can tell.
type Outcome int

const (
	// NotDone: the server refused, or the change was never sent, or a read
	// back shows it did not happen.
	NotDone Outcome = iota
	// Done: the server said so, or a read back shows it happened.
	Done
	// Unknown: the answer was lost and reading back failed too.
	Unknown
)

// String is the word reports and the audit log use: done, not done, unknown.
func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case Unknown:
		return "unknown"
	default:
		return "not done"
	}
}
