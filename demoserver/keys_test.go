package demoserver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

func TestListKeysOrderAndFilter(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	all := listKeys(t, s, "?limit=1000")
	if len(all) != len(sampleKeys) {
		t.Fatalf("listed %d keys, want %d", len(all), len(sampleKeys))
	}
	if !slices.IsSortedFunc(all, func(a, b model.APIKey) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	}) {
		t.Error("keys are not in created_at, id order")
	}

	owners := func(keys []model.APIKey) []string {
		var out []string
		for _, k := range keys {
			if !slices.Contains(out, k.Username) {
				out = append(out, k.Username)
			}
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		filter string
		want   []string
	}{
		{"alice", []string{"alice", "malice"}}, // loose, as the real server is
		{"ALIce", []string{"alice", "malice"}},
		{"malice", []string{"malice"}},
		{"ar", []string{"carol"}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			got := listKeys(t, s, "?filter="+tt.filter)
			if !slices.Equal(owners(got), tt.want) {
				t.Errorf("owners = %v, want %v", owners(got), tt.want)
			}
			var want []model.APIKey
			for _, k := range all {
				if slices.Contains(tt.want, k.Username) {
					want = append(want, k)
				}
			}
			if len(got) != len(want) {
				t.Errorf("got %d keys, want %d", len(got), len(want))
			}
		})
	}
	if body := do(t, s, "GET", "/api/v1/admin/api_keys?filter=nobody", DemoToken, "").Body.String(); body != "[]" {
		t.Errorf("empty listing = %q, want a bare []", body)
	}
}

func TestListKeysPaging(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1, ExtraKeys: 250})
	all := listKeys(t, s, "?limit=100000")
	n := len(all)
	if n != len(sampleKeys)+250 {
		t.Fatalf("listed %d keys, want %d", n, len(sampleKeys)+250)
	}
	if got := len(listKeys(t, s, "")); got != 100 {
		t.Errorf("default page has %d keys, want 100", got)
	}
	ids := func(keys []model.APIKey) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = k.ID
		}
		return out
	}
	// Reading page by page until a short page gives every key once, in order.
	for _, limit := range []int{1, 7, 100, n, n + 1} {
		var got []model.APIKey
		for offset := 0; ; offset += limit {
			page := listKeys(t, s, fmt.Sprintf("?offset=%d&limit=%d", offset, limit))
			got = append(got, page...)
			if len(page) < limit {
				break
			}
		}
		if !slices.Equal(ids(got), ids(all)) {
			t.Errorf("limit %d: paging gave %d keys, not the full listing of %d", limit, len(got), n)
		}
	}
	// Paging applies after the filter.
	alice := listKeys(t, s, "?filter=alice")
	page := listKeys(t, s, "?filter=alice&offset=2&limit=3")
	if !slices.Equal(ids(page), ids(alice[2:5])) {
		t.Errorf("filtered page = %v, want %v", ids(page), ids(alice[2:5]))
	}
	if got := listKeys(t, s, fmt.Sprintf("?offset=%d", n-3)); len(got) != 3 {
		t.Errorf("last page has %d keys, want 3", len(got))
	}
	for _, q := range []string{"?offset=99999999", "?limit=0", "?offset=9223372036854775807&limit=9223372036854775807"} {
		if got := listKeys(t, s, q); len(got) != 0 {
			t.Errorf("%s: got %d keys, want none", q, len(got))
		}
	}
	for _, q := range []string{"?limit=-1", "?offset=-1", "?limit=abc", "?offset=1.5", "?limit=99999999999999999999"} {
		t.Run(q, func(t *testing.T) {
			wantStatus(t, do(t, s, "GET", "/api/v1/admin/api_keys"+q, DemoToken, ""), http.StatusBadRequest)
		})
	}
}

var secretPattern = regexp.MustCompile(`^sk-[A-Za-z0-9]{48}$`)

