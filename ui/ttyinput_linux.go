package ui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The local dashboard reads its keys through Go's network poller, not
// bubbletea's own reader. That reader waits in an epoll_wait system call
// right after handing a key to the event loop, and the Go runtime leaves
// the event loop queued on the waiting thread's processor until the
// system monitor takes the processor back: 10 to 20 ms when every other
// processor is busy (a million-key refresh, the usage history's
// recording). A read through the poller parks the reading goroutine
// instead, so the processor runs the event loop at once. (Seen in runtime
// traces of key presses during a refresh: the event loop runnable, its
// processor idle in the reader's system call.)

// pollInput is the terminal behind stdin opened afresh, so that its
// reads wait in the poller. Opened afresh: the poller needs the file in
// non-blocking mode, and that mode belongs to an open file, which stdin's
// is shared with the shell that started the dashboard; this one is the
// dashboard's own. Its Fd (for bubbletea's raw mode and the terminal's
// size) does not go through os.File.Fd, which would put the file back in
// blocking mode.
type pollInput struct {
	f  *os.File
	fd uintptr
}

func (t *pollInput) Read(p []byte) (int, error)  { return t.f.Read(p) }
func (t *pollInput) Write(p []byte) (int, error) { return t.f.Write(p) }
func (t *pollInput) Close() error                { return t.f.Close() }
func (t *pollInput) Fd() uintptr                 { return t.fd }

// openPollInput opens the terminal that fd (stdin) reads from afresh,
// for reading through the poller; an error means fd is not a terminal
// or it could not be, and bubbletea's own reader is to be used.
func openPollInput(fd int) (io.ReadWriteCloser, error) {
	if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
		return nil, fmt.Errorf("not a terminal: %w", err)
	}
	// A pseudo-terminal's master opened afresh is a new pseudo-terminal.
	if _, err := unix.IoctlGetInt(fd, unix.TIOCGPTN); err == nil {
		return nil, errors.New("a pseudo-terminal's master")
	}
	// O_NOCTTY: a dashboard without a controlling terminal (started by
	// setsid) does not take this one as its own.
	f, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	t := &pollInput{f: f}
	rc, err := f.SyscallConn()
	if err == nil {
		err = rc.Control(func(fd uintptr) { t.fd = fd })
	}
	var was, is unix.Stat_t
	if err == nil {
		err = errors.Join(unix.Fstat(fd, &was), unix.Fstat(int(t.fd), &is))
	}
	if err == nil && was.Rdev != is.Rdev {
		err = errors.New("opened another terminal than stdin's")
	}
	// A file the poller cannot wait on has no deadlines: reading it would
	// block in a system call again, so it is not worth having.
	if err == nil {
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}
