package ui

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// counter counts key presses and shows the count.
type counter struct{ n int }

func (c counter) Init() tea.Cmd { return nil }
func (c counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok {
		c.n++
	}
	return c, nil
}
func (c counter) View() string { return fmt.Sprintf("presses=%d", c.n) }

// lockedBuffer is the program's output, read while the program writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}

// TestKeyFrameDrawnAtOnce pins the patch of third_party/bubbletea: a key's
// frame is written as soon as Update and View have run, not at the
// renderer's next tick. At 1 frame a second the tick after the first frame
// is a second away; the key's frame must come well before it.
func TestKeyFrameDrawnAtOnce(t *testing.T) {
	var out lockedBuffer
	p := tea.NewProgram(counter{}, tea.WithInput(nil), tea.WithOutput(&out), tea.WithFPS(1), tea.WithoutSignalHandler())
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	t.Cleanup(func() {
		p.Quit()
		<-done
	})
	wait := func(s string, within time.Duration) time.Duration {
		start := time.Now()
		for !out.has(s) {
			if time.Since(start) > within {
				t.Fatalf("%q not written within %v", s, within)
			}
			time.Sleep(time.Millisecond)
		}
		return time.Since(start)
	}
	wait("presses=0", 5*time.Second) // the first tick's frame
	p.Send(tea.KeyMsg{Type: tea.KeyDown})
	// The key is sent just after a tick's frame: the next tick is about 1 s
	// away. 700 ms tells the two apart and leaves a loaded machine room.
	if d := wait("presses=1", 5*time.Second); d > 700*time.Millisecond {
		t.Errorf("the key's frame came after %v: at the next tick (1 s), not at once", d.Round(time.Millisecond))
	}
}
