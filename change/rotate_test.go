package change

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func TestPlanRotation(t *testing.T) {
	created := t0.Add(-days(10))
	exp := func(d time.Duration) *time.Time { at := created.Add(d); return &at }
	base := func() model.APIKey {
		return model.APIKey{ID: "old", Username: "ann", Name: "ci", Created: created, IsActive: true, IsGlobal: true,
			InactivityDays: model.Null[int]()}
	}
	cases := []struct {
		name    string
		edit    func(k *model.APIKey)
		limit   int
		want    model.Interval // zero: never
		capped  bool
		coll    string
		idle    int
		refused bool
	}{
		{name: "30-day global key, no limit", edit: func(k *model.APIKey) { k.Expires = exp(days(30)) }, want: model.Interval{N: 30, Unit: model.Day}},
		{name: "under the limit", edit: func(k *model.APIKey) { k.Expires = exp(days(30)) }, limit: 90, want: model.Interval{N: 30, Unit: model.Day}},
		{name: "longer than the limit is capped", edit: func(k *model.APIKey) { k.Expires = exp(days(400)) }, limit: 90, want: model.Interval{N: 90, Unit: model.Day}, capped: true},
		{name: "no expiry stays none under a limit", limit: 90},
		{name: "hours", edit: func(k *model.APIKey) { k.Expires = exp(36 * time.Hour) }, want: model.Interval{N: 36, Unit: model.Hour}},
		{name: "minutes rounded down", edit: func(k *model.APIKey) { k.Expires = exp(90*time.Minute + 30*time.Second) }, want: model.Interval{N: 90, Unit: model.Minute}},
		{name: "collection and inactivity kept", edit: func(k *model.APIKey) {
			k.IsGlobal, k.CollectionID, k.InactivityDays = false, "c1", model.Some(60)
		}, coll: "c1", idle: 60},
		{name: "expired key is rotated", edit: func(k *model.APIKey) { k.Expires = exp(days(5)) }, want: model.Interval{N: 5, Unit: model.Day}},
		{name: "deactivated key refused", edit: func(k *model.APIKey) { k.IsActive = false }, refused: true},
		{name: "collection key without collection refused", edit: func(k *model.APIKey) { k.IsGlobal = false }, refused: true},
		{name: "name a new key may not have refused", edit: func(k *model.APIKey) { k.Name = "evil\u202e" }, refused: true},
		{name: "expiry before creation refused", edit: func(k *model.APIKey) { k.Expires = exp(-time.Hour) }, refused: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := base()
			if tc.edit != nil {
				tc.edit(&k)
			}
			p, err := PlanRotation(k, tc.limit, t0)
			if tc.refused {
				if !errors.Is(err, ErrNotRotatable) {
					t.Fatalf("err %v, want ErrNotRotatable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "ci" || p.CollectionID != tc.coll || p.InactivityDays != tc.idle || p.Global() != (tc.coll == "") {
				t.Errorf("reach: %+v", p)
			}
			if tc.want == (model.Interval{}) {
				if !p.Expiry.Never || p.NewKey("u1").Expiry != nil {
					t.Errorf("expiry %+v, want none", p.Expiry)
				}
				return
			}
			if p.Expiry.Never || p.Expiry.In != tc.want || !p.Expiry.At.Equal(tc.want.AddTo(t0)) || p.Capped != tc.capped {
				t.Errorf("expiry %+v capped %v, want %v capped %v", p.Expiry, p.Capped, tc.want, tc.capped)
			}
			if !tc.capped && p.Expiry.At.Sub(t0) > k.Expires.Sub(k.Created) {
				t.Errorf("the new key outlives the old lifetime")
			}
		})
	}
}

func TestPlanWithExpiry(t *testing.T) {
	k := key("old")
	k.IsGlobal = true
	p, err := PlanRotation(k, 90, t0)
	if err != nil {
		t.Fatal(err)
	}
	far, _ := model.ParseExpiry("100d", t0)
	var le *model.LimitError
	if _, err := p.WithExpiry(far, t0); !errors.As(err, &le) {
		t.Errorf("an expiry past the limit: %v, want a LimitError", err)
	}
	near, _ := model.ParseExpiry("7d", t0)
	q, err := p.WithExpiry(near, t0)
	if err != nil || q.Expiry.In != near.In || !q.Edited || q.NewKey("u").Expiry.ExpiresIn() != "7 days" {
		t.Errorf("7d: %+v %v", q, err)
	}
	never, _ := model.ParseExpiry("never", t0)
	if q, err = q.WithExpiry(never, t0); err != nil || q.NewKey("u").Expiry != nil {
		t.Errorf("never under a limit: %v", err)
	}
}

// A key whose name a new key may not be given is refused by PlanRotation
// for that reason alone (ErrNameNotReusable), with a plan without a name,
// which WithName names with a name that passes the check; every other
// refusal stands either way.
func TestPlanRotationWithName(t *testing.T) {
	k := key("old")
	k.IsGlobal, k.Name = true, "payroll\u202efdp.exe"
	p, err := PlanRotation(k, 0, t0)
	if !errors.Is(err, ErrNameNotReusable) || !errors.Is(err, ErrNotRotatable) || strings.ContainsRune(err.Error(), '\u202e') {
		t.Fatalf("old name refused with %v, want ErrNameNotReusable without the character", err)
	}
	if p.Name != "" || p.Old.ID != "old" {
		t.Fatalf("the plan refused for its name: %+v, want the plan without a name", p)
	}
	p, err = p.WithName("payroll-export")
	if err != nil || p.Name != "payroll-export" || !p.Renamed || p.NewKey("u").Name != "payroll-export" {
		t.Fatalf("renamed plan %+v, %v", p, err)
	}
	for _, bad := range []string{"", "tab\there", "rtl\u202e", strings.Repeat("n", model.MaxKeyNameLen+1)} {
		if q, err := p.WithName(bad); !errors.Is(err, model.ErrBadKeyName) || q.Name != "payroll-export" {
			t.Errorf("name %q: %v, name %q; want ErrBadKeyName and the plan unchanged", bad, err, q.Name)
		}
	}
	same := key("old")
	same.IsGlobal = true
	p, err = PlanRotation(same, 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = p.WithName(same.Name); err != nil || p.Renamed || p.Name != same.Name {
		t.Errorf("the old name given again: %+v %v, want not renamed", p, err)
	}
	k.IsActive = false
	if p, err := PlanRotation(k, 0, t0); !errors.Is(err, ErrNotRotatable) || errors.Is(err, ErrNameNotReusable) || p.Old.ID != "" {
		t.Errorf("deactivated key with a bad name: %v, %+v; want refused as deactivated, no plan", err, p)
	}
}

// rotationFake is a fake server holding ann's key "old" (named ci, in
// collection c1, 60 days inactivity, 30-day lifetime) and ann's user.
func rotationFake() (*fakeAPI, model.APIKey) {
	old := model.APIKey{ID: "old", Username: "ann", Name: "ci", Created: t0.Add(-days(40)), IsActive: true,
		CollectionID: "c1", InactivityDays: model.Some(60)}
	at := old.Created.Add(days(30))
	old.Expires = &at
	f := newFake(t0, old)
	f.users = []model.User{{ID: "u-bob", Username: "bob"}, {ID: "u-ann", Username: "ann"}}
	f.cols = map[string][]model.Collection{"ann": {{ID: "c1", Username: "ann"}}}
	return f, old
}

func TestRotate(t *testing.T) {
	type want struct {
		create     model.Outcome
		secretLost bool
		retire     model.Outcome // for deactivate and delete
		retireSent bool
		oldActive  bool // after deactivate (delete: still listed)
	}
	cases := []struct {
		name  string
		setup func(f *fakeAPI)
		want  want
	}{
		{name: "all done", want: want{create: model.Done, retire: model.Done, retireSent: true}},
		{name: "create refused", setup: func(f *fakeAPI) { f.fail["ci"] = errRefused },
			want: want{create: model.NotDone, retire: model.NotDone, oldActive: true}},
		{name: "create answer lost, read back as existing", setup: func(f *fakeAPI) { f.act["ci"] = errLost },
			want: want{create: model.Done, secretLost: true, retire: model.NotDone, oldActive: true}},
		{name: "create answer lost, not created", setup: func(f *fakeAPI) { f.fail["ci"] = errLost },
			want: want{create: model.NotDone, retire: model.NotDone, oldActive: true}},
		{name: "create answer lost, read back fails", setup: func(f *fakeAPI) { f.act["ci"], f.listFailFrom = errLost, 2 },
			want: want{create: model.Unknown, retire: model.NotDone, oldActive: true}},
		{name: "retire refused", setup: func(f *fakeAPI) { f.fail["old"] = errRefused },
			want: want{create: model.Done, retire: model.NotDone, retireSent: true, oldActive: true}},
		{name: "retire answer lost, done", setup: func(f *fakeAPI) { f.act["old"] = errLost },
			want: want{create: model.Done, retire: model.Done, retireSent: true}},
		{name: "retire answer lost, not done", setup: func(f *fakeAPI) { f.fail["old"] = errLost },
			want: want{create: model.Done, retire: model.NotDone, retireSent: true, oldActive: true}},
	}
	for _, then := range []Retire{RetireKeep, RetireDeactivate, RetireDelete} {
		for _, tc := range cases {
			t.Run(then.String()+"/"+tc.name, func(t *testing.T) {
				f, old := rotationFake()
				if tc.setup != nil {
					tc.setup(f)
				}
				plan, err := PlanRotation(old, 90, t0)
				if err != nil {
					t.Fatal(err)
				}
				rec := &recorder{}
				rep, err := NewRunner(f, Options{Now: clock(), Recorder: rec}).Rotate(context.Background(), plan, then)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Refused != nil {
					t.Fatalf("refused: %v", rep.Refused)
				}
				c := rep.Create()
				if c.Outcome != tc.want.create || rep.SecretLost() != tc.want.secretLost {
					t.Fatalf("create %v (secret lost %v), want %v (%v); err %v", c.Outcome, rep.SecretLost(), tc.want.create, tc.want.secretLost, c.Err)
				}
				normal := c.Outcome == model.Done && !tc.want.secretLost
				if normal != !rep.Secret().Empty() {
					t.Errorf("secret present %v, want %v", !rep.Secret().Empty(), normal)
				}
				if c.Outcome == model.Done && (rep.NewKey().ID == "old" || rep.NewKey().ID == "") {
					t.Errorf("new key named %q", rep.NewKey().ID)
				}
				// The request: the owner's id, the collection, the interval, the lifetime.
				if len(f.asked) != 1 {
					t.Fatalf("%d create requests, want exactly 1", len(f.asked))
				}
				nk := f.asked[0]
				if nk.UserID != "u-ann" || nk.CollectionID != "c1" || nk.InactivityDays != 60 || nk.Name != "ci" ||
					nk.Expiry == nil || nk.Expiry.ExpiresIn() != "30 days" {
					t.Errorf("create request %+v", nk)
				}
				res, asked := rep.Retirement()
				if asked != (then != RetireKeep) {
					t.Fatalf("retirement reported %v for %v", asked, then)
				}
				sent := f.sent.Load() - 1 // less the create
				stillListed := f.keys["old"]
				_, listed := f.keys["old"]
				if then == RetireKeep {
					if sent != 0 || !listed || !stillListed.IsActive || !rep.OldStillActive() {
						t.Errorf("keep touched the old key (%d sent)", sent)
					}
					if rep.Complete() != normal {
						t.Errorf("complete %v, want %v", rep.Complete(), normal)
					}
				} else {
					if res.Key.ID != "old" || res.Outcome != tc.want.retire || (sent == 1) != tc.want.retireSent {
						t.Errorf("retire: %v (sent %d, err %v), want %v (sent %v)", res.Outcome, sent, res.Err, tc.want.retire, tc.want.retireSent)
					}
					if res.Outcome != model.Done && res.Err == nil {
						t.Error("an old key not retired carries no reason")
					}
					oldWorks := listed && stillListed.IsActive
					if oldWorks != tc.want.oldActive || rep.OldStillActive() != tc.want.oldActive {
						t.Errorf("old key active %v (report %v), want %v", oldWorks, rep.OldStillActive(), tc.want.oldActive)
					}
					if rep.Complete() != (normal && res.Outcome == model.Done) {
						t.Errorf("complete %v", rep.Complete())
					}
				}
				if len(rec.reports) != 1 || rec.reports[0].Action != "rotate" || !strings.HasPrefix(rec.reports[0].Value, "old → ") ||
					!strings.HasSuffix(rec.reports[0].Value, "then "+then.String()) {
					t.Fatalf("recorded %+v", rec.reports)
				}
				if s := fmt.Sprintf("%+v %v", rec.reports, rep); strings.Contains(s, "sk-secret-value") {
					t.Error("a report prints the secret")
				}
			})
		}
	}
}

func TestRotateRefusedBeforeCreating(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(f *fakeAPI, p *RotationPlan)
		sentinel error
		says     string
	}{
		{name: "deleted since listed", setup: func(f *fakeAPI, _ *RotationPlan) { delete(f.keys, "old") }, sentinel: ErrNotRotatable, says: "no longer listed"},
		{name: "deactivated since listed", setup: func(f *fakeAPI, _ *RotationPlan) {
			k := f.keys["old"]
			k.IsActive = false
			f.keys["old"] = k
		}, sentinel: ErrNotRotatable, says: "deactivated"},
		{name: "collection no longer the owner's", setup: func(f *fakeAPI, _ *RotationPlan) {
			f.cols["ann"] = []model.Collection{{ID: "c2", Username: "ann"}}
		}, sentinel: ErrNotRotatable, says: "no longer belongs to ann"},
		{name: "collections unreadable", setup: func(f *fakeAPI, _ *RotationPlan) { f.colErr = errList }, sentinel: errList},
		{name: "keys unreadable", setup: func(f *fakeAPI, _ *RotationPlan) { f.listErr = errList }, sentinel: errList},
		{name: "owner gone", setup: func(f *fakeAPI, _ *RotationPlan) { f.users = nil }, sentinel: ErrNotRotatable, says: "no user named ann"},
		{name: "new name a key may not have", setup: func(_ *fakeAPI, p *RotationPlan) { p.Name = "ci\u200b" },
			sentinel: model.ErrBadKeyName, says: "the new key's name"},
		{name: "expiry past the limit", setup: func(_ *fakeAPI, p *RotationPlan) {
			iv := model.Interval{N: 91, Unit: model.Day}
			p.Expiry = model.Expiry{In: iv, At: iv.AddTo(t0)}
		}, says: "past the server's limit"},
	}
	for _, then := range []Retire{RetireKeep, RetireDelete} {
		for _, tc := range cases {
			t.Run(then.String()+"/"+tc.name, func(t *testing.T) {
				f, old := rotationFake()
				plan, err := PlanRotation(old, 90, t0)
				if err != nil {
					t.Fatal(err)
				}
				tc.setup(f, &plan)
				rec := &recorder{}
				rep, err := NewRunner(f, Options{Now: clock(), Recorder: rec}).Rotate(context.Background(), plan, then)
				if err != nil {
					t.Fatal(err)
				}
				if f.sent.Load() != 0 || len(f.asked) != 0 {
					t.Fatalf("%d changes sent after a refusal", f.sent.Load())
				}
				if rep.Refused == nil || (tc.sentinel != nil && !errors.Is(rep.Refused, tc.sentinel)) || !strings.Contains(rep.Refused.Error(), tc.says) {
					t.Errorf("refused with %v, want %v saying %q", rep.Refused, tc.sentinel, tc.says)
				}
				if rep.Create().Outcome != model.NotDone || rep.Complete() || len(rec.reports) != 1 {
					t.Errorf("report %+v", rep)
				}
				if res, ok := rep.Retirement(); ok != (then != RetireKeep) || (ok && res.Outcome != model.NotDone) {
					t.Errorf("retirement %+v %v", res, ok)
				}
			})
		}
	}
}

func TestRotateReadOnly(t *testing.T) {
	f, old := rotationFake()
	plan, _ := PlanRotation(old, 0, t0)
	rep, err := NewRunner(f, Options{ReadOnly: true}).Rotate(context.Background(), plan, RetireDelete)
	if !errors.Is(err, ErrReadOnly) || !errors.Is(rep.Refused, ErrReadOnly) || f.sent.Load() != 0 {
		t.Errorf("read-only rotate: %v, %v, %d sent", err, rep.Refused, f.sent.Load())
	}
}

// The old key has the same name; when it was made moments ago (inside the
// skew allowed for the read back) a lost create's read back must not take
// it for the new key.
func TestRotateReadBackSkipsTheOldKey(t *testing.T) {
	f, old := rotationFake()
	old.Created, old.Expires = t0.Add(-time.Minute), nil
	f.keys["old"] = old
	f.fail["ci"] = errLost // not created, answer lost
	plan, _ := PlanRotation(old, 0, t0)
	rep, err := NewRunner(f, Options{Now: clock()}).Rotate(context.Background(), plan, RetireDeactivate)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Create().Outcome != model.NotDone || rep.SecretLost() {
		t.Errorf("the old key was read back as the new one: %v %+v", rep.Create().Outcome, rep.NewKey())
	}
	if !f.keys["old"].IsActive {
		t.Error("the old key was deactivated without a new one")
	}
}

func TestRotateUsesKnownOwnerID(t *testing.T) {
	f, old := rotationFake()
	f.users = nil // a lookup would fail
	plan, _ := PlanRotation(old, 0, t0)
	plan.OwnerID = "u-ann"
	rep, err := NewRunner(f, Options{Now: clock()}).Rotate(context.Background(), plan, RetireKeep)
	if err != nil || !rep.Complete() || f.asked[0].UserID != "u-ann" {
		t.Errorf("rotate with a known owner: %v %+v", err, rep)
	}
}

func TestParseRetire(t *testing.T) {
	for _, s := range []string{"keep", "Deactivate", " delete "} {
		r, err := ParseRetire(s)
		if err != nil || r.String() != strings.ToLower(strings.TrimSpace(s)) {
			t.Errorf("%q: %v %v", s, r, err)
		}
	}
	if _, err := ParseRetire("revoke"); err == nil {
		t.Error("revoke accepted")
	}
}
