package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// pageQueries lists the (offset, limit) of each key listing request, in
// offset order.
func pageQueries(t *testing.T, reqs []seen) [][2]int {
	t.Helper()
	var got [][2]int
	for _, r := range reqs {
		if r.Method != http.MethodGet || r.Path != "/api/v1/admin/api_keys" || r.Query.Has("filter") {
			t.Errorf("unexpected request %s %s", r.Method, r.RequestURI)
		}
		off, _ := strconv.Atoi(r.Query.Get("offset"))
		lim, _ := strconv.Atoi(r.Query.Get("limit"))
		got = append(got, [2]int{off, lim})
	}
	slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
	return got
}

// wantPages wants the requests up to the page that finds the listing's end
// (the last of want) exactly; past it, only reads that a wave or the window
// had already started (at most 8, the window; they may be cancelled before
// they reach the server).
func wantPages(t *testing.T, got, want [][2]int) {
	t.Helper()
	if len(got) < len(want) || len(got) > len(want)+8 || !reflect.DeepEqual(got[:len(want)], want) {
		t.Errorf("requests (offset, limit) %v, want %v and at most 8 more past it", got, want)
	}
}

// overLimit is a fake listing rows (pagedList) that hands a request asking
// for more than max items to over instead, with the listing to call.
func overLimit(t *testing.T, rows []map[string]any, max int, over func(http.ResponseWriter, *http.Request, http.HandlerFunc)) *fake {
	list := pagedList(t, rows, "username")
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if lim, _ := strconv.Atoi(r.URL.Query().Get("limit")); lim > max {
			over(w, r, list)
			return
		}
		list(w, r)
	})
}

// wantKeysInOrder wants keys to be key-0000 to key-(n-1) (keyRows), each
// once, in order.
func wantKeysInOrder(t *testing.T, keys []model.APIKey, n int) {
	t.Helper()
	if len(keys) != n {
		t.Fatalf("got %d keys, want %d", len(keys), n)
	}
	for i, k := range keys {
		if want := fmt.Sprintf("key-%04d", i); k.ID != want {
			t.Fatalf("key %d is %s, want %s", i, k.ID, want)
		}
	}
}

// A listing asks for the spec's default page first, then for large pages;
// a large page that comes back shorter than asked but no shorter than the
// first is told from the end by one more page of its length.
func TestListAllKeysPaging(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want [][2]int
	}{
		{0, [][2]int{{0, 100}}},
		{99, [][2]int{{0, 100}}},
		{100, [][2]int{{0, 100}, {100, 1000}}},
		{150, [][2]int{{0, 100}, {100, 1000}}},                // 50 < 100: the end
		{250, [][2]int{{0, 100}, {100, 1000}, {250, 150}}},    // 150: a bound or the end?
		{200, [][2]int{{0, 100}, {100, 1000}, {200, 100}}},    // an exact multiple ends empty
		{1100, [][2]int{{0, 100}, {100, 1000}, {1100, 1000}}}, // full: then a wave of two
		{2600, [][2]int{{0, 100}, {100, 1000}, {1100, 1000}, {2100, 1000}}},
	} {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			srv := newFake(t, pagedList(t, keyRows(tt.n, "alice"), "username"))
			keys, err := newTestClient(t, srv.URL).ListAllKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != tt.n || tt.n > 0 && (keys[0].ID != "key-0000" || keys[tt.n-1].ID != fmt.Sprintf("key-%04d", tt.n-1)) {
				t.Fatalf("got %d keys (%v...)", len(keys), keyIDs(keys)[:min(3, len(keys))])
			}
			wantPages(t, pageQueries(t, srv.requests()), tt.want)
		})
	}
}

// A server that bounds its pages (here below the large size asked for) is
// read whole: every key once, in order, as with the default page all along.
func TestListAllKeysServerBoundsPages(t *testing.T) {
	rows := keyRows(2345, "alice")
	for _, bound := range []int{100, 250, 999} {
		t.Run(strconv.Itoa(bound), func(t *testing.T) {
			srv := overLimit(t, rows, bound, func(w http.ResponseWriter, r *http.Request, list http.HandlerFunc) {
				q := r.URL.Query()
				q.Set("limit", strconv.Itoa(bound))
				r.URL.RawQuery = q.Encode()
				list(w, r)
			})
			keys, err := newTestClient(t, srv.URL).ListAllKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			wantKeysInOrder(t, keys, len(rows))
			// Up to the page that finds the end, exactly these; past it,
			// only reads already in flight (at most the window of 8).
			want := [][2]int{{0, 100}, {100, 1000}}
			for off := 100 + bound; off <= len(rows); off += bound {
				want = append(want, [2]int{off, bound})
			}
			got := pageQueries(t, srv.requests())
			wantPages(t, got, want)
			for _, q := range got[min(len(want), len(got)):] {
				if q[1] != bound || (q[0]-100)%bound != 0 {
					t.Errorf("past the end, asked for (%d, %d): not a page of the bound %d", q[0], q[1], bound)
				}
			}
		})
	}
}

