package demoserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawKey lists the key with id and returns its JSON object as sent.
func rawKey(t *testing.T, s *Server, id string) map[string]json.RawMessage {
	t.Helper()
	rec := do(t, s, "GET", "/api/v1/admin/api_keys?limit=1000000", DemoToken, "")
	wantStatus(t, rec, http.StatusOK)
	var all []map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if string(m["id"]) == `"`+id+`"` {
			return m
		}
	}
	t.Fatalf("key %s not listed", id)
	return nil
}

func TestSpelling(t *testing.T) {
	optional := []string{"expires_at", "last_used_at", "inactivity_interval", "collection_id", "collection_name"}
	usage := []string{"last_used_at", "inactivity_interval", "total_calls"}
	tests := []struct {
		name string
		opts Options
		// want: "null", "absent", or the JSON value, per field.
		want map[string]string
	}{
		{"null", Options{Seed: 1}, map[string]string{"expires_at": "null", "last_used_at": "null",
			"inactivity_interval": "null", "collection_id": "null", "collection_name": "null", "total_calls": "0"}},
		{"omit empty", Options{Seed: 1, OmitEmpty: true}, map[string]string{"expires_at": "absent", "last_used_at": "absent",
			"inactivity_interval": "absent", "collection_id": "absent", "collection_name": "absent", "total_calls": "0"}},
		{"old server", Options{Seed: 1, OldServer: true}, map[string]string{"expires_at": "null", "last_used_at": "absent",
			"inactivity_interval": "absent", "collection_id": "null", "collection_name": "null", "total_calls": "absent"}},
		{"old server omitting", Options{Seed: 1, OldServer: true, OmitEmpty: true}, map[string]string{"expires_at": "absent",
			"last_used_at": "absent", "inactivity_interval": "absent", "collection_id": "absent", "collection_name": "absent", "total_calls": "absent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, tt.opts)
			res := do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, fmt.Sprintf(`{"user_id":%q}`, userByName(t, s, "alice").ID))
			wantStatus(t, res, http.StatusCreated)
			var created struct {
				APIKey map[string]json.RawMessage `json:"api_key"`
			}
			if err := json.Unmarshal(res.Body.Bytes(), &created); err != nil {
				t.Fatal(err)
			}
			id := strings.Trim(string(created.APIKey["id"]), `"`)
			for name, m := range map[string]map[string]json.RawMessage{"create": created.APIKey, "list": rawKey(t, s, id)} {
				for _, f := range append(optional, usage...) {
					raw, ok := m[f]
					got := string(raw)
					if !ok {
						got = "absent"
					}
					if got != tt.want[f] {
						t.Errorf("%s: %s = %s, want %s", name, f, got, tt.want[f])
					}
				}
			}
		})
	}
	t.Run("values are always sent", func(t *testing.T) {
		s, _ := newTestServer(t, Options{Seed: 1, OmitEmpty: true})
		c := s.AddCollection("alice", "Alice's")
		body := fmt.Sprintf(`{"user_id":%q,"collection_id":%q,"expires_in":"30 days","inactivity_interval":60}`,
			userByName(t, s, "alice").ID, c.ID)
		k := createKey(t, s, body).APIKey
		m := rawKey(t, s, k.ID)
		for _, f := range []string{"expires_at", "inactivity_interval", "collection_id", "collection_name", "total_calls"} {
			if v, ok := m[f]; !ok || string(v) == "null" {
				t.Errorf("%s = %s (present %v), want a value", f, v, ok)
			}
		}
	})
}

