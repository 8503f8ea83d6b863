package secret_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/secret"
)

func TestMain(m *testing.M) { commontest.Main(m) }

// fakeSecret looks like a real one (sk- and 48 characters) and is not.
var fakeSecret = "sk-test" + strings.Repeat("x", 44)

func created() model.CreatedKey {
	return model.CreatedKey{
		Secret: model.NewSecret(fakeSecret),
		Key:    model.APIKey{ID: "key-9", Username: "alice", Name: "ci-bot", Hint: "xxxx", IsActive: true},
	}
}

type fakeCopier struct {
	mu    sync.Mutex
	texts []string
	dests []string
}

func (f *fakeCopier) Copy(text string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.texts = append(f.texts, text)
	return f.dests
}

// start opens the dialog and delivers the first copy's reply.
func start(t *testing.T, c model.CreatedKey, cp secret.Copier) *secret.Model {
	t.Helper()
	m := secret.New(commontest.Common(), c, cp)
	if cmd := m.Init(); cmd != nil {
		m.Update(cmd())
	}
	return m
}

func TestInitCopies(t *testing.T) {
	cp := &fakeCopier{dests: []string{"system clipboard", "terminal clipboard (OSC 52, via tmux; unconfirmed)"}}
	m := secret.New(commontest.Common(), created(), cp)
	if !strings.Contains(m.View(), "Copying…") {
		t.Errorf("before the reply the view should say it is copying:\n%s", m.View())
	}
	cmd := m.Init()
	if cmd == nil {
		t.Fatal("Init returned no command")
	}
	if len(cp.texts) != 0 {
		t.Fatal("Init copied outside its command")
	}
	m.Update(cmd())
	if !slices.Equal(cp.texts, []string{fakeSecret}) {
		t.Errorf("copier got %q, want the secret once", cp.texts)
	}
	view := commontest.Flat(m.View())
	for _, want := range []string{
		"Copied to: system clipboard",
		"Sent to: terminal clipboard (OSC 52, via tmux; unconfirmed)",
		"tmux passes OSC 52 on with set-clipboard on or allow-passthrough on",
		"c copy again",
		"enter close (the secret is then wiped)",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
}

func TestOnlyOSC52IsNotCalledCopied(t *testing.T) {
	m := start(t, created(), &fakeCopier{dests: []string{"terminal clipboard (OSC 52; unconfirmed)"}})
	view := commontest.Flat(m.View())
	if strings.Contains(view, "Copied to") || !strings.Contains(view, "Sent to: terminal clipboard (OSC 52; unconfirmed)") {
		t.Errorf("OSC 52 alone is reported as:\n%s", m.View())
	}
}

func TestNothingCopied(t *testing.T) {
	for name, cp := range map[string]secret.Copier{"no destinations": &fakeCopier{}, "no copier": nil} {
		t.Run(name, func(t *testing.T) {
			m := start(t, created(), cp)
			if view := m.View(); !strings.Contains(view, "Could not copy automatically: select the line above.") {
				t.Errorf("view does not say the copy failed:\n%s", view)
			}
		})
	}
}

func TestSecretOnItsOwnPlainLine(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {140, 40}, {60, 10}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m := start(t, created(), &fakeCopier{dests: []string{"system clipboard"}})
			m.SetSize(size[0], size[1])
			view := m.View()
			var found int
			for _, line := range strings.Split(view, "\n") {
				if !strings.Contains(line, fakeSecret) {
					continue
				}
				found++
				// The line is the secret and trailing padding: no border,
				// no indent, no styling.
				if line != fakeSecret+strings.Repeat(" ", len(line)-len(fakeSecret)) {
					t.Errorf("secret line is %q", line)
				}
			}
			if found != 1 {
				t.Errorf("secret appears on %d lines, want 1:\n%s", found, view)
			}
			if h := lipgloss.Height(view); h > size[1] {
				t.Errorf("view is %d tall, given %d", h, size[1])
			}
		})
	}
}

