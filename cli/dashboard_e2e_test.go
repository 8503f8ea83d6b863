package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// These tests drive the built binary (binPath, from TestMain) in a real
// terminal: a detached tmux session on a private socket, running `demo`, the
// dashboard against its own in-process server. They read the screen with
// capture-pane and check the server over HTTP, as an admin and an
// application would.

const (
	tuiCols, tuiRows = 140, 40
	// tuiWait bounds every wait for the screen or the server. It is a limit
	// on a hang, not a timed assertion: a healthy run waits milliseconds.
	tuiWait = 10 * time.Second
	// tuiUser is given with --user so the user picker is never involved.
	tuiUser = "alice"
	// tuiExitMarker precedes the exit status the pane's shell prints once
	// the dashboard has ended.
	tuiExitMarker = "h2k-e2e-exit="
)

var (
	// tuiSecretLine is how the show-once dialog prints a secret: alone on
	// its line, unstyled, so it can be selected by hand.
	tuiSecretLine = regexp.MustCompile(`(?m)^sk-[A-Za-z0-9]{48}$`)
	// tuiAnySecret finds a secret anywhere, to redact screens before they
	// reach test output.
	tuiAnySecret = regexp.MustCompile(`sk-[A-Za-z0-9]{48}`)
	tuiColumnGap = regexp.MustCompile(`\s{2,}`)
	// tuiTableRow is a key's row: the cursor marker (or a space), the
	// selection mark, then cells.
	tuiTableRow   = regexp.MustCompile(`(?m)^[ ›]\[.\]\s+\S`)
	tuiPlainName  = regexp.MustCompile(`^[a-z0-9-]{1,20}$`)
	tuiDeactivate = regexp.MustCompile(`›\s*Deactivate`)
	tuiSessionSeq atomic.Int32
)

// redactSecrets hides every secret in a captured screen. Nothing captured
// reaches t.Log or a failure message without passing through it.
func redactSecrets(screen string) string {
	return tuiAnySecret.ReplaceAllString(screen, "sk-<redacted>")
}

// tuiSession is one dashboard process in its own tmux server.
type tuiSession struct {
	t      testing.TB
	tmux   string
	socket string
	env    []string
	// url is the demo server inside the dashboard process.
	url string
}

// startDashboard runs `BIN demo --listen 127.0.0.1:PORT --user alice` in a
// 140x40 tmux pane and waits for alice's table. The pane outlives the
// dashboard (a shell prints its exit status; remain-on-exit keeps the pane),
// so a test can check how it ended and what it left in the terminal.
func startDashboard(t *testing.T) *tuiSession {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tmux is not installed (.ci/run installs tmux)")
		}
		t.Skip("tmux is not installed; the dashboard end-to-end tests need it")
	}
	home := t.TempDir()
	s := &tuiSession{
		t:      t,
		tmux:   tmux,
		socket: fmt.Sprintf("h2k-e2e-%d-%d", os.Getpid(), tuiSessionSeq.Add(1)),
		// A clean environment: no admin's config file, address or token
		// leaks in, and the pane gets a terminal that does colour.
		env: []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
			"TERM=xterm-256color",
			"LANG=C.UTF-8",
		},
	}
	port := freeTCPPort(t)
	s.url = "http://127.0.0.1:" + port
	// The shell reports the exit status on the normal screen: tmux 3.3 was
	// seen to leave a pane's process unreaped (a zombie, pane_dead_status
	// empty), so it is not asked.
	command := fmt.Sprintf("'%s' demo --listen 127.0.0.1:%s --user %s; echo %s$?", binPath, port, tuiUser, tuiExitMarker)
	if strings.Contains(binPath, "'") {
		t.Fatalf("binary path %q cannot be quoted for tmux", binPath)
	}
	out, err := s.run("start-server", ";",
		"set-option", "-g", "remain-on-exit", "on", ";",
		"set-option", "-g", "history-limit", "10000", ";",
		"new-session", "-d", "-s", "e2e", "-x", strconv.Itoa(tuiCols), "-y", strconv.Itoa(tuiRows), command, ";",
		"display-message", "-p", "#{socket_path}")
	socketPath := strings.TrimSpace(out)
	t.Cleanup(func() {
		// Kills the dashboard with its pane; an error only means it is gone.
		_, _ = s.run("kill-server")
		// tmux leaves the socket file behind.
		if filepath.IsAbs(socketPath) && filepath.Base(socketPath) == s.socket {
			os.Remove(socketPath)
		}
	})
	if err != nil {
		t.Fatalf("start tmux: %v: %s", err, out)
	}
	s.waitFor("alice's key table", func(screen string) bool {
		return strings.Contains(screen, "User: "+tuiUser) && strings.Contains(screen, "Total Calls") &&
			tuiTableRow.MatchString(screen)
	})
	return s
}

func freeTCPPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// run runs one tmux command (or a ";"-separated chain) on the private socket.
func (s *tuiSession) run(args ...string) (string, error) {
	cmd := exec.Command(s.tmux, append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = s.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (s *tuiSession) must(args ...string) string {
	s.t.Helper()
	out, err := s.run(args...)
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", args[0], err, redactSecrets(out))
	}
	return out
}

// screen is the visible pane as plain text.
func (s *tuiSession) screen() string {
	s.t.Helper()
	return s.must("capture-pane", "-p", "-t", "e2e")
}

// press sends named keys (tmux key names: Enter, Down, Tab, C-u, q).
func (s *tuiSession) press(keys ...string) {
	s.t.Helper()
	s.must(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// typeText sends text literally. Bubble Tea v1 delivers letters that
// arrive together as one key message, so commands are pressed one by one
// and only field contents are typed.
func (s *tuiSession) typeText(text string) {
	s.t.Helper()
	s.must("send-keys", "-t", "e2e", "-l", text)
}

// waitFor polls the screen every 50 ms until ok holds and returns that
// screen; after tuiWait it fails, showing the (redacted) last screen.
func (s *tuiSession) waitFor(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(tuiWait)
	for {
		screen := s.screen()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			dead, _ := s.run("display-message", "-p", "-t", "e2e", "dead=#{pane_dead} status=#{pane_dead_status}")
			s.t.Fatalf("waiting for %s: not seen within %s (pane %s); last screen:\n%s",
				what, tuiWait, strings.TrimSpace(dead), redactSecrets(screen))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tuiSession) waitText(texts ...string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q", texts), func(screen string) bool {
		for _, text := range texts {
			if !strings.Contains(screen, text) {
				return false
			}
		}
		return true
	})
}

// waitFocus waits until the form's focused field (huh marks it with ┃) is
// the one labelled label.
func (s *tuiSession) waitFocus(label string) string {
	s.t.Helper()
	re := regexp.MustCompile(`┃\s*` + regexp.QuoteMeta(label))
	return s.waitFor("focus on "+label, re.MatchString)
}

// waitChange waits until the screen differs from before.
func (s *tuiSession) waitChange(what, before string) string {
	s.t.Helper()
	return s.waitFor(what, func(screen string) bool { return screen != before })
}

// waitExit waits for the dashboard process to end and returns its exit
// status. It reads the whole history: once the shell ends too, tmux's
// "Pane is dead" line can scroll the status off the screen.
func (s *tuiSession) waitExit() int {
	s.t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(tuiExitMarker) + `(\d+)$`)
	deadline := time.Now().Add(tuiWait)
	for {
		if m := re.FindStringSubmatch(s.history()); m != nil {
			code, err := strconv.Atoi(m[1])
			if err != nil {
				s.t.Fatalf("exit status %q: %v", m[1], err)
			}
			return code
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the dashboard did not exit within %s; screen:\n%s", tuiWait, redactSecrets(s.screen()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// history is the pane's scrollback and screen, as plain text.
func (s *tuiSession) history() string {
	s.t.Helper()
	return s.must("capture-pane", "-p", "-S", "-", "-E", "-", "-t", "e2e")
}

// columns splits a table line into its cells (cells are two or more spaces apart).
func columns(line string) []string {
	return tuiColumnGap.Split(strings.TrimSpace(line), -1)
}

// rowOf is the table line whose cells include name exactly.
func rowOf(screen, name string) (string, bool) {
	for _, line := range strings.Split(screen, "\n") {
		if slices.Contains(columns(line), name) {
			return line, true
		}
	}
	return "", false
}

// cellOf is what the row named name shows under the header title column:
// the characters below the title, which hold a right-aligned number whole
// and the start of left-aligned text (enough for "just now" under "Last Used").
func cellOf(screen, name, column string) string {
	row, ok := rowOf(screen, name)
	if !ok {
		return ""
	}
	for _, line := range strings.Split(screen, "\n") {
		at := strings.Index(line, column)
		if at < 0 || !strings.Contains(line, "Name") {
			continue
		}
		start := len([]rune(line[:at]))
		end := start + len([]rune(column))
		r := []rune(row)
		if end > len(r) {
			end = len(r)
		}
		if start >= end {
			return ""
		}
		return strings.TrimSpace(string(r[start:end]))
	}
	return ""
}

// currentRow is the line the cursor marker starts ("›[ ]"), which also
// ends with the ⋯ actions cell; without colour these are what mark it.
func currentRow(screen string) string {
	for _, line := range strings.Split(screen, "\n") {
		if strings.HasPrefix(line, "›[") && strings.HasSuffix(strings.TrimSpace(line), "⋯") {
			return line
		}
	}
	return ""
}

// getJSON calls the demo server with token and decodes the answer.
func (s *tuiSession) getJSON(path, token string, into any) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if into != nil && res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(into); err != nil {
			s.t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return res.StatusCode
}

// aliceKeys is alice's keys as the server has them (raw admin API; the
// filter is loose, so other owners are dropped here).
func (s *tuiSession) aliceKeys() []map[string]any {
	s.t.Helper()
	var all []map[string]any
	if code := s.getJSON("/api/v1/admin/api_keys?limit=100&filter="+tuiUser, demoserver.DemoToken, &all); code != http.StatusOK {
		s.t.Fatalf("list %s's keys: HTTP %d", tuiUser, code)
	}
	var keys []map[string]any
	for _, k := range all {
		if k["username"] == tuiUser {
			keys = append(keys, k)
		}
	}
	return keys
}

func (s *tuiSession) aliceKey(name string) map[string]any {
	s.t.Helper()
	for _, k := range s.aliceKeys() {
		if k["name"] == name {
			return k
		}
	}
	s.t.Fatalf("the server has no key %q for %s", name, tuiUser)
	return nil
}

// aliceCollections is the names of the collections alice owns.
func (s *tuiSession) aliceCollections() []string {
	s.t.Helper()
	var all []map[string]any
	if code := s.getJSON("/api/v1/collections/all?limit=100&filter="+tuiUser, demoserver.DemoToken, &all); code != http.StatusOK {
		s.t.Fatalf("list %s's collections: HTTP %d", tuiUser, code)
	}
	var names []string
	for _, c := range all {
		if c["username"] == tuiUser {
			names = append(names, c["name"].(string))
		}
	}
	return names
}

// TestTmuxDashboardNewKeyUsedAndRefreshed is issue 3's journey end to end:
// create a collection key in the form, read the show-once secret off the
// screen, use it as an application would, refresh, and see the row count
// the calls; then quit and find nothing left in the terminal.
func TestTmuxDashboardNewKeyUsedAndRefreshed(t *testing.T) {
	s := startDashboard(t)
	const name = "tmux-e2e-key"
	collections := s.aliceCollections()
	if len(collections) == 0 {
		t.Fatalf("the demo server gives %s no collections", tuiUser)
	}

	s.press("n")
	s.waitText("New API key for "+tuiUser, "none — global key")
	s.typeText(name)
	s.waitText("› " + name)
	s.press("Enter")
	s.waitFocus("Collection")

	// The first entry is "none — global key"; one down is alice's first
	// collection, whichever the form lists first.
	s.press("Down")
	var collection string
	s.waitFor("a collection selected", func(screen string) bool {
		for _, line := range strings.Split(screen, "\n") {
			if !strings.Contains(line, "›") {
				continue
			}
			for _, c := range collections {
				if strings.Contains(line, c) {
					collection = c
					return true
				}
			}
		}
		return false
	})
	s.press("Enter")
	s.waitFocus("Allow key to expire")
	s.press("Enter") // keep "Yes"
	screen := s.waitFocus("Expires")
	if !strings.Contains(screen, "› 90d") {
		t.Errorf("the expiry is not prefilled with 90d:\n%s", redactSecrets(screen))
	}
	s.press("Enter") // keep 90d
	s.waitFocus("Set inactivity interval")
	s.press("y")
	s.waitFocus("Inactive days")
	s.typeText("30")
	s.waitText("› 30")
	s.press("Enter")

	screen = s.waitFor("the show-once secret", tuiSecretLine.MatchString)
	secret := tuiSecretLine.FindString(screen)
	s.press("Enter")
	screen = s.waitFor("the secret dialog to close and the new row", func(screen string) bool {
		_, listed := rowOf(screen, name)
		return listed && !strings.Contains(screen, secret)
	})
	row, _ := rowOf(screen, name)
	if !strings.Contains(row, secret[len(secret)-4:]) || !strings.Contains(row, collection) {
		t.Errorf("new row %q: want the secret's last four characters as its hint and collection %q", redactSecrets(row), collection)
	}

	k := s.aliceKey(name)
	if k["collection_name"] != collection || k["is_global_key"] != false || k["inactivity_interval"] != 30.0 || k["total_calls"] != 0.0 {
		t.Errorf("the server has the new key as collection %v, global %v, inactivity %v, calls %v; want %q, false, 30, 0",
			k["collection_name"], k["is_global_key"], k["inactivity_interval"], k["total_calls"], collection)
	}
	if exp, err := time.Parse(time.RFC3339, fmt.Sprint(k["expires_at"])); err != nil {
		t.Errorf("expires_at %v: %v", k["expires_at"], err)
	} else if d := time.Until(exp) - 90*24*time.Hour; d < -time.Hour || d > time.Hour {
		t.Errorf("expires_at %s, want about 90 days from now", exp)
	}

	for i := range 3 {
		if code := s.getJSON("/api/v1/collections", secret, nil); code != http.StatusOK {
			t.Fatalf("call %d with the new key: HTTP %d, want 200", i+1, code)
		}
	}

	if calls, used := cellOf(screen, name, "Total Calls"), cellOf(screen, name, "Last Used"); calls != "0" || used != "never" {
		t.Errorf("before any use the new row shows Total Calls %q, Last Used %q; want 0, never", calls, used)
	}
	s.press("r")
	s.waitFor("the new row to show Total Calls 3 and Last Used just now", func(screen string) bool {
		return cellOf(screen, name, "Total Calls") == "3" && cellOf(screen, name, "Last Used") == "just now"
	})

	s.press("q")
	if code := s.waitExit(); code != 0 {
		t.Errorf("the dashboard exited with status %d", code)
	}
	history := s.history()
	if strings.Contains(history, secret) {
		t.Error("the secret is still in the terminal after quitting (scrollback or screen)")
	}
	// Without the alternate screen the last frame would stay behind; its
	// absence is what makes the check above mean something.
	if strings.Contains(history, "Total Calls") || strings.Contains(history, name) {
		t.Errorf("the dashboard left its screen in the terminal; history:\n%s", redactSecrets(history))
	}
}

// TestTmuxDashboardDeactivateNeedsDeliberateConfirm deactivates a key through
// the actions menu: the confirmation defaults to Cancel, so a bare enter
// changes nothing on the server, and only moving to Deactivate first does.
func TestTmuxDashboardDeactivateNeedsDeliberateConfirm(t *testing.T) {
	s := startDashboard(t)
	screen := s.screen()

	// An active, unexpired key with a short plain name, so its row is found
	// by an exact cell.
	var name string
	for _, k := range s.aliceKeys() {
		n, _ := k["name"].(string)
		exp, err := time.Parse(time.RFC3339, fmt.Sprint(k["expires_at"]))
		unexpired := k["expires_at"] == nil || (err == nil && exp.After(time.Now().Add(time.Hour)))
		if _, shown := rowOf(screen, n); k["is_active"] == true && unexpired && shown &&
			tuiPlainName.MatchString(n) {
			name = n
			break
		}
	}
	if name == "" {
		t.Fatalf("no active key of %s to deactivate on screen:\n%s", tuiUser, redactSecrets(screen))
	}

	openDeactivate := func() string {
		t.Helper()
		moveTo(s, name)
		s.press("Enter")
		screen := s.waitText("Deactivate")
		for range 5 {
			if tuiDeactivate.MatchString(screen) {
				break
			}
			s.press("Down")
			screen = s.waitChange("the menu selection to move", screen)
		}
		s.press("Enter")
		screen = s.waitText("[Cancel]")
		if !strings.Contains(screen, name) || !strings.Contains(screen, "cannot be undone") {
			t.Errorf("the confirmation does not name %q and say it cannot be undone:\n%s", name, redactSecrets(screen))
		}
		return screen
	}
	active := func() bool { return s.aliceKey(name)["is_active"] == true }

	openDeactivate()
	s.press("Enter") // on the default, Cancel
	s.waitFor("the confirmation to close", func(screen string) bool { return !strings.Contains(screen, "[Cancel]") })
	if !active() {
		t.Fatal("enter on the default button deactivated the key")
	}

	screen = openDeactivate()
	// The whole way back to this dialog gave a stray request from the first
	// enter time to land, so this check still means something.
	if !active() {
		t.Fatal("the key was deactivated before the second confirmation")
	}
	s.press("Tab")
	s.waitChange("the Deactivate button to be chosen", screen)
	s.press("Enter")
	deadline := time.Now().Add(tuiWait)
	for active() {
		if time.Now().After(deadline) {
			t.Fatalf("the key is still active %s after confirming; screen:\n%s", tuiWait, redactSecrets(s.screen()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.waitFor(name+" shown as Inactive", func(screen string) bool {
		row, ok := rowOf(screen, name)
		return ok && slices.Contains(columns(row), "Inactive")
	})
}

// moveTo moves the cursor down to the row named name (the table opens at
// the top; this never needs to go up).
func moveTo(s *tuiSession, name string) {
	s.t.Helper()
	screen := s.screen()
	for range tuiRows {
		if slices.Contains(columns(currentRow(screen)), name) {
			return
		}
		s.press("j")
		screen = s.waitChange("the cursor to move", screen)
	}
	s.t.Fatalf("could not move the cursor to %q; screen:\n%s", name, redactSecrets(screen))
}

// TestTmuxHelpersRedactAndReadCells checks the helpers the journeys lean
// on: no secret survives redaction, and cells are read under their header.
func TestTmuxHelpersRedactAndReadCells(t *testing.T) {
	secret := "sk-" + strings.Repeat("aB3", 16)
	for _, screen := range []string{
		secret,
		"  " + secret + "  \nnext line",
		"two: " + secret + secret,
	} {
		if got := redactSecrets(screen); tuiAnySecret.MatchString(got) || strings.Contains(got, secret[3:]) {
			t.Errorf("redactSecrets left a secret in %q", got)
		}
	}

	screen := strings.Join([]string{
		"      Name        Secret key  Last Used  Total Calls",
		" [ ]  laptop      sk-…e2nv    2h ago           1,432",
		"›[x]  old-laptop  sk-…qzOJ    just now             3  ⋯",
	}, "\n")
	if got := len(tuiTableRow.FindAllString(screen, -1)); got != 2 {
		t.Errorf("tuiTableRow found %d rows, want 2", got)
	}
	tests := []struct{ name, column, want string }{
		{"laptop", "Total Calls", "1,432"},
		{"laptop", "Last Used", "2h ago"},
		{"old-laptop", "Total Calls", "3"},
		{"old-laptop", "Last Used", "just now"},
		{"lap", "Total Calls", ""},
	}
	for _, tt := range tests {
		if got := cellOf(screen, tt.name, tt.column); got != tt.want {
			t.Errorf("cellOf(%q, %q) = %q, want %q", tt.name, tt.column, got, tt.want)
		}
	}
	if got := currentRow(screen); !strings.Contains(got, "old-laptop") {
		t.Errorf("currentRow = %q, want the old-laptop row", got)
	}
}

// The dashboard records each load in the usage history through a helper
// process of its own (history-helper), which says so in the dashboard's log.
func TestTmuxDashboardRecordsHistoryInAHelper(t *testing.T) {
	s := startDashboard(t)
	logPath := s.logPath()
	helperLine := regexp.MustCompile(`usage history: ([\d,]+) keys? recorded by the history helper \(pid \d+\)`)
	var b []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, _ = os.ReadFile(logPath)
		if m := helperLine.FindSubmatch(b); m != nil {
			if n, _ := strconv.Atoi(strings.ReplaceAll(string(m[1]), ",", "")); n == 0 {
				t.Errorf("the helper recorded no keys: %s", m[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recording by the history helper in the dashboard's log after 30 s:\n%s", b)
		}
	}
	if strings.Contains(string(b), "usage history") && regexp.MustCompile(`(?i)usage history: .*(not|stopped|fail)`).Match(b) {
		t.Errorf("the log reports a failed recording:\n%s", b)
	}
}

// r has a helper process (refresh-helper) read and build the keys: a key
// made behind the dashboard's back shows after it, and the dashboard's log
// says the helper built the refresh.
func TestTmuxDashboardRefreshesInAHelper(t *testing.T) {
	s := startDashboard(t)
	logPath := s.logPath()
	s.waitText("laptop")
	c, err := client.New(client.Config{Address: s.url, Token: model.NewSecret(demoserver.DemoToken)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users, err := c.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var alice model.User
	for _, u := range users {
		if u.Username == tuiUser {
			alice = u
		}
	}
	if _, err := c.CreateKey(ctx, model.NewKey{UserID: alice.ID, Owner: tuiUser, Name: "made-behind-its-back"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.screen(), "made-behind-its-back") {
		t.Fatal("the new key shows before the refresh")
	}
	s.press("r")
	s.waitText("made-behind-its-back")
	helperLine := regexp.MustCompile(`refresh: ([\d,]+) keys? read and built by the refresh helper \(pid \d+\)`)
	var b []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, _ = os.ReadFile(logPath)
		if m := helperLine.FindSubmatch(b); m != nil {
			if n, _ := strconv.Atoi(strings.ReplaceAll(string(m[1]), ",", "")); n != len(s.aliceKeys()) {
				t.Errorf("the helper built %d keys; alice has %d: %s", n, len(s.aliceKeys()), m[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refresh by the refresh helper in the dashboard's log:\n%s", b)
		}
	}
	if strings.Contains(string(b), "refreshing in the dashboard's process") {
		t.Errorf("the refresh fell back to the dashboard's process:\n%s", b)
	}
}

// logPath is the dashboard's log file: under the session's HOME.
func (s *tuiSession) logPath() string {
	var home string
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	return filepath.Join(home, ".local", "state", "h2ogpte-keys", "dashboard.log")
}