func TestListKeysExactOwner(t *testing.T) {
	rows := append(keyRows(3, "alice"), keyJSON(10, "malice"), keyJSON(11, "alice2"), keyJSON(12, "bob"), keyJSON(13, "Alice"))
	rows = append(rows, keyJSON(14, "alice"))
	srv := newFake(t, pagedList(t, rows, "username"))
	keys, err := newTestClient(t, srv.URL).ListKeys(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"key-0000", "key-0001", "key-0002", "key-0014"}
	if got := keyIDs(keys); !reflect.DeepEqual(got, want) {
		t.Errorf("ListKeys(alice) = %v, want %v", got, want)
	}
	for _, r := range srv.requests() {
		if r.Query.Get("filter") != "alice" {
			t.Errorf("filter = %q, want alice", r.Query.Get("filter"))
		}
	}
	if _, err := newTestClient(t, srv.URL).ListKeys(context.Background(), ""); err == nil {
		t.Error("ListKeys(\"\") succeeded; an empty username would list everyone's keys")
	}
}

func TestStreamKeysMatchesSequentialRead(t *testing.T) {
	rows := keyRows(250, "alice")
	for i := 0; i < len(rows); i += 9 {
		rows[i]["username"] = "malice" // spread loose matches over many pages
	}
	var inFlight, maxInFlight atomic.Int32
	list := pagedList(t, rows, "username")
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		list(w, r)
	})
	read := func(concurrency int) ([][]string, []string) {
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 7, 7; cfg.Concurrency = concurrency })
		var pages [][]string
		var all []string
		err := c.StreamKeys(context.Background(), "alice", func(p []model.APIKey) {
			pages = append(pages, keyIDs(p))
			all = append(all, keyIDs(p)...)
		})
		if err != nil {
			t.Fatal(err)
		}
		return pages, all
	}
	seqPages, seqAll := read(1)
	seqRequests := len(srv.requests())
	parPages, parAll := read(4)
	if len(seqPages) != 36 || seqRequests != 36 {
		t.Fatalf("sequential read: %d pages in %d requests, want 36 and 36", len(seqPages), seqRequests)
	}
	var want []string
	for _, r := range rows {
		if r["username"] == "alice" {
			want = append(want, r["id"].(string))
		}
	}
	if !reflect.DeepEqual(seqAll, want) {
		t.Fatalf("sequential read differs from the server's rows")
	}
	if !reflect.DeepEqual(parPages, seqPages) || !reflect.DeepEqual(parAll, seqAll) {
		t.Errorf("concurrent read differs from sequential read:\n%v\n%v", parPages, seqPages)
	}
	counts := map[int]int{}
	for _, r := range srv.requests()[seqRequests:] {
		off, _ := strconv.Atoi(r.Query.Get("offset"))
		if off%7 != 0 || r.Query.Get("limit") != "7" {
			t.Errorf("request offset %d limit %s", off, r.Query.Get("limit"))
		}
		counts[off/7]++
	}
	for p := 0; p < 36; p++ {
		if counts[p] != 1 {
			t.Errorf("page %d read %d times, want once", p, counts[p])
		}
	}
	if extra := len(srv.requests()) - seqRequests - 36; extra > 3 {
		t.Errorf("%d requests past the last page, want at most concurrency-1", extra)
	}
	if m := maxInFlight.Load(); m > 4 {
		t.Errorf("%d requests at once, want at most 4", m)
	}
}

// The second window (offsets 7 and 14) is only answered once both requests
// are at the server, which proves they are sent together.
func TestStreamKeysReadsInParallel(t *testing.T) {
	list := pagedList(t, keyRows(30, "alice"), "username")
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if off := r.URL.Query().Get("offset"); off == "7" || off == "14" {
			mu.Lock()
			if arrived++; arrived == 2 {
				close(both)
			}
			mu.Unlock()
			select {
			case <-both:
			case <-time.After(10 * time.Second): // fail-safe only: a sequential client would hang here
				t.Error("pages 7 and 14 were not requested at the same time")
			}
		}
		list(w, r)
	})
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 7, 7; cfg.Concurrency = 4 })
	keys, err := c.ListAllKeys(context.Background())
	if err != nil || len(keys) != 30 {
		t.Fatalf("ListAllKeys = %d keys, %v", len(keys), err)
	}
}

