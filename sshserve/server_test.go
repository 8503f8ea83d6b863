package sshserve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/log"
	gossh "golang.org/x/crypto/ssh"
)

// person is a test SSH identity.
type person struct {
	signer gossh.Signer
	line   string // authorized_keys line without options and comment
	fp     string
}

func newPerson(t *testing.T) person {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	return person{signer: signer, line: line, fp: gossh.FingerprintSHA256(signer.PublicKey())}
}

// syncBuffer is a log destination safe to read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	srv     *Server
	keys    string // authorized keys path
	logs    *syncBuffer
	cancel  context.CancelFunc
	served  chan error
	hostKey string
}

// start runs a server on 127.0.0.1:0 with keys as its authorized keys file.
func start(t *testing.T, keys string, mod func(*Options)) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{keys: filepath.Join(dir, "authorized_keys"), logs: &syncBuffer{}, hostKey: filepath.Join(dir, "host", "key")}
	writeKeys(t, h.keys, keys)
	o := Options{
		Listen:             "127.0.0.1:0",
		HostKeyPath:        h.hostKey,
		AuthorizedKeysPath: h.keys,
		Logger:             log.New(h.logs),
		Getenv:             func(string) string { return "" },
		ReloadInterval:     time.Hour,
		ShutdownGrace:      5 * time.Second,
	}
	if mod != nil {
		mod(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.served = make(chan error, 1)
	go func() { h.served <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.served:
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return h
}

func writeKeys(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) dial(auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", h.srv.Addr().String(), &gossh.ClientConfig{
		User:            "anyone",
		Auth:            auth,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         5 * time.Second,
	})
}

func (h *harness) client(t *testing.T, p person) *gossh.Client {
	t.Helper()
	c, err := h.dial(gossh.PublicKeys(p.signer))
	if err != nil {
		t.Fatalf("dial as %s: %v", p.fp, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// run runs cmd over exec and returns stdout, stderr and the exit status.
func run(t *testing.T, c *gossh.Client, cmd string) (string, string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	err = s.Run(cmd)
	code := 0
	var exit *gossh.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitStatus()
	case err != nil:
		t.Fatalf("run %q: %v", cmd, err)
	}
	return out.String(), errb.String(), code
}

// recordingExec records the Person and args it was called with, writes the
// args and returns status.
type recordingExec struct {
	mu     sync.Mutex
	people []Person
	args   [][]string
	status int
	block  chan struct{} // when set, each call waits for it to close
}

func (r *recordingExec) exec(ctx context.Context, p Person, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	r.mu.Lock()
	r.people = append(r.people, p)
	r.args = append(r.args, args)
	block := r.block
	r.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			fmt.Fprintln(stderr, "cancelled")
			return 9
		}
	}
	fmt.Fprintf(stdout, "args=%s\n", strings.Join(args, "|"))
	fmt.Fprintln(stderr, "note")
	return r.status
}

func (r *recordingExec) calls() ([]Person, [][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Person(nil), r.people...), append([][]string(nil), r.args...)
}

func TestExecRunsWithArgsPersonAndStatus(t *testing.T) {
	alice, rob, anon := newPerson(t), newPerson(t), newPerson(t)
	ex := &recordingExec{status: 3}
	h := start(t, alice.line+" alice@laptop\nrole=read-only "+rob.line+" rob the auditor\n"+anon.line+"\n",
		func(o *Options) { o.Exec = ex.exec })

	out, errOut, code := run(t, h.client(t, alice), "list --all -o csv")
	if out != "args=list|--all|-o|csv\n" || errOut != "note\n" || code != 3 {
		t.Fatalf("stdout %q stderr %q status %d", out, errOut, code)
	}
	run(t, h.client(t, rob), "users")
	run(t, h.client(t, anon), "users")

	people, _ := ex.calls()
	want := []Person{
		{Name: "alice@laptop", Fingerprint: alice.fp, Role: Admin},
		{Name: "rob the auditor", Fingerprint: rob.fp, Role: ReadOnly},
		{Name: "key SHA256:" + strings.TrimPrefix(anon.fp, "SHA256:")[:12], Fingerprint: anon.fp, Role: Admin},
	}
	if len(people) != len(want) {
		t.Fatalf("%d calls, want %d", len(people), len(want))
	}
	for i, w := range want {
		got := people[i]
		if !strings.HasPrefix(got.RemoteAddr, "127.0.0.1:") {
			t.Errorf("person %d remote %q", i, got.RemoteAddr)
		}
		got.RemoteAddr = ""
		if got != w {
			t.Errorf("person %d = %+v, want %+v", i, got, w)
		}
	}
	if people[1].CanChange() || !people[0].CanChange() {
		t.Error("CanChange does not follow the role")
	}
}

