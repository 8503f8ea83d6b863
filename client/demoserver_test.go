package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// These tests run every client method against the demo server over HTTP,
// where the unit tests use canned answers: they prove the two agree on
// paths, bodies, paging, loose filters and errors.

// t0 is the demo server's clock in these tests: sample data, creation times
// and last_used_at all read from it, so every expected time is exact.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// demo is a demo server over httptest with an admin client for it.
type demo struct {
	srv   *demoserver.Server
	url   string
	clock *demoserver.Clock
	admin *Client

	mu   sync.Mutex
	reqs []string // "GET /api/v1/users"
}

// newDemo starts a demo server (seed 1, clock at t0) for one test. mod
// changes the admin client's Config; retries wait about a millisecond.
func newDemo(t *testing.T, opts demoserver.Options, mod ...func(*Config)) *demo {
	t.Helper()
	d := &demo{clock: demoserver.NewClock(t0)}
	opts.Seed, opts.Now = 1, d.clock.Now
	d.srv = demoserver.New(opts)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.reqs = append(d.reqs, r.Method+" "+r.URL.Path)
		d.mu.Unlock()
		d.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	d.url = hs.URL
	d.admin = d.client(t, demoserver.DemoToken, mod...)
	return d
}

// client builds a client that authenticates with token.
func (d *demo) client(t *testing.T, token string, mod ...func(*Config)) *Client {
	t.Helper()
	return newTestClient(t, d.url, append([]func(*Config){func(c *Config) { c.Token = model.NewSecret(token) }}, mod...)...)
}

// requests counts the requests seen for method and path.
func (d *demo) requests(method, path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, r := range d.reqs {
		if r == method+" "+path {
			n++
		}
	}
	return n
}

func (d *demo) user(t *testing.T, username string) model.User {
	t.Helper()
	u, err := d.admin.FindUser(context.Background(), username)
	if err != nil {
		t.Fatalf("FindUser(%q): %v", username, err)
	}
	return u
}

func (d *demo) collection(t *testing.T, owner, name string) model.Collection {
	t.Helper()
	cols, err := d.admin.ListCollections(context.Background(), owner)
	if err != nil {
		t.Fatalf("ListCollections(%q): %v", owner, err)
	}
	for _, c := range cols {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s has no collection %q", owner, name)
	return model.Collection{}
}

// create makes a key for username; expiry "" means none.
func (d *demo) create(t *testing.T, username, name, expiry string, inactivityDays int) model.CreatedKey {
	t.Helper()
	nk := model.NewKey{UserID: d.user(t, username).ID, Name: name, InactivityDays: inactivityDays}
	if expiry != "" {
		e := mustExpiry(t, expiry)
		nk.Expiry = &e
	}
	ck, err := d.admin.CreateKey(context.Background(), nk)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return ck
}

// key finds a key by id in its owner's listing.
func (d *demo) key(t *testing.T, username, id string) (model.APIKey, bool) {
	t.Helper()
	keys, err := d.admin.ListKeys(context.Background(), username)
	if err != nil {
		t.Fatalf("ListKeys(%q): %v", username, err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k, true
		}
	}
	return model.APIKey{}, false
}

func (d *demo) mustKey(t *testing.T, username, id string) model.APIKey {
	t.Helper()
	k, ok := d.key(t, username, id)
	if !ok {
		t.Fatalf("key %s of %s is not listed", id, username)
	}
	return k
}

// use calls an ordinary endpoint with a key's secret, as its owner's
// scripts would, and returns the status.
func (d *demo) use(t *testing.T, secret model.Secret) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.url+"/api/v1/collections", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret.Reveal())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/v1/collections: %v", err)
	}
	res.Body.Close()
	return res.StatusCode
}