func TestCreateKey(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice")

	res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"name":"build server","expires_in":"30 days"}`, alice.ID))
	if !secretPattern.MatchString(res.SecretKey) {
		t.Errorf("secret %q does not match %s", res.SecretKey, secretPattern)
	}
	k := res.APIKey
	want := model.APIKey{
		ID: k.ID, Username: "alice", Name: "build server", Hint: res.SecretKey[len(res.SecretKey)-4:],
		Created: t0, Expires: ptr(t0.AddDate(0, 0, 30)), LastUsed: model.Null[time.Time](), InactivityDays: model.Null[int](),
		TotalCalls: model.Some[int64](0), IsActive: true, IsGlobal: true,
	}
	if fmt.Sprint(k) != fmt.Sprint(want) {
		t.Errorf("api_key =\n %+v\nwant\n %+v", k, want)
	}
	if k.ID == "" || k.ID == alice.ID {
		t.Errorf("key id %q", k.ID)
	}
	if got := mustKey(t, s, k.ID); fmt.Sprint(got) != fmt.Sprint(k) {
		t.Errorf("listed key %+v differs from the created one %+v", got, k)
	}

	t.Run("the secret is kept only as a hash", func(t *testing.T) {
		listing := do(t, s, "GET", "/api/v1/admin/api_keys?limit=1000", DemoToken, "").Body.String()
		if strings.Contains(listing, res.SecretKey) || strings.Contains(listing, res.SecretKey[3:20]) {
			t.Error("the listing contains the secret")
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		rec := s.keysByID[k.ID]
		if rec.hash != sha256.Sum256([]byte(res.SecretKey)) {
			t.Error("stored hash is not SHA-256 of the secret")
		}
		stored, _ := json.Marshal(rec.key)
		if strings.Contains(string(stored), res.SecretKey[3:20]) || strings.Contains(hex.EncodeToString(rec.hash[:]), res.SecretKey[3:]) {
			t.Error("stored state contains the secret")
		}
	})

	t.Run("secrets differ", func(t *testing.T) {
		other := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"1 day"}`, alice.ID))
		if other.SecretKey == res.SecretKey || other.APIKey.ID == k.ID {
			t.Error("two creates gave the same secret or id")
		}
		if other.APIKey.Name != defaultKeyName {
			t.Errorf("name without a name = %q, want %q", other.APIKey.Name, defaultKeyName)
		}
	})

	t.Run("collection key with expiry and inactivity", func(t *testing.T) {
		coll := s.AddCollection("alice", "Notes")
		res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"name":"notes-bot","collection_id":%q,"expires_in":"30 days","inactivity_interval":14}`, alice.ID, coll.ID))
		k := res.APIKey
		if k.IsGlobal || k.CollectionID != coll.ID || k.CollectionName != "Notes" {
			t.Errorf("collection key = %+v", k)
		}
		if k.Expires == nil || !k.Expires.Equal(t0.AddDate(0, 0, 30)) {
			t.Errorf("expires_at = %v, want %v", k.Expires, t0.AddDate(0, 0, 30))
		}
		if d, ok := k.InactivityDays.Get(); !ok || d != 14 {
			t.Errorf("inactivity_interval = %v, want 14", k.InactivityDays)
		}
	})

	t.Run("expiry right at the limit", func(t *testing.T) {
		k := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"90 days"}`, alice.ID)).APIKey
		if k.Expires == nil || !k.Expires.Equal(t0.AddDate(0, 0, 90)) {
			t.Errorf("expires_at = %v", k.Expires)
		}
	})
}

