package newkey_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/newkey"
)

func TestMain(m *testing.M) { commontest.Main(m) }

var now = commontest.Now

var (
	alice = model.User{ID: "u-7f3a", Username: "alice", Email: "alice@example.com"}
	colls = []model.Collection{
		{ID: "c-1111aaaa-2222", Name: "handbook", Username: "alice"},
		{ID: "c-3333bbbb-4444", Name: "malice's notes", Username: "malice"}, // loose filter leftover
		{ID: "c-5555cccc-6666", Name: "contracts", Username: "alice"},
	}
)

// driver runs a dialog the way a Bubble Tea program would: a real
// program without a terminal (see loop) runs each command, unpacking
// batches and sequences itself; what it would hand a model comes back to
// the test's goroutine, goes into Update, and the dialog's results are
// collected instead of fed back.
type driver struct {
	t       *testing.T
	m       *newkey.Model
	loop    *commontest.Loop
	pending int
	results []tea.Msg
}

func start(t *testing.T, m *newkey.Model) *driver {
	t.Helper()
	d := &driver{t: t, m: m, loop: commontest.StartLoop(t)}
	d.run(m.Init())
	return d
}

func (d *driver) send(msgs ...tea.Msg) *driver {
	d.t.Helper()
	for _, msg := range msgs {
		_, cmd := d.m.Update(msg)
		d.run(cmd)
	}
	return d
}

func (d *driver) keys(keys ...string) *driver {
	d.t.Helper()
	for _, k := range keys {
		d.send(commontest.Key(k))
	}
	return d
}

func (d *driver) typeText(s string) *driver {
	d.t.Helper()
	return d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
}

// run runs cmd and what follows until nothing but the cursor's blink
// timer, which only waits and redraws, is left running.
func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	if cmd != nil {
		d.pending++
		d.loop.Run(cmd)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.pending > 0 {
		if time.Now().After(deadline) {
			d.t.Fatal("commands never settle")
		}
		select {
		case msg := <-d.loop.Out():
			switch msg := msg.(type) {
			case commontest.Ran:
				d.pending--
			case nil, cursor.BlinkMsg:
			case common.Result:
				d.results = append(d.results, msg)
			default:
				if _, next := d.m.Update(msg); next != nil {
					d.pending++
					d.loop.Run(next)
				}
			}
		case <-time.After(40 * time.Millisecond):
			return // only a blink timer can still be waiting
		}
	}
}

func (d *driver) result() tea.Msg {
	d.t.Helper()
	switch len(d.results) {
	case 0:
		return nil
	case 1:
		return d.results[0]
	}
	d.t.Fatalf("several results: %#v", d.results)
	return nil
}

func (d *driver) focused() string {
	return d.m.Focused()
}

func TestFullWalk(t *testing.T) {
	d := start(t, newkey.New(commontest.Common(), alice, colls, 0, newkey.Draft{}, nil))
	if got := d.focused(); got != "name" {
		t.Fatalf("focus starts on %q", got)
	}
	d.typeText("  ci-bot ").keys("enter")
	if got := d.focused(); got != "collection" {
		t.Fatalf("after the name, focus is on %q", got)
	}
	// Down past "none — global key" to the last of alice's collections:
	// malice's collection is not offered.
	d.keys("down", "down", "enter")
	if got := d.focused(); got != "expire" {
		t.Fatalf("after the collection, focus is on %q", got)
	}
	d.keys("right", "enter") // toggle on, go on
	if got := d.focused(); got != "expiry" {
		t.Fatalf("expiry field not shown after the toggle; focus is on %q", got)
	}
	d.typeText("30d").keys("enter")
	if got := d.focused(); got != "set_inactivity" {
		t.Fatalf("after the expiry, focus is on %q", got)
	}
	d.keys("y") // yes, and on to the days
	if got := d.focused(); got != "inactivity" {
		t.Fatalf("inactivity field not shown; focus is on %q", got)
	}
	d.typeText("60").keys("enter")

	sub, ok := d.result().(newkey.Submitted)
	if !ok {
		t.Fatalf("got %#v, want Submitted", d.result())
	}
	wantExpiry := model.Expiry{In: model.Interval{N: 30, Unit: model.Day}, At: now.AddDate(0, 0, 30)}
	want := newkey.Submitted{
		User: alice,
		Key: model.NewKey{
			UserID: "u-7f3a", Name: "ci-bot", CollectionID: "c-5555cccc-6666",
			Expiry: &wantExpiry, InactivityDays: 60,
		},
		Draft: newkey.Draft{
			Name: "  ci-bot ", CollectionID: "c-5555cccc-6666",
			Expire: true, Expiry: "30d", SetInactivity: true, Inactivity: "60",
		},
	}
	if sub.User != want.User || !sameNewKey(sub.Key, want.Key) || sub.Draft != want.Draft {
		t.Errorf("submitted\n%+v\nwant\n%+v", sub, want)
	}
}

