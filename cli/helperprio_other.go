//go:build !linux

package cli

// lowerPriorityTo does nothing here: a helper works at the dashboard's
// priority.
func lowerPriorityTo(string, int) {}