func TestCreateKeyErrors(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1, RequireExpiry: true})
	alice := userByName(t, s, "alice").ID
	bobColl := s.AddCollection("bob", "Bob's")
	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"no body", "", http.StatusBadRequest, "required"},
		{"malformed", `{"user_id":`, http.StatusBadRequest, "malformed"},
		{"not an object", `["x"]`, http.StatusBadRequest, "malformed"},
		{"no user_id", `{"name":"x"}`, http.StatusBadRequest, "user_id"},
		{"user_id not a string", `{"user_id":7}`, http.StatusBadRequest, "user_id"},
		{"username is not an id", `{"user_id":"alice","expires_in":"30 days"}`, http.StatusNotFound, "user not found"},
		{"unknown collection", fmt.Sprintf(`{"user_id":%q,"collection_id":"nope","expires_in":"30 days"}`, alice), http.StatusNotFound, "collection not found"},
		{"someone else's collection", fmt.Sprintf(`{"user_id":%q,"collection_id":%q,"expires_in":"30 days"}`, alice, bobColl.ID), http.StatusBadRequest, "belongs to bob"},
		// With RequireExpiry, under the limit a key without expiry is refused.
		{"no expires_in under the limit", fmt.Sprintf(`{"user_id":%q}`, alice), http.StatusBadRequest,
			"the server's API key expiry limit is 90 days: expires_in is required"},
		{"null expires_in under the limit", fmt.Sprintf(`{"user_id":%q,"expires_in":null}`, alice), http.StatusBadRequest,
			"the server's API key expiry limit is 90 days: expires_in is required"},
		// The API's form is "30 days"; the CLI's shorthand is not it.
		{"CLI shorthand 30d", fmt.Sprintf(`{"user_id":%q,"expires_in":"30d"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"CLI shorthand 2w", fmt.Sprintf(`{"user_id":%q,"expires_in":"2w"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"CLI shorthand 90m", fmt.Sprintf(`{"user_id":%q,"expires_in":"90m"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"no space", fmt.Sprintf(`{"user_id":%q,"expires_in":"30days"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"abbreviated unit", fmt.Sprintf(`{"user_id":%q,"expires_in":"2 mo"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"padded", fmt.Sprintf(`{"user_id":%q,"expires_in":" 30 days"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"fraction", fmt.Sprintf(`{"user_id":%q,"expires_in":"1.5 days"}`, alice), http.StatusBadRequest, "invalid expires_in"},
		{"zero", fmt.Sprintf(`{"user_id":%q,"expires_in":"0 days"}`, alice), http.StatusBadRequest, "expires_in"},
		{"bad expires_in", fmt.Sprintf(`{"user_id":%q,"expires_in":"soon"}`, alice), http.StatusBadRequest, "expires_in"},
		{"negative expires_in", fmt.Sprintf(`{"user_id":%q,"expires_in":"-3 days"}`, alice), http.StatusBadRequest, "expires_in"},
		{"expires_in not a string", fmt.Sprintf(`{"user_id":%q,"expires_in":30}`, alice), http.StatusBadRequest, "expires_in"},
		{"past the limit", fmt.Sprintf(`{"user_id":%q,"expires_in":"91 days"}`, alice), http.StatusBadRequest, "90 days"},
		{"past the limit in months", fmt.Sprintf(`{"user_id":%q,"expires_in":"1 year"}`, alice), http.StatusBadRequest, "global_api_key_expiry_days"},
		{"zero inactivity", fmt.Sprintf(`{"user_id":%q,"inactivity_interval":0}`, alice), http.StatusBadRequest, "inactivity_interval"},
		{"negative inactivity", fmt.Sprintf(`{"user_id":%q,"inactivity_interval":-1}`, alice), http.StatusBadRequest, "inactivity_interval"},
		{"fractional inactivity", fmt.Sprintf(`{"user_id":%q,"inactivity_interval":1.5}`, alice), http.StatusBadRequest, "inactivity_interval"},
		{"string inactivity", fmt.Sprintf(`{"user_id":%q,"inactivity_interval":"60"}`, alice), http.StatusBadRequest, "inactivity_interval"},
		{"huge inactivity", fmt.Sprintf(`{"user_id":%q,"inactivity_interval":99999999}`, alice), http.StatusBadRequest, "inactivity_interval"},
		{"name not a string", fmt.Sprintf(`{"user_id":%q,"name":["x"]}`, alice), http.StatusBadRequest, "name"},
	}
	before := len(listKeys(t, s, "?limit=1000"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, tt.body), tt.status)
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not mention %q", msg, tt.msg)
			}
		})
	}
	if after := len(listKeys(t, s, "?limit=1000")); after != before {
		t.Errorf("failed creates left %d keys behind", after-before)
	}

	t.Run("no limit", func(t *testing.T) {
		s, _ := newTestServer(t, Options{Seed: 1, ExpiryLimitDays: -1})
		k := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"5 years"}`, userByName(t, s, "alice").ID)).APIKey
		if k.Expires == nil || !k.Expires.Equal(t0.AddDate(5, 0, 0)) {
			t.Errorf("expires_at = %v", k.Expires)
		}
		// Without a limit a key may have no expiry at all.
		for _, body := range []string{`{"user_id":%q}`, `{"user_id":%q,"expires_in":null}`} {
			if k := createKey(t, s, fmt.Sprintf(body, userByName(t, s, "alice").ID)).APIKey; k.Expires != nil {
				t.Errorf("%s: expires_at = %v, want none", body, k.Expires)
			}
		}
	})
	t.Run("custom limit", func(t *testing.T) {
		s, _ := newTestServer(t, Options{Seed: 1, ExpiryLimitDays: 7, RequireExpiry: true})
		body := fmt.Sprintf(`{"user_id":%q,"expires_in":"8 days"}`, userByName(t, s, "alice").ID)
		msg := wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, body), http.StatusBadRequest)
		if !strings.Contains(msg, "7 days") {
			t.Errorf("message %q does not name the limit", msg)
		}
		noExpiry := fmt.Sprintf(`{"user_id":%q}`, userByName(t, s, "alice").ID)
		if msg := wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, noExpiry), http.StatusBadRequest); !strings.Contains(msg, "limit is 7 days: expires_in is required") {
			t.Errorf("message %q does not name the limit", msg)
		}
		s.SetExpiryLimitDays(0)
		wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, body), http.StatusCreated)
		wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys", DemoToken, noExpiry), http.StatusCreated)
	})
}

// TestExpiresInGrammar: the demo takes expires_in in the API's form, a whole
// number and a unit, and counts it from its own clock.
func TestExpiresInGrammar(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice").ID
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"30 days", t0.AddDate(0, 0, 30)},
		{"1 day", t0.AddDate(0, 0, 1)},
		{"12 hours", t0.Add(12 * time.Hour)},
		{"1 hour", t0.Add(time.Hour)},
		{"90 minutes", t0.Add(90 * time.Minute)},
		{"1 minute", t0.Add(time.Minute)},
		{"2 weeks", t0.AddDate(0, 0, 14)},
		{"1 month", t0.AddDate(0, 1, 0)},
		{"2 months", t0.AddDate(0, 2, 0)},
		{"7 day", t0.AddDate(0, 0, 7)},
		{"129600 minutes", t0.AddDate(0, 0, 90)},
	} {
		k := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":%q}`, alice, tt.in)).APIKey
		if k.Expires == nil || !k.Expires.Equal(tt.want) {
			t.Errorf("expires_in %q: expires_at = %v, want %v", tt.in, k.Expires, tt.want)
		}
	}
}

