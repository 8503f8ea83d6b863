// Package common holds what every part of the dashboard shares: the Common
// struct (styles, clock, size, mode), the Dialog contract and the messages
// that cross component boundaries. Components import it; it imports none of
// them.
package common

import (
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// Common travels from the root to every component; nothing shared lives in
// package globals.
type Common struct {
	Styles *Styles
	// Now is the clock. Tests and screenshots fix it.
	Now func() time.Time
	// Width and Height are the space the component may draw in.
	Width, Height int
	// ReadOnly hides and disables every changing action.
	ReadOnly bool
}

// Component is the child contract (soft-serve's common.Component): a
// model, its keys for the help bar, and a size it is told. The table, the
// status bar and every dialog implement it; KeyMap getters only read.
type Component interface {
	help.KeyMap
	SetSize(width, height int)
	View() string
}

// Dialog sits on the root's dialog stack above the table. It gets every key
// while it is on top. Its parent reads how it ended after Update, as huh's
// form.State is read: once Done reports true the parent pops it and reads
// its typed result (each dialog's own Result method, see Ending). The
// dialog also returns that result as a typed message (a Result), for a
// parent that embeds it and runs its commands (a confirmation inside
// another dialog); the root ignores those messages.
type Dialog interface {
	Component
	Init() tea.Cmd
	Update(tea.Msg) (Dialog, tea.Cmd)
	// Done reports whether the dialog has ended (chosen or cancelled).
	Done() bool
}

// Result is implemented by every message with which a dialog ends.
type Result interface{ DialogResult() }

// Ending records how a dialog ended, for its parent to read after Update.
// A dialog embeds it and ends with End or Cancel; T is its result type.
type Ending[T Result] struct {
	result T
	done   bool
	ok     bool
}

// End ends the dialog with r and returns r as a command, for a parent that
// reads results from messages.
func (e *Ending[T]) End(r T) tea.Cmd {
	e.result, e.done, e.ok = r, true, true
	return Emit(r)
}

// Cancel ends the dialog without a result.
func (e *Ending[T]) Cancel() tea.Cmd {
	e.done = true
	return Cancel
}

// Done reports whether the dialog has ended.
func (e *Ending[T]) Done() bool { return e.done }

// Result is the dialog's result; ok is false while it is open and after a
// cancel.
func (e *Ending[T]) Result() (r T, ok bool) { return e.result, e.ok }

// Outcome is the result as a message: nil while open, Cancelled after a
// cancel. Tests read it.
func (e *Ending[T]) Outcome() Result {
	switch {
	case e.ok:
		return e.result
	case e.done:
		return Cancelled{}
	}
	return nil
}

// Cancelled ends a dialog without doing anything.
type Cancelled struct{}

// DialogResult marks Cancelled as a dialog's outcome.
func (Cancelled) DialogResult() {}

// Cancel is the command a dialog returns when it is dismissed.
func Cancel() tea.Msg { return Cancelled{} }

// Emit wraps a message as a command.
func Emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// ErrMsg reports a failure on the status bar.
type ErrMsg struct{ Err error }

// InfoMsg reports a notice on the status bar.
type InfoMsg struct{ Text string }

// Err wraps an error as a command for the status bar.
func Err(err error) tea.Cmd { return Emit(ErrMsg{Err: err}) }

// Info wraps a notice as a command for the status bar.
func Info(text string) tea.Cmd { return Emit(InfoMsg{Text: text}) }
