package demoserver

import (
	"context"
	"reflect"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

// Use counts calls as authenticate does, on working keys only, and
// changes nothing else about any key.
func TestUseCountsCallsOnWorkingKeys(t *testing.T) {
	s, clk := newTestServer(t, Options{Seed: 3, ExtraKeys: 2000})
	before := listKeys(t, s, "?limit=100000")
	clk.Advance(time.Hour)
	n := s.Use(5000)
	after := listKeys(t, s, "?limit=100000")
	if len(after) != len(before) || len(before) < 2000 {
		t.Fatalf("%d keys listed after, %d before", len(after), len(before))
	}
	now := clk.Now().UTC().Truncate(time.Microsecond)
	byID := map[string]model.APIKey{}
	for _, k := range before {
		byID[k.ID] = k
	}
	var added int64
	changed, notWorking := 0, 0
	for _, a := range after {
		b, ok := byID[a.ID]
		if !ok {
			t.Fatalf("key %s appeared", a.ID)
		}
		was, _ := b.TotalCalls.Get()
		is, _ := a.TotalCalls.Get()
		if is != was {
			changed++
			added += is - was
			if b.StatusAt(now) != model.StatusActive {
				t.Errorf("key %s (%v) was used", a.ID, b.StatusAt(now))
			}
			if used, _ := a.LastUsed.Get(); !used.Equal(now) {
				t.Errorf("key %s: last used %v, want %v", a.ID, used, now)
			}
		} else if b.StatusAt(now) != model.StatusActive {
			notWorking++
		}
		a.TotalCalls, a.LastUsed, b.TotalCalls, b.LastUsed = model.Opt[int64]{}, model.Opt[time.Time]{}, model.Opt[int64]{}, model.Opt[time.Time]{}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("key %s changed beyond its calls:\n%+v\n%+v", a.ID, a, b)
		}
	}
	if added != int64(n) || n == 0 || n > 5000 || changed == 0 {
		t.Fatalf("Use counted %d calls; the keys gained %d, %d keys changed", n, added, changed)
	}
	if notWorking == 0 {
		t.Fatal("the sample has no key that is not working: the refusal is untested")
	}
}

// Traffic makes calls until its context ends; it leaves the generator of
// new ids alone, so what is created after it is the same as without it.
func TestTraffic(t *testing.T) {
	quiet, _ := newTestServer(t, Options{Seed: 3})
	s, _ := newTestServer(t, Options{Seed: 3})
	total := func() (n int64) {
		for _, k := range listKeys(t, s, "?limit=100000") {
			c, _ := k.TotalCalls.Get()
			n += c
		}
		return n
	}
	before := total()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Traffic(ctx, 1000); close(done) }()
	for deadline := time.Now().Add(10 * time.Second); total() == before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Traffic counted no call in 10 s")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Traffic went on after its context ended")
	}
	a := quiet.AddKey(model.APIKey{Name: "after", Username: "alice"})
	b := s.AddKey(model.APIKey{Name: "after", Username: "alice"})
	if a.ID != b.ID {
		t.Fatalf("a key created after traffic has id %s, without traffic %s", b.ID, a.ID)
	}
}
