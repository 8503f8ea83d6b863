package client

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"h2ogpte-keys/model"
)

// Sentinel errors callers branch on with errors.Is. API errors match by HTTP
// status; transport errors by what went wrong on the way.
var (
	// ErrUnauthorized: the server rejected the token (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the token is valid but not an administrator's (403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: the user, key or collection does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change clashes with the key's state (409), such as
	// deactivating a key that is already inactive.
	ErrConflict = errors.New("conflict")
	// ErrTimeout: the server did not answer within Config.Timeout.
	ErrTimeout = errors.New("timed out")
	// ErrNetwork: the server could not be reached (refused, reset, DNS,
	// TLS). Errors matching ErrTLS match ErrNetwork too.
	ErrNetwork = errors.New("network error")
	// ErrTLS: the server's certificate could not be verified or the TLS
	// handshake failed; a CA file (or, knowingly, skipping verification)
	// may be the fix, so it is told apart from other network errors.
	ErrTLS = errors.New("TLS error")
	// ErrTooLarge: the server's answer was larger than the client reads
	// (64 MB). Asking again would fetch it again, so it is not retried.
	ErrTooLarge = errors.New("answer too large")
	// ErrUnsupported: the server predates the endpoint (it answered 404 as
	// for an unknown route, or 405).
	ErrUnsupported = errors.New("not supported by this server")
	// ErrPaging: a listing was stopped because the server's paging does
	// not end: a page brought no item not already seen (an ignored offset,
	// a repeated page), or the listing passed Config.MaxItems.
	ErrPaging = errors.New("paging does not end")
)

// outcomeUnknownError is a change whose request was sent but whose answer
// was lost. It matches model.ErrOutcomeUnknown and everything the wrapped
// error matches (ErrTimeout, ErrNetwork, an *APIError for a 504).
type outcomeUnknownError struct {
	err error
	// note says what may have happened; empty means the generic words.
	note string
}

func (e *outcomeUnknownError) Error() string {
	return e.err.Error() + " (the request was sent: " + orDefault(e.note, "the change may have happened") + ")"
}

func (e *outcomeUnknownError) Unwrap() []error { return []error{e.err, model.ErrOutcomeUnknown} }

// unsupportedError is an endpoint the server does not have.
type unsupportedError struct {
	op   string
	what string
	err  error
}

func (e *unsupportedError) Error() string {
	return e.op + ": this server does not support " + e.what
}

func (e *unsupportedError) Unwrap() []error { return []error{e.err, ErrUnsupported} }

// APIError is an answer outside 2xx. Message is the server's own (cleaned of
// control characters) or, for a body that is not an EndpointError, a short
// readable snippet of it.
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code is EndpointError.code (often equal to Status; 0 if absent).
	Code int
	// Message is EndpointError.message, cleaned and shortened.
	Message string
	// ErrorType is EndpointError.error_type, sent by newer servers.
	ErrorType string
	// Op names what was being done, e.g. "delete key 123".
	Op string
}

// Error is one line: "delete key 123: not found (404): key not found".
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(describeStatus(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is lets errors.Is(err, ErrNotFound) and friends see through an *APIError.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}

// describeStatus words a status for an admin rather than for a developer.
// 401 and 403 both mean "this token cannot manage keys"; the README asks
// that we say which one happened.
func describeStatus(status int) string {
	var s string
	switch status {
	case http.StatusUnauthorized:
		s = "the token was rejected"
	case http.StatusForbidden:
		s = "this token is not an administrator's and cannot manage API keys"
	case http.StatusInternalServerError:
		s = "server error"
	default:
		s = strings.ToLower(http.StatusText(status))
		if s == "" {
			return "HTTP status " + strconv.Itoa(status)
		}
	}
	return s + " (" + strconv.Itoa(status) + ")"
}

const (
	maxMessageLen = 240 // a server's own message: long enough for a reason, one line
	maxSnippetLen = 100 // text picked out of a non-JSON body (an HTML error page)
)

// endpointError is the API's EndpointError, decoded loosely: code may arrive
// as a string, and other frameworks' shapes ({"detail": ...}) are accepted.
type endpointError struct {
	Code      json.RawMessage `json:"code"`
	Message   *string         `json:"message"`
	ErrorType string          `json:"error_type"`
	Detail    json.RawMessage `json:"detail"`
	Error     *string         `json:"error"`
}

// newAPIError builds the error for a non-2xx answer without ever copying the
// raw body into it.
func newAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Status: status, Op: op}
	var ee endpointError
	if json.Unmarshal(body, &ee) == nil {
		e.Code = parseCode(ee.Code)
		e.ErrorType = shorten(model.CleanText(ee.ErrorType), 60)
		switch {
		case ee.Message != nil:
			e.Message = oneLine(*ee.Message, maxMessageLen)
		case ee.Error != nil:
			e.Message = oneLine(*ee.Error, maxMessageLen)
		case len(ee.Detail) > 0:
			var s string
			if json.Unmarshal(ee.Detail, &s) == nil {
				e.Message = oneLine(s, maxMessageLen)
			}
		}
		return e
	}
	e.Message = snippet(body, status)
	return e
}

