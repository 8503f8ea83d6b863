package rotate_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"h2ogpte-keys/change"
	"h2ogpte-keys/model"
	"h2ogpte-keys/ui/common"
	"h2ogpte-keys/ui/common/commontest"
	"h2ogpte-keys/ui/components/rotate"
)

func TestMain(m *testing.M) { commontest.Main(m) }

var now = commontest.Now

// oldKey is alice's collection key with a 120-day lifetime and a 60-day
// inactivity interval.
func oldKey() model.APIKey {
	created := now.AddDate(0, 0, -20)
	exp := created.AddDate(0, 0, 120)
	return model.APIKey{
		ID: "key-1", Username: "alice", Name: "ci-pipeline", Hint: "abcd",
		Created: created, Expires: &exp, IsActive: true,
		CollectionID: "col-7", CollectionName: "Q3 reports", InactivityDays: model.Some(60),
	}
}

func plan(t *testing.T, limit int) change.RotationPlan {
	t.Helper()
	p, err := change.PlanRotation(oldKey(), limit, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func result(t *testing.T, m *rotate.Model, msg any) rotate.Chosen {
	t.Helper()
	got, ok := msg.(rotate.Chosen)
	r, done := m.Result()
	if !ok || !done || !m.Done() {
		t.Fatalf("no result: message %#v, Result ok %v", msg, done)
	}
	if r.Then != got.Then || r.Plan.Expiry != got.Plan.Expiry {
		t.Errorf("Result %+v differs from the message %+v", r, got)
	}
	return got
}

func TestKeepByDefault(t *testing.T) {
	m := rotate.New(commontest.Common(), plan(t, 90))
	r := result(t, m, commontest.Press(m, "enter"))
	if r.Then != change.RetireKeep {
		t.Errorf("then %v, want keep", r.Then)
	}
	if !r.Plan.Capped || r.Plan.Expiry.In != (model.Interval{N: 90, Unit: model.Day}) || r.Plan.CollectionID != "col-7" {
		t.Errorf("plan %+v", r.Plan)
	}
	if commontest.Press(m, "enter") != nil {
		t.Error("a finished dialog answered again")
	}
}

func TestEditExpiry(t *testing.T) {
	cases := []struct {
		typed   string
		limit   int
		wantIn  string // ExpiresIn; "" for never
		refused string
	}{
		{typed: "7d", limit: 90, wantIn: "7 days"},
		{typed: "never", limit: 90},
		{typed: "100d", limit: 90, refused: "past the server's limit"},
		{typed: "100d", limit: 0, wantIn: "100 days"},
		{typed: "soon", limit: 90, refused: "want a whole number"},
	}
	for _, tc := range cases {
		t.Run(tc.typed, func(t *testing.T) {
			m := rotate.New(commontest.Common(), plan(t, tc.limit))
			commontest.Send(m, tc.typed)
			msg := commontest.Press(m, "enter")
			if tc.refused != "" {
				if msg != nil || m.Done() {
					t.Fatalf("refused expiry submitted: %#v", msg)
				}
				if !strings.Contains(commontest.Flat(m.View()), tc.refused) {
					t.Errorf("view does not say %q:\n%s", tc.refused, m.View())
				}
				return
			}
			r := result(t, m, msg)
			got := r.Plan.NewKey("u").Expiry
			if (tc.wantIn == "") != (got == nil) || (got != nil && got.ExpiresIn() != tc.wantIn) {
				t.Errorf("expiry %+v, want %q", r.Plan.Expiry, tc.wantIn)
			}
			if !r.Plan.Edited {
				t.Error("an edited expiry not marked edited")
			}
		})
	}
}

// unnamedPlan is the plan of a key whose name a new key may not have:
// PlanRotation's refusal for the name alone, with the plan to name.
func unnamedPlan(t *testing.T) change.RotationPlan {
	t.Helper()
	k := oldKey()
	k.Name = "pay\u202eroll"
	p, err := change.PlanRotation(k, 90, now)
	if !errors.Is(err, change.ErrNameNotReusable) {
		t.Fatalf("PlanRotation: %v, want ErrNameNotReusable", err)
	}
	return p
}

// A plan without a name opens on a name field that must be filled: an
// empty name is not submitted, a pasted bidi override never enters the
// field (and the view says so), tab moves to the expiry and back, and the
// name and expiry typed are the plan's.
func TestNameAsked(t *testing.T) {
	m := rotate.New(commontest.Common(), unnamedPlan(t))
	if asked, focused := m.NameField(); !asked || !focused {
		t.Fatalf("name field asked %v, focused %v", asked, focused)
	}
	view := commontest.Words(m.View())
	for _, want := range []string{"Name (give one below)", "New name", "Old name not kept: character 4 is a bidirectional override"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, m.View())
		}
	}
	if msg := commontest.Press(m, "enter"); msg != nil || m.Done() || m.Err() == nil {
		t.Fatalf("an empty name was submitted: %#v (err %v)", msg, m.Err())
	}
	commontest.Send(m, "payroll\u202e-2")
	if view := commontest.Words(m.View()); !strings.Contains(view, "Left out") || strings.ContainsRune(m.View(), '\u202e') ||
		!strings.Contains(view, "Name payroll-2") {
		t.Errorf("pasted override: view %q", view)
	}
	commontest.Send(m, "tab")
	if _, focused := m.NameField(); focused {
		t.Fatal("tab left the focus on the name")
	}
	commontest.Send(m, "10d", "shift+tab", "x")
	r := result(t, m, commontest.Press(m, "enter"))
	if r.Plan.Name != "payroll-2x" || !r.Plan.Renamed || r.Plan.NewKey("u").Expiry.ExpiresIn() != "10 days" {
		t.Errorf("chosen plan name %q renamed %v expiry %+v", r.Plan.Name, r.Plan.Renamed, r.Plan.Expiry)
	}

	// A plan with a name asks for none, and tab does nothing.
	m = rotate.New(commontest.Common(), plan(t, 90))
	commontest.Send(m, "tab", "7d")
	if asked, _ := m.NameField(); asked {
		t.Error("a named plan asked for a name")
	}
	if r := result(t, m, commontest.Press(m, "enter")); r.Plan.Name != "ci-pipeline" || r.Plan.Renamed || r.Plan.NewKey("u").Expiry.ExpiresIn() != "7 days" {
		t.Errorf("named plan: %+v", r.Plan)
	}
}