func mustExpiry(t *testing.T, s string) model.Expiry {
	t.Helper()
	e, err := model.ParseExpiry(s, t0)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// expiresAt is when the server, at t0, makes a key expire for s.
func expiresAt(t *testing.T, s string) *time.Time {
	t.Helper()
	e := mustExpiry(t, s)
	if e.Never {
		return nil
	}
	at := e.In.AddTo(t0)
	return &at
}

// wantAPIError checks that err is an *APIError with this status whose
// message holds msg.
func wantAPIError(t *testing.T, err error, status int, msg string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if ae.Status != status || !strings.Contains(ae.Message, msg) {
		t.Errorf("err = %v, want status %d and a message holding %q", err, status, msg)
	}
}

func TestDemoCheckAdmin(t *testing.T) {
	tests := []struct {
		name  string
		token func(t *testing.T, d *demo) string
		want  error
	}{
		{"admin token", func(*testing.T, *demo) string { return demoserver.DemoToken }, nil},
		{"a user's key", func(t *testing.T, d *demo) string {
			return d.create(t, "alice", "not admin", "30d", 0).Secret.Reveal()
		}, ErrForbidden},
		{"bogus token", func(*testing.T, *demo) string { return "sk-" + strings.Repeat("x", 48) }, ErrUnauthorized},
		{"the admin token with a typo", func(*testing.T, *demo) string { return demoserver.DemoToken + "1" }, ErrUnauthorized},
		{"a deactivated admin key", func(t *testing.T, d *demo) string {
			ck := d.create(t, "admin", "old admin key", "30d", 0)
			if err := d.admin.Deactivate(context.Background(), ck.Key.ID); err != nil {
				t.Fatal(err)
			}
			return ck.Secret.Reveal()
		}, ErrUnauthorized},
		{"an expired admin key", func(t *testing.T, d *demo) string {
			ck := d.create(t, "admin", "short-lived", "1h", 0)
			d.clock.Advance(2 * time.Hour)
			return ck.Secret.Reveal()
		}, ErrUnauthorized},
		{"a working admin key", func(t *testing.T, d *demo) string {
			return d.create(t, "admin", "admin's second key", "30d", 0).Secret.Reveal()
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo(t, demoserver.Options{})
			token := tt.token(t, d)
			err := d.client(t, token).CheckAdmin(context.Background())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckAdmin: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckAdmin = %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrUnauthorized, ErrForbidden} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("CheckAdmin = %v also matches %v", err, other)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Error("the error quotes the token")
			}
		})
	}
}