func TestUsingAKeyCountsCalls(t *testing.T) {
	s, clk := newTestServer(t, Options{Seed: 1})
	alice := userByName(t, s, "alice")
	res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days","inactivity_interval":3}`, alice.ID))

	clk.Advance(time.Hour)
	rec := do(t, s, "GET", "/api/v1/collections", res.SecretKey, "")
	wantStatus(t, rec, http.StatusOK)
	colls := decode[[]collection](t, rec)
	if len(colls) != 3 {
		t.Errorf("alice sees %d collections, want her 3", len(colls))
	}
	for _, c := range colls {
		if c.Username != "alice" {
			t.Errorf("alice sees %s's collection %q", c.Username, c.Name)
		}
	}
	k := mustKey(t, s, res.APIKey.ID)
	if calls, _ := k.TotalCalls.Get(); calls != 1 {
		t.Errorf("total_calls = %d, want 1", calls)
	}
	if lu, ok := k.LastUsed.Get(); !ok || !lu.Equal(t0.Add(time.Hour)) {
		t.Errorf("last_used_at = %v, want %v", k.LastUsed, t0.Add(time.Hour))
	}

	// Use keeps an idle-prone key alive: 2 days at a time never reaches 3.
	for range 3 {
		clk.Advance(2 * 24 * time.Hour)
		wantStatus(t, do(t, s, "GET", "/api/v1/users/current/roles", res.SecretKey, ""), http.StatusOK)
	}
	// Even a forbidden call is a call made with a working key.
	wantStatus(t, do(t, s, "GET", "/api/v1/admin/api_keys", res.SecretKey, ""), http.StatusForbidden)
	k = mustKey(t, s, res.APIKey.ID)
	if calls, _ := k.TotalCalls.Get(); calls != 5 {
		t.Errorf("total_calls = %d, want 5", calls)
	}
	if lu, _ := k.LastUsed.Get(); !lu.Equal(clk.Now()) {
		t.Errorf("last_used_at = %v, want %v", lu, clk.Now())
	}
	// The demo token is not a stored key and nothing counts it.
	if mustKey(t, s, res.APIKey.ID).TotalCalls != k.TotalCalls {
		t.Error("admin listing counted as a call of alice's key")
	}
}