func TestTogglesOffLeaveValuesOut(t *testing.T) {
	// Whatever sits in the hidden fields, even invalid, neither blocks the
	// form nor reaches the request.
	draft := newkey.Draft{Name: "k", Expiry: "junk", Inactivity: "-3"}
	d := start(t, newkey.New(commontest.Common(), alice, colls, 0, draft, nil))
	d.keys("enter", "enter", "enter", "enter")
	sub, ok := d.result().(newkey.Submitted)
	if !ok {
		t.Fatalf("got %#v (focus on %q), want Submitted", d.result(), d.focused())
	}
	want := model.NewKey{UserID: alice.ID, Name: "k"}
	if !sameNewKey(sub.Key, want) {
		t.Errorf("key = %+v, want %+v", sub.Key, want)
	}
	if sub.Draft != draft {
		t.Errorf("draft = %+v, want what was typed, %+v", sub.Draft, draft)
	}
}

func TestDraftRefillAfterError(t *testing.T) {
	draft := newkey.Draft{
		Name: "ci-bot", CollectionID: "c-1111aaaa-2222",
		Expire: true, Expiry: "2026-12-31", SetInactivity: true, Inactivity: "45",
	}
	lastErr := errors.New("create key: conflict (409): a key named ci-bot exists")
	d := start(t, newkey.New(commontest.Common(), alice, colls, 90, draft, lastErr))
	view := d.m.View()
	for _, want := range []string{
		"Could not create the key: create key: conflict (409)", "exists",
		"ci-bot", "handbook (c-1111aa)", "2026-12-31", "45",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if d.m.Draft() != draft {
		t.Errorf("form holds %+v, want %+v", d.m.Draft(), draft)
	}
	// Six fields, each accepted as it is.
	d.keys("enter", "enter", "enter", "enter", "enter", "enter")
	sub, ok := d.result().(newkey.Submitted)
	if !ok {
		t.Fatalf("got %#v (focus on %q), want Submitted", d.result(), d.focused())
	}
	// The date means what model.ParseExpiry says: the last minute of it.
	want, err := model.ParseExpiry(draft.Expiry, now)
	lastMinute := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	if err != nil || sub.Key.CollectionID != "c-1111aaaa-2222" || sub.Key.InactivityDays != 45 || sub.Key.Expiry == nil ||
		*sub.Key.Expiry != want || sub.Key.Expiry.At.Before(lastMinute) || !sub.Key.Expiry.At.Before(lastMinute.Add(time.Minute)) ||
		sub.Draft != draft {
		t.Errorf("submitted %+v (expiry %+v), want expiry %+v (%v)", sub, sub.Key.Expiry, want, err)
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		draft   newkey.Draft
		enters  int // enters before the one that must be refused
		input   string
		field   string
		wantErr string
	}{
		{"name required", newkey.Draft{}, 0, "   ", "name", "name is required"},
		{"expiry past limit", newkey.Draft{Name: "k", Expire: true}, 3, "100d", "expiry", "latest allowed is 2027-02-24 15:00"},
		{"expiry never while on", newkey.Draft{Name: "k", Expire: true}, 3, "never", "expiry", `set "Allow key to expire" to No`},
		{"expiry garbage", newkey.Draft{Name: "k", Expire: true}, 3, "soon", "expiry", "want a whole number and a unit"},
		{"expiry empty", newkey.Draft{Name: "k", Expire: true}, 3, "", "expiry", "expiry is empty"},
		{"inactivity none while on", newkey.Draft{Name: "k", SetInactivity: true}, 4, "none", "inactivity", "at least 1"},
		{"inactivity zero", newkey.Draft{Name: "k", SetInactivity: true}, 4, "0", "inactivity", "at least 1 day"},
		{"inactivity negative", newkey.Draft{Name: "k", SetInactivity: true}, 4, "-3", "inactivity", "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := start(t, newkey.New(commontest.Common(), alice, colls, 90, tt.draft, nil))
			for range tt.enters {
				d.keys("enter")
			}
			if got := d.focused(); got != tt.field {
				t.Fatalf("focus on %q, want %q", got, tt.field)
			}
			d.typeText(tt.input)
			// Checked as typed, before enter (an empty field only after).
			if tt.input != "" && !strings.Contains(commontest.Flat(d.m.View()), tt.wantErr) {
				t.Errorf("live check does not show %q:\n%s", tt.wantErr, d.m.View())
			}
			d.keys("enter")
			if d.result() != nil {
				t.Fatalf("refused value gave %#v", d.result())
			}
			if got := d.focused(); got != tt.field {
				t.Errorf("focus moved to %q", got)
			}
			if !strings.Contains(commontest.Flat(d.m.View()), tt.wantErr) {
				t.Errorf("view does not show %q:\n%s", tt.wantErr, d.m.View())
			}
		})
	}
}