func TestUnknownKeyAndPasswordRefused(t *testing.T) {
	alice, mallory := newPerson(t), newPerson(t)
	ex := &recordingExec{}
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Exec = ex.exec })

	if c, err := h.dial(gossh.PublicKeys(mallory.signer)); err == nil {
		c.Close()
		t.Fatal("an unknown key was let in")
	}
	if c, err := h.dial(gossh.Password("hunter2")); err == nil {
		c.Close()
		t.Fatal("a password was accepted")
	}
	kbd := gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })
	if c, err := h.dial(kbd); err == nil {
		c.Close()
		t.Fatal("keyboard-interactive was accepted")
	}
	if people, _ := ex.calls(); len(people) != 0 {
		t.Fatalf("a refused client reached Exec: %+v", people)
	}
	if !strings.Contains(h.logs.String(), mallory.fp) {
		t.Errorf("the refused key's fingerprint is not logged:\n%s", h.logs)
	}
}

func TestAuthAttemptsLimitedPerConnection(t *testing.T) {
	alice := newPerson(t)
	h := start(t, alice.line+" alice\n", func(o *Options) { o.MaxAuthTries = 2 })
	// Three wrong keys then the right one: the connection is cut before
	// the right key is tried.
	signers := []gossh.Signer{newPerson(t).signer, newPerson(t).signer, newPerson(t).signer, alice.signer}
	if c, err := h.dial(gossh.PublicKeys(signers...)); err == nil {
		c.Close()
		t.Fatal("the fourth key was tried despite MaxAuthTries 2")
	}
	// The right key alone still works.
	h.client(t, alice)
}

// greeter is a tiny dashboard: it shows who is connected and quits on q.
type greeter struct{ who string }

func (g greeter) Init() tea.Cmd { return nil }

func (g greeter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.String() == "q" {
		return g, tea.Quit
	}
	return g, nil
}

func (g greeter) View() string { return "hello " + g.who + "\n" }

// terminal is an interactive pty session seen from the client.
type terminal struct {
	sess *gossh.Session
	in   io.WriteCloser
	out  *syncBuffer
	done chan error
}

func openTerminal(t *testing.T, c *gossh.Client) *terminal {
	t.Helper()
	return runOnTerminal(t, c, func(s *gossh.Session, in io.Writer) error {
		if err := s.Shell(); err != nil {
			return err
		}
		// Answer the renderer's background query (Primary Device
		// Attributes) the way a real terminal does, or it waits for a
		// keystroke.
		_, err := io.WriteString(in, "\x1b[?62c")
		return err
	})
}

// startWithTerminal starts cmd as ssh -t does: with a pseudo-terminal.
func startWithTerminal(t *testing.T, c *gossh.Client, cmd string) *terminal {
	t.Helper()
	return runOnTerminal(t, c, func(s *gossh.Session, _ io.Writer) error { return s.Start(cmd) })
}

// runOnTerminal opens a session with a pseudo-terminal, stdin a pipe and
// stdout and stderr into the terminal's output, and starts it with begin.
func runOnTerminal(t *testing.T, c *gossh.Client, begin func(s *gossh.Session, in io.Writer) error) *terminal {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	term := &terminal{sess: s, out: &syncBuffer{}, done: make(chan error, 1)}
	s.Stdout, s.Stderr = term.out, term.out
	if term.in, err = s.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := begin(s, term.in); err != nil {
		t.Fatal(err)
	}
	go func() { term.done <- s.Wait() }()
	return term
}

// waitFor waits until the terminal's output contains want.
func (term *terminal) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(term.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output:\n%q", want, term.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (term *terminal) waitEnd(t *testing.T) error {
	t.Helper()
	select {
	case err := <-term.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("session did not end; output:\n%q", term.out.String())
		return nil
	}
}

