// Package client talks to the h2oGPTe admin REST API (/api/v1) on behalf of
// h2ogpte-keys: one method per endpoint, paging, exact-owner filtering on top
// of the server's loose filters, typed errors, and retries for reads only.
//
// Reads (GET) are retried on 429, 500, 502, 503, 504 and on refused or reset
// connections, with exponential backoff and jitter, honouring Retry-After.
// A 500 is often a passing fault (a database hiccup) and repeating a read
// is harmless; a 500 that persists costs a couple of seconds before it is
// shown.
// A read that times out is not retried: a hung server would make the admin
// wait the whole timeout again. Writes (create, deactivate, expiry,
// inactivity, delete) are never retried, because the server may have acted
// before the answer was lost, and a repeated create would mint a second
// secret.
package client

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"h2ogpte-keys/model"
)

// Config says which server to talk to and how.
type Config struct {
	// Address is https://HOST or https://HOST/api/v1.
	Address string
	// Token is an admin's global API key, sent as a bearer token.
	Token model.Secret
	// CACertFile is a PEM file of extra CAs to trust, besides the system's.
	CACertFile string
	// InsecureSkipTLSVerify turns certificate verification off.
	InsecureSkipTLSVerify bool
	// Timeout bounds each request (each attempt); 0 (or less) means 30s.
	Timeout time.Duration
	// UserAgent defaults to "h2ogpte-keys/dev".
	UserAgent string
	// Debug logs requests and responses, with the token and secrets redacted.
	Debug bool
	// DebugOut receives the debug log; nil means os.Stderr.
	DebugOut io.Writer
	// PageSize is the limit asked for per page; 0 (or less) means 100, the
	// spec's default. A listing of keys asks for it on its first page only.
	PageSize int
	// LargePageSize is the limit a listing of keys asks for once its first
	// page came back full: a large listing then costs a tenth of the
	// requests. 0 (or less) means 1,000; less than PageSize means PageSize.
	// A server that bounds its pages below it is found out (see StreamKeys).
	LargePageSize int
	// Concurrency is how many key pages may be read at once; 0 (or less)
	// means 8, and more than 16 means 16. Eight, not four: pages are read in
	// windows that each wait for their slowest page and for decoding, so a
	// window of four falls short of four times the speed of one.
	Concurrency int
	// MaxRetries bounds retries of a read; 0 means 3, negative means none.
	MaxRetries int
	// MaxItems bounds how many items one listing reads (keys, users or
	// collections) before it stops with an error matching ErrPaging; 0 (or
	// less) means 5,000,000. A server that pages forever cannot make the
	// tool read without end.
	MaxItems int
}

const (
	defaultTimeout     = 30 * time.Second
	defaultUserAgent   = "h2ogpte-keys/dev"
	defaultPageSize    = 100
	defaultLargePage   = 1000
	defaultConcurrency = 8
	maxConcurrency     = 16
	defaultMaxRetries  = 3
	apiPath            = "/api/v1"
	maxResponseBytes   = 64 << 20
	defaultMaxItems    = 5_000_000
)

// Client calls the h2oGPTe admin API. It is safe for concurrent use.
type Client struct {
	// cfg is the Config the client was built from, without DebugOut.
	cfg         Config
	rc          *resty.Client
	base        string // https://HOST[/prefix]/api/v1
	server      string // https://HOST, for messages
	timeout     time.Duration
	pageSize    int
	largePage   int
	concurrency int
	maxRetries  int
	maxItems    int
	// maxBody is the largest answer read, in bytes; tests shrink it.
	maxBody int
	// debug is Config.Debug: resty then reads bodies, for its log.
	debug bool
	// jsonKeys decodes key pages with encoding/json alone, as the client
	// did before its own decoder; benchmarks set it to compare the two.
	jsonKeys bool

	// backoffBase is the first retry's wait before jitter; backoffMax caps
	// later ones and maxRetryAfter caps a server's Retry-After. Tests
	// shrink them.
	backoffBase   time.Duration
	backoffMax    time.Duration
	maxRetryAfter time.Duration
}

