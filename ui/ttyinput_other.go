//go:build !linux

package ui

import (
	"errors"
	"io"
)

// openPollInput is Linux's only (the one system it is measured and tested
// on): elsewhere bubbletea reads the keys itself.
func openPollInput(int) (io.ReadWriteCloser, error) {
	return nil, errors.New("reading keys through the poller is Linux's only")
}