func TestKeysThatNoLongerWork(t *testing.T) {
	tests := []struct {
		name  string
		body  string // extra create fields besides an expiry
		setup func(t *testing.T, s *Server, clk *Clock, id string)
		msg   string
	}{
		{"deactivated", "", func(t *testing.T, s *Server, _ *Clock, id string) {
			wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys/deactivate/"+id, DemoToken, ""), http.StatusNoContent)
		}, "deactivated"},
		{"expired", `,"expires_in":"1 hour"`, func(_ *testing.T, _ *Server, clk *Clock, _ string) {
			clk.Advance(time.Hour)
		}, "expired"},
		{"idle, never used", `,"inactivity_interval":1`, func(_ *testing.T, _ *Server, clk *Clock, _ string) {
			clk.Advance(25 * time.Hour)
		}, "inactivity"},
		{"deleted", "", func(t *testing.T, s *Server, _ *Clock, id string) {
			wantStatus(t, do(t, s, "DELETE", "/api/v1/admin/api_keys/"+id, DemoToken, ""), http.StatusNoContent)
		}, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newTestServer(t, Options{Seed: 1})
			body := tt.body
			if !strings.Contains(body, "expires_in") {
				body += `,"expires_in":"30 days"`
			}
			res := createKey(t, s, fmt.Sprintf(`{"user_id":%q%s}`, userByName(t, s, "alice").ID, body))
			tt.setup(t, s, clk, res.APIKey.ID)
			for _, path := range []string{"/api/v1/collections", "/api/v1/users/current/roles"} {
				msg := wantStatus(t, do(t, s, "GET", path, res.SecretKey, ""), http.StatusUnauthorized)
				if !strings.Contains(msg, tt.msg) {
					t.Errorf("message %q does not say %q", msg, tt.msg)
				}
			}
			if k, ok := keyByID(t, s, res.APIKey.ID); ok {
				if calls, _ := k.TotalCalls.Get(); calls != 0 || k.LastUsed.Set {
					t.Errorf("a refused call was counted: total_calls %d, last_used_at %v", calls, k.LastUsed)
				}
			}
		})
	}

	t.Run("idle since last use", func(t *testing.T) {
		s, clk := newTestServer(t, Options{Seed: 1})
		res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days","inactivity_interval":2}`, userByName(t, s, "bob").ID))
		clk.Advance(36 * time.Hour)
		wantStatus(t, do(t, s, "GET", "/api/v1/collections", res.SecretKey, ""), http.StatusOK)
		clk.Advance(36 * time.Hour) // 72h since creation, 36h since use
		wantStatus(t, do(t, s, "GET", "/api/v1/collections", res.SecretKey, ""), http.StatusOK)
		clk.Advance(48 * time.Hour)
		wantStatus(t, do(t, s, "GET", "/api/v1/collections", res.SecretKey, ""), http.StatusUnauthorized)
		if calls, _ := mustKey(t, s, res.APIKey.ID).TotalCalls.Get(); calls != 2 {
			t.Errorf("total_calls = %d, want 2", calls)
		}
	})
}

func TestDeactivate(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, userByName(t, s, "carol").ID))
	path := "/api/v1/admin/api_keys/deactivate/" + res.APIKey.ID

	rec := do(t, s, "POST", path, DemoToken, "")
	wantStatus(t, rec, http.StatusNoContent)
	if rec.Body.Len() != 0 {
		t.Errorf("204 with body %q", rec.Body.String())
	}
	if mustKey(t, s, res.APIKey.ID).IsActive {
		t.Error("key still active")
	}
	if msg := wantStatus(t, do(t, s, "POST", path, DemoToken, ""), http.StatusConflict); !strings.Contains(msg, "already") {
		t.Errorf("409 message %q", msg)
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys/deactivate/nope", DemoToken, ""), http.StatusNotFound)
}