// TestExpiryOptionalUnderLimit: by default the expiry stays optional under
// the global limit; only an explicit expiry past it is refused.
func TestExpiryOptionalUnderLimit(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice").ID
	for _, body := range []string{`{"user_id":%q}`, `{"user_id":%q,"expires_in":null}`} {
		if k := createKey(t, s, fmt.Sprintf(body, alice)).APIKey; k.Expires != nil {
			t.Errorf("%s: expires_at = %v, want none", body, k.Expires)
		}
	}
	id := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, alice)).APIKey.ID
	for _, body := range []string{`{}`, `{"expires_in":null}`, ``} {
		wantStatus(t, do(t, s, "PATCH", "/api/v1/admin/api_keys/expire/"+id, DemoToken, `{"expires_in":"30 days"}`), http.StatusNoContent)
		wantStatus(t, do(t, s, "PATCH", "/api/v1/admin/api_keys/expire/"+id, DemoToken, body), http.StatusNoContent)
		if k := mustKey(t, s, id); k.Expires != nil {
			t.Errorf("remove with %q: expires_at = %v", body, k.Expires)
		}
	}
	msg := wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, fmt.Sprintf(`{"user_id":%q,"expires_in":"91 days"}`, alice)), http.StatusBadRequest)
	if !strings.Contains(msg, "90 days") {
		t.Errorf("past the limit: %q", msg)
	}
}

func TestInactivityStatus(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusMethodNotAllowed} {
		s, _ := newTestServer(t, Options{Seed: 1, InactivityStatus: status})
		id := createKey(t, s, fmt.Sprintf(`{"user_id":%q}`, userByName(t, s, "alice").ID)).APIKey.ID
		rec := do(t, s, "PATCH", "/api/v1/admin/api_keys/inactivity_interval/"+id, DemoToken, `{"inactivity_interval":5}`)
		if rec.Code != status {
			t.Fatalf("status %d, want %d", rec.Code, status)
		}
		if _, set := mustKey(t, s, id).InactivityDays.Get(); set {
			t.Errorf("%d: the interval was set anyway", status)
		}
	}
	if err := (Options{InactivityStatus: 500}).Validate(); err == nil {
		t.Error("Validate accepts InactivityStatus 500")
	}
}

func TestExtraKeysBounds(t *testing.T) {
	for _, n := range []int{-1, MaxExtraKeys + 1, math.MaxInt} {
		run, err := Start("", Options{ExtraKeys: n})
		if err == nil {
			run.Close()
			t.Fatalf("Start with %d extra keys: no error", n)
		}
		if !strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), "2000000") {
			t.Errorf("error %q does not say the bound", err)
		}
	}
	if s := New(Options{ExtraKeys: -5, Empty: true}); len(s.Users()) != 1 {
		t.Errorf("New with -5 extra keys: %d users", len(s.Users()))
	}
}

// serveHTTP runs s on a real socket, for faults that need a connection.
func serveHTTP(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func send(ctx context.Context, ts *httptest.Server, method, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, ts.URL+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+DemoToken)
	res, err := ts.Client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

// TestActThenFaults: the change happens, and the answer is lost in three
// different ways.
func TestActThenFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, status int, err error)
	}{
		{"504", Fault{Kind: FaultActThenStatus}, func(t *testing.T, status int, err error) {
			if err != nil || status != http.StatusGatewayTimeout {
				t.Errorf("got %d, %v; want 504", status, err)
			}
		}},
		{"502", Fault{Kind: FaultActThenStatus, Status: http.StatusBadGateway}, func(t *testing.T, status int, err error) {
			if err != nil || status != http.StatusBadGateway {
				t.Errorf("got %d, %v; want 502", status, err)
			}
		}},
		{"drop", Fault{Kind: FaultActThenDrop}, func(t *testing.T, status int, err error) {
			if err == nil {
				t.Errorf("got %d, want a dropped connection", status)
			}
		}},
		{"slow", Fault{Kind: FaultActThenDelay, Delay: time.Hour}, func(t *testing.T, status int, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got %d, %v; want the client's deadline", status, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{Seed: 1})
			ts := serveHTTP(t, s)
			id := createKey(t, s, fmt.Sprintf(`{"user_id":%q}`, userByName(t, s, "alice").ID)).APIKey.ID
			f := tt.fault
			f.Method, f.Path, f.Times = "DELETE", "/api/v1/admin/api_keys/*", 1
			s.Inject(f)
			// The client's deadline ends the slow answer only: 2 s leaves a
			// loaded machine time to deliver the request, so the server acts.
			wait := 30 * time.Second
			if f.Kind == FaultActThenDelay {
				wait = 2 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			status, _, err := send(ctx, ts, "DELETE", "/api/v1/admin/api_keys/"+id)
			tt.check(t, status, err)
			if _, ok := keyByID(t, s, id); ok {
				t.Error("the key is still there: the server did not act")
			}
			// Times: 1 — the next request is served normally.
			status, _, err = send(context.Background(), ts, "DELETE", "/api/v1/admin/api_keys/"+id)
			if err != nil || status != http.StatusNotFound {
				t.Errorf("second delete: %d, %v; want 404", status, err)
			}
		})
	}
}

