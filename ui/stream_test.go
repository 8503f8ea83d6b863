package ui

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/keytable"
)

// streamKeysAPI is the demo server with 600 more keys, read 7 at a time:
// about 90 pages, each formatted on its own goroutine.
func streamKeysAPI(t *testing.T) *testAPI {
	t.Helper()
	api := newTestAPI(t)
	api.setPageSize(t, 7)
	for i := range 600 {
		api.srv.AddKey(model.APIKey{ID: fmt.Sprintf("s%04d", i), Username: "bob", Name: fmt.Sprintf("key-%d", i%37),
			Hint: "ffff", Created: testNow.Add(-time.Duration(i%50) * time.Hour), IsActive: true, IsGlobal: true})
	}
	return api
}

// listedIDs is every key id api lists, in the listing's order.
func listedIDs(t *testing.T, api *testAPI) []string {
	t.Helper()
	var ids []string
	if err := api.Client.StreamKeys(context.Background(), "", func(p []model.APIKey) {
		for _, k := range p {
			ids = append(ids, k.ID)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A load's pages reach the table in the listing's order, however their
// formatting goroutines finish, and then the end: ch is closed after it.
func TestStreamKeysKeepsTheListingsOrder(t *testing.T) {
	api := streamKeysAPI(t)
	want := listedIDs(t, api)
	table := keytable.New(commontest.Common())
	ch := make(chan keysEvent, 4)
	go streamKeys(context.Background(), api, "", testNow, nil, nil, ch)()
	var done bool
	for ev := range ch {
		if done {
			t.Fatal("an event after the end")
		}
		if ev.err != nil {
			t.Fatal(ev.err)
		}
		table.AppendRows(ev.rows)
		done = ev.done
	}
	if !done {
		t.Fatal("ch closed without the end")
	}
	var got []string
	for _, k := range table.ShownKeys() {
		got = append(got, k.ID)
	}
	if len(want) < 600 || !slices.Equal(got, want) {
		t.Fatalf("%d keys in the table, %d listed, or in another order", len(got), len(want))
	}
}

// A refresh's pages are indexed into its builder, in the listing's order,
// instead of sent: the events carry counts, and the last one the builder.
func TestStreamKeysIndexesARefresh(t *testing.T) {
	api := streamKeysAPI(t)
	want := listedIDs(t, api)
	b := keytable.NewBuilder(testNow, 0)
	ch := make(chan keysEvent, 4)
	go streamKeys(context.Background(), api, "", testNow, b, nil, ch)()
	indexed, events := 0, 0
	var built *keytable.Builder
	for ev := range ch {
		if ev.err != nil {
			t.Fatal(ev.err)
		}
		if ev.rows.Len() != 0 {
			t.Fatalf("a refresh's event carried %d rows", ev.rows.Len())
		}
		indexed += ev.indexed
		events++
		if ev.done {
			built = ev.built
		} else if ev.built != nil {
			t.Fatal("the builder came before the end")
		}
	}
	if built != b || indexed != len(want) || events < 3 {
		t.Fatalf("builder %v (want %v), %d indexed of %d listed, %d events", built, b, indexed, len(want), events)
	}
	table := keytable.New(commontest.Common())
	table.SetRows(table.PrepareBuilt(built)())
	var got []string
	for _, k := range table.ShownKeys() {
		got = append(got, k.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d keys in the table, %d listed, or in another order", len(got), len(want))
	}
}

// A load cancelled mid-way, its reader gone, still ends: every goroutine
// it started returns and ch is closed.
func TestStreamKeysEndsWhenCancelled(t *testing.T) {
	api := streamKeysAPI(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan keysEvent) // unbuffered: nothing is read after the first page
	ended := make(chan struct{})
	go func() {
		streamKeys(ctx, api, "", testNow, nil, nil, ch)()
		close(ended)
	}()
	if ev := <-ch; ev.rows.Len() == 0 {
		t.Fatal("the first event brought no keys")
	}
	cancel()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the load did not end once cancelled")
	}
	for range ch { // closed: drains what was sent before the end
	}
}
