package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"h2ogpte-keys/audit"
	"h2ogpte-keys/change"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// sshWait bounds every wait on the SSH service: a limit on a hang, not a
// timed assertion.
const sshWait = 10 * time.Second

// sshPerson is a test SSH identity.
type sshPerson struct {
	name   string
	signer gossh.Signer
	fp     string
}

func newSSHPerson(t *testing.T, name string) sshPerson {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return sshPerson{name: name, signer: signer, fp: gossh.FingerprintSHA256(signer.PublicKey())}
}

// line is the person's authorized_keys line, with options.
func (p sshPerson) line(options string) string {
	l := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(p.signer.PublicKey()))) + " " + p.name
	if options != "" {
		l = options + " " + l
	}
	return l + "\n"
}

// serveHarness is `h2ogpte-keys serve` run in-process through Run against
// a demo server, with an admin and a read-only person authorized.
type serveHarness struct {
	t        *testing.T
	ts       *testServer
	addr     string
	auditLog string
	stdout   *syncBuffer
	stderr   *syncBuffer
	admin    sshPerson
	viewer   sshPerson
	done     chan int
}

func startServe(t *testing.T, extra ...string) *serveHarness {
	t.Helper()
	dir := t.TempDir()
	h := &serveHarness{
		t: t, ts: newTestServer(t, demoserver.Options{Now: time.Now, Seed: 1}),
		auditLog: filepath.Join(dir, "audit.log"),
		stdout:   &syncBuffer{}, stderr: &syncBuffer{},
		admin:  newSSHPerson(t, "ada-admin"),
		viewer: newSSHPerson(t, "vic-viewer"),
		done:   make(chan int, 1),
	}
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, []byte(h.admin.line("")+h.viewer.line("role=read-only")), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{"HOME": dir, envAddress: h.ts.URL, envToken: demoserver.DemoToken}
	e := Env{
		Stdin:     strings.NewReader(""),
		Stdout:    h.stdout,
		Stderr:    h.stderr,
		Getenv:    func(k string) string { return environ[k] },
		Now:       time.Now, // the session limits run on it
		StdinTTY:  func() bool { return false },
		StdoutTTY: func() bool { return false },
		StderrTTY: func() bool { return false },
	}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--authorized-keys", keys,
		"--host-key", filepath.Join(dir, "host_key"), "--audit-log", h.auditLog}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- Run(ctx, args, e) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(40 * time.Second):
			t.Error("serve did not stop after its context ended")
		}
		if strings.Contains(h.stderr.String(), demoserver.DemoToken) || strings.Contains(h.stdout.String(), demoserver.DemoToken) {
			t.Error("serve printed the admin token")
		}
	})
	re := regexp.MustCompile(`serve on (\S+)\nHost key fingerprint: (SHA256:\S+)\n`)
	deadline := time.Now().Add(sshWait)
	for {
		if m := re.FindStringSubmatch(h.stdout.String()); m != nil {
			h.addr = m[1]
			break
		}
		select {
		case code := <-h.done:
			t.Fatalf("serve exited %d before listening; stderr:\n%s", code, h.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start; stdout %q stderr %q", h.stdout.String(), h.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

func (h *serveHarness) dial(p sshPerson) (*gossh.Client, error) {
	return gossh.Dial("tcp", h.addr, &gossh.ClientConfig{
		User:            "whoever",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(p.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         sshWait,
	})
}

func (h *serveHarness) client(p sshPerson) *gossh.Client {
	h.t.Helper()
	c, err := h.dial(p)
	if err != nil {
		h.t.Fatalf("dial as %s: %v", p.name, err)
	}
	h.t.Cleanup(func() { _ = c.Close() })
	return c
}

// exec runs cmd over SSH without a terminal: stdout, stderr, exit status.
func (h *serveHarness) exec(p sshPerson, cmd string) (string, string, int) {
	h.t.Helper()
	s, err := h.client(p).NewSession()
	if err != nil {
		h.t.Fatal(err)
	}
	defer s.Close()
	var out, errb syncBuffer
	s.Stdout, s.Stderr = &out, &errb
	err = s.Run(cmd)
	code := 0
	if err != nil {
		ee, ok := err.(*gossh.ExitError)
		if !ok {
			h.t.Fatalf("%s: %v", cmd, err)
		}
		code = ee.ExitStatus()
	}
	return out.String(), errb.String(), code
}

// auditLines are the audit log's lines, decoded.
func (h *serveHarness) auditLines() []map[string]any {
	h.t.Helper()
	b, err := os.ReadFile(h.auditLog)
	if err != nil {
		h.t.Fatal(err)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			h.t.Fatalf("audit line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func (h *serveHarness) deletes() int {
	n := 0
	for _, c := range h.ts.srv.Calls() {
		if c.Method == "DELETE" {
			n++
		}
	}
	return n
}

// aliceKeyIDs are alice's keys on the server, by id.
func (h *serveHarness) aliceKeyIDs() map[string]string {
	h.t.Helper()
	ids := map[string]string{}
	for _, k := range listKeys(h.t, h.ts) {
		if k["username"] == "alice" {
			ids[k["id"].(string)] = k["name"].(string)
		}
	}
	return ids
}

// ansiRE matches terminal control sequences, to read a pty's text.
var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]`)

// ptySession is a terminal session: what it drew, as text, and its input.
type ptySession struct {
	t    *testing.T
	s    *gossh.Session
	out  *syncBuffer
	in   interface{ Write([]byte) (int, error) }
	done chan error
}

func (h *serveHarness) pty(p sshPerson) *ptySession {
	h.t.Helper()
	s, err := h.client(p).NewSession()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := s.RequestPty("xterm-256color", 40, 140, gossh.TerminalModes{}); err != nil {
		h.t.Fatal(err)
	}
	ps := &ptySession{t: h.t, s: s, out: &syncBuffer{}, done: make(chan error, 1)}
	s.Stdout, s.Stderr = ps.out, ps.out
	if ps.in, err = s.StdinPipe(); err != nil {
		h.t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		h.t.Fatal(err)
	}
	// Answer the renderer's background query as a dark terminal does (the
	// colour, then Primary Device Attributes), or it waits for a keystroke.
	if _, err := ps.in.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[?62c")); err != nil {
		h.t.Fatal(err)
	}
	go func() { ps.done <- s.Wait() }()
	h.t.Cleanup(func() { _ = s.Close() })
	return ps
}

// text is everything drawn so far, without control sequences.
func (ps *ptySession) text() string { return ansiRE.ReplaceAllString(ps.out.String(), "") }

// waitText waits until every text has been drawn since mark (a length of
// text()), and returns the new mark.
func (ps *ptySession) waitText(mark int, texts ...string) int {
	ps.t.Helper()
	deadline := time.Now().Add(sshWait)
	for {
		all := ps.text()
		seen := all[min(mark, len(all)):]
		ok := true
		for _, s := range texts {
			ok = ok && strings.Contains(seen, s)
		}
		if ok {
			return len(all)
		}
		if time.Now().After(deadline) {
			ps.t.Fatalf("waiting for %q; drew:\n%s", texts, tuiAnySecret.ReplaceAllString(seen, "sk-<redacted>"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// press sends keys one at a time, as a person types.
func (ps *ptySession) press(keys ...string) {
	ps.t.Helper()
	for _, k := range keys {
		if _, err := ps.in.Write([]byte(k)); err != nil {
			ps.t.Fatalf("send %q: %v", k, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// waitEnd waits for the session to end.
func (ps *ptySession) waitEnd() {
	ps.t.Helper()
	select {
	case <-ps.done:
	case <-time.After(sshWait):
		ps.t.Fatalf("the session did not end; drew:\n%s", ps.text())
	}
}

// openAlice opens the dashboard on alice's keys: the user picker lists
// "All users", admin, then alice.
func (ps *ptySession) openAlice() int {
	ps.t.Helper()
	mark := ps.waitText(0, "h2ogpte-keys", "Choose a user", "alice")
	ps.press("\x1b[B", "\x1b[B", "\r")
	return ps.waitText(mark, "User: alice", "old-laptop")
}

func TestServeRefusesUnknownKey(t *testing.T) {
	h := startServe(t)
	stranger := newSSHPerson(t, "stranger")
	if c, err := h.dial(stranger); err == nil {
		c.Close()
		t.Fatal("a key not in authorized_keys was let in")
	}
	if n := len(h.ts.srv.Calls()); n > 1 {
		// serve's own start-up check is the one call allowed.
		t.Errorf("the h2oGPTe server got %d calls for a refused key", n)
	}
}

func TestServeNeedsAuthorizedKeys(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Seed: 1})
	r := runCLI(t, harness{env: ts.adminEnv()}, "serve", "--listen", "127.0.0.1:0")
	if r.code != exitUsage || !strings.Contains(r.Stderr, "--authorized-keys") {
		t.Fatalf("serve without --authorized-keys: exit %d, stderr %q; want 2 naming the flag", r.code, r.Stderr)
	}
}

func TestServeDashboardOverPty(t *testing.T) {
	h := startServe(t)
	ps := h.pty(h.admin)
	mark := ps.openAlice()
	ps.press("q")
	ps.waitEnd()
	_ = mark
	if strings.Contains(ps.text(), "READ-ONLY") {
		t.Error("an admin's dashboard says READ-ONLY")
	}

	ro := h.pty(h.viewer)
	ro.openAlice()
	if !strings.Contains(ro.text(), "READ-ONLY") {
		t.Error("a read-only person's dashboard does not say READ-ONLY")
	}
}

func TestServeExecListUser(t *testing.T) {
	h := startServe(t)
	want := h.aliceKeyIDs()
	out, errOut, code := h.exec(h.viewer, "list --user alice -o json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var keys []model.APIKey
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	got := map[string]string{}
	for _, k := range keys {
		if k.Username != "alice" {
			t.Errorf("key %s of %s listed for alice", k.ID, k.Username)
		}
		got[k.ID] = k.Name
	}
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("listed %d keys, alice has %d", len(got), len(want))
	}
	for id, name := range want {
		if got[id] != name {
			t.Errorf("key %s: listed %q, want %q", id, got[id], name)
		}
	}
	// The list went into the host's usage history (the person's
	// environment is not the host's, so the host's file is used), and
	// nothing about the history was said to the person.
	if strings.Contains(errOut, "history") {
		t.Errorf("exec list warned about the usage history: %q", errOut)
	}
	for id := range want {
		if _, errOut, code := h.exec(h.viewer, "history "+id+" -o json"); code != 0 {
			t.Errorf("history of %s over exec after a list: exit %d, %q", id, code, errOut)
		}
		break
	}
}

func TestServeExecRefusesHostSettingsAndCommands(t *testing.T) {
	h := startServe(t)
	helperDB := filepath.Join(t.TempDir(), "x.db")
	for _, cmd := range []string{
		"list --all --address http://evil.example",
		"list --all --api-key-file /etc/shadow",
		"list --all --ca-cert /etc/passwd",
		"list --all --debug",
		"--log-file /tmp/x list --all",
		"list --all --insecure-skip-tls-verify",
		"demo --serve-only",
		"serve --authorized-keys /tmp/x",
		"completion bash",
		"snapshot",
		// The helper's own hook replaces the root's: refused all the same.
		"history-helper --path " + helperDB + " --server http://x",
		"refresh-helper",
		"__complete list --user ''",
		"--user alice",
	} {
		before := len(h.ts.srv.Calls())
		out, errOut, code := h.exec(h.admin, cmd)
		if code != exitUsage || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want refused with 2", cmd, code, out, errOut)
		}
		if n := len(h.ts.srv.Calls()); n != before {
			t.Errorf("%s: the h2oGPTe server got %d calls", cmd, n-before)
		}
	}
	if _, err := os.Stat(helperDB); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("history-helper over exec touched %s: %v", helperDB, err)
	}
}

func TestServeReadOnlyExecDeleteRefused(t *testing.T) {
	h := startServe(t)
	var id string
	for k := range h.aliceKeyIDs() {
		id = k
		break
	}
	_, errOut, code := h.exec(h.viewer, "delete "+id+" --yes")
	if code != exitUsage || !strings.Contains(errOut, "read-only") {
		t.Errorf("read-only delete: exit %d, stderr %q; want 2, refused as read-only", code, errOut)
	}
	if n := h.deletes(); n != 0 {
		t.Errorf("the h2oGPTe server got %d DELETE requests from a read-only person", n)
	}
	if _, ok := h.aliceKeyIDs()[id]; !ok {
		t.Error("the key is gone")
	}
}

// TestServeAdminExecChangeIsRecorded holds for every build: an admin's
// change over exec is either refused with nothing sent (when the command
// line's change pipeline does not record) or done with exactly one audit
// line naming them. A change nobody recorded is the failure.
func TestServeAdminExecChangeIsRecorded(t *testing.T) {
	h := startServe(t)
	var id string
	for k := range h.aliceKeyIDs() {
		id = k
		break
	}
	_, errOut, code := h.exec(h.admin, "delete "+id+" --yes")
	lines := h.auditLines()
	if code != exitOK || h.deletes() != 1 || len(lines) != 1 || lines[0]["person"] != h.admin.name || lines[0]["fingerprint"] != h.admin.fp {
		t.Fatalf("delete over exec: exit %d, stderr %q, %d DELETE requests; audit %v", code, errOut, h.deletes(), lines)
	}
	// create runs through the same pipeline: recorded, and its secret
	// goes to the session's stdout only, never into the audit log.
	out, errOut, code := h.exec(h.admin, "create --user alice --name over-ssh")
	lines = h.auditLines()
	if code != exitOK || len(lines) != 2 || lines[1]["action"] != "create" || lines[1]["person"] != h.admin.name {
		t.Fatalf("create over exec: exit %d, stderr %q; audit %v", code, errOut, lines)
	}
	secret := regexp.MustCompile(`sk-[A-Za-z0-9]{48}`).FindString(out)
	if secret == "" {
		t.Fatalf("create over exec printed no secret: %q", out)
	}
	if b, _ := os.ReadFile(h.auditLog); strings.Contains(string(b), secret) {
		t.Error("the new secret reached the audit log")
	}
}

// deleteFirstKey deletes the key under the cursor (alice's first row,
// old-laptop) through the dashboard: D, then Tab from Cancel to Delete, then
// enter.
func deleteFirstKey(ps *ptySession, mark int) {
	ps.t.Helper()
	ps.press("D")
	mark = ps.waitText(mark, "old-laptop", "Cancel")
	ps.press("\t", "\r")
}

func TestServeAdminDashboardDeleteWritesOneAuditLine(t *testing.T) {
	h := startServe(t)
	ps := h.pty(h.admin)
	mark := ps.openAlice()
	deleteFirstKey(ps, mark)
	deadline := time.Now().Add(sshWait)
	for h.deletes() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no DELETE reached the server; drew:\n%s", ps.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The line is synced before the result is shown: wait for the result.
	ps.waitText(mark, "Deleted")
	lines := h.auditLines()
	if len(lines) != 1 {
		t.Fatalf("%d audit lines, want 1: %v", len(lines), lines)
	}
	l := lines[0]
	keys, _ := l["keys"].([]any)
	if l["person"] != h.admin.name || l["fingerprint"] != h.admin.fp || l["action"] != "delete" ||
		l["owner"] != "alice" || l["bulk"] != false || !strings.HasPrefix(fmt.Sprint(l["remote_addr"]), "127.0.0.1:") || len(keys) != 1 {
		t.Fatalf("audit line %v", l)
	}
	k := keys[0].(map[string]any)
	if k["name"] != "old-laptop" || k["outcome"] != "done" || k["id"] == "" {
		t.Errorf("audit key %v", k)
	}
	if h.deletes() != 1 {
		t.Errorf("%d DELETE requests, want 1", h.deletes())
	}
}

func TestServeReadOnlyDashboardDeleteSendsNothing(t *testing.T) {
	h := startServe(t)
	ps := h.pty(h.viewer)
	mark := ps.openAlice()
	ps.press("D", "\t", "\r", "\x1b")
	// Quitting is handled after the keys before it, so whatever they asked
	// for has been started by the time the session ends.
	ps.press("q")
	ps.waitEnd()
	_ = mark
	if n := h.deletes(); n != 0 {
		t.Errorf("a read-only dashboard sent %d DELETE requests", n)
	}
}

func TestServeSessionLimit(t *testing.T) {
	h := startServe(t, "--max-sessions", "1")
	ps := h.pty(h.admin)
	ps.waitText(0, "Choose a user")
	_, errOut, code := h.exec(h.viewer, "users")
	if code != 1 || !strings.Contains(errOut, "too many sessions (1)") {
		t.Errorf("second session: exit %d, stderr %q; want the limit message", code, errOut)
	}
}

func TestServeIdleSessionClosed(t *testing.T) {
	h := startServe(t, "--idle-timeout", "300ms")
	ps := h.pty(h.admin)
	ps.waitText(0, "Choose a user")
	ps.waitEnd()
	if !strings.Contains(ps.text(), "idle for 300ms; session closed") {
		t.Errorf("the session ended without saying it was idle:\n%s", ps.text())
	}
}

func TestAuditEntriesPerOwner(t *testing.T) {
	fin := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	rep := change.Report{Action: change.Delete().Verb, Finished: fin, Results: []change.Result{
		{Key: model.APIKey{ID: "k1", Name: "ci", Username: "alice"}, Outcome: model.Done},
		{Key: model.APIKey{ID: "k2", Name: "bot", Username: "bob"}, Outcome: model.Unknown, Err: fmt.Errorf("lost: %w", model.ErrOutcomeUnknown)},
		{Key: model.APIKey{ID: "k3", Username: "alice"}, Outcome: model.NotDone, Err: change.ErrReadOnly},
		{Key: model.APIKey{ID: "k4"}, Outcome: model.Done},
	}}
	who := auditWho{Person: "ada", Fingerprint: "SHA256:x", RemoteAddr: "10.0.0.1:5"}
	got, err := auditEntries(rep, who)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Owner != "alice" || got[1].Owner != "bob" || got[2].Owner != unknownOwner {
		t.Fatalf("entries %+v", got)
	}
	if len(got[0].Keys) != 2 || got[0].Keys[1].Outcome != model.NotDone || got[0].Keys[1].Err == "" || !got[0].Bulk {
		t.Errorf("alice's entry %+v", got[0])
	}
	if got[1].Keys[0].Outcome != model.Unknown || got[1].Person != "ada" || got[1].Fingerprint != "SHA256:x" || !got[1].Time.Equal(fin) {
		t.Errorf("bob's entry %+v", got[1])
	}

	for verb, want := range map[string]audit.Action{
		"create": audit.Create, "rotate": audit.Rotate, change.Deactivate().Verb: audit.Deactivate,
		change.SetExpiry(model.Expiry{Never: true}).Verb: audit.Expire, change.SetInactivity(3).Verb: audit.Inactivity,
	} {
		if a, err := auditAction(verb); err != nil || a != want {
			t.Errorf("%q: %q, %v; want %q", verb, a, err, want)
		}
	}
	if _, err := auditAction("frobnicate"); err == nil {
		t.Error("an unknown change's verb maps to an action")
	}
	rot := change.Report{Action: "rotate", Results: []change.Result{
		{Key: model.APIKey{ID: "new", Username: "alice"}, Outcome: model.Done},
		{Key: model.APIKey{ID: "old", Username: "alice"}, Outcome: model.Done},
	}}
	if got, _ := auditEntries(rot, who); len(got) != 1 || got[0].Bulk {
		t.Errorf("a rotation is one entry, not bulk: %+v", got)
	}
	if got, err := auditEntries(change.Report{Action: "delete"}, who); err != nil || len(got) != 0 {
		t.Errorf("a report of no keys: %v, %v", got, err)
	}
}

func TestLocalAuditLogFromConfig(t *testing.T) {
	home := t.TempDir()
	cfgDir := filepath.Join(home, "config", "h2ogpte-keys")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte("audit_log: audit.log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &app{Env: Env{Getenv: func(k string) string {
		return map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "config"), "USER": "carol"}[k]
	}}}
	fc, err := loadConfigFile(configPath(a.Getenv))
	if err != nil {
		t.Fatal(err)
	}
	a.cfg, err = resolveSettings(globalFlags{}, func(string) bool { return false }, a.Getenv, fc, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfgDir, "audit.log"); a.cfg.AuditLog != want {
		t.Fatalf("audit log %q, want %q (relative to the config file)", a.cfg.AuditLog, want)
	}
	rec := a.recorder()
	if rec == nil {
		t.Fatal("no recorder with audit_log set")
	}
	rep := change.Report{Action: "delete", Results: []change.Result{{Key: model.APIKey{ID: "k1", Name: "ci", Username: "alice"}, Outcome: model.Done}}}
	if err := rec.Record(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(a.cfg.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(b, &line); err != nil || line["person"] != "carol" || line["fingerprint"] != nil || line["owner"] != "alice" {
		t.Errorf("local audit line %s (%v)", b, err)
	}
	none := &app{Env: a.Env}
	if none.recorder() != nil {
		t.Error("a recorder without audit_log")
	}
}

// A local command line with audit_log in config.yaml records its changes
// as $USER, through the same pipeline as the SSH service.
func TestLocalCLIChangesAreAudited(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	env, logPath := auditedEnv(t, ts)
	env["USER"] = "carol"
	id := listKeys(t, ts)[0]["id"].(string)
	r := runCLI(t, harness{env: env}, "delete", id, "--yes")
	if r.code != 0 {
		t.Fatalf("delete: exit %d, stderr %q", r.code, r.Stderr)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var line map[string]any
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
		t.Fatalf("audit log after one delete: %q", b)
	}
	keys, _ := line["keys"].([]any)
	if line["person"] != "carol" || line["action"] != "delete" || len(keys) != 1 || keys[0].(map[string]any)["id"] != id || keys[0].(map[string]any)["outcome"] != "done" {
		t.Errorf("audit line %s", lines[0])
	}
}

// An audit line says what a change set: a rotation kept with --then keep
// touches only the new key, and its detail names the old key it replaces.
func TestAuditDetailNamesTheRotatedKey(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	env, logPath := auditedEnv(t, ts)
	env["USER"] = "carol"
	var old string
	for _, k := range listKeys(t, ts) {
		if k["is_active"] == true && k["username"] == "alice" {
			old = k["id"].(string)
			break
		}
	}
	if r := runCLI(t, harness{env: env}, "rotate", old, "--then", "keep", "--expires", "10d"); r.code != 0 {
		t.Fatalf("rotate: exit %d, stderr %q", r.code, r.Stderr)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(b, &line); err != nil {
		t.Fatalf("audit log %q: %v", b, err)
	}
	detail, _ := line["detail"].(string)
	if line["action"] != "rotate" || !strings.Contains(detail, old) || !strings.Contains(detail, "then keep") {
		t.Errorf("rotation's audit line %s: want its detail to name the old key %s and the choice", b, old)
	}
	if regexp.MustCompile(`sk-[A-Za-z0-9]{48}`).Match(b) {
		t.Error("a secret reached the audit log")
	}
}

// onRecord is a stdout that notes, at each write, whether the audit log
// already held a line: a result may be shown only once it is on record.
type onRecord struct {
	path   string
	writes int
	early  int
}

func (w *onRecord) Write(p []byte) (int, error) {
	w.writes++
	if b, _ := os.ReadFile(w.path); len(b) == 0 {
		w.early++
	}
	return len(p), nil
}

// With an audit log, a bulk delete's table lines wait for the audit line.
func TestBulkTableShownOnlyOnceRecorded(t *testing.T) {
	ts := newTestServer(t, demoserver.Options{Now: func() time.Time { return testNow }, Seed: 1})
	env, logPath := auditedEnv(t, ts)
	keys := listKeys(t, ts)
	out := &onRecord{path: logPath}
	r := runCLIWith(t, harness{env: env}, func(e *Env) { e.Stdout = out }, "delete", keys[0]["id"].(string), keys[1]["id"].(string), "--yes", "-o", "table")
	if r.code != 0 {
		t.Fatalf("delete: exit %d, stderr %q", r.code, r.Stderr)
	}
	if out.writes == 0 || out.early != 0 {
		t.Errorf("%d of %d table writes came before the audit line was written", out.early, out.writes)
	}
}

// auditedEnv is ts's admin environment with a config.yaml that sets
// audit_log, and the log's path: the local command line's audit log on.
func auditedEnv(t *testing.T, ts *testServer) (env map[string]string, logPath string) {
	t.Helper()
	cfgHome := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgHome, "h2ogpte-keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	logPath = filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(filepath.Join(cfgHome, "h2ogpte-keys", "config.yaml"), []byte("audit_log: "+logPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = ts.adminEnv()
	env["XDG_CONFIG_HOME"] = cfgHome
	return env, logPath
}