func TestStreamKeysStops(t *testing.T) {
	rows := keyRows(100, "alice")
	list := pagedList(t, rows, "username")

	t.Run("error mid-stream: earlier pages delivered, later ones not", func(t *testing.T) {
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("offset") == "21" {
				writeEndpointError(w, 500, "database is down")
				return
			}
			list(w, r)
		})
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 7, 7 })
		var got []string
		err := c.StreamKeys(context.Background(), "", func(p []model.APIKey) { got = append(got, keyIDs(p)...) })
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 500 || err.Error() != "list keys: server error (500): database is down" {
			t.Fatalf("err = %v", err)
		}
		if len(got) != 21 || got[20] != "key-0020" {
			t.Errorf("delivered %d keys before the failing page, want 21", len(got))
		}
	})

	t.Run("cancelled from onPage", func(t *testing.T) {
		srv := newFake(t, list)
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 7, 7 })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		err := c.StreamKeys(ctx, "", func(p []model.APIKey) { calls++; cancel() })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if calls != 1 {
			t.Errorf("onPage called %d times after cancelling, want 1", calls)
		}
	})

	t.Run("rows shifted by a new key are not repeated", func(t *testing.T) {
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			if off > 0 { // a key was created at the top after the first page was read
				shifted := append([]map[string]any{keyJSON(999, "alice")}, rows[:10]...)
				page := shifted[off:min(off+5, len(shifted))]
				writeJSON(w, 200, page)
				return
			}
			writeJSON(w, 200, rows[:5])
		})
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 5, 5; cfg.Concurrency = 1 })
		keys, err := c.ListAllKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"key-0000", "key-0001", "key-0002", "key-0003", "key-0004", "key-0005", "key-0006", "key-0007", "key-0008", "key-0009"}
		if got := keyIDs(keys); !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// countingTransport counts the requests a client has under way: from the
// start of the round trip until its answer's body is closed (or the trip
// fails).
type countingTransport struct {
	rt       http.RoundTripper
	inFlight atomic.Int32
	// peak is the most requests ever under way at once.
	peak atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := c.inFlight.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	res, err := c.rt.RoundTrip(r)
	if err != nil {
		c.inFlight.Add(-1)
		return nil, err
	}
	res.Body = &countedBody{ReadCloser: res.Body, done: func() { c.inFlight.Add(-1) }}
	return res, nil
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// TestStreamKeysWaitsForRequestsInFlight: when onPage cancels or a page
// fails, the page after it is still at the server (its handler blocks until
// its request is abandoned). StreamKeys must not return before that request
// has finished, so no read outlives the call that started it.
func TestStreamKeysWaitsForRequestsInFlight(t *testing.T) {
	rows := keyRows(100, "alice")
	list := pagedList(t, rows, "username")
	for _, tt := range []struct {
		name    string
		fail    bool // offset 5 answers 400; otherwise onPage cancels on it
		wantErr func(error) bool
	}{
		{"onPage cancels", false, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"a page fails", true, func(err error) bool { return errors.Is(err, ErrNotFound) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			blockedArrived := make(chan struct{})
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Query().Get("offset") {
				case "5":
					<-blockedArrived // answer only once the next page is under way
					if tt.fail {
						writeEndpointError(w, 404, "gone")
						return
					}
					list(w, r)
				case "10":
					close(blockedArrived)
					<-r.Context().Done() // held until the client gives up on it
				default:
					list(w, r)
				}
			})
			c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 5, 5; cfg.Concurrency = 4 })
			ct := &countingTransport{rt: c.rc.GetClient().Transport}
			c.rc.GetClient().Transport = ct

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pages := 0
			err := c.StreamKeys(ctx, "", func([]model.APIKey) {
				if pages++; pages == 2 {
					cancel()
				}
			})
			if n := ct.inFlight.Load(); n != 0 {
				t.Errorf("StreamKeys returned with %d requests still in flight", n)
			}
			if !tt.wantErr(err) {
				t.Errorf("err = %v", err)
			}
			if n := len(srv.requests()); n != 3 {
				t.Errorf("%d requests, want 3 (offsets 0, 5 and 10)", n)
			}
		})
	}
}

func TestCheckAdmin(t *testing.T) {
	tests := []struct {
		name   string
		status int
		is     error
	}{
		{"admin", 200, nil},
		{"rejected token", 401, ErrUnauthorized},
		{"not an admin", 403, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 200 {
					writeJSON(w, 200, []any{keyJSON(1, "alice")})
					return
				}
				writeEndpointError(w, tt.status, "no")
			})
			err := newTestClient(t, srv.URL).CheckAdmin(context.Background())
			if tt.is == nil && err != nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("CheckAdmin = %v, want %v", err, tt.is)
			}
			r := srv.requests()[0]
			if r.Path != "/api/v1/admin/api_keys" || r.Query.Get("limit") != "1" {
				t.Errorf("request %s", r.RequestURI)
			}
		})
	}
}

