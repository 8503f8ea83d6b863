package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
)

// inflight counts the requests a handler is serving and remembers the most
// at once, which shows whether parallel page reads really overlap at the
// server rather than queueing somewhere on the way.
type inflight struct {
	h        http.Handler
	now, top atomic.Int32
	total    atomic.Int64
}

func (f *inflight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.total.Add(1)
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		m := f.top.Load()
		if n <= m || f.top.CompareAndSwap(m, n) {
			break
		}
	}
	f.h.ServeHTTP(w, r)
}

// demoClient builds a client for srv with the demo admin token.
func demoClient(tb testing.TB, url string, concurrency int) *Client {
	tb.Helper()
	c, err := New(Config{
		Address:     url,
		Token:       model.NewSecret(demoserver.DemoToken),
		Concurrency: concurrency,
		DebugOut:    io.Discard,
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// BenchmarkListAllKeys100k lists 100,000 keys from a demo server that adds
// 5 ms to every request: "sequential" reads one page at a time, "window"
// keeps the client's default number of reads in flight (sliding: a new read
// as soon as one finishes), the other widths show how the speed-up grows.
// The "jitter" cases add 0-10 ms more per request at random, where reading
// in waves would wait for each wave's slowest page and a sliding window
// does not.
func BenchmarkListAllKeys100k(b *testing.B) {
	const extra = 100_000
	demo := demoserver.New(demoserver.Options{Seed: 1, ExtraKeys: extra, Latency: 5 * time.Millisecond})
	counted := &inflight{h: demo}
	srv := httptest.NewServer(counted)
	defer srv.Close()
	jittered := &inflight{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(rand.N(10 * time.Millisecond))
		demo.ServeHTTP(w, r)
	})}
	jsrv := httptest.NewServer(jittered)
	defer jsrv.Close()

	cases := []struct {
		name        string
		srv         *httptest.Server
		counted     *inflight
		concurrency int
	}{
		{"sequential", srv, counted, 1},
		{"window", srv, counted, 0}, // the client's default
		{"window-4", srv, counted, 4},
		{"window-16", srv, counted, 16},
		{"jitter/sequential", jsrv, jittered, 1},
		{"jitter/window", jsrv, jittered, 0},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			c := demoClient(b, bc.srv.URL, bc.concurrency)
			bc.counted.top.Store(0)
			start := bc.counted.total.Load()
			var n int
			b.ReportAllocs()
			for b.Loop() {
				keys, err := c.ListAllKeys(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				n = len(keys)
			}
			if n < extra {
				b.Fatalf("listed %d keys, want at least %d", n, extra)
			}
			b.ReportMetric(float64(n), "keys/op")
			b.ReportMetric(float64(bc.counted.total.Load()-start)/float64(b.N), "requests/op")
			b.ReportMetric(float64(bc.counted.top.Load()), "max-in-flight")
		})
	}
}

// TestStreamKeysConcurrentEqualsSequential reads a big demo server both ways
// and wants the same keys, in the same order, field by field, page by page.
func TestStreamKeysConcurrentEqualsSequential(t *testing.T) {
	counted := &inflight{h: demoserver.New(demoserver.Options{Seed: 1, ExtraKeys: 5000, Now: fixedNow})}
	srv := httptest.NewServer(counted)
	defer srv.Close()

	read := func(concurrency int) (pages [][]model.APIKey) {
		t.Helper()
		err := demoClient(t, srv.URL, concurrency).StreamKeys(context.Background(), "", func(p []model.APIKey) {
			pages = append(pages, p)
		})
		if err != nil {
			t.Fatalf("concurrency %d: %v", concurrency, err)
		}
		return pages
	}
	seq := read(1)
	seqTop := counted.top.Load()
	var n int
	for _, p := range seq {
		n += len(p)
	}
	// A first page of 100, then pages of 1,000, the last one short.
	if n < 5000 || len(seq) != 1+(n-defaultPageSize)/defaultLargePage+1 {
		t.Fatalf("sequential read: %d keys in %d pages", n, len(seq))
	}
	if seqTop != 1 {
		t.Errorf("sequential read had %d requests at once, want 1", seqTop)
	}
	for _, concurrency := range []int{0, 4, 8, 16} {
		par := read(concurrency)
		if len(par) != len(seq) {
			t.Errorf("concurrency %d: %d pages, want %d", concurrency, len(par), len(seq))
			continue
		}
		for i := range seq {
			if len(par[i]) != len(seq[i]) {
				t.Errorf("concurrency %d: page %d has %d keys, want %d", concurrency, i, len(par[i]), len(seq[i]))
				continue
			}
			for j := range seq[i] {
				if !reflect.DeepEqual(par[i][j], seq[i][j]) {
					t.Errorf("concurrency %d: page %d key %d = %+v, want %+v", concurrency, i, j, par[i][j], seq[i][j])
				}
			}
		}
	}
}

// BenchmarkListAllKeys1M lists a million keys from the demo server over
// HTTP with the client's defaults: the dashboard's full load at scale,
// server and client in one process (B/op counts both).
func BenchmarkListAllKeys1M(b *testing.B) {
	const extra = 1_000_000
	srv := httptest.NewServer(demoserver.New(demoserver.Options{Seed: 1, ExtraKeys: extra}))
	defer srv.Close()
	c := demoClient(b, srv.URL, 0)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		keys, err := c.ListAllKeys(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n = len(keys)
	}
	if n < extra {
		b.Fatalf("listed %d keys, want at least %d", n, extra)
	}
	b.ReportMetric(float64(n), "keys/op")
}

// BenchmarkClientListAllKeys1M is the client's own cost of listing a
// million keys: the pages are encoded once up front and served from memory,
// so time and B/op are the client's (HTTP, decoding, collecting), with
// encoding/json ("encoding-json", the old path) and the client's decoder
// ("fast") side by side; "stream" is the fast path through StreamKeys
// without joining the pages into one slice, as the dashboard reads.
func BenchmarkClientListAllKeys1M(b *testing.B) {
	const extra, size = 1_000_000, defaultPageSize
	demo := demoserver.New(demoserver.Options{Seed: 1, ExtraKeys: extra})
	var pages [][]byte
	for off := 0; ; off += size {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/v1/admin/api_keys?offset=%d&limit=%d", off, size), nil)
		req.Header.Set("Authorization", "Bearer "+demoserver.DemoToken)
		rec := httptest.NewRecorder()
		demo.ServeHTTP(rec, req)
		pages = append(pages, rec.Body.Bytes())
		if bytes.Count(rec.Body.Bytes(), []byte(`"id":`)) < size {
			break
		}
	}
	demo = nil
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		w.Header().Set("Content-Type", "application/json")
		if off/size >= len(pages) {
			_, _ = w.Write([]byte("[]"))
			return
		}
		_, _ = w.Write(pages[off/size])
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name     string
		jsonKeys bool
		stream   bool
	}{{"encoding-json", true, false}, {"fast", false, false}, {"stream", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			c := demoClient(b, srv.URL, 0)
			c.jsonKeys = bc.jsonKeys
			b.ReportAllocs()
			var n int
			for b.Loop() {
				n = 0
				if bc.stream {
					var held [][]model.APIKey
					err := c.StreamKeys(context.Background(), "", func(p []model.APIKey) { held = append(held, p); n += len(p) })
					if err != nil {
						b.Fatal(err)
					}
					continue
				}
				keys, err := c.ListAllKeys(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				n = len(keys)
			}
			if n < extra {
				b.Fatalf("listed %d keys, want at least %d", n, extra)
			}
			b.ReportMetric(float64(n), "keys/op")
		})
	}
}