func TestDemoUsers(t *testing.T) {
	ctx := context.Background()
	d := newDemo(t, demoserver.Options{})
	want := d.srv.Users()
	if len(want) < 10 {
		t.Fatalf("demo server has %d users", len(want))
	}

	t.Run("ListUsers", func(t *testing.T) {
		for _, size := range []int{0, 3, len(want)} { // a page size equal to the count ends on an empty page
			c := d.client(t, demoserver.DemoToken, func(c *Config) { c.PageSize, c.LargePageSize = size, size })
			got, err := c.ListUsers(ctx)
			if err != nil {
				t.Fatalf("page size %d: %v", size, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("page size %d: ListUsers = %v, want %v", size, got, want)
			}
		}
	})

	alice := want[slices.IndexFunc(want, func(u model.User) bool { return u.Username == "alice" })]
	if alice.ID == "" || alice.ID == "alice" || alice.Email != "alice@example.com" {
		t.Fatalf("alice = %+v", alice)
	}
	lookups := []struct {
		name    string
		do      func() (model.User, error)
		want    model.User
		wantErr error
	}{
		{"GetUser by id", func() (model.User, error) { return d.admin.GetUser(ctx, alice.ID) }, alice, nil},
		{"GetUser by username is not by id", func() (model.User, error) { return d.admin.GetUser(ctx, "alice") }, model.User{}, ErrNotFound},
		{"GetUser unknown id", func() (model.User, error) { return d.admin.GetUser(ctx, "00000000-0000-4000-8000-000000000000") }, model.User{}, ErrNotFound},
		{"FindUser alice", func() (model.User, error) { return d.admin.FindUser(ctx, "alice") }, alice, nil},
		{"FindUser ali is not alice", func() (model.User, error) { return d.admin.FindUser(ctx, "ali") }, model.User{}, ErrNotFound},
		{"FindUser is case-sensitive", func() (model.User, error) { return d.admin.FindUser(ctx, "Alice") }, model.User{}, ErrNotFound},
		{"FindUser the last user", func() (model.User, error) { return d.admin.FindUser(ctx, want[len(want)-1].Username) }, want[len(want)-1], nil},
	}
	for _, tt := range lookups {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.do()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDemoListKeys(t *testing.T) {
	ctx := context.Background()
	d := newDemo(t, demoserver.Options{})
	all, err := d.admin.ListAllKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 24 {
		t.Fatalf("ListAllKeys = %d keys, want the 24 sample keys", len(all))
	}
	owned := func(user string) []model.APIKey {
		out := []model.APIKey{}
		for _, k := range all {
			if k.Username == user {
				out = append(out, k)
			}
		}
		return out
	}

	tests := []struct {
		user string
		want int
	}{
		{"alice", 8}, // the server's filter also returns malice's 3
		{"malice", 3},
		{"bob", 4},
		{"heidi", 2},
		{"admin", 0},
		{"ali", 0},
		{"nobody", 0},
	}
	for _, tt := range tests {
		for _, size := range []int{0, 2} {
			t.Run(tt.user, func(t *testing.T) {
				c := d.client(t, demoserver.DemoToken, func(c *Config) { c.PageSize, c.LargePageSize = size, size })
				got, err := c.ListKeys(ctx, tt.user)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.want || !reflect.DeepEqual(got, owned(tt.user)) {
					t.Errorf("page size %d: ListKeys(%q) = %v, want the %d keys of ListAllKeys it owns", size, tt.user, keyIDs(got), tt.want)
				}
			})
		}
	}

	t.Run("StreamKeys equals ListAllKeys", func(t *testing.T) {
		for _, user := range []string{"", "alice"} {
			var got []model.APIKey
			c := d.client(t, demoserver.DemoToken, func(c *Config) { c.PageSize, c.LargePageSize = 5, 5 })
			if err := c.StreamKeys(ctx, user, func(p []model.APIKey) { got = append(got, p...) }); err != nil {
				t.Fatal(err)
			}
			want := all
			if user != "" {
				want = owned(user)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("StreamKeys(%q) = %v, want %v", user, keyIDs(got), keyIDs(want))
			}
		}
	})

	t.Run("every state is decoded", func(t *testing.T) {
		statuses := map[model.Status]int{}
		var global, coll, neverUsed int
		for _, k := range all {
			statuses[k.StatusAt(t0)]++
			if k.IsGlobal {
				global++
			} else if k.CollectionID != "" && k.CollectionName != "" {
				coll++
			}
			if !k.LastUsed.Reported || !k.TotalCalls.Reported || !k.InactivityDays.Reported {
				t.Errorf("key %s: optional fields not reported", k.ID)
			}
			if !k.LastUsed.Set {
				neverUsed++
			}
		}
		for _, s := range []model.Status{model.StatusActive, model.StatusInactive, model.StatusExpired, model.StatusIdle} {
			if statuses[s] == 0 {
				t.Errorf("no %v key among %v", s, statuses)
			}
		}
		if global == 0 || coll == 0 || neverUsed == 0 || global+coll != len(all) {
			t.Errorf("%d global, %d collection, %d never used keys of %d", global, coll, neverUsed, len(all))
		}
	})
}

func TestDemoListCollections(t *testing.T) {
	ctx := context.Background()
	d := newDemo(t, demoserver.Options{})
	// Named after alice and owned by bob: the server's filter matches it.
	d.srv.AddCollection("bob", "alice's onboarding")

	tests := []struct {
		user string
		want []string
	}{
		{"alice", []string{"Alice's drafts", "Customer support FAQ", "Research papers"}},
		{"malice", []string{"Red team notes", "Threat intel"}},
		{"bob", []string{"Engineering handbook", "Q3 financials", "alice's onboarding"}},
		{"frank", nil},
		{"nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			cols, err := d.client(t, demoserver.DemoToken, func(c *Config) { c.PageSize, c.LargePageSize = 1, 1 }).ListCollections(ctx, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range cols {
				if c.Username != tt.user || c.ID == "" {
					t.Errorf("collection %+v is not %s's", c, tt.user)
				}
				names = append(names, c.Name)
			}
			slices.Sort(names)
			if !reflect.DeepEqual(names, tt.want) {
				t.Errorf("ListCollections(%q) = %q, want %q", tt.user, names, tt.want)
			}
		})
	}
}

func TestDemoGlobalExpiryLimit(t *testing.T) {
	tests := []struct {
		name   string
		option int  // Options.ExpiryLimitDays
		set    *int // SetExpiryLimitDays, if not nil
		want   int
	}{
		{"default", 0, nil, 90},
		{"option 30", 30, nil, 30},
		{"option -1 is no limit", -1, nil, 0},
		{"set to 0 is no limit", 0, new(0), 0},
		{"set to 30", 0, new(30), 30},
		{"set to 365 after no limit", -1, new(365), 365},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo(t, demoserver.Options{ExpiryLimitDays: tt.option})
			if tt.set != nil {
				d.srv.SetExpiryLimitDays(*tt.set)
			}
			got, err := d.admin.GlobalExpiryLimit(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("GlobalExpiryLimit = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

var secretRE = regexp.MustCompile(`^sk-[A-Za-z0-9]{48}$`)

func TestDemoCreateKey(t *testing.T) {
	tests := []struct {
		name       string
		user       string
		keyName    string
		collection string // a collection of user, by name
		expiry     string
		inactivity int
		noLimit    bool // no global expiry limit: only then may a key have no expiry
	}{
		{"global, no expiry, no limit", "alice", "laptop 2", "", "", 0, true},
		{"global, expiry and inactivity", "alice", "ci", "", "30d", 14, false},
		{"global, expiry by date", "bob", "until April", "", "2026-04-01", 0, false},
		{"global, expiry never, no limit", "bob", "forever", "", "never", 0, true},
		{"collection, expiry and inactivity", "alice", "support bot", "Customer support FAQ", "12 hours", 60, false},
		{"collection, expiry at the limit", "malice", "red", "Red team notes", "90 days", 0, false},
		{"the admin's own key", "admin", "second admin key", "Company wiki", "2w", 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d := newDemo(t, demoserver.Options{})
			if tt.noLimit {
				d.srv.SetExpiryLimitDays(0)
			}
			before, err := d.admin.ListAllKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			nk := model.NewKey{UserID: d.user(t, tt.user).ID, Name: tt.keyName, InactivityDays: tt.inactivity}
			want := model.APIKey{
				Username: tt.user, Name: tt.keyName, Created: t0, Expires: nil,
				LastUsed: model.Null[time.Time](), InactivityDays: model.Null[int](), TotalCalls: model.Some[int64](0),
				IsActive: true, IsGlobal: true,
			}
			if tt.collection != "" {
				c := d.collection(t, tt.user, tt.collection)
				nk.CollectionID = c.ID
				want.CollectionID, want.CollectionName, want.IsGlobal = c.ID, c.Name, false
			}
			if tt.expiry != "" {
				e := mustExpiry(t, tt.expiry)
				nk.Expiry = &e
				want.Expires = expiresAt(t, tt.expiry)
			}
			if tt.inactivity > 0 {
				want.InactivityDays = model.Some(tt.inactivity)
			}

			ck, err := d.admin.CreateKey(ctx, nk)
			if err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			secret := ck.Secret.Reveal()
			if !secretRE.MatchString(secret) {
				t.Fatalf("the secret (%d characters) is not sk- and 48 letters or digits", len(secret))
			}
			if ck.Key.ID == "" || ck.Key.Hint != secret[len(secret)-4:] {
				t.Errorf("id %q, hint %q: want an id and the secret's last 4 characters", ck.Key.ID, ck.Key.Hint)
			}
			want.ID, want.Hint = ck.Key.ID, ck.Key.Hint
			if !reflect.DeepEqual(ck.Key, want) {
				t.Errorf("created key\n got %+v\nwant %+v", ck.Key, want)
			}
			if listed := d.mustKey(t, tt.user, ck.Key.ID); !reflect.DeepEqual(listed, want) {
				t.Errorf("listed key\n got %+v\nwant %+v", listed, want)
			}
			after, err := d.admin.ListAllKeys(ctx)
			if err != nil || len(after) != len(before)+1 {
				t.Errorf("ListAllKeys after the create = %d keys, %v; want %d", len(after), err, len(before)+1)
			}
		})
	}
}

func TestDemoCreateKeyRefused(t *testing.T) {
	ctx := context.Background()
	d := newDemo(t, demoserver.Options{RequireExpiry: true})
	alice := d.user(t, "alice")
	bobs := d.collection(t, "bob", "Engineering handbook")
	month := new(mustExpiry(t, "30d"))
	tests := []struct {
		name       string
		key        model.NewKey
		wantStatus int
		wantMsg    string
		wantErr    error
	}{
		{"another user's collection", model.NewKey{UserID: alice.ID, Name: "k", CollectionID: bobs.ID, Expiry: month},
			400, "belongs to bob, not alice", nil},
		{"unknown user id", model.NewKey{UserID: "00000000-0000-4000-8000-000000000000", Name: "k", Expiry: month},
			404, "user not found", ErrNotFound},
		{"a username instead of the id", model.NewKey{UserID: "alice", Name: "k", Expiry: month},
			404, "user not found", ErrNotFound},
		{"unknown collection", model.NewKey{UserID: alice.ID, Name: "k", CollectionID: "no-such-collection", Expiry: month},
			404, "collection not found", ErrNotFound},
		// A server that requires an expiry under its limit says so itself.
		{"no expiry under the limit", model.NewKey{UserID: alice.ID, Name: "k"},
			400, "the server's API key expiry limit is 90 days: expires_in is required", nil},
		{"expiry never under the limit", model.NewKey{UserID: alice.ID, Name: "k", Expiry: &model.Expiry{Never: true}},
			400, "the server's API key expiry limit is 90 days: expires_in is required", nil},
		{"expiry past the limit", model.NewKey{UserID: alice.ID, Name: "k", Expiry: new(mustExpiry(t, "91d"))},
			400, "expiry limit of 90 days", nil},
	}
	before, err := d.admin.ListAllKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck, err := d.admin.CreateKey(ctx, tt.key)
			wantAPIError(t, err, tt.wantStatus, tt.wantMsg)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !ck.Secret.Empty() || ck.Key.ID != "" {
				t.Error("a refused create returned a key")
			}
		})
	}
	after, err := d.admin.ListAllKeys(ctx)
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("refused creates changed the keys: %d before, %d after (%v)", len(before), len(after), err)
	}
}

