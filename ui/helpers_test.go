package ui

import (
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"h2ogpte-keys/ui/common/commontest"
)

// testNow is the fixed clock of every test and golden file.
var testNow = commontest.Now

func TestMain(m *testing.M) { commontest.Main(m) }

// newApp returns an App sized w x h, not yet started.
func newApp(t *testing.T, api API, opts Options, w, h int) *App {
	t.Helper()
	if opts.Now == nil {
		opts.Now = commontest.Clock
	}
	if opts.Copier == nil {
		opts.Copier = &fakeCopier{}
	}
	if opts.Address == "" {
		opts.Address = "https://h2ogpte.example.com"
	}
	a := New(api, opts)
	t.Cleanup(a.cancel)
	a.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return a
}

// startApp runs Init and everything it leads to.
func startApp(t *testing.T, api API, opts Options, w, h int) *App {
	t.Helper()
	a := newApp(t, api, opts, w, h)
	drive(t, a, a.Init())
	return a
}

type fakeCopier struct {
	mu     sync.Mutex
	copies int
}

func (c *fakeCopier) Copy(string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.copies++
	return []string{"test clipboard"}
}

// driver runs commands, and every command that follows from them,
// through a.Update as the Bubble Tea runtime would. A real program (no
// terminal, see loop) runs each command, so batches and sequences are
// unpacked by the runtime itself; every message it would hand a model
// comes back here and goes to a.Update on the test's goroutine.
type driver struct {
	t    *testing.T
	a    *App
	loop *commontest.Loop
	// pending counts commands whose messages have not all come back.
	pending int
	// hold, when set, keeps the messages it matches from a.Update; they
	// collect in held.
	hold func(tea.Msg) bool
	held []tea.Msg
}

func newDriver(t *testing.T, a *App) *driver {
	return &driver{t: t, a: a, loop: commontest.StartLoop(t)}
}

func (d *driver) run(c tea.Cmd) {
	if c == nil {
		return
	}
	d.pending++
	d.loop.Run(c)
}

// step handles one message; false after quiet (nothing came back).
func (d *driver) step(quiet time.Duration) bool {
	select {
	case msg := <-d.loop.Out():
		if _, ok := msg.(commontest.Ran); ok {
			d.pending--
			return true
		}
		if d.hold != nil && d.hold(msg) {
			d.held = append(d.held, msg)
			return true
		}
		d.run(deliver(d.a, msg))
		return true
	case <-time.After(quiet):
		return false
	}
}

// until handles messages until cond holds. The bound only ends a test that
// would otherwise hang: generous, since a loaded CI machine under -race
// can take many seconds for a big load.
func (d *driver) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("gave up waiting for %s; screen:\n%s", what, plainView(d.a))
		}
		d.step(20 * time.Millisecond)
	}
}

// settle returns once no request is in flight (the status bar is idle)
// and nothing has come back for a moment: what may still be pending then
// are timers (spinner ticks, cursor blinks), whose messages would only
// schedule more of themselves.
func (d *driver) settle() {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a bound against hangs, not a timing assertion
	for d.pending > 0 {
		if time.Now().After(deadline) {
			d.t.Fatalf("requests still running after 30 s; screen:\n%s", plainView(d.a))
		}
		if !d.step(60*time.Millisecond) && !d.a.status.Busy() && d.a.load == nil {
			return
		}
	}
}

// press sends each key and handles what follows, without settling.
func (d *driver) press(keys ...string) {
	for _, k := range keys {
		_, cmd := d.a.Update(commontest.Key(k))
		d.run(cmd)
	}
}

// drive runs cmd and everything that follows until the App settles.
func drive(t *testing.T, a *App, cmd tea.Cmd) {
	t.Helper()
	d := newDriver(t, a)
	d.run(cmd)
	d.settle()
}

// deliver hands msg to a and returns the command that follows; the
// timers' messages (spinner ticks, cursor blinks), which would only
// schedule more of themselves, stop here.
func deliver(a *App, msg tea.Msg) tea.Cmd {
	switch msg.(type) {
	case nil, spinner.TickMsg, cursor.BlinkMsg:
		return nil
	}
	_, cmd := a.Update(msg)
	return cmd
}

// press sends keys (a name like "enter", "ctrl+a", or runes) and drives what follows.
func press(t *testing.T, a *App, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := a.Update(commontest.Key(k))
		drive(t, a, cmd)
	}
}

// typeText types s rune by rune.
func typeText(t *testing.T, a *App, s string) {
	t.Helper()
	for _, r := range s {
		_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		drive(t, a, cmd)
	}
}

// plainView is the view without escape sequences and with any secret
// redacted: tests print it when they fail, and test logs are logs.
func plainView(a *App) string { return secretRE.ReplaceAllString(ansi.Strip(a.View()), "[SECRET]") }