// Request bodies are compared as JSON text: "{}" for removals, and no
// collection_id on a global key.
func TestWriteRequests(t *testing.T) {
	thirty := model.Expiry{In: model.Interval{N: 30, Unit: model.Day}}
	tests := []struct {
		name       string
		do         func(*Client) error
		method     string
		requestURI string
		body       string
	}{
		{
			name: "create global key",
			do: func(c *Client) error {
				_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u-1", Name: "ci"})
				return err
			},
			method: "POST", requestURI: "/api/v1/admin/api_keys", body: `{"user_id":"u-1","name":"ci"}`,
		},
		{
			name: "create global key with never-expiring expiry",
			do: func(c *Client) error {
				_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u-1", Name: "ci", Expiry: &model.Expiry{Never: true}})
				return err
			},
			method: "POST", requestURI: "/api/v1/admin/api_keys", body: `{"user_id":"u-1","name":"ci"}`,
		},
		{
			name: "create collection key with expiry and inactivity",
			do: func(c *Client) error {
				_, err := c.CreateKey(context.Background(), model.NewKey{UserID: "u-1", Name: "docs bot", CollectionID: "c-9", Expiry: &thirty, InactivityDays: 60})
				return err
			},
			method: "POST", requestURI: "/api/v1/admin/api_keys",
			body: `{"user_id":"u-1","name":"docs bot","collection_id":"c-9","expires_in":"30 days","inactivity_interval":60}`,
		},
		{
			name:   "set expiry",
			do:     func(c *Client) error { return c.SetExpiry(context.Background(), "k-1", thirty) },
			method: "PATCH", requestURI: "/api/v1/admin/api_keys/expire/k-1", body: `{"expires_in":"30 days"}`,
		},
		{
			name: "set expiry of one hour",
			do: func(c *Client) error {
				return c.SetExpiry(context.Background(), "k-1", model.Expiry{In: model.Interval{N: 1, Unit: model.Hour}})
			},
			method: "PATCH", requestURI: "/api/v1/admin/api_keys/expire/k-1", body: `{"expires_in":"1 hour"}`,
		},
		{
			name:   "remove expiry",
			do:     func(c *Client) error { return c.SetExpiry(context.Background(), "k-1", model.Expiry{Never: true}) },
			method: "PATCH", requestURI: "/api/v1/admin/api_keys/expire/k-1", body: `{}`,
		},
		{
			name:   "set inactivity",
			do:     func(c *Client) error { return c.SetInactivity(context.Background(), "k-1", 60) },
			method: "PATCH", requestURI: "/api/v1/admin/api_keys/inactivity_interval/k-1", body: `{"inactivity_interval":60}`,
		},
		{
			name:   "remove inactivity",
			do:     func(c *Client) error { return c.SetInactivity(context.Background(), "k-1", 0) },
			method: "PATCH", requestURI: "/api/v1/admin/api_keys/inactivity_interval/k-1", body: `{}`,
		},
		{
			name:   "deactivate",
			do:     func(c *Client) error { return c.Deactivate(context.Background(), "k-1") },
			method: "POST", requestURI: "/api/v1/admin/api_keys/deactivate/k-1", body: ``,
		},
		{
			name:   "delete",
			do:     func(c *Client) error { return c.Delete(context.Background(), "k-1") },
			method: "DELETE", requestURI: "/api/v1/admin/api_keys/k-1", body: ``,
		},
		{
			name:   "delete escapes the id",
			do:     func(c *Client) error { return c.Delete(context.Background(), "a/b c?d") },
			method: "DELETE", requestURI: "/api/v1/admin/api_keys/a%2Fb%20c%3Fd", body: ``,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/api/v1/admin/api_keys" {
					writeJSON(w, 201, map[string]any{"secret_key": "sk-new", "api_key": keyJSON(1, "alice")})
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			if err := tt.do(newTestClient(t, srv.URL)); err != nil {
				t.Fatal(err)
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.RequestURI != tt.requestURI || r.Body != tt.body {
				t.Errorf("sent %s %s %s\nwant %s %s %s", r.Method, r.RequestURI, r.Body, tt.method, tt.requestURI, tt.body)
			}
		})
	}
}

// apiIntervalRE is the API's expires_in form: a whole number and a unit.
var apiIntervalRE = regexp.MustCompile(`^\d+ (minute|hour|day|week|month|year)s?$`)

