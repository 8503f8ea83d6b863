package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

// testAPI is the demo server holding the tests' fixed data, and the real
// client talking to it: a page of 2 keys, so every listing pages, and no
// retries, so a failed read is one call. The data: users alice, malice
// and bob; alice's keys k1 (laptop, used, expiring), k2 (ci-pipeline,
// never used, 60-day inactivity), k3 (research-bot, deactivated, on her
// collection "Research papers") and k4 (a name with an escape sequence,
// from an older server: no usage fields); bob's b1.
type testAPI struct {
	*client.Client
	srv   *demoserver.Server
	url   string       // the server's
	users []model.User // alice, malice, bob
	coll  model.Collection

	// afterCreate is injected once CreateKey has been answered, whatever
	// the answer: faults a rotation meets only after its create. Set it
	// before the App starts.
	afterCreate []demoserver.Fault

	mu sync.Mutex
	// ctxs records each StreamKeys call's ctx, by username, in order.
	ctxs map[string][]context.Context
	// asked records each CreateKey request, in order.
	asked []model.NewKey
}

func newTestAPI(t testing.TB) *testAPI {
	t.Helper()
	srv := demoserver.New(demoserver.Options{Seed: 1, Now: commontest.Clock, Empty: true})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	f := &testAPI{srv: srv, url: ts.URL, ctxs: map[string][]context.Context{}}
	f.setPageSize(t, 2)
	for _, name := range []string{"alice", "malice", "bob"} {
		f.users = append(f.users, srv.AddUser(name, name+"@example.com", false))
	}
	f.coll = srv.AddCollection("alice", "Research papers")
	created := testNow.Add(-40 * 24 * time.Hour)
	used := testNow.Add(-2 * time.Hour)
	exp := testNow.Add(30 * 24 * time.Hour)
	for _, k := range []model.APIKey{
		{ID: "k1", Username: "alice", Name: "laptop", Hint: "aaaa", Created: created, IsActive: true, IsGlobal: true,
			LastUsed: model.Some(used), TotalCalls: model.Some[int64](1432), Expires: &exp},
		{ID: "k2", Username: "alice", Name: "ci-pipeline", Hint: "bbbb", Created: created, IsActive: true, IsGlobal: true,
			LastUsed: model.Null[time.Time](), TotalCalls: model.Some[int64](0), InactivityDays: model.Some(60)},
		{ID: "k3", Username: "alice", Name: "research-bot", Hint: "cccc", Created: created, IsActive: false,
			CollectionID: f.coll.ID, TotalCalls: model.Some[int64](8210)},
		{ID: "k4", Username: "alice", Name: "evil\x1b[2Jname", Hint: "dddd", Created: created, IsActive: true, IsGlobal: true},
		{ID: "b1", Username: "bob", Name: "bob-key", Hint: "eeee", Created: created, IsActive: true, IsGlobal: true},
	} {
		srv.AddKey(k)
	}
	return f
}

// setPageSize replaces the client with one that asks for pages of n keys.
// Call it before the App starts.
func (f *testAPI) setPageSize(t testing.TB, n int) {
	t.Helper()
	c, err := client.New(client.Config{Address: f.url, Token: model.NewSecret(demoserver.DemoToken),
		PageSize: n, LargePageSize: n, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	f.Client = c
}

// StreamKeys records ctx, then streams from the server.
func (f *testAPI) StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error {
	f.mu.Lock()
	f.ctxs[username] = append(f.ctxs[username], ctx)
	f.mu.Unlock()
	return f.Client.StreamKeys(ctx, username, onPage)
}

// CreateKey records k, creates it on the server, then injects afterCreate.
func (f *testAPI) CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error) {
	f.mu.Lock()
	f.asked = append(f.asked, k)
	f.mu.Unlock()
	created, err := f.Client.CreateKey(ctx, k)
	for _, fault := range f.afterCreate {
		f.srv.Inject(fault)
	}
	return created, err
}

// createRequests is what each CreateKey call asked for, in order; it
// fails the test when there was none.
func (f *testAPI) createRequests(t *testing.T) []model.NewKey {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.asked) == 0 {
		t.Fatal("no CreateKey call")
	}
	return slices.Clone(f.asked)
}

// streamCtx is the ctx of username's i-th StreamKeys call.
func (f *testAPI) streamCtx(t *testing.T, username string, i int) context.Context {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ctxs[username]) <= i {
		t.Fatalf("%d StreamKeys calls for %s, want more than %d", len(f.ctxs[username]), username, i)
	}
	return f.ctxs[username][i]
}