func TestUpdateExpiry(t *testing.T) {
	s, clk := newTestServer(t, Options{Seed: 1, RequireExpiry: true})
	id := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"10 days"}`, userByName(t, s, "dave").ID)).APIKey.ID
	path := "/api/v1/admin/api_keys/expire/" + id
	clk.Advance(time.Hour) // the new expiry counts from the PATCH, not from creation
	now := t0.Add(time.Hour)

	expires := func() *time.Time { return mustKey(t, s, id).Expires }
	tests := []struct {
		name, body string
		status     int
		want       *time.Time // after a success
		msg        string
	}{
		{"set", `{"expires_in":"30 days"}`, http.StatusNoContent, ptr(now.AddDate(0, 0, 30)), ""},
		{"set in hours", `{"expires_in":"12 hours"}`, http.StatusNoContent, ptr(now.Add(12 * time.Hour)), ""},
		{"set again", `{"expires_in":"2 weeks"}`, http.StatusNoContent, ptr(now.AddDate(0, 0, 14)), ""},
		{"set at the limit", `{"expires_in":"90 days"}`, http.StatusNoContent, ptr(now.AddDate(0, 0, 90)), ""},
		// With RequireExpiry an expiry cannot be removed under the limit.
		{"remove with {} under the limit", `{}`, http.StatusBadRequest, nil, "the server's API key expiry limit is 90 days: expires_in is required"},
		{"remove with null under the limit", `{"expires_in":null}`, http.StatusBadRequest, nil, "the server's API key expiry limit is 90 days: expires_in is required"},
		{"remove with no body under the limit", ``, http.StatusBadRequest, nil, "expires_in is required"},
		{"past the limit", `{"expires_in":"4 months"}`, http.StatusBadRequest, nil, "90 days"},
		{"CLI shorthand", `{"expires_in":"30d"}`, http.StatusBadRequest, nil, "invalid expires_in"},
		{"bad interval", `{"expires_in":"tomorrow"}`, http.StatusBadRequest, nil, "expires_in"},
		{"empty interval", `{"expires_in":""}`, http.StatusBadRequest, nil, "expires_in"},
		{"not a string", `{"expires_in":30}`, http.StatusBadRequest, nil, "expires_in"},
		{"malformed", `{"expires_in":`, http.StatusBadRequest, nil, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := expires()
			msg := wantStatus(t, do(t, s, "PATCH", path, DemoToken, tt.body), tt.status)
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not mention %q", msg, tt.msg)
			}
			got, want := expires(), tt.want
			if tt.status != http.StatusNoContent {
				want = before // a rejected change changes nothing
			}
			if (got == nil) != (want == nil) || (got != nil && !got.Equal(*want)) {
				t.Errorf("expires_at = %v, want %v", got, want)
			}
		})
	}
	wantStatus(t, do(t, s, "PATCH", "/api/v1/admin/api_keys/expire/nope", DemoToken, `{}`), http.StatusNotFound)

	t.Run("no limit", func(t *testing.T) {
		s.SetExpiryLimitDays(0)
		defer s.SetExpiryLimitDays(90)
		for _, remove := range []string{`{}`, `{"expires_in":null}`, ``} {
			wantStatus(t, do(t, s, "PATCH", path, DemoToken, `{"expires_in":"3 years"}`), http.StatusNoContent)
			if got := expires(); got == nil || !got.Equal(now.AddDate(3, 0, 0)) {
				t.Errorf("expires_at = %v", got)
			}
			wantStatus(t, do(t, s, "PATCH", path, DemoToken, remove), http.StatusNoContent)
			if got := expires(); got != nil {
				t.Errorf("after %q: expires_at = %v, want none", remove, got)
			}
		}
	})
	t.Run("a new expiry revives an expired key", func(t *testing.T) {
		res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"1 minute"}`, userByName(t, s, "dave").ID))
		clk.Advance(time.Minute)
		wantStatus(t, do(t, s, "GET", "/api/v1/collections", res.SecretKey, ""), http.StatusUnauthorized)
		wantStatus(t, do(t, s, "PATCH", "/api/v1/admin/api_keys/expire/"+res.APIKey.ID, DemoToken, `{"expires_in":"1 day"}`), http.StatusNoContent)
		wantStatus(t, do(t, s, "GET", "/api/v1/collections", res.SecretKey, ""), http.StatusOK)
	})
}

func ptr[T any](v T) *T { return &v }

