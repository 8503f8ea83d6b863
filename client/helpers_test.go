package client

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

const testToken = "sk-TESTADMINTOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

// seen is one request as the fake server received it.
type seen struct {
	Method     string
	Path       string // decoded
	RequestURI string // as sent, escaped
	Query      url.Values
	Header     http.Header
	Body       string
}

// fake is an httptest server that records every request before handing it
// to h.
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(f.recording(h))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) recording(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Method, r.URL.Path, r.RequestURI, r.URL.Query(), r.Header.Clone(), string(b)})
		f.mu.Unlock()
		h(w, r)
	}
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// newTestClient builds a client whose retries wait about a millisecond.
func newTestClient(t *testing.T, addr string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Address: addr, Token: model.NewSecret(testToken), DebugOut: io.Discard}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.backoffBase = time.Millisecond
	c.backoffMax = 2 * time.Millisecond
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func writeEndpointError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"code": status, "message": msg})
}

// keyJSON is an APIKeyInfo as a current server sends it.
func keyJSON(i int, user string) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("key-%04d", i), "username": user, "name": fmt.Sprintf("key %d", i),
		"hint": "abcd", "created_at": "2026-01-02T03:04:05Z", "expires_at": nil,
		"last_used_at": nil, "inactivity_interval": nil, "total_calls": i,
		"is_active": true, "is_global_key": true,
	}
}

// pagedList serves rows with offset/limit paging and a loose (substring)
// filter on field, as the real server does.
func pagedList(t *testing.T, rows []map[string]any, field string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		offset, err1 := strconv.Atoi(q.Get("offset"))
		limit, err2 := strconv.Atoi(q.Get("limit"))
		if err1 != nil || err2 != nil || limit <= 0 {
			t.Errorf("bad paging query %q", r.URL.RawQuery)
			writeEndpointError(w, 400, "bad paging")
			return
		}
		var match []map[string]any
		for _, row := range rows {
			if f := q.Get("filter"); f == "" || strings.Contains(row[field].(string), f) {
				match = append(match, row)
			}
		}
		page := []map[string]any{}
		if offset < len(match) {
			page = match[offset:min(offset+limit, len(match))]
		}
		writeJSON(w, 200, page)
	}
}

func keyRows(n int, user string) []map[string]any {
	rows := make([]map[string]any, n)
	for i := range rows {
		rows[i] = keyJSON(i, user)
	}
	return rows
}

func keyIDs(keys []model.APIKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}
