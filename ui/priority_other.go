//go:build !linux

package ui

// lowerThreadPriority does nothing outside Linux, where a nice value is
// the whole process's: the background runs at the dashboard's priority.
func lowerThreadPriority(int) {}