// Whatever an admin types (the CLI's shorthand, a date), the client sends
// expires_in in the API's form, on create and on PATCH alike.
func TestExpiresInIsTheAPIForm(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 26, 53, 0, time.UTC)
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			writeJSON(w, 201, map[string]any{"secret_key": "sk-new", "api_key": keyJSON(1, "alice")})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	for _, in := range []string{"30d", "1d", "12h", "1h", "2w", "6mo", "1y", "90m", "1m", "90 days", "1 day", "2026-12-31", "2026-11-26"} {
		e, err := model.ParseExpiry(in, now)
		if err != nil {
			t.Fatalf("ParseExpiry(%q): %v", in, err)
		}
		if _, err := c.CreateKey(ctx, model.NewKey{UserID: "u", Name: "n", Expiry: &e}); err != nil {
			t.Fatal(err)
		}
		if err := c.SetExpiry(ctx, "k", e); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range srv.requests() {
		var body struct {
			ExpiresIn string `json:"expires_in"`
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || !apiIntervalRE.MatchString(body.ExpiresIn) {
			t.Errorf("%s %s sent expires_in %q, not the API's form", r.Method, r.Path, body.ExpiresIn)
		}
	}
}

func TestWritesRefuseBadInput(t *testing.T) {
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	c := newTestClient(t, srv.URL)
	ctx := context.Background()
	errs := map[string]error{
		"empty delete id":     c.Delete(ctx, ""),
		"empty deactivate id": c.Deactivate(ctx, ""),
		"negative inactivity": c.SetInactivity(ctx, "k", -1),
		"zero expiry":         c.SetExpiry(ctx, "k", model.Expiry{}),
	}
	_, errs["create without user"] = c.CreateKey(ctx, model.NewKey{Name: "x"})
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests sent for bad input", n)
	}
}

func TestCreateKeyResult(t *testing.T) {
	for _, status := range []int{200, 201} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			secret := "sk-" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8L9z0X1c2V3b4"
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, status, map[string]any{"secret_key": secret, "api_key": keyJSON(7, "alice")})
			})
			ck, err := newTestClient(t, srv.URL).CreateKey(context.Background(), model.NewKey{UserID: "u", Name: "n"})
			if err != nil {
				t.Fatal(err)
			}
			if ck.Secret.Reveal() != secret || ck.Key.ID != "key-0007" || ck.Key.Username != "alice" {
				t.Errorf("CreatedKey = %v %+v", ck.Secret, ck.Key)
			}
		})
	}
}

func TestUsers(t *testing.T) {
	var rows []map[string]any
	for i := range 250 {
		rows = append(rows, map[string]any{"id": "id-" + strconv.Itoa(i), "username": "user" + strconv.Itoa(i), "email": "u@example.com"})
	}
	rows[150]["username"] = "bobby"
	rows[151]["username"] = "bob"
	rows[152]["username"] = "bob2"
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/users":
			pagedList(t, rows, "username")(w, r)
		case "/api/v1/users/id-7":
			writeJSON(w, 200, rows[7])
		default:
			writeEndpointError(w, 404, "user not found")
		}
	})
	c := newTestClient(t, srv.URL)
	ctx := context.Background()

	users, err := c.ListUsers(ctx)
	if err != nil || len(users) != 250 || users[249].ID != "id-249" {
		t.Fatalf("ListUsers = %d users, %v", len(users), err)
	}

	before := len(srv.requests())
	u, err := c.FindUser(ctx, "bob")
	if err != nil || u.ID != "id-151" {
		t.Fatalf("FindUser(bob) = %+v, %v", u, err)
	}
	if n := len(srv.requests()) - before; n != 2 {
		t.Errorf("FindUser read %d pages, want 2 (it stops once found)", n)
	}
	_, err = c.FindUser(ctx, "bo")
	if !errors.Is(err, ErrNotFound) || err.Error() != `user "bo" not found` {
		t.Errorf("FindUser(bo) = %v, want user \"bo\" not found", err)
	}

	u, err = c.GetUser(ctx, "id-7")
	if err != nil || u.Username != "user7" {
		t.Errorf("GetUser(id-7) = %+v, %v", u, err)
	}
	_, err = c.GetUser(ctx, "nobody")
	if !errors.Is(err, ErrNotFound) || err.Error() != "get user nobody: not found (404): user not found" {
		t.Errorf("GetUser(nobody) = %v", err)
	}
}

func TestListCollections(t *testing.T) {
	col := func(id, name, owner string) map[string]any {
		return map[string]any{"id": id, "name": name, "description": "", "username": owner, "document_count": 3,
			"created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05.000001+00:00",
			"embedding_model": "m", "document_size": 1, "user_count": 1, "is_public": false, "sessions_count": 0, "status": "ok"}
	}
	rows := []map[string]any{
		col("c1", "Docs", "alice"), col("c2", "malice's notes", "malice"), col("c3", "alice's shared", "bob"),
		col("c4", "Wiki", "alice"),
	}
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		// the real filter also matches names; imitate it by matching any field
		f := r.URL.Query().Get("filter")
		var match []map[string]any
		for _, row := range rows {
			if b, _ := json.Marshal(row); strings.Contains(string(b), f) {
				match = append(match, row)
			}
		}
		writeJSON(w, 200, match)
	})
	cols, err := newTestClient(t, srv.URL).ListCollections(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 2 || cols[0].ID != "c1" || cols[1].ID != "c4" || cols[0].DocumentCount != 3 || cols[0].UpdatedAt.Nanosecond() != 1000 {
		t.Errorf("ListCollections(alice) = %+v", cols)
	}
	r := srv.requests()[0]
	if r.Path != "/api/v1/collections/all" || r.Query.Get("filter") != "alice" || r.Query.Get("offset") != "0" || r.Query.Get("limit") != "100" {
		t.Errorf("request %s", r.RequestURI)
	}
}