func TestStyledViewHasNoSideBorder(t *testing.T) {
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m := start(t, created(), &fakeCopier{dests: []string{"system clipboard"}})
	for _, line := range strings.Split(m.View(), "\n") {
		if strings.Contains(line, fakeSecret) && strings.TrimRight(line, " ") != fakeSecret {
			t.Errorf("with colours on, the secret line is %q", line)
		}
	}
}

func TestEnterWipesAndCloses(t *testing.T) {
	c := created()
	m := start(t, c, &fakeCopier{dests: []string{"system clipboard"}})
	_, cmd := m.Update(commontest.Key("enter"))
	if cmd == nil {
		t.Fatal("enter returned no command")
	}
	// The Secret shares its buffer with every copy, so the caller's copy
	// must be wiped by the time Closed is sent.
	if !c.Secret.Empty() {
		t.Error("secret not wiped on enter")
	}
	got := cmd()
	if closed, ok := got.(secret.Closed); !ok || !sameKey(closed.Key, c.Key) {
		t.Errorf("enter gave %#v, want %#v", got, secret.Closed{Key: c.Key})
	}
	if _, ok := got.(common.Result); !ok {
		t.Errorf("%T is not a common.Result", got)
	}
	if strings.Contains(m.View(), fakeSecret) {
		t.Error("view still shows the secret after wiping")
	}
	if _, cmd := m.Update(commontest.Key("enter")); cmd != nil {
		t.Error("a second enter sent another result")
	}
}

func TestWipeForQuit(t *testing.T) {
	c := created()
	m := start(t, c, &fakeCopier{dests: []string{"system clipboard"}})
	m.Wipe()
	if !c.Secret.Empty() || strings.Contains(m.View(), fakeSecret) {
		t.Error("Wipe left the secret")
	}
	if _, cmd := m.Update(commontest.Key("c")); cmd != nil {
		t.Error("c after Wipe copies again")
	}
}

func TestEscDoesNotClose(t *testing.T) {
	c := created()
	m := start(t, c, &fakeCopier{dests: []string{"system clipboard"}})
	for _, k := range []string{"esc", "q", "n", " "} {
		if _, cmd := m.Update(commontest.Key(k)); cmd != nil {
			t.Errorf("%q returned a command: %#v", k, cmd())
		}
	}
	if c.Secret.Empty() {
		t.Error("secret wiped without enter")
	}
	view := m.View()
	if !strings.Contains(view, "press enter to close; the secret will not be shown again") {
		t.Errorf("esc gave no hint:\n%s", view)
	}
	if !strings.Contains(view, fakeSecret) {
		t.Error("secret no longer shown after esc")
	}
}

func TestCopyAgain(t *testing.T) {
	cp := &fakeCopier{dests: []string{"system clipboard"}}
	m := start(t, created(), cp)
	_, cmd := m.Update(commontest.Key("c"))
	if cmd == nil {
		t.Fatal("c returned no command")
	}
	m.Update(cmd())
	if !slices.Equal(cp.texts, []string{fakeSecret, fakeSecret}) {
		t.Errorf("copier got %q, want the secret twice", cp.texts)
	}
}

func TestLateReplyForAnotherDialogIgnored(t *testing.T) {
	first := secret.New(commontest.Common(), created(), &fakeCopier{dests: []string{"system clipboard"}})
	second := secret.New(commontest.Common(), created(), &fakeCopier{dests: []string{"system clipboard"}})
	second.Init()
	second.Update(first.Init()())
	if second.Destinations() != nil {
		t.Errorf("second dialog took the first one's reply: %q", second.Destinations())
	}
}

// countingCopier keeps no copy of what it was given, unlike fakeCopier,
// whose record would show up when the model is printed.
type countingCopier struct{ n int }

func (c *countingCopier) Copy(string) []string { c.n++; return []string{"system clipboard"} }

func TestSecretNeverPrinted(t *testing.T) {
	cp := &countingCopier{}
	m := start(t, created(), cp)
	if cp.n != 1 {
		t.Fatalf("copied %d times", cp.n)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, m); strings.Contains(s, fakeSecret) {
			t.Errorf("%s of the model shows the secret", verb)
		}
	}
}