func parseCode(raw json.RawMessage) int {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(s))
	}
	return n
}

var (
	titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	dropRE  = regexp.MustCompile(`(?is)<(script|style|head)[^>]*>.*?</(script|style|head)>`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// snippet turns a body that is not JSON (a proxy's HTML page, plain text)
// into a few readable words: the page title if it has one, else its text.
// It returns "" when the words only repeat the status.
func snippet(body []byte, status int) string {
	if len(body) > 64<<10 {
		body = body[:64<<10]
	}
	if !utf8.Valid(body) {
		body = []byte(strings.ToValidUTF8(string(body), ""))
	}
	var text string
	if m := titleRE.FindSubmatch(body); m != nil && strings.TrimSpace(string(m[1])) != "" {
		text = string(m[1])
	} else {
		text = tagRE.ReplaceAllString(dropRE.ReplaceAllString(string(body), " "), " ")
	}
	text = oneLine(unescapeEntities(text), maxSnippetLen)
	if sameAsStatus(text, status) {
		return ""
	}
	return text
}

var entities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ")

func unescapeEntities(s string) string { return entities.Replace(s) }

// sameAsStatus reports whether text says nothing beyond the status line, as
// in nginx's "502 Bad Gateway".
func sameAsStatus(text string, status int) bool {
	t := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), strconv.Itoa(status))))
	return t == "" || t == strings.ToLower(http.StatusText(status))
}

// oneLine cleans server text (control characters, runs of white space) and
// cuts it to at most max runes, marking the cut with an ellipsis. Anything
// shaped like an API key is masked first: a server that echoes the token in
// a 401 must not put it on the admin's screen.
func oneLine(s string, max int) string {
	s = skRE.ReplaceAllString(s, "sk-"+redacted)
	return shorten(strings.Join(strings.Fields(model.CleanText(s)), " "), max)
}

func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

// tooLargeError is an answer cut off at the client's size limit.
type tooLargeError struct{ limitMB int }

func (e tooLargeError) Error() string {
	return fmt.Sprintf("the server's answer is larger than %d MB", e.limitMB)
}

func (e tooLargeError) Is(target error) bool { return target == ErrTooLarge }

type transportKind int

const (
	kindNetwork transportKind = iota
	kindTLS
	kindTimeout
)

// transportError is a request that got no HTTP answer. Its message names the
// server and the bare reason, not Go's "Get \"https://...\": dial tcp ...".
type transportError struct {
	kind    transportKind
	server  string // scheme://host
	timeout time.Duration
	reason  string
	err     error
}

func (e *transportError) Error() string {
	switch e.kind {
	case kindTimeout:
		return fmt.Sprintf("request to %s timed out after %s", e.server, e.timeout)
	case kindTLS:
		return fmt.Sprintf("cannot make a secure connection to %s: %s", e.server, e.reason)
	}
	return fmt.Sprintf("cannot reach %s: %s", e.server, e.reason)
}

func (e *transportError) Unwrap() error { return e.err }

func (e *transportError) Is(target error) bool {
	switch target {
	case ErrNetwork:
		return e.kind == kindNetwork || e.kind == kindTLS
	case ErrTLS:
		return e.kind == kindTLS
	case ErrTimeout:
		return e.kind == kindTimeout
	}
	return false
}

// retryable reports whether repeating the request could help: refused or
// reset connections may be a restarting server. Certificate problems will
// not fix themselves, and a server that hung once for the whole timeout
// would only make the admin wait that long again.
func (e *transportError) retryable() bool { return e.kind == kindNetwork }

// classify turns an error from the HTTP round trip into a transportError.
// The caller has already ruled out its own context being done; timedOut says
// the per-attempt deadline fired.
func classify(err error, server string, timeout time.Duration, timedOut bool) *transportError {
	te := &transportError{kind: kindNetwork, server: server, timeout: timeout, err: err}
	var netTimeout interface{ Timeout() bool }
	switch {
	case isTLSError(err):
		te.kind = kindTLS
	case timedOut, errors.As(err, &netTimeout) && netTimeout.Timeout():
		te.kind = kindTimeout
	}
	te.reason = reason(err)
	return te
}

func isTLSError(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		rh  tls.RecordHeaderError
		al  tls.AlertError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		sys x509.SystemRootsError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &al) ||
		errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &sys)
}

// reason is the innermost error's text ("connection refused"), which is what
// an admin can act on; the outer layers only repeat the URL.
func reason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the server closed the connection"
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return "the server did not answer with TLS (is it http:// rather than https://?)"
	}
	inner := err
	for {
		next := errors.Unwrap(inner)
		if next == nil {
			break
		}
		inner = next
	}
	return oneLine(inner.Error(), maxMessageLen)
}
