// Package audit appends the record of every change to a JSON-lines file: who
// (the person and their SSH key's fingerprint), from where, what, to whose
// keys, and what truly happened to each key. A line is on disk (synced)
// before Write returns, so a result shown after Write is always on record.
//
// The types hold no secret: there is no field for one, and every string is
// scrubbed of anything shaped like an API key or token ("sk-" and a run of
// key characters) before it is written, so a secret pasted into a key's name
// or echoed in a server's error message never reaches the file.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"time"

	"h2ogpte-keys/model"
)

// Action names a kind of change, as the log spells it.
type Action string

// The changes the log records.
const (
	Create     Action = "create"
	Rotate     Action = "rotate"
	Expire     Action = "expire"
	Inactivity Action = "inactivity"
	Deactivate Action = "deactivate"
	Delete     Action = "delete"
)

// Valid reports whether a is one of the known actions.
func (a Action) Valid() bool {
	switch a {
	case Create, Rotate, Expire, Inactivity, Deactivate, Delete:
		return true
	}
	return false
}

// Entry is one change: one line in the log.
type Entry struct {
	// Time is when the change finished; Write fills it from the log's clock
	// when zero. It is written in UTC.
	Time time.Time
	// Person is who made the change: an SSH key's comment, or the local
	// user's name when the log is used without SSH.
	Person string
	// Fingerprint is the person's SSH key fingerprint (SHA256:...); empty for
	// local use.
	Fingerprint string
	// RemoteAddr is the SSH client's address; empty for local use.
	RemoteAddr string
	// Action is the kind of change.
	Action Action
	// Bulk is set when the change was asked for several keys at once.
	Bulk bool
	// Owner is the username whose keys were changed.
	Owner string
	// Detail is the new value, for changes that set one ("2026-12-31
	//23:59", "30 days", "never"), or for a rotation which key replaced
	// which ("OLD → NEW, then keep").
	Detail string
	// Keys holds the result for each key, in the order they were changed.
	Keys []KeyResult
}

// KeyResult is what happened to one key.
type KeyResult struct {
	// ID is the key's id.
	ID string
	// Name is the key's name.
	Name string
	// Outcome is whether the change truly happened.
	Outcome model.Outcome
	// Err is the error message, if the change failed or its answer was lost.
	Err string
}

// wireEntry is the line's JSON shape; Entry stays free of tags so its Go
// spelling and the file's can change separately.
type wireEntry struct {
	Time        string    `json:"time"`
	Person      string    `json:"person"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	RemoteAddr  string    `json:"remote_addr,omitempty"`
	Action      Action    `json:"action"`
	Bulk        bool      `json:"bulk"`
	Owner       string    `json:"owner"`
	Detail      string    `json:"detail,omitempty"`
	Keys        []wireKey `json:"keys"`
}

type wireKey struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// TimeFormat is RFC 3339 with milliseconds, fixed width so lines sort by time.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Redacted replaces anything secret-shaped in a written value.
const Redacted = "[REDACTED]"

// secretPattern matches API keys and admin tokens ("sk-" and 48 characters
// for keys, longer for tokens) with a margin: a name that merely starts with
// "sk-" and a short word stays readable, anything longer is treated as a
// secret. Over-redacting a name costs less than one leaked key.
var secretPattern = regexp.MustCompile(`(?i)sk-[A-Za-z0-9_\-]{12,}`)

// Scrub removes control characters (a name cannot forge a line or restyle a
// terminal reading the log) and replaces secret-shaped runs with Redacted.
func Scrub(s string) string {
	return secretPattern.ReplaceAllString(model.CleanText(s), Redacted)
}

// MarshalJSON writes the line's shape with every string scrubbed.
func (e Entry) MarshalJSON() ([]byte, error) {
	w := wireEntry{
		Time:        e.Time.UTC().Format(TimeFormat),
		Person:      Scrub(e.Person),
		Fingerprint: Scrub(e.Fingerprint),
		RemoteAddr:  Scrub(e.RemoteAddr),
		Action:      Action(Scrub(string(e.Action))),
		Bulk:        e.Bulk,
		Owner:       Scrub(e.Owner),
		Detail:      Scrub(e.Detail),
		Keys:        make([]wireKey, len(e.Keys)),
	}
	for i, k := range e.Keys {
		w.Keys[i] = wireKey{ID: Scrub(k.ID), Name: Scrub(k.Name), Outcome: k.Outcome.String(), Error: Scrub(k.Err)}
	}
	return json.Marshal(w)
}

// ErrInvalid marks an entry Write refuses: an unknown action, no person, no
// owner or no keys. A change with nothing to record is a caller's bug, and a
// line nobody can attribute is worth less than an error.
var ErrInvalid = errors.New("invalid audit entry")

func (e Entry) validate() error {
	switch {
	case !e.Action.Valid():
		return fmt.Errorf("%w: unknown action %q", ErrInvalid, Scrub(string(e.Action)))
	case e.Person == "":
		return fmt.Errorf("%w: no person", ErrInvalid)
	case e.Owner == "":
		return fmt.Errorf("%w: no owner", ErrInvalid)
	case len(e.Keys) == 0:
		return fmt.Errorf("%w: no keys", ErrInvalid)
	}
	return nil
}

// file is what the log writes to; *os.File satisfies it, and tests swap in a
// recorder to see that Sync follows every Write.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

// Log appends entries to one file. It is safe for concurrent use: each line
// is written with one call and synced under a lock, so lines never
// interleave and none is lost to a crash after Write returned.
type Log struct {
	mu     sync.Mutex
	f      file
	now    func() time.Time
	closed bool
}

// Option configures Open.
type Option func(*Log)

// WithClock sets the clock that dates entries without a Time.
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// Open opens (creating with mode 0600) the log at path for appending. An
// existing file keeps its lines; its mode is left as the operator set it.
func Open(path string, opts ...Option) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return newLog(f, opts...), nil
}

func newLog(f file, opts ...Option) *Log {
	l := &Log{f: f, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("audit log closed")

// Write appends e as one line and syncs the file before returning. Only
// after it returns nil may the change's result be shown as recorded.
func (l *Log) Write(e Entry) error {
	if err := e.validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	line = append(line, '\n')
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("sync audit log: %w", err)
	}
	return nil
}

// Close closes the file; later Writes fail with ErrClosed. Close waits for a
// Write in progress.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	return nil
}
