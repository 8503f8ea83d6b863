package cli

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"h2ogpte-keys/demoserver"
)

// needTool finds a program the SSH end-to-end test drives, or skips (fails
// on CI, where .ci/run installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		t.Skipf("%s is not installed; the SSH end-to-end test needs it", name)
	}
	return p
}

// startProcess runs the built binary with args in env; its stdout and
// stderr go to one file, returned with a way to read it.
func startProcess(t *testing.T, env []string, args ...string) (read func() string) {
	read, _ = startBinary(t, binPath, env, args...)
	return read
}

// startBinary is startProcess of any build bin, also returning stop,
// which ends the process (the test's end does too, if it was not
// stopped).
func startBinary(tb testing.TB, bin string, env []string, args ...string) (read func() string, stop func()) {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			// SIGTERM is serve's graceful stop; demo ends on it too.
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(sshWait):
				_ = cmd.Process.Kill()
				<-done
			}
			f.Close()
		})
	}
	tb.Cleanup(stop)
	return func() string {
		b, _ := os.ReadFile(out)
		return string(b)
	}, stop
}

// waitOutput waits for re in a process's output and returns its groups.
func waitOutput(t *testing.T, read func() string, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(sshWait)
	for {
		if m := re.FindStringSubmatch(read()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in:\n%s", re, read())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sshPane runs the OpenSSH client in its own tmux server, a 140x40 pane.
func sshPane(t *testing.T, tmux, ssh, key, port, home string) *tuiSession {
	t.Helper()
	s := &tuiSession{
		t: t, tmux: tmux,
		socket: fmt.Sprintf("h2k-ssh-%d-%d", os.Getpid(), tuiSessionSeq.Add(1)),
		env:    []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TERM=xterm-256color", "LANG=C.UTF-8"},
	}
	for _, p := range []string{ssh, key} {
		if strings.Contains(p, "'") {
			t.Fatalf("path %q cannot be quoted for tmux", p)
		}
	}
	command := fmt.Sprintf("'%s' -F /dev/null -tt -p %s -i '%s' -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR 127.0.0.1; echo %s$?",
		ssh, port, key, tuiExitMarker)
	out, err := s.run("start-server", ";",
		"set-option", "-g", "remain-on-exit", "on", ";",
		"new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(tuiCols), "-y", strconv.Itoa(tuiRows), command, ";",
		"display-message", "-p", "#{socket_path}")
	socketPath := strings.TrimSpace(out)
	t.Cleanup(func() {
		_, _ = s.run("kill-server")
		if filepath.IsAbs(socketPath) && filepath.Base(socketPath) == s.socket {
			os.Remove(socketPath)
		}
	})
	if err != nil {
		t.Fatalf("start tmux: %v: %s", err, out)
	}
	return s
}

// writeSSHKey writes a new ed25519 private key for ssh -i, and returns its
// authorized_keys line with comment.
func writeSSHKey(t *testing.T, path, comment string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, comment)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment + "\n"
}

// TestSSHServeCreateShowsSecretOnlyInThatSession runs the built binary's
// demo server and `serve`, connects two people with the real OpenSSH client
// in tmux, creates a key in one dashboard, and checks that its secret is on
// that pane only: not on the other person's, not in serve's output, not in
// the audit log, which does record the create.
func TestSSHServeCreateShowsSecretOnlyInThatSession(t *testing.T) {
	tmux := needTool(t, "tmux")
	ssh := needTool(t, "ssh")
	dir := t.TempDir()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "LANG=C.UTF-8"}

	demoPort := freeTCPPort(t)
	readDemo := startProcess(t, base, "demo", "--serve-only", "--listen", "127.0.0.1:"+demoPort)
	m := waitOutput(t, readDemo, regexp.MustCompile(`demo server on (\S+)\n`))
	demoURL := m[1]

	adminKey, otherKey := filepath.Join(dir, "ada"), filepath.Join(dir, "bea")
	keys := filepath.Join(dir, "authorized_keys")
	lines := writeSSHKey(t, adminKey, "ada-admin") + "role=read-only " + writeSSHKey(t, otherKey, "bea-viewer")
	if err := os.WriteFile(keys, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	auditLog := filepath.Join(dir, "audit.log")
	port := freeTCPPort(t)
	readServe := startProcess(t, append(base, envAddress+"="+demoURL, envToken+"="+demoserver.DemoToken),
		"serve", "--listen", "127.0.0.1:"+port, "--authorized-keys", keys, "--audit-log", auditLog)
	m = waitOutput(t, readServe, regexp.MustCompile(`Host key fingerprint: (SHA256:\S+)\n`))
	if m[1] == "" {
		t.Fatal("no host key fingerprint")
	}

	other := sshPane(t, tmux, ssh, otherKey, port, dir)
	// The picker's count line: the toolbar says "u Choose a user" before
	// the users arrive and the picker opens, and keys pressed then are lost.
	other.waitText("All users + ")
	other.press("Down", "Down", "Enter")
	other.waitText("User: alice", "READ-ONLY")

	s := sshPane(t, tmux, ssh, adminKey, port, dir)
	s.waitText("All users + ", "alice")
	s.press("Down", "Down", "Enter")
	s.waitText("User: alice", "old-laptop")
	const name = "over-ssh-e2e"
	s.press("n")
	s.waitText("New API key for alice")
	s.typeText(name)
	s.waitText("› " + name)
	// Name, then the defaults: global key, expiry yes, 90d, no inactivity.
	s.press("Enter")
	s.waitFocus("Collection")
	s.press("Enter")
	s.waitFocus("Allow key to expire")
	s.press("Enter")
	s.waitFocus("Expires")
	s.press("Enter")
	s.waitFocus("Set inactivity interval")
	s.press("Enter")
	screen := s.waitFor("the show-once secret", tuiSecretLine.MatchString)
	secret := tuiSecretLine.FindString(screen)

	other.press("r")
	otherScreen := other.waitText(name)
	if strings.Contains(other.history(), secret) || strings.Contains(otherScreen, secret) {
		t.Error("the secret appeared in the other person's session")
	}
	if strings.Contains(readServe(), secret) || strings.Contains(readServe(), demoserver.DemoToken) {
		t.Error("serve's output holds the secret or the admin token")
	}
	b, err := os.ReadFile(auditLog)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secret) || tuiAnySecret.Match(b) {
		t.Error("the audit log holds a secret")
	}
	var created int
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, `"action":"create"`) && strings.Contains(l, `"person":"ada-admin"`) &&
			strings.Contains(l, `"name":"`+name+`"`) && strings.Contains(l, `"outcome":"done"`) {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d audit lines record the create, want 1:\n%s", created, b)
	}

	s.press("Enter")
	s.waitFor("the secret dialog to close", func(screen string) bool { return !strings.Contains(screen, secret) })
	s.press("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("ssh exited %d", code)
	}
	if strings.Contains(s.history(), secret) {
		t.Error("the secret is still in the admin's terminal after quitting")
	}
}
