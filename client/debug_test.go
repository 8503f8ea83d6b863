package client

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"h2ogpte-keys/model"
)

const testSecret = "sk-" + "S3CR3TvalueS3CR3TvalueS3CR3TvalueS3CR3TvalueABCD"

// syncBuffer lets the test read what concurrent requests logged.
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

func TestDebugLogRedacts(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=cookie-value")
		switch {
		case r.Method == http.MethodPost:
			writeJSON(w, 201, map[string]any{"secret_key": testSecret, "api_key": keyJSON(1, "alice\x1b[2J")})
		default:
			writeJSON(w, 200, []any{keyJSON(1, "alice")})
		}
	})
	var out syncBuffer
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Debug = true; cfg.DebugOut = &out })
	ck, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u1", Name: "ci", InactivityDays: 3})
	if err != nil || ck.Secret.Reveal() != testSecret {
		t.Fatalf("CreateKey: %v", err)
	}
	if _, err := c.ListAllKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := out.String()
	for _, leak := range []string{testToken, testSecret, testSecret[3:20], "cookie-value", "\x1b"} {
		if strings.Contains(log, leak) {
			t.Errorf("debug log contains %q:\n%s", leak, log)
		}
	}
	for _, want := range []string{"POST", "/api/v1/admin/api_keys", `"inactivity_interval": 3`, `"secret_key": "[REDACTED]"`, "Authorization: [REDACTED]", "201 Created"} {
		if !strings.Contains(log, want) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
}

// With debugging off, nothing is written, not even resty's own error lines.
func TestDebugOffIsSilent(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeEndpointError(w, 500, "boom") })
	var out syncBuffer
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.DebugOut = &out })
	_, _ = c.ListUsers(context.Background())
	dead := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) { cfg.DebugOut = &out; cfg.MaxRetries = -1 })
	_, _ = dead.ListUsers(context.Background())
	if s := out.String(); s != "" {
		t.Errorf("debug off, yet wrote:\n%s", s)
	}
}

// The secret stays out of errors even when the create answer is malformed.
func TestCreateErrorsNeverHoldTheSecret(t *testing.T) {
	bodies := []struct {
		status int
		body   string
	}{
		{201, `{"secret_key":"` + testSecret + `","api_key":"not an object"}`},
		{201, `{"secret_key":"` + testSecret + `","api_key":{"created_at":"` + testSecret + `"}}`},
		{201, `{"secret_key":"` + testSecret + `"`},
		{201, `<html>` + testSecret + `</html>`},
		{500, `{"secret_key":"` + testSecret + `"}`},
		{502, `<html><title>` + testSecret + `</title></html>`},
	}
	for _, b := range bodies {
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeRaw(w, b.status, b.body) })
		var out syncBuffer
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Debug = true; cfg.DebugOut = &out })
		_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u", Name: "n"})
		if err == nil {
			t.Fatalf("%s: no error", b.body)
		}
		if strings.Contains(err.Error(), testSecret[3:20]) || strings.Contains(out.String(), testSecret[3:20]) {
			t.Errorf("secret leaked: err %q\nlog %s", err, out.String())
		}
	}
}

// Redaction copes with resty's indented bodies and escapes, and with the
// spellings of "secret_key" that encoding/json takes for it (any case, the
// name written with escapes, ſ for s); other values stay as written.
func TestRedactBody(t *testing.T) {
	tests := []struct {
		in        string
		gone      []string
		kept      []string
		redaction string
	}{
		{`{"secret_key":"abc"}`, []string{`"abc"`}, nil, `"secret_key": "[REDACTED]"`},
		{"{\n   \"secret_key\": \"a\\\"b\",\n   \"x\": 1\n}", []string{`a\"b`}, []string{`"x": 1`}, `"secret_key": "[REDACTED]"`},
		{`{"note":"token sk-abcdefghijklmnopqrstuvwxyz here"}`, []string{"abcdefghijklmnop"}, []string{"token sk-[REDACTED] here"}, ""},
		{`{"hint":"abcd","name":"sk-ok"}`, nil, []string{`"abcd"`, `"sk-ok"`}, ""},
		{`{"Secret_Key":"tok+/plain","api_key":{"id":"k1"}}`, []string{"tok+/plain"}, []string{`"k1"`}, `"[REDACTED]"`},
		{`{"secret\u005fkey":"tok+/escaped"}`, []string{"tok+/escaped"}, nil, `"[REDACTED]"`},
		{`{"\u017fecret_key":"tok+/longs"}`, []string{"tok+/longs"}, nil, `"[REDACTED]"`},
		{`{"total_calls":12345678901234567890,"name":"n"}`, nil, []string{"12345678901234567890", `"n"`}, ""},
		{`not json "secret_key":"abc"`, []string{`"abc"`}, []string{"not json"}, ""},
	}
	for _, tt := range tests {
		got := redactBody(tt.in)
		for _, g := range tt.gone {
			if strings.Contains(got, g) {
				t.Errorf("redactBody(%q) = %q: still holds %q", tt.in, got, g)
			}
		}
		for _, k := range tt.kept {
			if !strings.Contains(got, k) {
				t.Errorf("redactBody(%q) = %q: lost %q", tt.in, got, k)
			}
		}
		if tt.redaction != "" && !strings.Contains(got, tt.redaction) {
			t.Errorf("redactBody(%q) = %q: no %q", tt.in, got, tt.redaction)
		}
	}
}

// A server that echoes the admin token back must not get it on screen.
func TestTokenNeverInErrors(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeEndpointError(w, 401, "invalid API key "+r.Header.Get("Authorization"))
	})
	_, err := newTestClient(t, srv.URL).ListUsers(context.Background())
	if err == nil || strings.Contains(err.Error(), testToken[3:20]) {
		t.Fatalf("err = %v", err)
	}
	if want := "list users: the token was rejected (401): invalid API key Bearer sk-[REDACTED]"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}
