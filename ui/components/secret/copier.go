package secret

import (
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/atotto/clipboard"
	osc52 "github.com/aymanbagabas/go-osc52/v2"
)

// Copier puts text on clipboards. Copy returns where the text was sent,
// worded honestly for the person reading it ("system clipboard", "terminal
// clipboard (OSC 52, via tmux; unconfirmed)"); a destination that failed is
// left out, so an empty result means nothing was copied. Copy must never
// put the text into an error, log or panic.
type Copier interface {
	Copy(text string) []string
}

// Destinations as Copy reports them.
const (
	DestSystem       = "system clipboard"
	DestSystemRemote = "system clipboard of the remote host (SSH session)"
	destOSC52        = "terminal clipboard (OSC 52"
)

// NewCopier copies through two routes. OSC 52 is written to w (the
// terminal): the terminal itself sets its clipboard, which also works over
// SSH, but no terminal confirms it, so it is reported as unconfirmed. Inside
// tmux ($TMUX) or GNU screen ($STY, or $TERM starting "screen") the sequence
// is wrapped so the multiplexer passes it through. The system clipboard
// (atotto/clipboard: pbcopy, xclip, xsel, wl-copy, clip.exe) is used only
// when there is a local display and a tool for it, and reported only when
// it succeeded.
func NewCopier(w io.Writer) Copier {
	return newCopier(w, os.Getenv, runtime.GOOS, clipboard.Unsupported, clipboard.WriteAll)
}

// NewOSC52Copier copies by OSC 52 on w alone, for a terminal that is not
// this process's (an SSH session's channel): the system clipboard here
// would be the server's, not the admin's. getenv reads the session's
// environment (TERM, TMUX, STY), for the multiplexer wrapping; nil reads
// none.
func NewOSC52Copier(w io.Writer, getenv func(string) string) Copier {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return newCopier(w, getenv, "", true, nil)
}

type copier struct {
	mu     sync.Mutex // one sequence at a time on w
	w      io.Writer
	mode   string // "", "tmux" or "screen"
	system func(string) error
	sysTo  string
}

func newCopier(w io.Writer, getenv func(string) string, goos string, unsupported bool, writeAll func(string) error) *copier {
	c := &copier{w: w}
	switch {
	case getenv("TMUX") != "":
		c.mode = "tmux"
	case getenv("STY") != "" || strings.HasPrefix(getenv("TERM"), "screen"):
		c.mode = "screen"
	}
	x11 := getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
	native := goos == "darwin" || goos == "windows"
	if (x11 || native) && !unsupported && writeAll != nil {
		c.system = writeAll
		c.sysTo = DestSystem
		// pbcopy or clip.exe in an SSH session fill the clipboard of the
		// machine logged into, not the one at the keyboard. A forwarded X
		// display does reach the local screen.
		ssh := getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != ""
		if ssh && !x11 {
			c.sysTo = DestSystemRemote
		}
	}
	return c
}

// Copy implements Copier.
func (c *copier) Copy(text string) []string {
	if text == "" {
		return nil
	}
	var dests []string
	if c.system != nil && c.system(text) == nil {
		dests = append(dests, c.sysTo)
	}
	if c.w != nil {
		seq := osc52.New(text)
		out, via := seq.String(), ""
		switch c.mode {
		case "tmux":
			// Plain OSC 52 reaches tmux's own clipboard (and, from it, the
			// outer terminal) under `set-clipboard on`; the wrapped copy
			// passes straight through under `allow-passthrough on`. Either
			// setting is enough, so send both.
			out, via = out+seq.Tmux().String(), ", via tmux"
		case "screen":
			out, via = seq.Screen().String(), ", via screen"
		}
		c.mu.Lock()
		// One Write, so the sequence is not split by the renderer's output.
		_, err := io.WriteString(c.w, out)
		c.mu.Unlock()
		if err == nil {
			dests = append(dests, destOSC52+via+"; unconfirmed)")
		}
	}
	return dests
}