func TestGlobalExpiryLimit(t *testing.T) {
	item := func(v string) map[string]any {
		return map[string]any{"key_name": expiryLimitKey, "string_value": v, "value_type": "int", "can_overwrite": false, "is_public": true}
	}
	other := map[string]any{"key_name": "something_else", "string_value": "7", "value_type": "int", "can_overwrite": false, "is_public": true}
	tests := []struct {
		name    string
		items   []map[string]any
		want    int
		wantErr bool
	}{
		{"absent", []map[string]any{other}, 0, false},
		{"empty", []map[string]any{other, item("")}, 0, false},
		{"zero", []map[string]any{item("0")}, 0, false},
		{"ninety", []map[string]any{other, item("90")}, 90, false},
		{"spaces", []map[string]any{item(" 30 ")}, 30, false},
		{"float spelling", []map[string]any{item("90.0")}, 90, false},
		{"fraction", []map[string]any{item("1.5")}, 0, true},
		{"words", []map[string]any{item("ninety")}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tt.items) })
			got, err := newTestClient(t, srv.URL).GlobalExpiryLimit(context.Background())
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("GlobalExpiryLimit = %d, %v; want %d (error %v)", got, err, tt.want, tt.wantErr)
			}
			r := srv.requests()[0]
			if r.Path != "/api/v1/configurations" || r.Query.Get("as_admin") != "true" {
				t.Errorf("request %s", r.RequestURI)
			}
		})
	}
}

// seenIDs drops a key only by its exact id (this page or the page before);
// a hash met before only makes the key not new for the paging guard.
func TestSeenIDs(t *testing.T) {
	s := newSeenIDs()
	type step struct {
		id            string
		isNew, repeat bool
	}
	check := func(steps ...step) {
		t.Helper()
		for _, st := range steps {
			if isNew, repeat := s.add(st.id); isNew != st.isNew || repeat != st.repeat {
				t.Errorf("add(%q) = new %v, repeat %v; want %v, %v", st.id, isNew, repeat, st.isNew, st.repeat)
			}
		}
		s.endPage()
	}
	check(step{"a", true, false}, step{"b", true, false}, step{"a", false, true})
	check(step{"b", false, true}, step{"c", true, false}) // shifted from the page before
	check(step{"d", true, false})
	// Two pages on, "a" is not dropped (it could be a different id with
	// the same hash), but it is not new either.
	check(step{"a", false, false})
	// A collision: "e" is new, but another id already had its hash.
	s.hashes[maphash.String(s.seed, "e")] = struct{}{}
	check(step{"e", false, false})
	// The exact sets are built at a page's first hash met before ("a"),
	// from ids kept until then ("f"), and kept up after it ("g"); the
	// page's set becomes the next page's.
	check(step{"f", true, false}, step{"a", false, false}, step{"g", true, false}, step{"g", false, true}, step{"f", false, true})
	check(step{"g", false, true}, step{"f", false, true}, step{"h", true, false})
	check(step{"a", false, false}, step{"h", false, true}, step{"g", false, false})
}

// ownerKeys serves each owner's keys under a loose filter, answering the
// owners in the list slow ones first so replies arrive out of order.
func ownerKeysServer(t *testing.T, rows []map[string]any, slow map[string]time.Duration, ct *atomic.Int32, peak *atomic.Int32) *fake {
	list := pagedList(t, rows, "username")
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		n := ct.Add(1)
		defer ct.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(slow[r.URL.Query().Get("filter")])
		list(w, r)
	})
}