func TestUpdateInactivity(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	id := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, userByName(t, s, "erin").ID)).APIKey.ID
	path := "/api/v1/admin/api_keys/inactivity_interval/" + id
	tests := []struct {
		name, body string
		status     int
		want       int // 0 = none
	}{
		{"set", `{"inactivity_interval":30}`, http.StatusNoContent, 30},
		{"change", `{"inactivity_interval":1}`, http.StatusNoContent, 1},
		{"zero", `{"inactivity_interval":0}`, http.StatusBadRequest, 1},
		{"negative", `{"inactivity_interval":-7}`, http.StatusBadRequest, 1},
		{"fraction", `{"inactivity_interval":2.5}`, http.StatusBadRequest, 1},
		{"string", `{"inactivity_interval":"30"}`, http.StatusBadRequest, 1},
		{"bool", `{"inactivity_interval":true}`, http.StatusBadRequest, 1},
		{"malformed", `{"inactivity_interval":}`, http.StatusBadRequest, 1},
		{"remove with {}", `{}`, http.StatusNoContent, 0},
		{"set again", `{"inactivity_interval":90}`, http.StatusNoContent, 90},
		{"remove with null", `{"inactivity_interval":null}`, http.StatusNoContent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, do(t, s, "PATCH", path, DemoToken, tt.body), tt.status)
			k := mustKey(t, s, id)
			got, set := k.InactivityDays.Get()
			if !k.InactivityDays.Reported || set != (tt.want != 0) || got != tt.want {
				t.Errorf("inactivity_interval = %+v, want %d", k.InactivityDays, tt.want)
			}
		})
	}
	wantStatus(t, do(t, s, "PATCH", "/api/v1/admin/api_keys/inactivity_interval/nope", DemoToken, `{"inactivity_interval":3}`), http.StatusNotFound)
	// The listing says null, not absent, for a key without an interval.
	if body := do(t, s, "GET", "/api/v1/admin/api_keys?filter=erin", DemoToken, "").Body.String(); !strings.Contains(body, `"inactivity_interval":null`) {
		t.Errorf("listing %s lacks inactivity_interval null", body)
	}
}

func TestDelete(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	res := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"expires_in":"30 days"}`, userByName(t, s, "frank").ID))
	path := "/api/v1/admin/api_keys/" + res.APIKey.ID
	before := len(listKeys(t, s, "?limit=1000"))

	rec := do(t, s, "DELETE", path, DemoToken, "")
	wantStatus(t, rec, http.StatusNoContent)
	if rec.Body.Len() != 0 {
		t.Errorf("204 with body %q", rec.Body.String())
	}
	if _, ok := keyByID(t, s, res.APIKey.ID); ok {
		t.Error("deleted key still listed")
	}
	if after := len(listKeys(t, s, "?limit=1000")); after != before-1 {
		t.Errorf("listing has %d keys, want %d", after, before-1)
	}
	wantStatus(t, do(t, s, "DELETE", path, DemoToken, ""), http.StatusNotFound)
	wantStatus(t, do(t, s, "GET", "/api/v1/collections", res.SecretKey, ""), http.StatusUnauthorized)

	// Deleting a sample key from the middle keeps the order intact.
	all := listKeys(t, s, "?limit=1000")
	mid := all[len(all)/2]
	wantStatus(t, do(t, s, "DELETE", "/api/v1/admin/api_keys/"+mid.ID, DemoToken, ""), http.StatusNoContent)
	want := slices.DeleteFunc(slices.Clone(all), func(k model.APIKey) bool { return k.ID == mid.ID })
	if got := listKeys(t, s, "?limit=1000"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Error("listing after deleting a middle key is not the old listing minus that key")
	}
}

// Lists answer with their length (no chunked body, as a server that
// buffers its answer does), and MaxPageSize bounds every list's pages
// whatever limit is asked for.
func TestListLengthAndPageBound(t *testing.T) {
	for _, bound := range []int{0, 3} {
		s, _ := newTestServer(t, Options{ExtraKeys: 50, MaxPageSize: bound})
		for _, path := range []string{"/api/v1/admin/api_keys", "/api/v1/users", "/api/v1/collections/all"} {
			rec := do(t, s, http.MethodGet, path+"?offset=0&limit=5", DemoToken, "")
			wantStatus(t, rec, http.StatusOK)
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
				t.Errorf("%s: Content-Length %q for a body of %d bytes", path, cl, rec.Body.Len())
			}
			want := 5
			if bound > 0 {
				want = bound
			}
			if n := len(decode[[]json.RawMessage](t, rec)); n != want {
				t.Errorf("bound %d, %s?limit=5: %d items, want %d", bound, path, n, want)
			}
		}
	}
}
