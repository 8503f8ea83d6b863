package demoserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// t0 is the fixed "now" of every test server.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T, opts Options) (*Server, *Clock) {
	t.Helper()
	clk := NewClock(t0)
	opts.Now = clk.Now
	return New(opts), clk
}

// do sends one request straight to the handler; token "" sends none.
func do(t *testing.T, h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, rec.Body.String(), err)
	}
	return v
}

// wantStatus fails unless rec has status; for errors it also checks the
// EndpointError body and returns its message.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body.String())
	}
	if status < 400 {
		return ""
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == nil || e.Message == nil {
		t.Fatalf("error body %q is not an EndpointError (err %v)", rec.Body.String(), err)
	}
	if *e.Code != status || *e.Message == "" {
		t.Errorf("EndpointError = {%d, %q}, want code %d and a message", *e.Code, *e.Message, status)
	}
	return *e.Message
}

func userByName(t *testing.T, s *Server, name string) model.User {
	t.Helper()
	for _, u := range s.Users() {
		if u.Username == name {
			return u
		}
	}
	t.Fatalf("no user %q", name)
	return model.User{}
}

// created is the APIKeyResult as a client decodes it.
type created struct {
	SecretKey string       `json:"secret_key"`
	APIKey    model.APIKey `json:"api_key"`
}

// createKey creates a key through the API as the admin and returns it.
func createKey(t *testing.T, s *Server, body string) created {
	t.Helper()
	rec := do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, body)
	wantStatus(t, rec, http.StatusCreated)
	return decode[created](t, rec)
}

// keyByID finds a key in the admin listing.
func keyByID(t *testing.T, s *Server, id string) (model.APIKey, bool) {
	t.Helper()
	rec := do(t, s, "GET", "/api/v1/admin/api_keys?limit=1000000", DemoToken, "")
	wantStatus(t, rec, http.StatusOK)
	for _, k := range decode[[]model.APIKey](t, rec) {
		if k.ID == id {
			return k, true
		}
	}
	return model.APIKey{}, false
}

func mustKey(t *testing.T, s *Server, id string) model.APIKey {
	t.Helper()
	k, ok := keyByID(t, s, id)
	if !ok {
		t.Fatalf("key %s not listed", id)
	}
	return k
}

func listKeys(t *testing.T, s *Server, query string) []model.APIKey {
	t.Helper()
	rec := do(t, s, "GET", "/api/v1/admin/api_keys"+query, DemoToken, "")
	wantStatus(t, rec, http.StatusOK)
	return decode[[]model.APIKey](t, rec)
}