// A pasted right-to-left override, zero-width space or escape would make
// the name read differently from what it holds: it never enters the field
// (so it never reaches the screen), the feedback says what was left out
// while the name is edited, and the name sent is what the field shows.
func TestNameLeavesOutInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name, input, want, note string
		paste                   bool
	}{
		{"bidi override typed", "invoice\u202Efdp.exe", "invoicefdp.exe", "bidirectional override or isolate, which reorders how text is shown (U+202E)", false},
		{"bidi override pasted", "invoice\u202Efdp.exe", "invoicefdp.exe", "(U+202E)", true},
		{"zero-width space", "ci\u200Bbot", "cibot", "zero-width character, invisible when shown (U+200B)", false},
		{"escape sequence pasted", "a\x1b[2Jb", "a[2Jb", "escape character", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := start(t, newkey.New(commontest.Common(), alice, colls, 90, newkey.Draft{}, nil))
			if tt.paste {
				d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tt.input), Paste: true})
			} else {
				d.typeText(tt.input)
			}
			view := d.m.View()
			if strings.ContainsAny(view, "\u202E\u200B\x1b") && !strings.Contains(tt.input, "\x1b") {
				t.Errorf("the view holds the invisible character:\n%q", view)
			}
			if strings.Contains(view, "\x1b[2J") {
				t.Errorf("the pasted escape sequence reached the view:\n%q", view)
			}
			flat := commontest.Flat(view)
			if !strings.Contains(flat, "Left out") || !strings.Contains(flat, tt.note) || !strings.Contains(flat, tt.want) {
				t.Fatalf("view does not show the cleaned name %q and the note %q:\n%s", tt.want, tt.note, view)
			}
			for i := 0; i < 6 && d.result() == nil; i++ {
				d.keys("enter")
			}
			sub, ok := d.result().(newkey.Submitted)
			if !ok || sub.Key.Name != tt.want {
				t.Fatalf("submitted %#v, want the name %q", d.result(), tt.want)
			}
		})
	}
}

func TestLivePreview(t *testing.T) {
	d := start(t, newkey.New(commontest.Common(), alice, colls, 90, newkey.Draft{Name: "k", Expire: true}, nil))
	d.keys("enter", "enter", "enter")
	if view := commontest.Flat(d.m.View()); !strings.Contains(view, "Server limit: 90 days (latest 2027-02-24 15:00).") {
		t.Errorf("empty expiry does not show the limit:\n%s", d.m.View())
	}
	d.typeText("30d")
	if view := commontest.Flat(d.m.View()); !strings.Contains(view, "expires 2026-12-26 15:00 (in 30d)") {
		t.Errorf("no preview:\n%s", d.m.View())
	}
}