// New checks cfg and builds a client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, server, err := baseURL(cfg.Address)
	if err != nil {
		return nil, err
	}
	if cfg.Token.Empty() {
		return nil, errors.New("no API token: an administrator's h2oGPTe API key is needed")
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipTLSVerify} //nolint:gosec // only when the admin asks
	if cfg.CACertFile != "" {
		pool, err := loadCAs(cfg.CACertFile)
		if err != nil {
			return nil, err
		}
		tlsCfg.RootCAs = pool
	}
	c := &Client{
		cfg:           cfg,
		base:          base,
		server:        server,
		timeout:       positive(cfg.Timeout, defaultTimeout),
		pageSize:      positive(cfg.PageSize, defaultPageSize),
		largePage:     max(positive(cfg.LargePageSize, defaultLargePage), positive(cfg.PageSize, defaultPageSize)),
		concurrency:   min(positive(cfg.Concurrency, defaultConcurrency), maxConcurrency),
		maxRetries:    cfg.MaxRetries,
		maxItems:      positive(cfg.MaxItems, defaultMaxItems),
		debug:         cfg.Debug,
		maxBody:       maxResponseBytes,
		backoffBase:   250 * time.Millisecond,
		backoffMax:    4 * time.Second,
		maxRetryAfter: 10 * time.Second,
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	tr.MaxIdleConnsPerHost = max(c.concurrency, 2)

	// No http.Client timeout: each attempt gets its own context deadline, so
	// a timeout can be told apart from the caller cancelling. Redirects are
	// not followed: Go turns a redirected POST into a GET (a create would
	// then read a list) and would send the token on to wherever the server
	// points; once returns the 3xx as an error naming the new place.
	rc := resty.NewWithClient(&http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	})
	rc.SetAuthToken(cfg.Token.Reveal())
	rc.SetHeader("User-Agent", orDefault(cfg.UserAgent, defaultUserAgent))
	rc.SetHeader("Accept", "application/json")
	out := cfg.DebugOut
	if out == nil {
		out = os.Stderr
	}
	// resty labels an empty []byte body text/plain; a bodiless request
	// carries no Content-Type at all.
	rc.SetPreRequestHook(func(_ *resty.Client, r *http.Request) error {
		if r.ContentLength == 0 {
			r.Header.Del("Content-Type")
		}
		return nil
	})
	installDebug(rc, &debugLogger{out: out, on: cfg.Debug, token: cfg.Token.Reveal()})
	c.rc = rc
	return c, nil
}

// Config is the Config c was built from, but for DebugOut: what another
// process needs to build the same client (the token included: handle
// it as a secret).
func (c *Client) Config() Config {
	cfg := c.cfg
	cfg.DebugOut = nil
	return cfg
}

// positive returns v, or def when v is zero or negative: a negative page
// size would never see a short page and so never stop.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// baseURL turns what an admin typed into the API's base URL, appending
// /api/v1 unless it is there already.
func baseURL(address string) (base, server string, err error) {
	a := strings.TrimRight(strings.TrimSpace(address), "/")
	if a == "" {
		return "", "", errors.New("no server address: want https://HOST")
	}
	u, err := url.Parse(a)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", "", fmt.Errorf("server address %q: want https://HOST (a scheme and a host)", model.CleanText(address))
	}
	if u.User != nil { // not quoted back: it may hold a password
		return "", "", errors.New("server address: want https://HOST without a user or password in it")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("server address %q: want https://HOST without a query or fragment", model.CleanText(address))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if !strings.HasSuffix(u.Path, apiPath) {
		u.Path += apiPath
	}
	return u.String(), u.Scheme + "://" + u.Host, nil
}

func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// BaseURL returns the API's base URL, such as https://HOST/api/v1.
func (c *Client) BaseURL() string { return c.base }

// call is one API request.
type call struct {
	op     string
	method string
	path   string // below the base URL, already escaped
	query  url.Values
	body   any
	// idempotent requests may be repeated when the server is briefly
	// unavailable; only GETs are.
	idempotent bool
	// buf, when big enough, is where a read's body is read (readBody).
	buf []byte
}

