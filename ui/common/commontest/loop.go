package commontest

import (
	"io"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// Loop is a Bubble Tea program without a terminal whose model only relays:
// it runs the commands it is given as the runtime runs any command
// (batches at once, sequences in order, nested ones too) and sends every
// message the runtime would hand a model to Out, followed by a Ran once a
// command and all it led to are done. Test drivers hand each message back
// to the model under test on their own goroutine, so no test unpacks
// Bubble Tea's messages itself.
type Loop struct {
	p   *tea.Program
	out chan tea.Msg
}

// Ran says a command given to Loop.Run has finished.
type Ran struct{}

// exec asks the relay to hand cmd to the runtime.
type exec struct{ cmd tea.Cmd }

type relay struct {
	out  chan<- tea.Msg
	done <-chan struct{}
}

func (r relay) Init() tea.Cmd { return nil }

func (r relay) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m, ok := msg.(exec); ok {
		return r, m.cmd
	}
	select {
	case r.out <- msg:
	case <-r.done:
	}
	return r, nil
}

func (r relay) View() string { return "" }

// StartLoop starts a Loop that stops when the test ends.
func StartLoop(t testing.TB) *Loop {
	t.Helper()
	out, done := make(chan tea.Msg), make(chan struct{})
	p := tea.NewProgram(relay{out: out, done: done},
		tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithoutRenderer(), tea.WithoutSignalHandler())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		_, _ = p.Run()
	}()
	t.Cleanup(func() {
		close(done)
		p.Kill()
		<-ended
	})
	return &Loop{p: p, out: out}
}

// Out is where the messages of the commands run come, each command's
// followed by a Ran.
func (l *Loop) Out() <-chan tea.Msg { return l.out }

// Run hands c to the program; its messages, then a Ran, come to Out. A
// quit is dropped: the test, not the model, ends the program.
func (l *Loop) Run(c tea.Cmd) {
	cmd := tea.Sequence(noQuit(c), func() tea.Msg { return Ran{} })
	// Send from another goroutine: the relay may be waiting for the
	// test's goroutine, the one calling Run, to read Out.
	go l.p.Send(exec{cmd: cmd})
}

// noQuit is c with any tea.QuitMsg it or a batch in it returns dropped.
func noQuit(c tea.Cmd) tea.Cmd {
	if c == nil {
		return nil
	}
	return func() tea.Msg {
		switch msg := c().(type) {
		case tea.QuitMsg:
			return nil
		case tea.BatchMsg:
			out := make(tea.BatchMsg, 0, len(msg))
			for _, inner := range msg {
				if inner != nil {
					out = append(out, noQuit(inner))
				}
			}
			return out
		default:
			return msg
		}
	}
}