// dashboard returns a Dashboard that greets the person and records the
// Terminal it was given.
func dashboard(got chan<- Terminal) DashboardFunc {
	return func(term Terminal) (tea.Model, []tea.ProgramOption) {
		if got != nil {
			got <- term
		}
		return greeter{who: term.Person.Name + " " + term.Person.Role.String()}, nil
	}
}

func TestTerminalSessionShowsDashboard(t *testing.T) {
	alice, rob := newPerson(t), newPerson(t)
	got := make(chan Terminal, 2)
	h := start(t, alice.line+" alice\nrole=read-only "+rob.line+" rob\n", func(o *Options) { o.Dashboard = dashboard(got) })

	term := openTerminal(t, h.client(t, alice))
	term.waitFor(t, "hello alice admin")
	tm := <-got
	if tm.Person.Fingerprint != alice.fp || tm.Width != 80 || tm.Height != 24 || tm.Term != "xterm-256color" {
		t.Fatalf("terminal %+v", tm)
	}
	if tm.Renderer == nil || tm.Output == nil || tm.Context == nil || tm.BeginChange == nil {
		t.Fatal("terminal lacks renderer, output, context or BeginChange")
	}
	// Output reaches this session's terminal.
	if _, err := io.WriteString(tm.Output, "\x1b]52;c;aGk=\x07"); err != nil {
		t.Fatal(err)
	}
	term.waitFor(t, "\x1b]52;c;aGk=\x07")
	if _, err := io.WriteString(term.in, "q"); err != nil {
		t.Fatal(err)
	}
	if err := term.waitEnd(t); err != nil {
		t.Fatalf("quit: %v", err)
	}
	select {
	case <-tm.Context.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the session's context did not end with it")
	}

	term = openTerminal(t, h.client(t, rob))
	term.waitFor(t, "hello rob read-only")
}

func TestNoTerminalNoCommandRefused(t *testing.T) {
	alice := newPerson(t)
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Dashboard = dashboard(nil) })
	s, err := h.client(t, alice).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.CombinedOutput("")
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(string(out), "PTY") {
		t.Fatalf("err %v, output %q", err, out)
	}
}

func TestSessionLimit(t *testing.T) {
	alice := newPerson(t)
	ex := &recordingExec{block: make(chan struct{})}
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Exec = ex.exec; o.MaxSessions = 2 })
	c := h.client(t, alice)

	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, code := run(t, c, "hold"); code != 0 {
				t.Errorf("held session status %d", code)
			}
		}()
	}
	waitCalls(t, ex, 2)
	_, errOut, code := run(t, c, "one more")
	if errOut != "too many sessions (2); try again later\n" || code != 1 {
		t.Fatalf("third session: stderr %q status %d", errOut, code)
	}
	close(ex.block)
	wg.Wait()
	if _, _, code := run(t, c, "after"); code != 0 {
		t.Fatalf("a session after the others ended: status %d", code)
	}
}

func waitCalls(t *testing.T, ex *recordingExec, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if people, _ := ex.calls(); len(people) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Exec not called %d times", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIdleSessionClosed(t *testing.T) {
	alice := newPerson(t)
	h := start(t, alice.line+" alice\n", func(o *Options) {
		o.Dashboard = dashboard(nil)
		o.IdleTimeout = 300 * time.Millisecond
	})
	term := openTerminal(t, h.client(t, alice))
	term.waitFor(t, "hello alice")
	err := term.waitEnd(t)
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 1 {
		t.Fatalf("idle session ended with %v", err)
	}
	if !strings.Contains(term.out.String(), "idle for 300ms; session closed") {
		t.Fatalf("no idle message:\n%q", term.out.String())
	}
}

func TestKeystrokesKeepSessionOpen(t *testing.T) {
	alice := newPerson(t)
	h := start(t, alice.line+" alice\n", func(o *Options) {
		o.Dashboard = dashboard(nil)
		o.IdleTimeout = 1500 * time.Millisecond
	})
	term := openTerminal(t, h.client(t, alice))
	term.waitFor(t, "hello alice")
	// Type for well over the idle timeout, a key every 300 ms (a loaded
	// machine's delays stay far below the timeout); the session must stay.
	for i := 0; i < 8; i++ {
		time.Sleep(300 * time.Millisecond)
		if _, err := io.WriteString(term.in, "x"); err != nil {
			t.Fatalf("session closed while typing: %v", err)
		}
	}
	select {
	case err := <-term.done:
		t.Fatalf("session closed while typing: %v\n%q", err, term.out.String())
	default:
	}
}

