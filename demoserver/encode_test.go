package demoserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// oddKeys are keys whose strings or times need encoding/json's care.
func oddKeys() []model.APIKey {
	zone := time.FixedZone("", 5*3600+30*60)
	at := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, zone)
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	base := model.APIKey{ID: "k", Username: "u", Name: "n", Hint: "h", Created: t0, TotalCalls: model.Some[int64](3)}
	var out []model.APIKey
	for _, s := range []string{"a<b>&c", `quote " and \ backslash`, "tab\tnew\nline\r\b\f\x01\x1f", "café ☕", "bad \xff utf8",
		"line\u2028sep\u2029", "del\x7f", ""} {
		k := base
		k.Name, k.Username, k.CollectionID, k.CollectionName = s, s, "c"+s, s
		out = append(out, k)
	}
	k := base
	k.Created, k.Expires, k.LastUsed, k.InactivityDays = at, &at, model.Some(at.Add(time.Nanosecond)), model.Some(-5)
	out = append(out, k)
	k = base
	k.TotalCalls = model.Opt[int64]{}
	k.LastUsed = model.Some(time.Date(2025, 1, 1, 0, 0, 0, 0, time.Local))
	out = append(out, k)
	k = base
	k.Expires = &far // encoding/json refuses it: the answer must stay its 500
	out = append(out, k)
	return out
}

// TestAppendKeysMatchesEncodingJSON: the listing encoder writes exactly
// what json.Marshal of the wire form writes, in every spelling, whether a
// key takes the fast path or not; appendKey takes it for plain keys.
func TestAppendKeysMatchesEncodingJSON(t *testing.T) {
	s := New(Options{Seed: 1, ExtraKeys: 3000, Now: func() time.Time { return t0 }})
	seeded := make([]model.APIKey, len(s.keys))
	for i, k := range s.keys {
		seeded[i] = k.key
	}
	for _, sp := range []spelling{{}, {OmitEmpty: true}, {OldServer: true}, {OmitEmpty: true, OldServer: true}} {
		name := fmt.Sprintf("%+v", sp)
		ptrs := func(keys []model.APIKey) []*model.APIKey {
			p := make([]*model.APIKey, len(keys))
			for i := range keys {
				p[i] = &keys[i]
			}
			return p
		}
		got, ok := sp.appendKeys(nil, ptrs(seeded))
		want, err := json.Marshal(sp.wireAll(seeded))
		if !ok || err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: seeded keys: ok %v err %v, equal %v", name, ok, err, bytes.Equal(got, want))
		}
		fast := 0
		for _, k := range seeded {
			if _, ok := sp.appendKey(nil, &k); ok {
				fast++
			}
		}
		if fast < len(seeded)-20 {
			t.Errorf("%s: fast path took %d of %d seeded keys", name, fast, len(seeded))
		}
		odd := oddKeys()
		got, ok = sp.appendKeys(nil, ptrs(odd[:len(odd)-1]))
		want, err = json.Marshal(sp.wireAll(odd[:len(odd)-1]))
		if !ok || err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: odd keys:\n got %s\nwant %s (%v)", name, got, want, err)
		}
		if _, ok := sp.appendKeys(nil, ptrs(odd)); ok {
			t.Errorf("%s: a year past 9999 was encoded; encoding/json refuses it", name)
		}
	}
}

// TestListingFallsBackForOddKeys serves keys the fast encoder gives up on
// (HTML characters, a year encoding/json refuses) through encoding/json.
func TestListingFallsBackForOddKeys(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1})
	s.mu.Lock()
	for i, k := range oddKeys()[:len(oddKeys())-1] {
		k.ID = fmt.Sprintf("odd-%02d", i)
		s.insertKeyLocked(&keyRec{key: k, owner: s.usersByName["alice"]})
	}
	s.mu.Unlock()
	rec := do(t, s, "GET", "/api/v1/admin/api_keys?limit=1000", DemoToken, "")
	var keys []model.APIKey
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `a\u003cb\u003e\u0026c`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	far := oddKeys()[len(oddKeys())-1]
	far.ID = "odd-far"
	s.insertKeyLocked(&keyRec{key: far, owner: s.usersByName["alice"]})
	s.mu.Unlock()
	if rec := do(t, s, "GET", "/api/v1/admin/api_keys?limit=1000", DemoToken, ""); rec.Code != http.StatusInternalServerError {
		t.Errorf("a time encoding/json refuses: %d, want 500 as before", rec.Code)
	}
}

// TestFilteredListingSeesChanges: filter results are kept between pages,
// and a created or deleted key shows in the next listing.
func TestFilteredListingSeesChanges(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 1, ExtraKeys: 2000})
	list := func() []string {
		t.Helper()
		var keys []model.APIKey
		rec := do(t, s, "GET", "/api/v1/admin/api_keys?filter=USER0007&limit=100000", DemoToken, "")
		if err := json.Unmarshal(rec.Body.Bytes(), &keys); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range keys {
			if !strings.Contains(k.Username, "user0007") {
				t.Fatalf("filter matched %s", k.Username)
			}
			ids = append(ids, k.ID)
		}
		return ids
	}
	before := list()
	if len(before) == 0 {
		t.Fatal("no keys for user0007")
	}
	// Paging through the same filter gives the same keys in the same order.
	var paged []string
	for off := 0; ; off += 3 {
		var keys []model.APIKey
		rec := do(t, s, "GET", fmt.Sprintf("/api/v1/admin/api_keys?filter=user0007&offset=%d&limit=3", off), DemoToken, "")
		if err := json.Unmarshal(rec.Body.Bytes(), &keys); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			paged = append(paged, k.ID)
		}
		if len(keys) < 3 {
			break
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(before) {
		t.Fatalf("paged %d keys, listed %d", len(paged), len(before))
	}
	u := userByName(t, s, "user0007")
	created := createKey(t, s, fmt.Sprintf(`{"user_id":%q,"name":"new one"}`, u.ID)).APIKey.ID
	after := list()
	if len(after) != len(before)+1 || after[len(after)-1] != created {
		t.Fatalf("after create: %d keys (last %s), want %d ending in %s", len(after), after[len(after)-1], len(before)+1, created)
	}
	if rec := do(t, s, "DELETE", "/api/v1/admin/api_keys/"+before[0], DemoToken, ""); rec.Code >= 300 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if got := list(); len(got) != len(before) || got[0] == before[0] {
		t.Errorf("after delete: %d keys, first %s", len(got), got[0])
	}
}

func TestPlainByte(t *testing.T) {
	for c := range 256 {
		want := c >= 0x20 && c < 0x7f && !strings.ContainsRune(`"\<>&`, rune(c))
		if got := plainByte[c] == '1'; got != want {
			t.Errorf("byte %#x: plain %v, want %v", c, got, want)
		}
	}
}