func TestStreamKeysByOwner(t *testing.T) {
	var rows []map[string]any
	owners := []string{"alice", "bob", "carol", "dave", "erin", "malice"}
	for i := range 120 {
		rows = append(rows, keyJSON(i, owners[i%len(owners)]))
	}
	slow := map[string]time.Duration{"alice": 30 * time.Millisecond, "carol": 10 * time.Millisecond}
	var ct, peak atomic.Int32
	srv := ownerKeysServer(t, rows, slow, &ct, &peak)
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 5, 5; cfg.Concurrency = 3 })
	counting := &countingTransport{rt: c.rc.GetClient().Transport}
	c.rc.GetClient().Transport = counting
	var got []string
	err := c.StreamKeysByOwner(context.Background(), owners, func(owner string, keys []model.APIKey) error {
		for _, k := range keys {
			if k.Username != owner {
				t.Errorf("%s's keys hold %s of %s", owner, k.ID, k.Username)
			}
		}
		if len(keys) != 20 {
			t.Errorf("%s: %d keys, want 20 (alice's must not include malice's)", owner, len(keys))
		}
		got = append(got, owner)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, owners) {
		t.Errorf("owners delivered %v, want %v", got, owners)
	}
	// The bound is the client's: a page past an owner's end that the
	// client gave up on may still be running in the server's handler, so
	// the server can briefly see one more; it must see owners overlap.
	if p := counting.peak.Load(); p > 3 {
		t.Errorf("the client had %d requests under way at once, want at most 3 (Concurrency 3, shared by owners)", p)
	}
	if p := peak.Load(); p < 2 {
		t.Errorf("the server saw at most %d requests at once: owners were not read side by side", p)
	}

	t.Run("an empty username is refused before any request", func(t *testing.T) {
		before := len(srv.requests())
		err := c.StreamKeysByOwner(context.Background(), []string{"alice", ""}, func(string, []model.APIKey) error { return nil })
		if err == nil || len(srv.requests()) != before {
			t.Errorf("err %v, %d requests", err, len(srv.requests())-before)
		}
	})
	t.Run("more keys than MaxItems", func(t *testing.T) {
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 5, 5; cfg.MaxItems = 50 })
		n := 0
		err := c.StreamKeysByOwner(context.Background(), owners, func(string, []model.APIKey) error { n++; return nil })
		if !errors.Is(err, ErrPaging) || n != 2 {
			t.Errorf("err %v after %d owners, want ErrPaging after 2 (60 keys > 50)", err, n)
		}
	})
	t.Run("onOwner's error stops it, with nothing left in flight", func(t *testing.T) {
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 5, 5; cfg.Concurrency = 3 })
		counting := &countingTransport{rt: c.rc.GetClient().Transport}
		c.rc.GetClient().Transport = counting
		stop := errors.New("stdout closed")
		n := 0
		err := c.StreamKeysByOwner(context.Background(), owners, func(string, []model.APIKey) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("err %v after %d owners", err, n)
		}
		if v := counting.inFlight.Load(); v != 0 {
			t.Errorf("%d requests still in flight after return", v)
		}
	})
	t.Run("a failing owner's error", func(t *testing.T) {
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("filter") == "bob" {
				writeEndpointError(w, 500, "database is down")
				return
			}
			pagedList(t, rows, "username")(w, r)
		})
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = 5, 5; cfg.MaxRetries = -1 })
		var got []string
		err := c.StreamKeysByOwner(context.Background(), owners, func(o string, _ []model.APIKey) error { got = append(got, o); return nil })
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 500 || !slices.Equal(got, []string{"alice"}) {
			t.Errorf("err %v, delivered %v; want the 500 after alice only", err, got)
		}
	})
}

// A server that refuses a limit above its maximum (400 or 422, as a
// framework validating the parameter does) is read whole in pages of the
// first page's size; any other answer to the first large page is an error.
func TestListAllKeysServerRefusesLargePages(t *testing.T) {
	rows := keyRows(2345, "alice")
	for _, status := range []int{400, 422, 403} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := overLimit(t, rows, 500, func(w http.ResponseWriter, _ *http.Request, _ http.HandlerFunc) {
				writeEndpointError(w, status, "limit: must be at most 500")
			})
			keys, err := newTestClient(t, srv.URL).ListAllKeys(context.Background())
			if status == 403 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.Status != 403 {
					t.Fatalf("a 403 to the large page: err = %v, want it reported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantKeysInOrder(t, keys, len(rows))
			want := [][2]int{{0, 100}, {100, 1000}, {100, 100}}
			for off := 200; off <= len(rows); off += 100 {
				want = append(want, [2]int{off, 100})
			}
			// The refused page and its repeat share an offset: sorted by
			// offset, the refused one may come either side of its repeat.
			got := pageQueries(t, srv.requests())
			if len(got) > 2 && got[1] == [2]int{100, 100} && got[2] == [2]int{100, 1000} {
				got[1], got[2] = got[2], got[1]
			}
			wantPages(t, got, want)
		})
	}
}