func TestMaxSessionTime(t *testing.T) {
	alice := newPerson(t)
	ex := &recordingExec{block: make(chan struct{})}
	h := start(t, alice.line+" alice\n", func(o *Options) {
		o.Exec = ex.exec
		o.MaxSessionTime = 300 * time.Millisecond
	})
	_, errOut, code := run(t, h.client(t, alice), "hold")
	if code != 1 || !strings.Contains(errOut, "session time limit (300ms) reached") || !strings.Contains(errOut, "cancelled") {
		t.Fatalf("status %d stderr %q", code, errOut)
	}
}

func TestReloadAddsAndRemovesKeys(t *testing.T) {
	alice, bob := newPerson(t), newPerson(t)
	ex := &recordingExec{}
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Exec = ex.exec; o.Dashboard = dashboard(nil) })
	if c, err := h.dial(gossh.PublicKeys(bob.signer)); err == nil {
		c.Close()
		t.Fatal("bob let in before being added")
	}
	term := openTerminal(t, h.client(t, alice))
	term.waitFor(t, "hello alice")

	writeKeys(t, h.keys, "role=read-only "+bob.line+" bob\n")
	if err := h.srv.Reload(); err != nil {
		t.Fatal(err)
	}
	run(t, h.client(t, bob), "users")
	if people, _ := ex.calls(); len(people) != 1 || people[0].Name != "bob" || people[0].Role != ReadOnly {
		t.Fatalf("after reload: %+v", people)
	}
	// Alice's open session ends, and she cannot come back.
	if err := term.waitEnd(t); err == nil {
		t.Fatal("a revoked key's session ended with status 0")
	}
	if !strings.Contains(term.out.String(), "no longer authorized") {
		t.Fatalf("no revocation message:\n%q", term.out.String())
	}
	if c, err := h.dial(gossh.PublicKeys(alice.signer)); err == nil {
		c.Close()
		t.Fatal("a removed key still gets in")
	}
}

func TestReloadOnFileChange(t *testing.T) {
	alice, bob := newPerson(t), newPerson(t)
	h := start(t, alice.line+" alice\n", func(o *Options) { o.ReloadInterval = 20 * time.Millisecond })
	writeKeys(t, h.keys, alice.line+" alice\n"+bob.line+" bob\n")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := h.dial(gossh.PublicKeys(bob.signer))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob not let in after the file changed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBrokenReloadKeepsPreviousKeys(t *testing.T) {
	alice, bob := newPerson(t), newPerson(t)
	h := start(t, alice.line+" alice\n", nil)
	writeKeys(t, h.keys, alice.line+" alice\nthis is not a key\n"+bob.line+" bob\n")
	if err := h.srv.Reload(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("broken file: %v", err)
	}
	h.client(t, alice)
	if c, err := h.dial(gossh.PublicKeys(bob.signer)); err == nil {
		c.Close()
		t.Fatal("a broken file's keys were taken")
	}
	if !strings.Contains(h.logs.String(), "keeping the previous authorized keys") {
		t.Fatalf("reload error not logged:\n%s", h.logs)
	}
}

func TestShutdownLetsRunningCommandFinish(t *testing.T) {
	alice := newPerson(t)
	ex := &recordingExec{block: make(chan struct{})}
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Exec = ex.exec })
	c := h.client(t, alice)
	type result struct {
		out  string
		code int
	}
	res := make(chan result, 1)
	go func() {
		out, _, code := run(t, c, "delete --yes")
		res <- result{out, code}
	}()
	waitCalls(t, ex, 1)
	h.cancel()
	// New connections are refused once shutdown starts.
	deadline := time.Now().Add(5 * time.Second)
	for {
		cl, err := h.dial(gossh.PublicKeys(alice.signer))
		if err != nil {
			break
		}
		cl.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-h.served:
		t.Fatalf("Serve returned (%v) while a command ran", err)
	default:
	}
	close(ex.block)
	r := <-res
	if r.code != 0 || r.out != "args=delete|--yes\n" {
		t.Fatalf("the running command was cut: status %d output %q", r.code, r.out)
	}
	select {
	case err := <-h.served:
		if err != nil {
			t.Fatal(err)
		}
		h.served <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the command finished")
	}
}