func TestDestructiveChoiceIsConfirmed(t *testing.T) {
	for _, tc := range []struct {
		moves []string
		then  change.Retire
		label string
	}{
		{[]string{"down"}, change.RetireDeactivate, "Rotate and deactivate"},
		{[]string{"down", "down"}, change.RetireDelete, "Rotate and delete"},
		{[]string{"down", "down", "down"}, change.RetireDelete, "Rotate and delete"}, // stops at the last
	} {
		t.Run(tc.then.String(), func(t *testing.T) {
			m := rotate.New(commontest.Common(), plan(t, 90))
			commontest.Send(m, tc.moves...)
			if m.Then() != tc.then {
				t.Fatalf("choice %v, want %v", m.Then(), tc.then)
			}
			if msg := commontest.Press(m, "enter"); msg != nil || !m.Confirming() {
				t.Fatalf("a destructive choice went without confirmation: %#v", msg)
			}
			view := commontest.Flat(m.View())
			for _, want := range []string{"ci-pipeline", "sk-…abcd", "alice", tc.label, "cannot be undone"} {
				if !strings.Contains(view, want) {
					t.Errorf("confirmation does not name %q:\n%s", want, m.View())
				}
			}
			// Enter on the default button cancels the confirmation only.
			if msg := commontest.Press(m, "enter"); msg != nil || m.Confirming() || m.Done() {
				t.Fatalf("default enter: %#v, confirming %v, done %v", msg, m.Confirming(), m.Done())
			}
			// esc in the confirmation also goes back to the plan.
			commontest.Send(m, "enter")
			if commontest.Press(m, "esc"); m.Confirming() || m.Done() {
				t.Fatal("esc in the confirmation left the plan")
			}
			commontest.Send(m, "enter")
			r := result(t, m, commontest.Press(m, "right", "enter"))
			if r.Then != tc.then {
				t.Errorf("then %v, want %v", r.Then, tc.then)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	m := rotate.New(commontest.Common(), plan(t, 90))
	commontest.Send(m, "down")
	if _, ok := commontest.Press(m, "esc").(common.Cancelled); !ok || !m.Done() {
		t.Fatal("esc did not cancel")
	}
	if _, ok := m.Result(); ok {
		t.Error("a cancelled dialog has a result")
	}
}

func TestViewStatesThePlan(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(k *model.APIKey)
		limit int
		want  []string
	}{
		{name: "capped", limit: 90, want: []string{"Owner alice", "Name ci-pipeline", `collection "Q3 reports" (col-7)`,
			"stops after 60 days without use", "2027-02-24 15:00", "capped at the server's limit of 90 days (the old key's lifetime was 120 days)"}},
		{name: "lifetime", limit: 0, want: []string{"2027-03-26 15:00", "the old key's lifetime of 120 days, from now", "sets no expiry limit"}},
		// A lifetime not in whole hours is worded in days, hours and
		// minutes, not as tens of thousands of minutes.
		{name: "odd lifetime", limit: 0, edit: func(k *model.APIKey) {
			e := k.Created.Add(45*24*time.Hour + 2*time.Hour + 45*time.Minute)
			k.Expires = &e
		}, want: []string{"the old key's lifetime of 45 days 2 hours 45 minutes, from now"}},
		{name: "global without expiry", limit: 90, edit: func(k *model.APIKey) {
			k.Expires, k.CollectionID, k.IsGlobal, k.InactivityDays = nil, "", true, model.Null[int]()
		}, want: []string{"global", "Inactivity none", "none: never expires", "the old key had none"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := oldKey()
			if tc.edit != nil {
				tc.edit(&k)
			}
			p, err := change.PlanRotation(k, tc.limit, now)
			if err != nil {
				t.Fatal(err)
			}
			words := commontest.Words(rotate.New(commontest.Common(), p).View())
			for _, w := range tc.want {
				if !strings.Contains(words, w) {
					t.Errorf("view lacks %q:\n%s", w, words)
				}
			}
		})
	}
}

func TestViewFitsSmallTerminals(t *testing.T) {
	m := rotate.New(commontest.Common(), plan(t, 90))
	for _, size := range [][2]int{{80, 24}, {60, 16}, {40, 10}} {
		m.SetSize(size[0], size[1])
		lines := strings.Split(m.View(), "\n")
		if len(lines) > size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
	}
}

func TestGolden(t *testing.T) {
	t.Run("plan", func(t *testing.T) {
		m := rotate.New(commontest.Common(), plan(t, 90))
		commontest.Send(m, "down")
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("name_asked", func(t *testing.T) {
		m := rotate.New(commontest.Common(), unnamedPlan(t))
		commontest.Send(m, "payroll-export")
		if v := m.View(); !strings.Contains(v, "delete it now") {
			t.Errorf("at 80x24 the old key's choices are cut:\n%s", v)
		}
		golden.RequireEqual(t, []byte(m.View()))
	})
	t.Run("confirm_delete", func(t *testing.T) {
		m := rotate.New(commontest.Common(), plan(t, 90))
		commontest.Send(m, "down", "down", "enter")
		golden.RequireEqual(t, []byte(m.View()))
	})
}
