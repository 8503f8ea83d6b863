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

// Component is the child contract: a model, its keys for the help bar, and a
// size it is told.
type Component interface {
	help.KeyMap
	SetSize(width, height int)
	View() string
}

// Dialog sits on the root's dialog stack above the table. It gets every key
// while it is on top. It reports its outcome by returning a command whose
// message implements Result; the root then pops it.
type Dialog interface {
	Component
	Init() tea.Cmd
	Update(tea.Msg) (Dialog, tea.Cmd)
}

// Result is implemented by every message with which a dialog ends. The root
// pops the top dialog when it sees one, then handles the message itself.
type Result interface{ DialogResult() }

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