func TestShutdownGraceIsBounded(t *testing.T) {
	alice := newPerson(t)
	ex := &recordingExec{block: make(chan struct{})}
	defer close(ex.block)
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Exec = ex.exec; o.ShutdownGrace = 200 * time.Millisecond })
	c := h.client(t, alice)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Start("hold"); err != nil {
		t.Fatal(err)
	}
	waitCalls(t, ex, 1)
	h.cancel()
	select {
	case err := <-h.served:
		if err != nil {
			t.Fatal(err)
		}
		h.served <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("Serve waited past its grace for a stuck command")
	}
}

func TestBeginChangeRefusedWhileDraining(t *testing.T) {
	var c changeTracker
	end, err := c.begin()
	if err != nil {
		t.Fatal(err)
	}
	drained := c.drain()
	if _, err := c.begin(); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("begin while draining: %v", err)
	}
	select {
	case <-drained:
		t.Fatal("drained with a change running")
	default:
	}
	end()
	end() // a second end must not count twice
	select {
	case <-drained:
	default:
		t.Fatal("not drained after the change ended")
	}
}

// Close while Serve runs ends Serve with the error that stopped it, even
// though Serve's context is still live: the reload poller must not keep it
// waiting for a cancel that may never come.
func TestServeReturnsWhenClosed(t *testing.T) {
	alice := newPerson(t)
	h := start(t, alice.line+" alice\n", nil)
	// Let Serve start accepting before closing under it.
	c := h.client(t, alice)
	c.Close()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.served:
		if err == nil {
			t.Error("Serve returned nil after Close cut it short")
		}
		h.served <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close with its context still live")
	}
}

// ssh -t HOST list ...: the client's Ctrl+C comes as a byte on stdin, and
// ends the command (its context) as an interrupt would.
func TestCtrlCEndsCommandWithTerminal(t *testing.T) {
	alice := newPerson(t)
	ex := &recordingExec{block: make(chan struct{})}
	t.Cleanup(func() { close(ex.block) })
	h := start(t, alice.line+" alice\n", func(o *Options) { o.Exec = ex.exec })
	term := startWithTerminal(t, h.client(t, alice), "list --all")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, args := ex.calls(); len(args) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command never started")
		}
	}
	if _, err := io.WriteString(term.in, "x\x03"); err != nil {
		t.Fatal(err)
	}
	err := term.waitEnd(t)
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 9 || !strings.Contains(term.out.String(), "cancelled") {
		t.Fatalf("ended with %v, output %q; want the command cancelled (status 9)", err, term.out.String())
	}
}

// A second Ctrl+C ends the session at once (status 130), while the
// command is still at work on the first (reading back, say).
func TestSecondCtrlCEndsSession(t *testing.T) {
	alice := newPerson(t)
	stuck := make(chan struct{})
	started := make(chan struct{}, 1)
	h := start(t, alice.line+" alice\n", func(o *Options) {
		o.Exec = func(ctx context.Context, _ Person, _ []string, _ io.Reader, _, stderr io.Writer) int {
			started <- struct{}{}
			<-ctx.Done()
			fmt.Fprintln(stderr, "reading back")
			<-stuck // ignores the end of its context from here on
			return 0
		}
	})
	t.Cleanup(func() { close(stuck) }) // before the server's shutdown waits for it
	term := startWithTerminal(t, h.client(t, alice), "delete k1 --yes")
	<-started
	if _, err := io.WriteString(term.in, "\x03"); err != nil {
		t.Fatal(err)
	}
	term.waitFor(t, "reading back")
	if _, err := io.WriteString(term.in, "\x03"); err != nil {
		t.Fatal(err)
	}
	err := term.waitEnd(t)
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 130 {
		t.Fatalf("ended with %v, want status 130", err)
	}
}
