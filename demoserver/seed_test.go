package demoserver

import (
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unsafe"

	"h2ogpte-keys/model"
)

// listings returns every listing body a client can read, for comparison.
func listings(t *testing.T, s *Server) []string {
	t.Helper()
	var out []string
	for _, p := range []string{
		"/api/v1/admin/api_keys?limit=1000000",
		"/api/v1/users?limit=1000000",
		"/api/v1/collections/all?limit=1000000",
		"/api/v1/configurations?as_admin=true",
	} {
		rec := do(t, s, "GET", p, DemoToken, "")
		wantStatus(t, rec, http.StatusOK)
		out = append(out, rec.Body.String())
	}
	return out
}

func TestDeterministic(t *testing.T) {
	for _, opts := range []Options{{Seed: 42}, {Seed: 42, ExtraKeys: 500}, {Seed: -1, Empty: true, ExtraKeys: 50}} {
		a, _ := newTestServer(t, opts)
		b, _ := newTestServer(t, opts)
		la, lb := listings(t, a), listings(t, b)
		for i := range la {
			if la[i] != lb[i] {
				t.Errorf("%+v: listing %d differs between two servers", opts, i)
			}
		}
		// Keys created later get the same ids too.
		body := `{"user_id":"` + a.Users()[0].ID + `","name":"n","expires_in":"30 days"}`
		if ka, kb := createKey(t, a, body).APIKey.ID, createKey(t, b, body).APIKey.ID; ka != kb {
			t.Errorf("%+v: created key ids %s and %s differ", opts, ka, kb)
		}
	}
	a, _ := newTestServer(t, Options{Seed: 1})
	b, _ := newTestServer(t, Options{Seed: 2})
	if la, lb := listings(t, a), listings(t, b); la[0] == lb[0] || la[1] == lb[1] {
		t.Error("seeds 1 and 2 give the same keys or users")
	}
}

func TestSampleData(t *testing.T) {
	s, _ := newTestServer(t, Options{Seed: 7})
	keys := listKeys(t, s, "?limit=1000")
	users := s.Users()
	colls := decode[[]collection](t, do(t, s, "GET", "/api/v1/collections/all?limit=1000", DemoToken, ""))

	collByID := map[string]collection{}
	for _, c := range colls {
		collByID[c.ID] = c
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, u := range users {
		if !uuid.MatchString(u.ID) || seen[u.ID] {
			t.Errorf("user id %q is not a fresh UUID", u.ID)
		}
		seen[u.ID] = true
	}

	count := map[string]int{}
	perUser := map[string]int{}
	has := func(what string, ok bool) {
		if ok {
			count[what]++
		}
	}
	for _, k := range keys {
		if !uuid.MatchString(k.ID) || seen[k.ID] {
			t.Errorf("key id %q is not a fresh UUID", k.ID)
		}
		seen[k.ID] = true
		perUser[k.Username]++
		if len(k.Hint) != 4 {
			t.Errorf("key %s hint %q", k.ID, k.Hint)
		}
		if !k.LastUsed.Reported || !k.InactivityDays.Reported || !k.TotalCalls.Set {
			t.Errorf("key %s leaves out a field a current server reports", k.ID)
		}
		if lu, ok := k.LastUsed.Get(); ok && (lu.Before(k.Created) || lu.After(t0)) {
			t.Errorf("key %s last used %v outside [created %v, now]", k.ID, lu, k.Created)
		}
		if k.IsGlobal != (k.CollectionID == "") {
			t.Errorf("key %s: is_global_key %v with collection %q", k.ID, k.IsGlobal, k.CollectionID)
		}
		if c, ok := collByID[k.CollectionID]; k.CollectionID != "" && (!ok || c.Username != k.Username || c.Name != k.CollectionName) {
			t.Errorf("key %s of %s names collection %q (%q) of %q", k.ID, k.Username, k.CollectionID, k.CollectionName, c.Username)
		}
		st := k.StatusAt(t0)
		has(st.String(), true)
		has("collection key", !k.IsGlobal)
		has("active collection key", !k.IsGlobal && st == model.StatusActive)
		has("active global key", k.IsGlobal && st == model.StatusActive)
		has("never used", !k.LastUsed.Set)
		has("heavily used", k.TotalCalls.V >= 100_000)
		has("idle, never used", st == model.StatusIdle && !k.LastUsed.Set)
		has("idle after use", st == model.StatusIdle && k.LastUsed.Set)
		has("expires within 7 days", st == model.StatusActive && k.Expires != nil && k.Expires.Before(t0.AddDate(0, 0, 7)))
		has("long name", len(k.Name) > 80)
		has("escape sequence in name", strings.Contains(k.Name, "\x1b["))
		has("bidi override in name", strings.ContainsRune(k.Name, '\u202e'))
		has("non-ASCII name", strings.IndexFunc(k.Name, func(r rune) bool { return r > unicode.MaxASCII && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) }) >= 0)
	}
	for _, what := range []string{"Active", "Inactive", "Expired", "Idle", "collection key", "active collection key",
		"active global key", "never used", "heavily used", "idle, never used", "idle after use",
		"expires within 7 days", "long name", "escape sequence in name", "bidi override in name", "non-ASCII name"} {
		if count[what] == 0 {
			t.Errorf("sample data has no key that is %s", what)
		}
	}
	if perUser["alice"] < 6 || perUser["malice"] < 2 {
		t.Errorf("alice has %d keys, malice %d; want at least 6 and 2", perUser["alice"], perUser["malice"])
	}
	if perUser["frank"] != 0 || !slices.ContainsFunc(users, func(u model.User) bool { return u.Username == "frank" }) {
		t.Error("want frank as a user without keys")
	}
	for _, c := range colls {
		if !uuid.MatchString(c.ID) || c.Username == "" || c.EmbeddingModel == "" || c.Status == "" || c.CreatedAt.After(c.UpdatedAt) {
			t.Errorf("collection %+v", c)
		}
	}
}