// do sends cl, retrying when allowed, and returns the body of a 2xx answer.
// Every error it returns names cl.op.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		body, hdr, err := c.once(ctx, cl)
		if err == nil {
			return body, nil
		}
		if !cl.idempotent || attempt >= c.maxRetries || !retryable(err) {
			return nil, err
		}
		wait := c.backoff(attempt)
		if d, ok := parseRetryAfter(hdr.Get("Retry-After"), time.Now(), c.maxRetryAfter); ok {
			wait = d
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", cl.op, err)
		}
	}
}

// once makes a single attempt under its own deadline. For a change (not
// idempotent), an error after the request was fully written, a 500, or a
// gateway's 502/503/504, is marked as an unknown outcome (model.ErrOutcomeUnknown):
// the server may have acted. Errors before the request left (dial, DNS, TLS
// handshake) are not.
func (c *Client) once(ctx context.Context, cl call) ([]byte, http.Header, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	req := c.rc.R().SetContext(actx).SetResponseBodyLimit(c.maxBody)
	if cl.query != nil {
		req.SetQueryParamsFromValues(cl.query)
	}
	switch {
	case cl.body != nil:
		req.SetHeader("Content-Type", "application/json").SetBody(cl.body)
	case cl.method != http.MethodGet:
		// An empty, known-length body: "Content-Length: 0". Without one a
		// bodiless POST can go out as a chunked empty body, which some
		// servers do not read, falling out of step on a kept-alive
		// connection.
		req.SetBody([]byte{})
	}
	unknown := func(err error) error {
		if cl.idempotent {
			return err
		}
		return &outcomeUnknownError{err: err}
	}
	// A read's body is read here rather than by resty, which reads 512
	// bytes at a time into a slice grown by append: about five times a
	// listing's size in garbage. With debugging on, resty reads it so that
	// its log shows the body.
	rawRead := cl.idempotent && !c.debug
	if rawRead {
		req.SetDoNotParseResponse(true)
	}
	res, err := req.Execute(cl.method, c.base+cl.path)
	var body []byte
	if err == nil && rawRead {
		body, err = readBody(res.RawResponse, c.maxBody, cl.buf)
	} else if err == nil {
		body = res.Body()
	}
	if err != nil {
		if ctx.Err() != nil {
			err := fmt.Errorf("%s: %w", cl.op, ctx.Err())
			if wrote.Load() {
				return nil, nil, unknown(err)
			}
			return nil, nil, err
		}
		if errors.Is(err, resty.ErrResponseBodyTooLarge) {
			return nil, nil, unknown(fmt.Errorf("%s: %w", cl.op, tooLargeError{limitMB: c.maxBody >> 20}))
		}
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
		err = fmt.Errorf("%s: %w", cl.op, classify(err, c.server, c.timeout, timedOut))
		if wrote.Load() {
			return nil, nil, unknown(err)
		}
		return nil, nil, err
	}
	if res.StatusCode() >= 300 && res.StatusCode() < 400 {
		return nil, nil, fmt.Errorf("%s: %s", cl.op, c.redirectMessage(cl.path, res.StatusCode(), res.Header().Get("Location")))
	}
	if !res.IsSuccess() {
		ae := newAPIError(cl.op, res.StatusCode(), body)
		// A 500 too: a server may fail after its change is stored (while
		// writing the answer, say), so a change's 500 is read back like a
		// lost answer rather than reported as not done.
		switch ae.Status {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return nil, res.Header(), unknown(ae)
		}
		return nil, res.Header(), ae
	}
	return body, res.Header(), nil
}