func TestOnlyOwnCollections(t *testing.T) {
	m := newkey.New(commontest.Common(), alice, colls, 0, newkey.Draft{}, nil)
	var ids []string
	for _, c := range m.Collections() {
		ids = append(ids, c.ID)
	}
	if want := []string{"c-1111aaaa-2222", "c-5555cccc-6666"}; !slices.Equal(ids, want) {
		t.Errorf("offers %v, want %v", ids, want)
	}
	if strings.Contains(m.View(), "malice") {
		t.Errorf("view offers malice's collection:\n%s", m.View())
	}
	// A draft naming someone else's collection falls back to global.
	m = newkey.New(commontest.Common(), alice, colls, 0, newkey.Draft{Name: "k", CollectionID: "c-3333bbbb-4444"}, nil)
	d := start(t, m)
	d.keys("enter", "enter", "enter", "enter")
	if sub, ok := d.result().(newkey.Submitted); !ok || sub.Key.CollectionID != "" {
		t.Errorf("got %#v, want a global key", d.result())
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want tea.Msg
	}{
		{"esc on the name", []string{"esc"}, common.Cancelled{}},
		{"esc further down", []string{"k", "enter", "esc"}, common.Cancelled{}},
		{"ctrl+c aborts the form", []string{"ctrl+c"}, common.Cancelled{}},
		// While filtering the collections, esc ends the filter, not the form.
		{"esc while filtering", []string{"k", "enter", "/", "esc"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := start(t, newkey.New(commontest.Common(), alice, colls, 90, newkey.Draft{}, nil))
			d.keys(tt.keys...)
			// Every result here is common.Cancelled{} (comparable) or nil.
			if got := d.result(); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestHelpFollowsFocus(t *testing.T) {
	d := start(t, newkey.New(commontest.Common(), alice, colls, 90, newkey.Draft{}, nil))
	has := func(k string) bool {
		for _, b := range d.m.ShortHelp() {
			if b.Enabled() && b.Help().Key == k {
				return true
			}
		}
		return false
	}
	if !has("esc") || has("/") {
		t.Errorf("name field help: %v", d.m.ShortHelp())
	}
	d.typeText("k").keys("enter")
	if !has("/") {
		t.Errorf("collection help lacks the filter key: %v", d.m.ShortHelp())
	}
}

func TestViewFits(t *testing.T) {
	many := []model.Collection{}
	for i := range 30 {
		many = append(many, model.Collection{ID: "c-" + strings.Repeat("9", i+1), Name: strings.Repeat("long collection name ", 5), Username: "alice"})
	}
	longErr := errors.New(strings.Repeat("the server said no ", 20))
	for _, size := range [][2]int{{80, 24}, {140, 40}, {80, 16}} {
		d := start(t, newkey.New(commontest.Common(), alice, many, 90, newkey.Draft{Expire: true, SetInactivity: true}, longErr))
		d.m.SetSize(size[0], size[1])
		view := d.m.View()
		if w := lipgloss.Width(view); w > size[0] {
			t.Errorf("%v: view is %d wide", size, w)
		}
		if h := lipgloss.Height(view); h > size[1] {
			t.Errorf("%v: view is %d tall:\n%s", size, h, view)
		}
	}
}

func TestManyCollectionsUseAPicker(t *testing.T) {
	var many []model.Collection
	for i := range 30 {
		many = append(many, model.Collection{
			ID: fmt.Sprintf("c-%02d-0000", i), Name: fmt.Sprintf("collection %02d %s", i, strings.Repeat("x", 60)), Username: "alice",
		})
	}
	d := start(t, newkey.New(commontest.Common(), alice, many, 0, newkey.Draft{}, nil))
	view := d.m.View()
	for _, want := range []string{"Name", "Collection", "none — global key"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if h := lipgloss.Height(view); h > 24 {
		t.Errorf("view is %d tall", h)
	}
	// Right twice is the second collection; / filters by name.
	d.typeText("k").keys("enter", "right", "right")
	if got := d.m.Draft().CollectionID; got != "c-01-0000" {
		t.Errorf("picked %q, want c-01-0000", got)
	}
	d.keys("/").typeText("collection 17").keys("enter")
	if got := d.m.Draft().CollectionID; got != "c-17-0000" {
		t.Errorf("filter picked %q, want c-17-0000", got)
	}
	if got := d.focused(); got != "expire" {
		t.Errorf("focus on %q after picking", got)
	}
}

// TestLimitAllowsNoExpiry: under the server's expiry limit the toggle
// starts on at the limit, but the expiry stays optional: turned off, the
// key is submitted without one.
func TestLimitAllowsNoExpiry(t *testing.T) {
	d := start(t, newkey.New(commontest.Common(), alice, colls, 90, newkey.Draft{}, nil))
	if got := d.m.Draft(); !got.Expire || got.Expiry != "90d" {
		t.Fatalf("under a limit the form starts with %+v, want expiry on at 90d", got)
	}
	d.typeText("ci-bot").keys("enter", "enter") // name, global key
	if got := d.focused(); got != "expire" {
		t.Fatalf("focus is on %q", got)
	}
	d.keys("n")
	if v := commontest.Flat(d.m.View()); strings.Contains(v, "must expire") {
		t.Errorf("turning expiry off is refused:\n%s", d.m.View())
	}
	d.keys("enter") // n moved on to the inactivity toggle; enter submits
	sub, ok := d.result().(newkey.Submitted)
	if !ok {
		t.Fatalf("not submitted without expiry under a limit; focus %q:\n%s", d.focused(), d.m.View())
	}
	if e := sub.Key.Expiry; e != nil && !e.Never {
		t.Errorf("submitted expiry %+v, want none", *e)
	}
}

func TestView(t *testing.T) {
	d := start(t, newkey.New(commontest.Common(), alice, colls, 90, newkey.Draft{}, nil))
	d.typeText("ci-bot").keys("enter", "down", "enter", "enter").keys("ctrl+u").typeText("30d")
	golden.RequireEqual(t, []byte(d.m.View()))
}

// sameNewKey reports whether a and b ask for the same key, the expiry
// compared by value rather than by pointer.
func sameNewKey(a, b model.NewKey) bool {
	ea, eb := a.Expiry, b.Expiry
	a.Expiry, b.Expiry = nil, nil
	if a != b || (ea == nil) != (eb == nil) {
		return false
	}
	return ea == nil || (ea.Never == eb.Never && ea.In == eb.In && ea.At.Equal(eb.At))
}
