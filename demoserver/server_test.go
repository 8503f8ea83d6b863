package demoserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestAuthentication(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice")
	userKey := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"name":"cli","expires_in":"30 days"}`, alice.ID)).SecretKey
	admin := s.AddUser("ops", "ops@example.com", true)
	adminKey := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, admin.ID)).SecretKey

	adminOnly := []struct{ method, path, body string }{
		{"GET", "/api/v1/admin/api_keys", ""},
		{"POST", "/api/v1/admin/api_keys", `{"user_id":"x"}`},
		{"POST", "/api/v1/admin/api_keys/deactivate/nope", ""},
		{"PATCH", "/api/v1/admin/api_keys/expire/nope", "{}"},
		{"PATCH", "/api/v1/admin/api_keys/inactivity_interval/nope", "{}"},
		{"DELETE", "/api/v1/admin/api_keys/nope", ""},
		{"GET", "/api/v1/collections/all", ""},
		{"GET", "/api/v1/configurations?as_admin=true", ""},
		{"PUT", "/api/v1/configurations/global_api_key_expiry_days", `{"string_value":"1","can_overwrite":false,"is_public":false}`},
	}
	anyUser := []string{
		"/api/v1/users", "/api/v1/users/" + alice.ID, "/api/v1/users/current/roles",
		"/api/v1/users/current/permissions", "/api/v1/collections", "/api/v1/configurations",
	}

	t.Run("no or bad credentials get 401", func(t *testing.T) {
		for _, header := range []string{"", "Bearer", "Bearer ", "Basic " + DemoToken, DemoToken, "Bearer sk-unknown"} {
			for _, ep := range adminOnly {
				req := httptest.NewRequest(ep.method, ep.path, strings.NewReader(ep.body))
				if header != "" {
					req.Header.Set("Authorization", header)
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				wantStatus(t, rec, http.StatusUnauthorized)
			}
		}
	})
	t.Run("a user's key gets 403 on admin endpoints", func(t *testing.T) {
		for _, ep := range adminOnly {
			msg := wantStatus(t, do(t, s, ep.method, ep.path, userKey, ep.body), http.StatusForbidden)
			if !strings.Contains(msg, "admin only") {
				t.Errorf("%s %s: message %q does not say admin only", ep.method, ep.path, msg)
			}
		}
	})
	t.Run("a user's key works elsewhere", func(t *testing.T) {
		for _, path := range anyUser {
			wantStatus(t, do(t, s, "GET", path, userKey, ""), http.StatusOK)
		}
	})
	t.Run("admin keys pass the admin check", func(t *testing.T) {
		for _, token := range []string{DemoToken, adminKey} {
			for _, ep := range adminOnly {
				rec := do(t, s, ep.method, ep.path, token, ep.body)
				if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
					t.Errorf("%s %s: %d %s", ep.method, ep.path, rec.Code, rec.Body.String())
				}
			}
		}
	})
	t.Run("the demo token is not a listed key", func(t *testing.T) {
		for _, k := range listKeys(t, s, "?limit=1000") {
			if k.Username == "admin" {
				t.Errorf("admin has a listed key %+v", k)
			}
		}
	})
}

func TestRouting(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/v1/nope", http.StatusNotFound, ""},
		{"GET", "/api/v2/users", http.StatusNotFound, ""},
		{"GET", "/", http.StatusNotFound, ""},
		{"GET", "/api/v1/users/", http.StatusNotFound, ""},
		{"GET", "/api/v1/admin/api-keys", http.StatusNotFound, ""}, // hyphens are the docs' mistake
		{"GET", "/api/v1/admin/api_keys/deactivate/x/y", http.StatusNotFound, ""},
		{"PUT", "/api/v1/admin/api_keys", http.StatusMethodNotAllowed, "GET, POST"},
		{"GET", "/api/v1/admin/api_keys/deactivate/x", http.StatusMethodNotAllowed, "POST"},
		{"POST", "/api/v1/admin/api_keys/expire/x", http.StatusMethodNotAllowed, "PATCH"},
		{"GET", "/api/v1/admin/api_keys/x", http.StatusMethodNotAllowed, "DELETE"},
		{"DELETE", "/api/v1/users", http.StatusMethodNotAllowed, "GET"},
		{"POST", "/api/v1/collections/all", http.StatusMethodNotAllowed, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			// Routing comes before authentication, with or without a token.
			for _, token := range []string{DemoToken, ""} {
				rec := do(t, s, tt.method, tt.path, token, "")
				wantStatus(t, rec, tt.status)
				if got := rec.Header().Get("Allow"); got != tt.allow {
					t.Errorf("Allow = %q, want %q", got, tt.allow)
				}
			}
		})
	}
}

func TestInjectFault(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice")
	key := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, alice.ID))
	path := "/api/v1/admin/api_keys/deactivate/" + key.APIKey.ID

	s.InjectFault("POST", path, http.StatusServiceUnavailable, 2)
	s.InjectFault("GET", "/api/v1/collections", http.StatusBadGateway, 1)

	// Other methods and paths are untouched.
	wantStatus(t, do(t, s, "GET", "/api/v1/admin/api_keys?limit=1", DemoToken, ""), http.StatusOK)
	wantStatus(t, do(t, s, "POST", path+"x", DemoToken, ""), http.StatusNotFound)
	// Faults come before authentication and have no effect.
	wantStatus(t, do(t, s, "POST", path, "", ""), http.StatusServiceUnavailable)
	wantStatus(t, do(t, s, "POST", path, DemoToken, ""), http.StatusServiceUnavailable)
	if !mustKey(t, s, key.APIKey.ID).IsActive {
		t.Fatal("a faulted deactivate deactivated the key")
	}
	wantStatus(t, do(t, s, "POST", path, DemoToken, ""), http.StatusNoContent)

	// A faulted request made with a stored key is not counted.
	wantStatus(t, do(t, s, "GET", "/api/v1/collections?limit=5", key.SecretKey, ""), http.StatusBadGateway)
	if calls, _ := mustKey(t, s, key.APIKey.ID).TotalCalls.Get(); calls != 0 {
		t.Errorf("total_calls = %d after a faulted request, want 0", calls)
	}

	t.Run("any method and clearing", func(t *testing.T) {
		s.InjectFault("", "/api/v1/users", http.StatusInternalServerError, 5)
		wantStatus(t, do(t, s, "GET", "/api/v1/users", DemoToken, ""), http.StatusInternalServerError)
		s.InjectFault("", "/api/v1/users", http.StatusInternalServerError, 0)
		wantStatus(t, do(t, s, "GET", "/api/v1/users", DemoToken, ""), http.StatusOK)
	})
}

func TestLatencyStopsWhenTheClientGoes(t *testing.T) {
	s := New(Options{Seed: 1, Latency: 1 << 62}) // would never answer by itself
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+DemoToken)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req) // returns only because the context is done
	if rec.Body.Len() != 0 {
		t.Errorf("wrote %q to a client that is gone", rec.Body.String())
	}
}

func TestConcurrentUse(t *testing.T) {
	s, clk := newTestServer(t, Options{Seed: 3})
	alice := userByName(t, s, "alice")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				// No t.Fatal off the test goroutine: report and stop.
				rec := do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken,
					fmt.Sprintf(`{"user_id":%q,"name":"g%d-%d","expires_in":"30 days","inactivity_interval":5}`, alice.ID, g, i))
				var k created
				if err := json.Unmarshal(rec.Body.Bytes(), &k); rec.Code != http.StatusCreated || err != nil {
					t.Errorf("create: %d %s", rec.Code, rec.Body.String())
					return
				}
				do(t, s, "GET", "/api/v1/collections", k.SecretKey, "")
				do(t, s, "GET", "/api/v1/admin/api_keys?filter=alice&limit=7&offset=3", DemoToken, "")
				do(t, s, "PATCH", "/api/v1/admin/api_keys/expire/"+k.APIKey.ID, DemoToken, `{"expires_in":"3 days"}`)
				do(t, s, "POST", "/api/v1/admin/api_keys/deactivate/"+k.APIKey.ID, DemoToken, "")
				if i%2 == 0 {
					do(t, s, "DELETE", "/api/v1/admin/api_keys/"+k.APIKey.ID, DemoToken, "")
				}
				clk.Advance(1)
			}
		}()
	}
	wg.Wait()
	got := 0
	for _, k := range listKeys(t, s, "?filter=alice&limit=100000") {
		if strings.HasPrefix(k.Name, "g") && strings.Contains(k.Name, "-") {
			got++
			if k.IsActive {
				t.Errorf("key %s still active", k.Name)
			}
			if calls, _ := k.TotalCalls.Get(); calls != 1 {
				t.Errorf("key %s total_calls = %d, want 1", k.Name, calls)
			}
		}
	}
	if got != 8*10 {
		t.Errorf("%d test keys left, want %d", got, 8*10)
	}
}