func TestEmpty(t *testing.T) {
	s, _ := newTestServer(t, Options{Empty: true})
	if users := s.Users(); len(users) != 1 || users[0].Username != "admin" {
		t.Errorf("users = %v, want just admin", users)
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("%d keys, want none", len(keys))
	}
	if body := do(t, s, "GET", "/api/v1/collections/all", DemoToken, "").Body.String(); body != "[]" {
		t.Errorf("collections = %s, want []", body)
	}
}

func TestExtraKeys(t *testing.T) {
	const n = 100_000
	s, _ := newTestServer(t, Options{Seed: 9, ExtraKeys: n})
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.keys) != n+len(sampleKeys) || len(s.keysByID) != len(s.keys) || len(s.keysByHash) != len(s.keys) {
		t.Fatalf("%d keys (%d by id, %d by hash), want %d", len(s.keys), len(s.keysByID), len(s.keysByHash), n+len(sampleKeys))
	}
	if !slices.IsSortedFunc(s.keys, keyOrder) {
		t.Error("keys are not in listing order")
	}
	if u := len(s.users) - 1 - len(sampleUsers); u < 100 || u > 500 {
		t.Errorf("%d extra users, want a few hundred", u)
	}
	states := map[model.Status]int{}
	collKeys := 0
	for _, k := range s.keys {
		states[k.key.StatusAt(t0)]++
		if !k.key.IsGlobal {
			collKeys++
			if c := s.collsByID[k.key.CollectionID]; c == nil || c.Username != k.key.Username {
				t.Fatalf("key %s names a collection its owner does not own", k.key.ID)
			}
		}
		if e := k.key.Expires; e != nil && k.key.StatusAt(t0) == model.StatusActive && e.After(t0.AddDate(0, 0, 90)) {
			t.Fatalf("key %s expires past the 90-day limit", k.key.ID)
		}
	}
	for st := model.StatusActive; st <= model.StatusIdle; st++ {
		if states[st] < n/20 {
			t.Errorf("only %d %s keys", states[st], st)
		}
	}
	if collKeys < n/10 {
		t.Errorf("only %d collection keys", collKeys)
	}
}