func TestListFaults(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	ids := func(path string) []string {
		rec := do(t, s, "GET", path, DemoToken, "")
		wantStatus(t, rec, http.StatusOK)
		var items []struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.ID
			if !strings.Contains(path, "/users") && strings.Contains(path, "filter=alice") && it.Username != "alice" {
				t.Errorf("%s: row of %q", path, it.Username)
			}
		}
		return out
	}
	for _, path := range []string{"/api/v1/admin/api_keys", "/api/v1/users", "/api/v1/collections/all"} {
		t.Run("endless "+path, func(t *testing.T) {
			s.Inject(Fault{Method: "GET", Path: path, Kind: FaultEndlessPages})
			defer s.ClearFaults()
			seen := map[string]bool{}
			for i := range 5 {
				page := ids(fmt.Sprintf("%s?offset=%d&limit=7&filter=alice", path, i*7))
				if len(page) != 7 {
					t.Fatalf("page %d has %d items, want 7", i, len(page))
				}
				for _, id := range page {
					if seen[id] {
						t.Fatalf("id %s repeated", id)
					}
					seen[id] = true
				}
			}
		})
	}
	t.Run("ignored offset", func(t *testing.T) {
		first := ids("/api/v1/admin/api_keys?offset=0&limit=3")
		s.Inject(Fault{Method: "GET", Path: "/api/v1/admin/api_keys", Kind: FaultIgnoreOffset})
		defer s.ClearFaults()
		if got := ids("/api/v1/admin/api_keys?offset=6&limit=3"); strings.Join(got, ",") != strings.Join(first, ",") {
			t.Errorf("offset 6 gave %v, want the first page %v", got, first)
		}
	})
}

func TestBlockAndCalls(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	ts := serveHTTP(t, s)
	release := s.Block("alice")
	done := make(chan int, 1)
	go func() {
		status, _, _ := send(context.Background(), ts, "GET", "/api/v1/admin/api_keys?filter=alice")
		done <- status
	}()
	// Another user's listing is not held.
	if status, _, err := send(context.Background(), ts, "GET", "/api/v1/admin/api_keys?filter=bob"); err != nil || status != 200 {
		t.Fatalf("bob: %d, %v", status, err)
	}
	select {
	case status := <-done:
		t.Fatalf("alice's listing answered %d while blocked", status)
	default:
	}
	// A cancelled request stops waiting.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, _, err := send(ctx, ts, "GET", "/api/v1/admin/api_keys?filter=alice"); errc <- err }()
	// Cancel only once the server holds the second request too.
	for deadline := time.Now().Add(10 * time.Second); aliceCalls(s) < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second request never arrived")
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled request: %v", err)
	}
	release()
	release() // twice is fine
	if status := <-done; status != http.StatusOK {
		t.Errorf("after release: %d", status)
	}
	if n := aliceCalls(s); n != 2 {
		t.Errorf("calls for alice = %d, want 2: %+v", n, s.Calls())
	}
	s.ResetCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("%d calls after ResetCalls", n)
	}
}

func aliceCalls(s *Server) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Method == "GET" && c.Path == "/api/v1/admin/api_keys" && c.Query.Get("filter") == "alice" {
			n++
		}
	}
	return n
}
