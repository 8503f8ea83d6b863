//go:build unix

package cli

import (
	"os"
	"syscall"
)

// wakeFIFO opens name's write end without blocking and closes it at once:
// a reader blocked opening the FIFO then sees end of file and returns.
func wakeFIFO(name string) {
	if f, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		_ = f.Close()
	}
}
