//go:build !linux

package cli

import "time"

// monotonicNow is not read outside Linux; the press log then has no times.
func monotonicNow() (time.Duration, bool) { return 0, false }
