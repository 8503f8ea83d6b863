//go:build !unix

package cli

import "os"

// peakMiB is not known here.
func peakMiB(*os.ProcessState) (float64, bool) { return 0, false }
