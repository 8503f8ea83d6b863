package demoserver

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

func TestAddKey(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1, Empty: true})
	coll := s.AddCollection("alice", "Research papers")
	created := t0.Add(-40 * day)
	used := t0.Add(-2 * time.Hour)
	exp := t0.Add(30 * day)
	hostile := "evil\x1b[2Jname\u202e"
	s.AddKey(model.APIKey{ID: "k1", Username: "alice", Name: "laptop", Hint: "aaaa", Created: created,
		LastUsed: model.Some(used), TotalCalls: model.Some[int64](1432), IsActive: true, IsGlobal: true, Expires: &exp})
	s.AddKey(model.APIKey{ID: "k2", Username: "alice", Name: hostile, Created: created, IsActive: false,
		CollectionID: coll.ID, TotalCalls: model.Some[int64](8210), InactivityDays: model.Some(60)})
	got := s.AddKey(model.APIKey{Username: "bob", Name: "bob-key", IsActive: true, IsGlobal: true})

	if got.ID == "" || !got.Created.Equal(t0) || len(got.Hint) != 4 {
		t.Errorf("defaults: id %q, created %v (want %v), hint %q", got.ID, got.Created, t0, got.Hint)
	}
	if u := userByName(t, s, "bob"); u.Email != "bob@example.com" {
		t.Errorf("bob added as %+v", u)
	}
	k1 := mustKey(t, s, "k1")
	if k1.Name != "laptop" || k1.Hint != "aaaa" || !k1.Created.Equal(created) || !k1.IsActive ||
		k1.LastUsed != model.Some(used) || k1.TotalCalls != model.Some[int64](1432) ||
		k1.Expires == nil || !k1.Expires.Equal(exp) || !k1.IsGlobal {
		t.Errorf("k1 listed as %+v", k1)
	}
	k2 := mustKey(t, s, "k2")
	if k2.Name != hostile || k2.IsActive || k2.IsGlobal || k2.CollectionID != coll.ID ||
		k2.CollectionName != "Research papers" || k2.InactivityDays != model.Some(60) {
		t.Errorf("k2 listed as %+v", k2)
	}
	// Listing order is (created, id), so alice's keys come before bob's.
	var ids []string
	for _, k := range listKeys(t, s, "") {
		ids = append(ids, k.ID)
	}
	if want := []string{"k1", "k2", got.ID}; len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Errorf("listed %v, want %v", ids, want)
	}

	// The same id replaces the key; a stored key acts like any other.
	s.AddKey(model.APIKey{ID: "k1", Username: "alice", Name: "renamed", Created: created, IsActive: true, IsGlobal: true})
	if k, ok := s.Key("k1"); !ok || k.Name != "renamed" || len(listKeys(t, s, "?filter=alice")) != 2 {
		t.Errorf("replaced k1: %+v %v; alice lists %d keys", k, ok, len(listKeys(t, s, "?filter=alice")))
	}
	wantStatus(t, do(t, s, "POST", "/api/v1/admin/api_keys/deactivate/k1", DemoToken, ""), http.StatusNoContent)
	if k, _ := s.Key("k1"); k.IsActive {
		t.Error("k1 still active after deactivation")
	}
	wantStatus(t, do(t, s, "DELETE", "/api/v1/admin/api_keys/k1", DemoToken, ""), http.StatusNoContent)
	if _, ok := s.Key("k1"); ok {
		t.Error("k1 still stored after delete")
	}
}

func TestBlockUsers(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	ts := serveHTTP(t, s)
	release := s.BlockUsers()
	done := make(chan int, 1)
	go func() {
		status, _, _ := send(context.Background(), ts, "GET", "/api/v1/users")
		done <- status
	}()
	// Key listings, even unfiltered ones, are not held.
	if status, _, err := send(context.Background(), ts, "GET", "/api/v1/admin/api_keys"); err != nil || status != 200 {
		t.Fatalf("keys: %d, %v", status, err)
	}
	select {
	case status := <-done:
		t.Fatalf("the users listing answered %d while blocked", status)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if status := <-done; status != http.StatusOK {
		t.Errorf("after release: %d", status)
	}
}

func TestFaultMessage(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	s.Inject(Fault{Method: "GET", Path: "/api/v1/users", Status: http.StatusConflict, Message: "name taken", Times: 1})
	if msg := wantStatus(t, do(t, s, "GET", "/api/v1/users", DemoToken, ""), http.StatusConflict); msg != "name taken" {
		t.Errorf("message %q, want the injected one", msg)
	}
	s.Inject(Fault{Method: "GET", Path: "/api/v1/users", Status: http.StatusConflict, Times: 1})
	if msg := wantStatus(t, do(t, s, "GET", "/api/v1/users", DemoToken, ""), http.StatusConflict); msg != "Conflict (injected fault)" {
		t.Errorf("message %q, want the status text", msg)
	}
}

// TestAddKeyUnreportedUsage: a usage field a stored key does not report is
// left out of the listing, a null one is sent as null, by the fast encoder
// (a plain name) and by encoding/json (a name it must escape) alike.
func TestAddKeyUnreportedUsage(t *testing.T) {
	for _, name := range []string{"plain", "evil\x1b[2Jname"} {
		s, _ := newTestServer(t, Options{Seed: 1, Empty: true})
		s.AddKey(model.APIKey{ID: "old", Username: "alice", Name: name, Hint: "dddd", Created: t0, IsActive: true, IsGlobal: true})
		s.AddKey(model.APIKey{ID: "new", Username: "alice", Name: name, Hint: "eeee", Created: t0, IsActive: true, IsGlobal: true,
			LastUsed: model.Null[time.Time](), InactivityDays: model.Null[int](), TotalCalls: model.Some[int64](0)})
		rec := do(t, s, "GET", "/api/v1/admin/api_keys", DemoToken, "")
		wantStatus(t, rec, http.StatusOK)
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw) != 2 {
			t.Fatalf("%q: listing %s: %v", name, rec.Body.String(), err)
		}
		for _, field := range []string{"last_used_at", "inactivity_interval", "total_calls"} {
			if v, ok := raw[1][field]; ok { // "old" sorts after "new"
				t.Errorf("%q: the key that does not report %s lists it as %s", name, field, v)
			}
		}
		for field, want := range map[string]string{"last_used_at": "null", "inactivity_interval": "null", "total_calls": "0"} {
			if got := string(raw[0][field]); got != want {
				t.Errorf("%q: the key that reports %s lists %q, want %q", name, field, got, want)
			}
		}
		// And the client's model of it: not reported at all.
		old := mustKey(t, s, "old")
		if old.LastUsed.Reported || old.InactivityDays.Reported || old.TotalCalls.Reported {
			t.Errorf("%q: old key decoded as %+v", name, old)
		}
	}
}