func TestStart(t *testing.T) {
	run, err := Start("", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(run.URL) {
		t.Errorf("URL = %q", run.URL)
	}
	req, _ := http.NewRequest("GET", run.URL+"/api/v1/users?limit=2", nil)
	req.Header.Set("Authorization", "Bearer "+DemoToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"username":"admin"`) {
		t.Errorf("GET users: %d %s", resp.StatusCode, body)
	}
	if run.Server == nil || len(run.Server.Users()) == 0 {
		t.Error("Running.Server is not the serving server")
	}
	if err := run.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := run.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Get(run.URL + "/api/v1/users"); err == nil {
		resp.Body.Close()
		t.Error("server still answers after Close")
	}

	if _, err := Start("256.0.0.1:0", Options{}); err == nil {
		t.Error("Start on a bad address succeeded")
	}
}

func TestSecretFormats(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, secretLen)
	for range 200 {
		sec, err := newSecret()
		if err != nil {
			t.Fatal(err)
		}
		seededSecret(r, buf)
		for _, s := range []string{sec, string(buf)} {
			if !secretPattern.MatchString(s) {
				t.Fatalf("secret %q does not match %s", s, secretPattern)
			}
		}
	}
}

// TestSortKeysIsKeyOrder: the seeding sort gives keyOrder's order, ties on
// the creation time included.
func TestSortKeysIsKeyOrder(t *testing.T) {
	s := New(Options{Seed: 3, ExtraKeys: 5000, Now: func() time.Time { return t0 }})
	keys := slices.Clone(s.keys)
	at := keys[10].key.Created
	for _, k := range keys[:40] { // force ties, broken by id
		k.key.Created = at
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	want := slices.Clone(keys)
	slices.SortFunc(want, keyOrder)
	sortKeys(keys)
	if !slices.Equal(keys, want) {
		t.Fatal("sortKeys differs from keyOrder")
	}
}

// TestLayOut: the seeded keys come out in listing order, the same keys
// with the same contents, each key's id, name and hint side by side in
// memory (what makes a listing read the heap front to back).
func TestLayOut(t *testing.T) {
	s := New(Options{Seed: 5, Empty: true, Now: func() time.Time { return t0 }})
	s.seedExtra(t0, 3000)
	want := make(map[string]model.APIKey, len(s.keys))
	for _, k := range s.keys {
		want[k.key.ID] = k.key
	}
	recs := make([]keyRec, len(s.keys))
	old := map[*time.Time]bool{}
	for i, k := range s.keys {
		recs[len(recs)-1-i] = *k // reversed: layOut must sort
		old[k.key.Expires] = true
	}
	// The server's own keys went through layOut in seedExtra: its
	// indexes point at the records it lists.
	for _, k := range s.keys {
		if s.keysByID[k.key.ID] != k || s.keysByHash[k.hash] != k {
			t.Fatalf("key %s: the indexes by id and by hash point elsewhere", k.key.ID)
		}
	}
	out := layOut(recs)
	if len(out) != len(want) {
		t.Fatalf("%d keys, want %d", len(out), len(want))
	}
	for i := range out {
		k := out[i].key
		if w, ok := want[k.ID]; !ok || !reflect.DeepEqual(k, w) {
			t.Fatalf("key %d: %+v, want %+v", i, k, w)
		}
		delete(want, k.ID)
		if i > 0 && keyOrder(&out[i-1], &out[i]) >= 0 {
			t.Fatalf("keys %d and %d out of listing order", i-1, i)
		}
		id, name, hint := unsafe.StringData(k.ID), unsafe.StringData(k.Name), unsafe.StringData(k.Hint)
		if unsafe.Add(unsafe.Pointer(id), len(k.ID)) != unsafe.Pointer(name) || unsafe.Add(unsafe.Pointer(name), len(k.Name)) != unsafe.Pointer(hint) {
			t.Fatalf("key %d: id, name and hint not side by side", i)
		}
		if k.Expires != nil && old[k.Expires] {
			t.Fatalf("key %d: expiry not given fresh memory", i)
		}
	}
}
