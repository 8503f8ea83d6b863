package cli

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
)

// Ctrl+C at a [y/N] question ends the command at once (exit 1, nothing
// sent), instead of leaving it blocked on the terminal until Enter.
func TestInterruptAtQuestion(t *testing.T) {
	for _, cmd := range []string{"delete", "deactivate", "rotate"} {
		t.Run(cmd, func(t *testing.T) {
			ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
			id := firstKeyIDs(t, ts, 1)[0]
			args := []string{cmd, id}
			if cmd == "rotate" {
				ts = rotateServer(t)
				args = []string{cmd, seededKey(t, ts, "alice", "jupyter").ID, "--then", "delete"}
			}
			// A terminal on which nobody answers; asking is reading it.
			pr, pw := io.Pipe()
			t.Cleanup(func() { pw.Close() })
			in := &firstRead{r: pr, asked: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, before := ts.log.counts()
			done := make(chan result, 1)
			go func() {
				done <- runCLIEnv(t, ctx, harness{env: ts.adminEnv(), tty: true}, nil, func(e *Env) { e.Stdin = in }, args...)
			}()
			select {
			case <-in.asked:
			case r := <-done:
				t.Fatalf("ended without asking: exit %d, stderr %q", r.code, r.Stderr)
			}
			cancel()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("still waiting for an answer 20 s after Ctrl+C")
			}
			if r.code != exitFail || !strings.Contains(r.Stderr, "[y/N]") || !strings.Contains(r.Stderr, "interrupted at the question; nothing was changed") {
				t.Errorf("exit %d, stderr %q", r.code, r.Stderr)
			}
			if _, after := ts.log.counts(); after != before {
				t.Errorf("%d changes sent after Ctrl+C at the question", after-before)
			}
		})
	}
}

// firstRead closes asked when its first Read begins.
type firstRead struct {
	r     io.Reader
	asked chan struct{}
	once  sync.Once
}

func (f *firstRead) Read(p []byte) (int, error) {
	f.once.Do(func() { close(f.asked) })
	return f.r.Read(p)
}
