package cli

import (
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"h2ogpte-keys/model"
)

// keyShapeRE matches what an h2oGPTe API key looks like. Any such run in a
// message is cut out, whether or not it is the token this run uses: a key
// pasted into the wrong setting must not be printed back either.
var keyShapeRE = regexp.MustCompile(`(?i)sk-[a-z0-9_-]{12,}`)

// keyShown is what a key-shaped value becomes in a message.
const keyShown = "sk-…"

// maxMessage caps one printed error line: whatever slipped past the echo
// rules, a message never repeats a huge input whole.
const maxMessage = 2000

// looksLikeKey reports whether s is, or holds, something shaped like an
// API key.
func looksLikeKey(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(strings.ToLower(t), "sk-") || keyShapeRE.MatchString(t)
}

// scrubber cuts secrets and over-long echoes out of text the CLI prints on
// stderr. The token values are read through a func because the token is
// loaded after the scrubber is installed.
type scrubber struct {
	secrets func() []string
	// long are command-line arguments longer than model.ClipLen; a message
	// quoting one shows it clipped.
	long []string
}

func newScrubber(args []string, secrets func() []string) *scrubber {
	s := &scrubber{secrets: secrets}
	for _, a := range args {
		if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "-") {
			a = v
		}
		if utf8.RuneCountInString(a) > model.ClipLen {
			s.long = append(s.long, a)
		}
	}
	return s
}

// scrub returns msg with every known token value and every key-shaped run
// cut out, and long arguments clipped.
func (s *scrubber) scrub(msg string) string {
	if s == nil {
		return msg
	}
	if s.secrets != nil {
		for _, v := range s.secrets() {
			if len(v) >= 4 {
				msg = strings.ReplaceAll(msg, v, "[REDACTED]")
				if q := strconv.Quote(v); q[1:len(q)-1] != v {
					msg = strings.ReplaceAll(msg, q[1:len(q)-1], "[REDACTED]")
				}
			}
		}
	}
	msg = keyShapeRE.ReplaceAllString(msg, keyShown)
	for _, a := range s.long {
		short := model.Clip(model.CleanText(a), model.ClipLen)
		q := strconv.Quote(a)
		for _, form := range []string{a, strings.TrimSpace(a), model.CleanText(a), q[1 : len(q)-1], oneLine(a)} {
			if len(form) > len(short) {
				msg = strings.ReplaceAll(msg, form, short)
			}
		}
	}
	if utf8.RuneCountInString(msg) > maxMessage {
		msg = model.Clip(msg, maxMessage)
	}
	return msg
}

// scrubWriter passes every write through a scrubber. It works per write:
// the debug log, warnings and errors each write whole lines, so a token is
// never split across two writes.
type scrubWriter struct {
	mu sync.Mutex
	w  io.Writer
	s  *scrubber
}

func (w *scrubWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.s.scrubSecrets(string(p))
	if _, err := io.WriteString(w.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// scrubSecrets is scrub without the clipping: stderr output that is not an
// error line (the debug log, prompts) keeps its length.
func (s *scrubber) scrubSecrets(msg string) string {
	if s.secrets != nil {
		for _, v := range s.secrets() {
			if len(v) >= 4 {
				msg = strings.ReplaceAll(msg, v, "[REDACTED]")
			}
		}
	}
	return keyShapeRE.ReplaceAllString(msg, keyShown)
}

// checkAddress vets the server address before any request carries the
// token to it. A value shaped like a key is described, never quoted.
// from names where the address came from, for the message.
func (a *app) checkAddress(address, from string) error {
	addr := strings.TrimSpace(address)
	if strings.HasPrefix(strings.ToLower(addr), "sk-") || (looksLikeKey(addr) && !strings.Contains(addr, "://")) {
		if from == envAddress {
			return usageErrorf("the server address (%s) looks like an API key (%s); did you swap %s and %s?", envAddress, keyShown, envAddress, envToken)
		}
		return usageErrorf("the server address (%s) looks like an API key (%s); it should be https://HOST, and the key goes in %s or --api-key-file", from, keyShown, envToken)
	}
	if looksLikeKey(addr) {
		return usageErrorf("the server address (%s) holds what looks like an API key (%s); give https://HOST alone, and the key in %s or --api-key-file", from, keyShown, envToken)
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return usageErrorf("the server address (%s) %s is not a URL: want https://HOST", from, echo(addr))
	}
	if !strings.EqualFold(u.Scheme, "http") {
		return nil
	}
	host := u.Hostname()
	switch {
	case isLoopback(host):
		warnf(a.Stderr, "plain HTTP to %s: the admin API key is sent unencrypted (acceptable only because the server is on this machine)", host)
	case a.cfg.AllowHTTP:
		warnf(a.Stderr, "plain HTTP to %s (--allow-http): the admin API key is sent unencrypted; anyone on the network path can read it", host)
	default:
		return usageErrorf("refusing to send the admin API key unencrypted to %s over plain HTTP: use https://, or pass --allow-http if the network is trusted", echo(host))
	}
	return nil
}

// isLoopback reports whether host (a name or an IP) is this machine.
// "localhost" is taken at its word (RFC 6761 reserves it for loopback);
// other names are not resolved, so they are not loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