// keysOf is what the server holds for username, in listing order.
func (f *testAPI) keysOf(t *testing.T, username string) []model.APIKey {
	t.Helper()
	var out []model.APIKey
	err := f.Client.StreamKeys(context.Background(), username, func(p []model.APIKey) { out = append(out, p...) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Calls is the server's call log named as the API's methods: "ListUsers",
// "StreamKeys:alice", "ListCollections:alice", "GlobalExpiryLimit",
// "CreateKey", "Deactivate:k1", "SetExpiry:k1", "SetInactivity:k1",
// "Delete:k1". A listing is named once, by its first page.
func (f *testAPI) Calls() []string {
	var out []string
	for _, c := range f.srv.Calls() {
		first := c.Query.Get("offset") == "" || c.Query.Get("offset") == "0"
		rest, _ := strings.CutPrefix(c.Path, "/api/v1/")
		switch {
		case c.Method == http.MethodGet && rest == "users":
			if first {
				out = append(out, "ListUsers")
			}
		case c.Method == http.MethodGet && rest == "admin/api_keys":
			if first {
				out = append(out, "StreamKeys:"+c.Query.Get("filter"))
			}
		case c.Method == http.MethodGet && rest == "collections/all":
			if first {
				out = append(out, "ListCollections:"+c.Query.Get("filter"))
			}
		case c.Method == http.MethodGet && rest == "configurations":
			out = append(out, "GlobalExpiryLimit")
		default:
			if name, ok := changeCalls[c.Method+" "+path.Dir(rest)]; ok {
				out = append(out, name+":"+path.Base(rest))
			} else if c.Method == http.MethodPost && rest == "admin/api_keys" {
				out = append(out, "CreateKey")
			} else {
				out = append(out, c.Method+" "+c.Path)
			}
		}
	}
	return out
}

// changeCalls names the single-key endpoints by method and the path
// before the key id.
var changeCalls = map[string]string{
	"POST admin/api_keys/deactivate":           "Deactivate",
	"PATCH admin/api_keys/expire":              "SetExpiry",
	"PATCH admin/api_keys/inactivity_interval": "SetInactivity",
	"DELETE admin/api_keys":                    "Delete",
}

func (f *testAPI) called(prefix string) int {
	n := 0
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// fail makes the call named as in Calls ("SetExpiry:k1", "CreateKey",
// "ListUsers") fail with status and the server's reason msg ("" for the
// status text), nothing done, every time.
func (f *testAPI) fail(call string, status int, msg string) {
	method, p := f.route(call)
	f.srv.Inject(demoserver.Fault{Method: method, Path: p, Kind: demoserver.FaultStatus, Status: status, Message: msg})
}

// createdKey is the key of username named name that is not one of the
// fixed ones: the one a test created.
func (f *testAPI) createdKey(t *testing.T, username, name string) model.APIKey {
	t.Helper()
	for _, k := range f.keysOf(t, username) {
		if k.Name == name && k.ID != "k1" && k.ID != "k2" && k.ID != "k3" && k.ID != "k4" && k.ID != "b1" {
			return k
		}
	}
	t.Fatalf("the server holds no created key %s of %s", name, username)
	return model.APIKey{}
}

// lose makes the call named act, then answer 504: its outcome is unknown
// to the client.
func (f *testAPI) lose(call string) {
	method, p := f.route(call)
	f.srv.Inject(demoserver.Fault{Method: method, Path: p, Kind: demoserver.FaultActThenStatus})
}

func (f *testAPI) route(call string) (method, p string) {
	name, arg, _ := strings.Cut(call, ":")
	switch name {
	case "ListUsers":
		return http.MethodGet, "/api/v1/users"
	case "StreamKeys":
		return http.MethodGet, "/api/v1/admin/api_keys"
	case "ListCollections":
		return http.MethodGet, "/api/v1/collections/all"
	case "GlobalExpiryLimit":
		return http.MethodGet, "/api/v1/configurations"
	case "CreateKey":
		return http.MethodPost, "/api/v1/admin/api_keys"
	}
	for k, v := range changeCalls {
		if v == name {
			method, dir, _ := strings.Cut(k, " ")
			return method, "/api/v1/" + dir + "/" + arg
		}
	}
	panic("testAPI: no call named " + call)
}

// setKey changes the stored key id as change says, on the server directly
// (no call is logged).
func (f *testAPI) setKey(t *testing.T, id string, change func(*model.APIKey)) {
	t.Helper()
	k, ok := f.srv.Key(id)
	if !ok {
		t.Fatalf("the server holds no key %s", id)
	}
	change(&k)
	f.srv.AddKey(k)
}

// deleteKeys deletes keys through the API, as an admin elsewhere would.
func (f *testAPI) deleteKeys(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := f.Client.Delete(context.Background(), id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
}

// listed is ids in the order the server lists username's keys ("" for
// every user's): the order rows arrive in. Each id must be listed.
func (f *testAPI) listed(t *testing.T, username string, ids ...string) []string {
	t.Helper()
	var out []string
	for _, k := range f.keysOf(t, username) {
		if slices.Contains(ids, k.ID) {
			out = append(out, k.ID)
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("the server lists %v of %v for %q", out, ids, username)
	}
	return out
}
