package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
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
			r := awaitRun(t, done, "still waiting for an answer 20 s after Ctrl+C")
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

// Ctrl+C during a bulk run (the command line sends one at a time):
// nothing more is sent, the key in flight is read back (the server acted:
// deleted), the rest are reported not sent, and stderr says what happens
// and how to quit at once.
func TestInterruptInFlightReadsBack(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1, ExtraKeys: 10})
	ids := firstKeyIDs(t, ts, 6)
	ts.srv.Inject(demoserver.Fault{Method: http.MethodDelete, Path: "/api/v1/admin/api_keys/*", Kind: demoserver.FaultActThenDelay, Delay: time.Minute, Times: 6})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, before := ts.log.counts()
	done := make(chan result, 1)
	go func() {
		done <- runCLIContext(t, ctx, harness{env: ts.adminEnv()}, nil, append([]string{"delete", "--yes", "-o", "table"}, ids...)...)
	}()
	inFlight := 0
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, n := ts.log.counts(); n-before >= 1 || time.Now().After(deadline) {
			inFlight = n - before
			break
		}
	}
	if inFlight < 1 || inFlight >= len(ids) {
		t.Fatalf("%d deletes in flight, want some but not all", inFlight)
	}
	cancel()
	r := awaitRun(t, done, "no report 20 s after Ctrl+C")
	if r.code != exitFail || !strings.Contains(r.Stderr, "Interrupted: nothing more is sent; changes in flight are read back") {
		t.Errorf("exit %d, stderr %q", r.code, r.Stderr)
	}
	if got := strings.Count("\n"+r.Stdout, "\ndeleted "); got != inFlight {
		t.Errorf("%d reported deleted, want the %d in flight (the server acted):\n%s", got, inFlight, r.Stdout)
	}
	if got := strings.Count(r.Stdout, ": not sent: interrupted"); got != len(ids)-inFlight {
		t.Errorf("%d reported not sent, want %d:\n%s", got, len(ids)-inFlight, r.Stdout)
	}
	if _, after := ts.log.counts(); after-before != inFlight {
		t.Errorf("%d deletes sent, want only the %d in flight at Ctrl+C", after-before, inFlight)
	}
}

// slowWriter takes a while over each write: began is closed as the first
// write begins; written holds what has been written in full.
type slowWriter struct {
	began   chan struct{}
	once    sync.Once
	mu      sync.Mutex
	written bytes.Buffer
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.began) })
	time.Sleep(100 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written.Write(p)
}

// The interrupt note, once begun, is written before the report that
// follows noteInterrupt's stop: the report never comes before the note.
func TestInterruptNoteBeforeTheReport(t *testing.T) {
	w := &slowWriter{began: make(chan struct{})}
	a := &app{Env: Env{Stderr: w}}
	ctx, cancel := context.WithCancel(context.Background())
	stop := a.noteInterrupt(ctx)
	cancel()
	select {
	case <-w.began:
	case <-time.After(10 * time.Second):
		t.Fatal("no note 10 s after the interrupt")
	}
	stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !strings.HasPrefix(w.written.String(), "Interrupted: nothing more is sent") {
		t.Errorf("when stop returned, stderr held %q; want the whole note", w.written.String())
	}
	// Not interrupted: stop ends the watch and nothing is written.
	quiet := &slowWriter{began: make(chan struct{})}
	b := &app{Env: Env{Stderr: quiet}}
	ctx2, cancel2 := context.WithCancel(context.Background())
	b.noteInterrupt(ctx2)()
	cancel2()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-quiet.began:
		t.Error("a note was written after stop, with no interrupt while the changes ran")
	default:
	}
}

// Every command but serve lets a second Ctrl+C end the process at once;
// serve's shutdown waits for changes and their audit lines instead.
func TestSecondInterruptNotForServe(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"users"}, true},
		{[]string{"serve", "--authorized-keys", filepath.Join(t.TempDir(), "none")}, false},
	} {
		called := false
		runCLIWith(t, harness{env: ts.adminEnv()}, func(e *Env) { e.SecondInterruptQuits = func() { called = true } }, tc.args...)
		if called != tc.want {
			t.Errorf("%v: second Ctrl+C quits = %v, want %v", tc.args, called, tc.want)
		}
	}
}

// awaitRun is the command's result, or fails with stuck after 20 s (a
// bound against hangs, not a timing assertion).
func awaitRun(t *testing.T, done <-chan result, stuck string) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal(stuck)
		return result{}
	}
}