// A key's own calls are counted and dated; the admin's listing calls are not.
func TestDemoKeyUseIsCounted(t *testing.T) {
	d := newDemo(t, demoserver.Options{})
	ck := d.create(t, "alice", "script", "30d", 0)
	steps := []struct {
		name      string
		advance   time.Duration
		uses      int
		wantCode  int
		wantCalls int64
		wantUsed  *time.Time
	}{
		{"never used", 0, 0, 0, 0, nil},
		{"used once an hour later", time.Hour, 1, 200, 1, new(t0.Add(time.Hour))},
		{"used twice a day later", 24 * time.Hour, 2, 200, 3, new(t0.Add(25 * time.Hour))},
		{"listing does not count", time.Hour, 0, 0, 3, new(t0.Add(25 * time.Hour))},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			d.clock.Advance(st.advance)
			for range st.uses {
				if code := d.use(t, ck.Secret); code != st.wantCode {
					t.Fatalf("GET /collections with the new key: %d, want %d", code, st.wantCode)
				}
			}
			k := d.mustKey(t, "alice", ck.Key.ID)
			if calls, ok := k.TotalCalls.Get(); !ok || calls != st.wantCalls {
				t.Errorf("total_calls = %d (set %v), want %d", calls, ok, st.wantCalls)
			}
			used, ok := k.LastUsed.Get()
			switch {
			case st.wantUsed == nil && ok:
				t.Errorf("last_used_at = %s, want none", used)
			case st.wantUsed != nil && (!ok || !used.Equal(*st.wantUsed)):
				t.Errorf("last_used_at = %s (set %v), want %s", used, ok, st.wantUsed)
			}
		})
	}
}

