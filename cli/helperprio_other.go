//go:build !linux

package cli

// lowerPriority does nothing here: the history helper works at the
// dashboard's priority.
func lowerPriority() {}

// lowerPriorityTo does nothing here either.
func lowerPriorityTo(int) {}