// Sampled (pages of sampleFrom ids or more), the guard remembers one id in
// eight: it still counts no new id on a page met before, however far back,
// and some on every page of new ids; repeats are still dropped by their
// exact ids, remembered or not; and the set holds about an eighth of them.
func TestSeenIDsSampled(t *testing.T) {
	s := newSeenIDs()
	page := func(p int) []string {
		ids := make([]string, sampleFrom)
		for i := range ids {
			ids[i] = fmt.Sprintf("key-%d-%d", p, i)
		}
		return ids
	}
	read := func(ids []string) (fresh, repeats int) {
		s.sampleFor(len(ids))
		for _, id := range ids {
			isNew, repeat := s.add(id)
			if isNew {
				fresh++
			}
			if repeat {
				repeats++
			}
		}
		s.endPage()
		return fresh, repeats
	}
	const pages = 200
	for p := range pages {
		if fresh, repeats := read(page(p)); fresh == 0 || repeats != 0 {
			t.Fatalf("page %d of new ids: %d new, %d repeats", p, fresh, repeats)
		}
	}
	if n := len(s.hashes); n < pages*sampleFrom/16 || n > pages*sampleFrom/4 {
		t.Errorf("%d hashes kept of %d ids, want about an eighth", n, pages*sampleFrom)
	}
	// A page from far back: nothing new (so a full one is refused), and not
	// dropped (not on the page before).
	if fresh, repeats := read(page(7)); fresh != 0 || repeats != 0 {
		t.Errorf("a page met before: %d new, %d repeats; want none", fresh, repeats)
	}
	// The same page again: every id on the page before, each dropped.
	if fresh, repeats := read(page(7)); fresh != 0 || repeats != sampleFrom {
		t.Errorf("the page before again: %d new, %d repeats; want 0, %d", fresh, repeats, sampleFrom)
	}
	// Rows shifted by one: the first id is the page before's last.
	read(page(pages))
	shifted := append(page(pages)[sampleFrom-1:], page(pages + 1)[:sampleFrom-1]...)
	if fresh, repeats := read(shifted); fresh == 0 || repeats != 1 {
		t.Errorf("a shifted page: %d new, %d repeats; want some, 1", fresh, repeats)
	}
	// Small pages after large ones stay sampled: the ids remembered before
	// are all still there.
	if fresh, _ := read(page(3)[:10]); fresh != 0 {
		t.Errorf("ten ids met before: %d new", fresh)
	}
}

// The guard, sampled, against a full page whose only new ids are ones it
// does not remember (rows shifted by nearly a page): the page is let
// through, where counting only remembered ids refused it about half the
// time. A server cycling over pages further back is still stopped, at
// most one page later; one that repeats the page before, at once.
func TestSampledGuardUnknownIDs(t *testing.T) {
	newGuard := func() (*seenIDs, *pageBound) {
		return newSeenIDs(), &pageBound{op: "list keys", what: "key", max: 1 << 30}
	}
	page := func(p int) []string {
		ids := make([]string, sampleFrom)
		for i := range ids {
			ids[i] = fmt.Sprintf("key-%d-%d", p, i)
		}
		return ids
	}
	read := func(s *seenIDs, b *pageBound, offset int, ids []string) error {
		s.sampleFor(sampleFrom)
		fresh := 0
		for _, id := range ids {
			if isNew, _ := s.add(id); isNew {
				fresh++
			}
		}
		unknown := s.unknown
		s.endPage()
		return b.check(offset, sampleFrom, len(ids), fresh, unknown)
	}
	// Five new ids, none of them remembered, after the page before again.
	s, b := newGuard()
	var unremembered []string
	for i := 0; len(unremembered) < 5; i++ {
		id := fmt.Sprintf("new-%d", i)
		if maphash.String(s.seed, id)&sampleBits != 0 {
			unremembered = append(unremembered, id)
		}
	}
	if err := read(s, b, 0, page(0)); err != nil {
		t.Fatal(err)
	}
	shifted := append(page(0)[:sampleFrom-5], unremembered...)
	if err := read(s, b, sampleFrom, shifted); err != nil {
		t.Errorf("a page of five new ids among repeats was refused: %v", err)
	}
	if err := read(s, b, 2*sampleFrom, page(2)); err != nil {
		t.Errorf("the page after it: %v", err)
	}
	// The page before, again: all repeats, refused at once.
	if err := read(s, b, 3*sampleFrom, page(2)); !errors.Is(err, ErrPaging) {
		t.Errorf("the page before again: %v, want ErrPaging", err)
	}
	// A server cycling over three pages: stopped within two pages of the
	// cycle's start.
	s, b = newGuard()
	var err error
	reads := 0
	for p := 0; p < 12 && err == nil; p++ {
		err = read(s, b, p*sampleFrom, page(p%3))
		reads++
	}
	if !errors.Is(err, ErrPaging) || reads > 5 {
		t.Errorf("a cycle of three pages: %v after %d pages, want ErrPaging after at most 5", err, reads)
	}
}

// A page's set finds an id by its hash, then checks the id: an id whose
// hash a later id took is still found (by looking through the page), and
// an id that only shares a hash is not.
func TestIDSetChecksTheID(t *testing.T) {
	ids := []string{"x", "y"}
	m := idSet{42: 1} // "y", placed last, holds the hash "x" had too
	if !m.has(ids, "x", 42) || !m.has(ids, "y", 42) {
		t.Error("an id on the page not found by its hash")
	}
	if m.has(ids, "z", 42) || m.has(ids, "x", 7) {
		t.Error("an id not on the page found")
	}
}
