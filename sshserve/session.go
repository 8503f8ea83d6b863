package sshserve

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
)

// session wraps one SSH session: it knows its person, notes activity for
// the idle limit, serialises writes (the program's frames and OSC 52 from
// the dashboard share the channel) and can be stopped with a reason.
type session struct {
	ssh.Session
	person       Person
	start        time.Time
	now          func() time.Time
	touchOnWrite bool // exec sessions: output counts as activity
	last         atomic.Int64
	wmu          sync.Mutex
	done         chan struct{} // closed when the session's handler returns

	// exitCode is set by the handler goroutine and read by it after next.
	exitCode int

	mu        sync.Mutex
	reason    string
	completed bool
	final     string // reason as of completion
	program   *tea.Program
	cancel    context.CancelFunc
}

func (ss *session) touch() { ss.last.Store(ss.now().UnixNano()) }

// Read notes each keystroke (or byte of stdin) as activity.
func (ss *session) Read(p []byte) (int, error) {
	n, err := ss.Session.Read(p)
	if n > 0 {
		ss.touch()
	}
	return n, err
}

// Write sends p in one piece with respect to other writers of this session.
func (ss *session) Write(p []byte) (int, error) {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	if ss.touchOnWrite {
		ss.touch()
	}
	return ss.Session.Write(p)
}

// deadline is when the session must stop, and why; zero when never.
func (ss *session) deadline(idle, maxTime time.Duration) (time.Time, string) {
	var at time.Time
	var why string
	if idle > 0 {
		at = time.Unix(0, ss.last.Load()).Add(idle)
		why = fmt.Sprintf("idle for %s; session closed", idle)
	}
	if maxTime > 0 {
		if end := ss.start.Add(maxTime); at.IsZero() || end.Before(at) {
			at = end
			why = fmt.Sprintf("session time limit (%s) reached; session closed", maxTime)
		}
	}
	return at, why
}

// stop asks the session to end with reason: a dashboard quits (restoring the
// client's terminal), a command's context is cancelled. The first reason wins.
func (ss *session) stop(reason string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.reason != "" || ss.completed {
		return
	}
	ss.reason = reason
	if ss.program != nil {
		// Quit blocks until the program reads it; never under the lock.
		go ss.program.Quit()
		return
	}
	if ss.cancel != nil {
		ss.cancel()
	}
}

// setCancel records the session's context cancel; false when the session
// was stopped already, so the caller must not start.
func (ss *session) setCancel(c context.CancelFunc) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.cancel = c
	return ss.reason == ""
}

// setProgram records the dashboard's program; false when the session was
// stopped already.
func (ss *session) setProgram(p *tea.Program) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.program = p
	return ss.reason == ""
}

// complete marks the session's work done, cancels its context and returns
// the reason it was stopped, if it was stopped before its work was done. A
// stop after that (shutdown racing a command that just finished) changes
// nothing, so a finished command keeps its own exit status.
func (ss *session) complete() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.completed {
		ss.completed = true
		ss.final = ss.reason
		if ss.cancel != nil {
			ss.cancel()
		}
	}
	return ss.final
}

// changeTracker counts changes in flight, so shutdown can wait for them and
// refuse new ones.
type changeTracker struct {
	mu       sync.Mutex
	n        int
	draining bool
	zero     chan struct{} // closed when draining and n reaches 0
}

func (c *changeTracker) begin() (end func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining {
		return nil, ErrShuttingDown
	}
	c.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.n--
			if c.n == 0 && c.zero != nil {
				close(c.zero)
				c.zero = nil
			}
		})
	}, nil
}

// drain refuses new changes and returns a channel closed once none runs.
func (c *changeTracker) drain() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draining = true
	ch := make(chan struct{})
	if c.n == 0 {
		close(ch)
	} else {
		c.zero = ch
	}
	return ch
}

func (c *changeTracker) running() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
