package ui

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: its master, and its terminal end as a
// plain blocking descriptor, as a shell hands stdin over.
func openPTY(t *testing.T) (master *os.File, term int) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	term, err = unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(term) })
	return master, term
}

func TestPollInputReadsTheTerminalThroughThePoller(t *testing.T) {
	master, term := openPTY(t)
	rwc, err := openPollInput(term)
	if err != nil {
		t.Fatalf("openPollInput on a terminal: %v", err)
	}
	in := rwc.(*pollInput)
	defer in.Close()

	// The shell's open file keeps its blocking mode.
	if fl, err := unix.FcntlInt(uintptr(term), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Fatalf("stdin's flags %#x (err %v): the dashboard made the shell's terminal non-blocking", fl, err)
	}
	// Fd is the same terminal, without putting the file in blocking mode.
	var a, b unix.Stat_t
	if err := unix.Fstat(int(in.Fd()), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fstat(term, &b); err != nil {
		t.Fatal(err)
	}
	if a.Rdev != b.Rdev {
		t.Fatalf("Fd is device %#x, stdin %#x", a.Rdev, b.Rdev)
	}
	if _, err := unix.IoctlGetTermios(int(in.Fd()), unix.TCGETS); err != nil {
		t.Fatalf("Fd is not a terminal: %v", err)
	}

	// A read waits in the poller: a deadline ends it (a read blocked in a
	// system call would ignore the deadline and hang).
	in.f.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	readEndsWith(t, in, nil, os.ErrDeadlineExceeded, "a read ignored its deadline: it is not waiting in the poller")
	in.f.SetReadDeadline(time.Time{})

	// Keys typed arrive.
	if _, err := master.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := in.Read(buf)
	if err != nil || string(buf[:n]) != "x\n" {
		t.Fatalf("read %q, %v; want %q", buf[:n], err, "x\n")
	}

	// Closing it ends a read under way: how the dashboard's reader stops.
	readEndsWith(t, in, func() { time.Sleep(20 * time.Millisecond); in.Close() }, os.ErrClosed, "closing did not end a read under way")
}

// readEndsWith starts a read of in, runs then (if not nil), and fails
// unless the read ends with want within 5 s (hung: late says why).
func readEndsWith(t *testing.T, in *pollInput, then func(), want error, late string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := in.Read(make([]byte, 16)); done <- err }()
	if then != nil {
		then()
	}
	select {
	case err := <-done:
		if !errors.Is(err, want) {
			t.Fatalf("read ended with %v, want %v", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal(late)
	}
}

func TestPollInputRefusesWhatIsNotStdinsTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if in, err := openPollInput(int(r.Fd())); err == nil {
		in.Close()
		t.Fatal("openPollInput took a pipe for a terminal")
	}
	// A pseudo-terminal's master passes for a terminal, but opened afresh
	// it would be a new pseudo-terminal that no key ever reaches.
	master, _ := openPTY(t)
	if in, err := openPollInput(int(master.Fd())); err == nil {
		in.Close()
		t.Fatal("openPollInput took a pseudo-terminal's master")
	}
}