// readBody reads and closes an answer's body, at most limit bytes, into a
// buffer sized from Content-Length when the server gives one: buf when it
// has room for that (it is then overwritten), a new one otherwise. Its
// errors match resty's for the same failures.
func readBody(res *http.Response, limit int, buf []byte) ([]byte, error) {
	defer res.Body.Close()
	r := io.Reader(res.Body)
	if strings.EqualFold(res.Header.Get("Content-Encoding"), "gzip") && res.ContentLength != 0 {
		zr, err := gzip.NewReader(r) // as resty does for a gzip body Go's transport left alone
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	size := 32 << 10
	if n := res.ContentLength; n > 0 && n <= int64(limit) {
		size = int(n) + 1 // +1: the read that sees the end needs room
	}
	// Not bytes.Buffer.ReadFrom: it grows (doubling) whenever fewer than
	// 512 bytes are free, so an exactly sized buffer would still be copied.
	b := buf[:0]
	if cap(b) < size {
		b = make([]byte, 0, size)
	}
	r = io.LimitReader(r, int64(limit)+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > limit {
			return nil, resty.ErrResponseBodyTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// redirectMessage says where a 3xx answer points. When it points at the same
// endpoint under another base (http to https, another host), it names the
// address to use instead; the query and any credentials in the location are
// left out.
func (c *Client) redirectMessage(path string, status int, location string) string {
	from, err := url.Parse(c.base + path)
	if err != nil || strings.TrimSpace(location) == "" {
		return fmt.Sprintf("the server answered with a redirect (%d) without saying where to: is %s the h2oGPTe API?", status, c.server)
	}
	to, err := from.Parse(strings.TrimSpace(location))
	if err != nil || (to.Scheme != "http" && to.Scheme != "https") || to.Host == "" {
		return fmt.Sprintf("the server redirects (%d) to %q: is %s the h2oGPTe API?", status, oneLine(location, 120), c.server)
	}
	to.User, to.RawQuery, to.Fragment, to.RawFragment = nil, "", "", ""
	if base, ok := strings.CutSuffix(to.EscapedPath(), path); ok && strings.HasSuffix(base, apiPath) {
		addr := (&url.URL{Scheme: to.Scheme, Host: to.Host}).String() + strings.TrimSuffix(base, apiPath)
		return fmt.Sprintf("the server redirects to %s: use %s as the address", oneLine(to.String(), 200), oneLine(addr, 200))
	}
	return fmt.Sprintf("the server redirects to %s instead of answering: is %s the h2oGPTe API address?", oneLine(to.String(), 200), c.server)
}

func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var te *transportError
	return errors.As(err, &te) && te.retryable()
}

// backoff doubles from backoffBase up to backoffMax, with jitter over the
// upper half so that parallel page reads do not retry in lockstep.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.backoffBase << min(attempt, 20)
	if d > c.backoffMax || d <= 0 {
		d = c.backoffMax
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date, capped.
func parseRetryAfter(v string, now time.Time, limit time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(limit/time.Second)+1)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, limit), true
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// getJSON GETs path and decodes the JSON answer into v.
func (c *Client) getJSON(ctx context.Context, op, path string, q url.Values, v any) error {
	body, err := c.do(ctx, call{op: op, method: http.MethodGet, path: path, query: q, idempotent: true})
	if err != nil {
		return err
	}
	return c.decode(op, body, v)
}

// decode reads a 2xx body. Its errors never quote the body: a create's
// answer holds the secret.
func (c *Client) decode(op string, body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	trimmed := strings.TrimSpace(string(body[:min(len(body), 512)]))
	if strings.HasPrefix(trimmed, "<") {
		return fmt.Errorf("%s: the server answered with a web page, not JSON: is %s the h2oGPTe API?", op, c.base)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("%s: unexpected answer from the server: %s has %s, want %s",
			op, orDefault(typeErr.Field, "the answer"), typeErr.Value, jsonKind(typeErr.Type))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("%s: the server's answer is not valid JSON (at byte %d)", op, syntaxErr.Offset)
	}
	return fmt.Errorf("%s: cannot read the server's answer: %s", op, oneLine(err.Error(), maxMessageLen))
}

// jsonKind words the JSON a Go type reads, for messages: an admin knows
// "a list", not []model.User.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "something else"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "something else"
}
