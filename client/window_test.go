package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// TestStreamKeysSlides holds one page at the server until a page further
// on than any wave of Config.Concurrency pages could reach has been asked
// for. Reading in waves would wait for the held page first and never ask;
// a sliding window keeps reading around it. Pages still reach onPage in
// order.
func TestStreamKeysSlides(t *testing.T) {
	const size, conc = 7, 4
	list := pagedList(t, keyRows(200, "alice"), "username")
	// With concurrency 4, pages 0, then 1-2 are ramp-up waves; from page 3
	// on, reads slide. Waves of 4 would be pages 3-6 and 7-10: page 9
	// could only be asked for after held page 5 was answered.
	held, reached := strconv.Itoa(5*size), strconv.Itoa(9*size)
	past := make(chan struct{})
	var once sync.Once
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("offset") {
		case held:
			select {
			case <-past:
			case <-time.After(10 * time.Second): // fail-safe only: a client reading in waves hangs here
				t.Errorf("page at offset %s was never asked for while offset %s was held", reached, held)
			}
		case reached:
			once.Do(func() { close(past) })
		}
		list(w, r)
	})
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = size, size; cfg.Concurrency = conc })
	var ids []string
	err := c.StreamKeys(context.Background(), "", func(p []model.APIKey) { ids = append(ids, keyIDs(p)...) })
	if err != nil {
		t.Fatal(err)
	}
	checkInOrder(t, ids, 200)
}

func checkInOrder(t *testing.T, ids []string, n int) {
	t.Helper()
	if len(ids) != n {
		t.Fatalf("%d keys, want %d", len(ids), n)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("key-%04d", i); id != want {
			t.Fatalf("key %d is %s, want %s: pages out of order", i, id, want)
		}
	}
}

// TestStreamKeysWindowStopsAtShortPage answers pages after random delays,
// so they finish out of order, and checks that every key arrives once, in
// order, that at most Config.Concurrency reads were ever at the server at
// once, and that the reads past the short last page are at most those
// that were already in flight when it arrived.
func TestStreamKeysWindowStopsAtShortPage(t *testing.T) {
	const size, conc, n = 10, 6, 503
	list := pagedList(t, keyRows(n, "alice"), "username")
	for round := range 5 {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		var mu sync.Mutex
		var delays []time.Duration
		for range 100 {
			delays = append(delays, time.Duration(rng.IntN(4000))*time.Microsecond)
		}
		var now, top int
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			mu.Lock()
			now++
			top = max(top, now)
			d := delays[min(off/size, len(delays)-1)]
			mu.Unlock()
			time.Sleep(d)
			list(w, r)
			mu.Lock()
			now--
			mu.Unlock()
		})
		c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = size, size; cfg.Concurrency = conc })
		var ids []string
		err := c.StreamKeys(context.Background(), "", func(p []model.APIKey) { ids = append(ids, keyIDs(p)...) })
		if err != nil {
			t.Fatal(err)
		}
		checkInOrder(t, ids, n)
		pages := n/size + 1
		past := 0
		for _, r := range srv.requests() {
			if off, _ := strconv.Atoi(r.Query.Get("offset")); off >= pages*size {
				past++
			}
		}
		if past > conc-1 {
			t.Errorf("round %d: %d reads past the last page, want at most %d", round, past, conc-1)
		}
		mu.Lock() // discarded reads past the end may still be at the server
		most := top
		mu.Unlock()
		if most > conc {
			t.Errorf("round %d: %d reads at once, want at most %d", round, most, conc)
		}
	}
}

// A listing under a decode gate decodes every page inside the gate, and
// only there: a gate of one place keeps the decoding of concurrent reads
// one at a time, and the listing is whole and in order all the same.
func TestStreamKeysDecodesInsideTheGate(t *testing.T) {
	const size, conc, n = 7, 8, 300
	list := pagedList(t, keyRows(n, "alice"), "username")
	var reads atomic.Int64
	srv := newFake(t, func(w http.ResponseWriter, r *http.Request) { reads.Add(1); list(w, r) })
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.PageSize, cfg.LargePageSize = size, size; cfg.Concurrency = conc })
	var (
		mu       sync.Mutex
		in, most int
		calls    int
		place    = make(chan struct{}, 1)
	)
	gate := func(decode func()) {
		place <- struct{}{}
		defer func() { <-place }()
		mu.Lock()
		in++
		calls++
		most = max(most, in)
		mu.Unlock()
		time.Sleep(time.Millisecond) // long enough for other reads to arrive meanwhile
		decode()
		mu.Lock()
		in--
		mu.Unlock()
	}
	var ids []string
	err := c.StreamKeys(WithDecodeGate(context.Background(), gate), "", func(p []model.APIKey) { ids = append(ids, keyIDs(p)...) })
	if err != nil {
		t.Fatal(err)
	}
	checkInOrder(t, ids, n)
	if want := int(reads.Load()); calls != want {
		t.Errorf("the gate ran %d decodes, want one a page read (%d)", calls, want)
	}
	if most != 1 {
		t.Errorf("%d decodes at once inside a gate of one place", most)
	}
}
