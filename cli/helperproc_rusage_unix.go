//go:build unix

package cli

import (
	"os"
	"runtime"
	"syscall"
)

// peakMiB is a finished process's peak RSS in MiB, when the system says.
func peakMiB(ps *os.ProcessState) (float64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0, false
	}
	kb := float64(ru.Maxrss)
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		kb /= 1024 // bytes there
	}
	return kb / 1024, true
}
