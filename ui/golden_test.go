package ui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/client"
	"h2ogpte-keys/demoserver"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common/commontest"
)

// demoAPI is the real client against a demo server with the sample data
// of seed 1 at the fixed clock.
func demoAPI(t *testing.T) (*client.Client, *demoserver.Server) {
	t.Helper()
	return demoAPIOn(t, demoserver.Options{})
}

// demoAPIOn is demoAPI on a demo server with the switches of opts (its
// seed and clock are always the fixed ones).
func demoAPIOn(t *testing.T, opts demoserver.Options) (*client.Client, *demoserver.Server) {
	t.Helper()
	opts.Seed, opts.Now = 1, commontest.Clock
	srv := demoserver.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := client.New(client.Config{Address: ts.URL, Token: model.NewSecret(demoserver.DemoToken)})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// countingAPI counts the changing calls that reach the server.
type countingAPI struct {
	API
	changes atomic.Int32
}

func (c *countingAPI) SetExpiry(ctx context.Context, id string, e model.Expiry) error {
	c.changes.Add(1)
	return c.API.SetExpiry(ctx, id, e)
}

func (c *countingAPI) SetInactivity(ctx context.Context, id string, days int) error {
	c.changes.Add(1)
	return c.API.SetInactivity(ctx, id, days)
}

func (c *countingAPI) Deactivate(ctx context.Context, id string) error {
	c.changes.Add(1)
	return c.API.Deactivate(ctx, id)
}

func (c *countingAPI) Delete(ctx context.Context, id string) error {
	c.changes.Add(1)
	return c.API.Delete(ctx, id)
}

func (c *countingAPI) CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error) {
	c.changes.Add(1)
	return c.API.CreateKey(ctx, k)
}

// TestGolden pins the main screens at 80x24 and 140x40 (ASCII profile,
// fixed clock, seed 1). Regenerate with -update and read the diff.
func TestGolden(t *testing.T) {
	screens := []struct {
		name  string
		opts  Options
		keys  []string
		sizes [][2]int
	}{
		{name: "table_alice", opts: Options{User: "alice"}, sizes: [][2]int{{80, 24}, {140, 40}}},
		{name: "table_alice_selected_sorted", opts: Options{User: "alice"}, keys: []string{"s", "s", "space", "j", "space", "j"},
			sizes: [][2]int{{80, 24}, {140, 40}}},
		{name: "read_only", opts: Options{User: "alice", ReadOnly: true, Insecure: true}, sizes: [][2]int{{80, 24}}},
		{name: "picker", opts: Options{}, sizes: [][2]int{{80, 24}, {140, 40}}},
		{name: "picker_filtered", opts: Options{}, keys: []string{"a", "l", "i"}, sizes: [][2]int{{80, 24}}},
		{name: "delete_confirm", opts: Options{User: "alice"}, keys: []string{"space", "j", "space", "D"}, sizes: [][2]int{{80, 24}}},
		{name: "too_small", opts: Options{User: "alice"}, sizes: [][2]int{{59, 15}, {40, 10}}},
		// Issue 4: every user's keys, quick filters, export, bulk.
		{name: "all_users", opts: Options{}, keys: []string{"enter"}, sizes: [][2]int{{80, 24}, {140, 40}}},
		{name: "all_users_never_used", opts: Options{}, keys: []string{"enter", "2", "s", "s"}, sizes: [][2]int{{80, 24}, {140, 40}}},
		{name: "alice_not_working_name_desc", opts: Options{User: "alice"}, keys: []string{"4", "S"}, sizes: [][2]int{{140, 40}}},
		{name: "export", opts: Options{User: "alice"}, keys: []string{"e"}, sizes: [][2]int{{80, 24}}},
		{name: "bulk_menu", opts: Options{User: "alice"}, keys: []string{"space", "j", "space", "/", "-", "enter", "enter"}, sizes: [][2]int{{80, 24}}},
		{name: "full_help", opts: Options{}, keys: []string{"enter", "?"}, sizes: [][2]int{{140, 40}}},
		// The cursor on a selected row: [x] and ⋯ both show.
		{name: "table_alice_cursor_on_selected", opts: Options{User: "alice"}, keys: []string{"space", "j", "space", "k"}, sizes: [][2]int{{80, 24}}},
		// A key's details: exact times, the status's reason, then the actions.
		{name: "details_idle", opts: Options{User: "alice"}, keys: []string{"j", "j", "j", "enter"}, sizes: [][2]int{{80, 24}, {140, 40}}},
		{name: "details_deactivated", opts: Options{User: "alice"}, keys: []string{"enter"}, sizes: [][2]int{{80, 24}}},
		{name: "details_read_only", opts: Options{User: "alice", ReadOnly: true}, keys: []string{"j", "enter"}, sizes: [][2]int{{80, 24}}},
	}
	for _, sc := range screens {
		for _, sz := range sc.sizes {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, sz[0], sz[1]), func(t *testing.T) {
				api, _ := demoAPI(t)
				a := startApp(t, api, sc.opts, sz[0], sz[1])
				for _, k := range sc.keys {
					press(t, a, k)
				}
				golden.RequireEqual(t, []byte(a.View()))
			})
		}
	}
}

// TestGoldenSpellings: a current server may send null for an empty field
// or leave it out; both spellings draw the same screens (Last Used
// "never", details "never" and "none"). An older server's keys say "not
// reported" instead.
func TestGoldenSpellings(t *testing.T) {
	screens := []struct {
		name string
		keys []string
	}{
		{name: "spelling_table_alice"},
		// support-widget: never used, with an inactivity interval.
		{name: "spelling_details_never_used", keys: []string{"2", "enter"}},
		// laptop: used, no inactivity interval.
		{name: "spelling_details_no_interval", keys: []string{"j", "j", "enter"}},
	}
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			var views []string
			for _, omit := range []bool{false, true} {
				api, _ := demoAPIOn(t, demoserver.Options{OmitEmpty: omit})
				a := startApp(t, api, Options{User: "alice"}, 140, 40)
				for _, k := range sc.keys {
					press(t, a, k)
				}
				views = append(views, a.View())
			}
			if views[0] != views[1] {
				t.Errorf("null and left-out spellings draw differently:\nnull:\n%s\nleft out:\n%s", views[0], views[1])
			}
			golden.RequireEqual(t, []byte(views[0]))
		})
	}
	t.Run("old_server_details", func(t *testing.T) {
		api, _ := demoAPIOn(t, demoserver.Options{OldServer: true})
		a := startApp(t, api, Options{User: "alice"}, 140, 40)
		press(t, a, "j", "enter")
		golden.RequireEqual(t, []byte(a.View()))
	})
}