func TestDemoSetExpiry(t *testing.T) {
	tests := []struct {
		name       string
		start      string // expiry at creation
		set        string
		noLimit    bool
		wantStatus int // 0 = success
		wantMsg    string
		want       string // expected expiry afterwards, as set at t0; "" = none
	}{
		{"set on a key without one", "", "30d", false, 0, "", "30d"},
		{"shorten", "60d", "12h", false, 0, "", "12h"},
		{"by date", "", "2026-05-01", false, 0, "", "2026-05-01"},
		{"at the limit", "", "90 days", false, 0, "", "90 days"},
		{"never removes with no limit", "7d", "never", true, 0, "", ""},
		{"never removes under the limit too", "7d", "never", false, 0, "", ""},
		{"past the limit", "7d", "91 days", false, 400, "global API key expiry limit of 90 days", "7d"},
		{"a year past the limit", "", "1y", false, 400, "the latest allowed expiry is 2026-06-12T09:26:53Z", ""},
		{"a year with no limit", "", "1y", true, 0, "", "1y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo(t, demoserver.Options{})
			// A key without expiry can only be made while there is no limit.
			d.srv.SetExpiryLimitDays(0)
			ck := d.create(t, "carol", "k", tt.start, 0)
			if !tt.noLimit {
				d.srv.SetExpiryLimitDays(90)
			}
			err := d.admin.SetExpiry(context.Background(), ck.Key.ID, mustExpiry(t, tt.set))
			if tt.wantStatus == 0 && err != nil {
				t.Fatalf("SetExpiry(%s): %v", tt.set, err)
			}
			if tt.wantStatus != 0 {
				wantAPIError(t, err, tt.wantStatus, tt.wantMsg)
			}
			got := d.mustKey(t, "carol", ck.Key.ID).Expires
			var want *time.Time
			if tt.want != "" {
				want = expiresAt(t, tt.want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("expires_at = %v, want %v", got, want)
			}
		})
	}

	t.Run("unknown key", func(t *testing.T) {
		d := newDemo(t, demoserver.Options{})
		err := d.admin.SetExpiry(context.Background(), "no-such-key", mustExpiry(t, "1d"))
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestDemoSetInactivity(t *testing.T) {
	tests := []struct {
		name       string
		start, set int
		wantStatus int // 0 = success
		want       model.Opt[int]
	}{
		{"set on a key without one", 0, 30, 0, model.Some(30)},
		{"change", 14, 7, 0, model.Some(7)},
		{"0 removes", 14, 0, 0, model.Null[int]()},
		{"0 on a key without one", 0, 0, 0, model.Null[int]()},
		{"too long", 14, 36501, 400, model.Some(14)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo(t, demoserver.Options{})
			ck := d.create(t, "dave", "k", "30d", tt.start)
			err := d.admin.SetInactivity(context.Background(), ck.Key.ID, tt.set)
			if tt.wantStatus == 0 && err != nil {
				t.Fatalf("SetInactivity(%d): %v", tt.set, err)
			}
			if tt.wantStatus != 0 {
				wantAPIError(t, err, tt.wantStatus, "inactivity_interval")
			}
			if got := d.mustKey(t, "dave", ck.Key.ID).InactivityDays; got != tt.want {
				t.Errorf("inactivity_interval = %+v, want %+v", got, tt.want)
			}
		})
	}

	t.Run("unknown key", func(t *testing.T) {
		d := newDemo(t, demoserver.Options{})
		if err := d.admin.SetInactivity(context.Background(), "no-such-key", 5); !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

// Deactivate and Delete run as steps on one key: each step depends on the
// one before.
func TestDemoDeactivateAndDelete(t *testing.T) {
	ctx := context.Background()
	d := newDemo(t, demoserver.Options{})
	ck := d.create(t, "erin", "k", "30d", 0)
	id := ck.Key.ID
	steps := []struct {
		name       string
		do         func() error
		wantErr    error
		wantStatus int
		wantListed bool
		wantActive bool
		wantUse    int // status of a call made with the key
	}{
		{"deactivate", func() error { return d.admin.Deactivate(ctx, id) }, nil, 0, true, false, 401},
		{"deactivate again", func() error { return d.admin.Deactivate(ctx, id) }, ErrConflict, 409, true, false, 401},
		{"deactivate unknown", func() error { return d.admin.Deactivate(ctx, "no-such-key") }, ErrNotFound, 404, true, false, 401},
		{"delete", func() error { return d.admin.Delete(ctx, id) }, nil, 0, false, false, 401},
		{"delete again", func() error { return d.admin.Delete(ctx, id) }, ErrNotFound, 404, false, false, 401},
		{"deactivate deleted", func() error { return d.admin.Deactivate(ctx, id) }, ErrNotFound, 404, false, false, 401},
	}
	if code := d.use(t, ck.Secret); code != 200 {
		t.Fatalf("the new key gets %d before any step", code)
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.do()
			if st.wantErr == nil && err != nil {
				t.Fatal(err)
			}
			if st.wantErr != nil {
				if !errors.Is(err, st.wantErr) {
					t.Fatalf("err = %v, want %v", err, st.wantErr)
				}
				wantAPIError(t, err, st.wantStatus, "")
			}
			k, listed := d.key(t, "erin", id)
			if listed != st.wantListed || (listed && k.IsActive != st.wantActive) {
				t.Errorf("listed %v, active %v; want %v, %v", listed, k.IsActive, st.wantListed, st.wantActive)
			}
			if code := d.use(t, ck.Secret); code != st.wantUse {
				t.Errorf("a call with the key got %d, want %d", code, st.wantUse)
			}
		})
	}
}

// Faults are injected at the demo server. Reads are retried (the client
// allows 2 retries here, a millisecond apart); writes are sent once.
func TestDemoFaults(t *testing.T) {
	const retries = 2
	ctx := context.Background()
	tests := []struct {
		name       string
		method     string
		path       func(keyID string) string
		status     int
		times      int
		do         func(t *testing.T, d *demo, keyID string) error
		wantStatus int // 0 = the call succeeds
		wantSent   int
		wantKey    bool // the key still exists afterwards
	}{
		{"500 on a read is retried", "GET", fixed("/api/v1/users"), 500, 1,
			func(_ *testing.T, d *demo, _ string) error { _, err := d.admin.ListUsers(ctx); return err }, 0, 2, true},
		{"503 twice on a key page is retried", "GET", fixed("/api/v1/admin/api_keys"), 503, 2,
			func(_ *testing.T, d *demo, _ string) error { _, err := d.admin.ListKeys(ctx, "alice"); return err }, 0, 3, true},
		{"500 on every try: the read gives up", "GET", fixed("/api/v1/configurations"), 500, 10,
			func(_ *testing.T, d *demo, _ string) error { _, err := d.admin.GlobalExpiryLimit(ctx); return err }, 500, 1 + retries, true},
		{"404 on a read is not retried", "GET", fixed("/api/v1/users"), 404, 1,
			func(_ *testing.T, d *demo, _ string) error { _, err := d.admin.FindUser(ctx, "bob"); return err }, 404, 1, true},
		{"500 on delete is not retried", "DELETE", keyPath(""), 500, 1,
			func(_ *testing.T, d *demo, id string) error { return d.admin.Delete(ctx, id) }, 500, 1, true},
		{"503 on delete is not retried", "DELETE", keyPath(""), 503, 1,
			func(_ *testing.T, d *demo, id string) error { return d.admin.Delete(ctx, id) }, 503, 1, true},
		{"503 on deactivate is not retried", "POST", keyPath("deactivate/"), 503, 1,
			func(_ *testing.T, d *demo, id string) error { return d.admin.Deactivate(ctx, id) }, 503, 1, true},
		{"503 on create is not retried", "POST", fixed("/api/v1/admin/api_keys"), 503, 1,
			func(t *testing.T, d *demo, _ string) error {
				_, err := d.admin.CreateKey(ctx, model.NewKey{UserID: d.user(t, "alice").ID, Name: "k"})
				return err
			}, 503, 1, true},
		{"a delete after the fault is spent goes through", "DELETE", keyPath(""), 500, 0,
			func(_ *testing.T, d *demo, id string) error { return d.admin.Delete(ctx, id) }, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDemo(t, demoserver.Options{}, func(c *Config) { c.MaxRetries = retries })
			ck := d.create(t, "frank", "k", "30d", 0)
			keysBefore, err := d.admin.ListAllKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			path := tt.path(ck.Key.ID)
			sentBefore := d.requests(tt.method, path)
			d.srv.InjectFault(tt.method, path, tt.status, tt.times)

			err = tt.do(t, d, ck.Key.ID)
			if tt.wantStatus == 0 && err != nil {
				t.Fatalf("err = %v, want success after the fault", err)
			}
			if tt.wantStatus != 0 {
				wantAPIError(t, err, tt.wantStatus, "")
			}
			if sent := d.requests(tt.method, path) - sentBefore; sent != tt.wantSent {
				t.Errorf("%d requests sent to %s %s, want %d", sent, tt.method, path, tt.wantSent)
			}
			d.srv.InjectFault(tt.method, path, 0, 0)
			if _, ok := d.key(t, "frank", ck.Key.ID); ok != tt.wantKey {
				t.Errorf("key exists afterwards: %v, want %v", ok, tt.wantKey)
			}
			if keysAfter, err := d.admin.ListAllKeys(ctx); tt.wantKey && (err != nil || !reflect.DeepEqual(keysAfter, keysBefore)) {
				t.Errorf("a failed write changed the keys (%v)", err)
			}
		})
	}
}

func fixed(path string) func(string) string { return func(string) string { return path } }

func keyPath(prefix string) func(string) string {
	return func(id string) string { return "/api/v1/admin/api_keys/" + prefix + id }
}

// Against the demo server over HTTP, with and without a bound on its pages
// (Options.MaxPageSize) and for one user's keys: large pages read the same
// keys, in the same order, as the default page all along, in fewer requests
// when the server honours them.
func TestLargePagesReadTheSame(t *testing.T) {
	ctx := context.Background()
	for _, bound := range []int{0, 100, 300} {
		d := newDemo(t, demoserver.Options{ExtraKeys: 3000, MaxPageSize: bound})
		small := d.client(t, demoserver.DemoToken, func(c *Config) { c.PageSize, c.LargePageSize = 100, 100 })
		for _, user := range []string{"", "user0001"} {
			want, err := small.collectKeys(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			// One read at a time, a few, and the default window.
			for _, conc := range []int{1, 3, 8} {
				before := d.requests(http.MethodGet, "/api/v1/admin/api_keys")
				got, err := d.client(t, demoserver.DemoToken, func(c *Config) { c.Concurrency = conc }).collectKeys(ctx, user)
				if err != nil {
					t.Fatal(err)
				}
				reqs := d.requests(http.MethodGet, "/api/v1/admin/api_keys") - before
				if len(want) < 2 || !reflect.DeepEqual(got, want) {
					t.Fatalf("bound %d, user %q, concurrency %d: large pages read %d keys, the default page %d, or not the same", bound, user, conc, len(got), len(want))
				}
				if user == "" && bound == 0 && reqs > len(want)/1000+1+8 {
					t.Errorf("concurrency %d: %d requests for %d keys: large pages not used", conc, reqs, len(want))
				}
			}
		}
	}
	// Owner by owner, each owner's listing in large pages where it has
	// many keys, against the server's own filter.
	d := newDemo(t, demoserver.Options{ExtraKeys: 3000, MaxPageSize: 250})
	c := d.client(t, demoserver.DemoToken)
	owners := []string{"user0001", "user0002", "alice"}
	err := c.StreamKeysByOwner(ctx, owners, func(owner string, keys []model.APIKey) error {
		want, err := c.collectKeys(ctx, owner)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("owner %s: %d keys by owner, %d listed alone", owner, len(keys), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