func TestHostileSecretIsCleaned(t *testing.T) {
	c := created()
	c.Secret = model.NewSecret("sk-bad\x1b]52;c;ZXZpbA==\x07tail")
	cp := &fakeCopier{dests: []string{"system clipboard"}}
	m := start(t, c, cp)
	if strings.ContainsAny(m.View(), "\x1b\x07") {
		t.Error("view carries control characters from the server")
	}
	if len(cp.texts) != 1 || strings.ContainsAny(cp.texts[0], "\x1b\x07") {
		t.Errorf("copied %q", cp.texts)
	}
}

func TestNewCopierOSC52(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("would write to this machine's real clipboard")
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(fakeSecret))
	tests := []struct {
		name     string
		env      map[string]string
		wantSeq  string
		wantDest string
	}{
		{"plain terminal", map[string]string{"TERM": "xterm-256color"},
			"\x1b]52;c;" + b64 + "\x07", "terminal clipboard (OSC 52; unconfirmed)"},
		{"tmux", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "tmux-256color"},
			"\x1b]52;c;" + b64 + "\x07" + "\x1bPtmux;\x1b\x1b]52;c;" + b64 + "\x07\x1b\\", "terminal clipboard (OSC 52, via tmux; unconfirmed)"},
		{"tmux wins over a screen TERM", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "screen-256color"},
			"\x1b]52;c;" + b64 + "\x07" + "\x1bPtmux;\x1b\x1b]52;c;" + b64 + "\x07\x1b\\", "terminal clipboard (OSC 52, via tmux; unconfirmed)"},
		{"screen by STY", map[string]string{"STY": "1234.pts-0.host", "TERM": "xterm"},
			"\x1bP\x1b]52;c;" + b64 + "\x07\x1b\\", "terminal clipboard (OSC 52, via screen; unconfirmed)"},
		{"screen by TERM", map[string]string{"TERM": "screen"},
			"\x1bP\x1b]52;c;" + b64 + "\x07\x1b\\", "terminal clipboard (OSC 52, via screen; unconfirmed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No display: the system clipboard stays out of the test.
			for _, k := range []string{"TMUX", "STY", "TERM", "DISPLAY", "WAYLAND_DISPLAY"} {
				t.Setenv(k, tt.env[k])
			}
			var buf bytes.Buffer
			dests := secret.NewCopier(&buf).Copy(fakeSecret)
			if got := buf.String(); got != tt.wantSeq {
				t.Errorf("wrote %q, want %q", got, tt.wantSeq)
			}
			if !slices.Equal(dests, []string{tt.wantDest}) {
				t.Errorf("destinations %q, want %q", dests, tt.wantDest)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestNewCopierWriteFailureIsNotReported(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("would write to this machine's real clipboard")
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if dests := secret.NewCopier(failingWriter{}).Copy(fakeSecret); len(dests) != 0 {
		t.Errorf("failed write reported as %q", dests)
	}
	if dests := secret.NewCopier(&bytes.Buffer{}).Copy(""); len(dests) != 0 {
		t.Errorf("empty text reported as copied to %q", dests)
	}
}

// TestCopyReplyForAnotherDialog: a copy's reply names the dialog that
// asked; another secret dialog open later ignores it.
func TestCopyReplyForAnotherDialog(t *testing.T) {
	cp := &fakeCopier{dests: []string{"system clipboard"}}
	first := secret.New(commontest.Common(), created(), cp)
	reply := first.Init()()
	second := secret.New(commontest.Common(), created(), cp)
	second.Init()
	second.Update(reply)
	if v := commontest.Flat(second.View()); !strings.Contains(v, "Copying…") {
		t.Errorf("another dialog's copy reply was taken:\n%s", second.View())
	}
	first.Update(reply)
	if v := commontest.Flat(first.View()); strings.Contains(v, "Copying…") {
		t.Errorf("the dialog's own reply was not taken:\n%s", first.View())
	}
}

// sameKey reports whether a and b hold the same fields, the expiry
// compared by value rather than by pointer.
func sameKey(a, b model.APIKey) bool {
	ea, eb := a.Expires, b.Expires
	a.Expires, b.Expires = nil, nil
	return a == b && (ea == nil) == (eb == nil) && (ea == nil || ea.Equal(*eb))
}
