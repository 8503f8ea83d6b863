package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/go-resty/resty/v2"

	"h2ogpte-keys/model"
)

const redacted = "[REDACTED]"

// sensitiveHeaders never reach the debug log with their values.
var sensitiveHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization"}

var (
	// secretKeyRE finds "secret_key": "..." however resty indents the body.
	secretKeyRE = regexp.MustCompile(`("secret_key"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// skRE catches anything shaped like an h2oGPTe key wherever it appears,
	// in case a server echoes one in an unexpected field.
	skRE = regexp.MustCompile(`sk-[A-Za-z0-9_\-]{16,}`)
)

// redactBody hides secrets in a logged request or response body. A JSON
// body is read as JSON: encoding/json takes "Secret_Key", or the name
// spelled with escapes, for secret_key, so matching its text is not
// enough; every string under a name holding "secret" (in any case) goes.
func redactBody(s string) string {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		d := json.NewDecoder(strings.NewReader(t))
		d.UseNumber() // numbers as written, not rounded through float64
		var v any
		if d.Decode(&v) == nil && !d.More() {
			if b, err := json.MarshalIndent(redactJSON(v, false), "", "   "); err == nil {
				s = string(b)
			}
		}
	}
	s = secretKeyRE.ReplaceAllString(s, `${1}"`+redacted+`"`)
	return skRE.ReplaceAllString(s, "sk-"+redacted)
}

// foldName is a member name folded as encoding/json matches names: "ſ"
// (U+017F) and "s" alike, the Kelvin sign and "k" alike.
func foldName(k string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, k)
}

// redactJSON replaces, in a decoded JSON value, every string under an
// object member whose name holds "secret" (secret: within one).
func redactJSON(v any, secret bool) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = redactJSON(e, secret || strings.Contains(foldName(k), "SECRET"))
		}
	case []any:
		for i, e := range v {
			v[i] = redactJSON(e, secret)
		}
	case string:
		if secret {
			return redacted
		}
	}
	return v
}

func redactHeaders(h http.Header) {
	for _, k := range sensitiveHeaders {
		if len(h.Values(k)) > 0 {
			h.Set(k, redacted)
		}
	}
}

// debugLogger is resty's logger. Resty also reports every failed request
// through it (Errorf), so when debugging is off everything is dropped: the
// caller gets those failures as errors and decides what to show. When on,
// each line is scrubbed a last time (the token verbatim, secret_key values,
// terminal control characters from server text) before it is written.
type debugLogger struct {
	mu    sync.Mutex
	out   io.Writer
	on    bool
	token string
}

func (l *debugLogger) Errorf(format string, v ...any) { l.write("ERROR ", format, v) }
func (l *debugLogger) Warnf(format string, v ...any)  { l.write("WARN ", format, v) }
func (l *debugLogger) Debugf(format string, v ...any) { l.write("DEBUG ", format, v) }

func (l *debugLogger) write(level, format string, v []any) {
	if !l.on {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.out, l.scrub(level+fmt.Sprintf(format, v...)))
}

func (l *debugLogger) scrub(s string) string {
	if l.token != "" {
		s = strings.ReplaceAll(s, l.token, redacted)
	}
	s = redactBody(s)
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = model.CleanText(strings.TrimRight(line, "\r"))
	}
	s = strings.Join(lines, "\n")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// installDebug wires the redacting callbacks into resty. They run before
// resty formats its log, so the secret never exists in the formatted text.
func installDebug(rc *resty.Client, l *debugLogger) {
	rc.SetLogger(l)
	rc.SetDebug(l.on)
	rc.SetDebugBodyLimit(64 << 10)
	rc.OnRequestLog(func(rl *resty.RequestLog) error {
		redactHeaders(rl.Header)
		rl.Body = redactBody(rl.Body)
		return nil
	})
	rc.OnResponseLog(func(rl *resty.ResponseLog) error {
		redactHeaders(rl.Header)
		rl.Body = redactBody(rl.Body)
		return nil
	})
}
