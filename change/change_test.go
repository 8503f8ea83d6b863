package change

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"h2ogpte-keys/model"
)

var (
	errRefused = errors.New("409 conflict")
	errLost    = fmt.Errorf("gateway timeout (504): %w", model.ErrOutcomeUnknown)
	errList    = errors.New("connection refused")
)

// fakeAPI holds keys in memory. A change to a key named in act happens
// and then answers with act's error (nil: answers normally); one named in
// fail answers with its error without happening. listErr fails the read back.
type fakeAPI struct {
	mu      sync.Mutex
	keys    map[string]model.APIKey
	act     map[string]error
	fail    map[string]error
	listErr error
	now     time.Time

	users  []model.User
	cols   map[string][]model.Collection
	colErr error
	asked  []model.NewKey // every create request, in order
	// listFailFrom, when set, fails every listing from that one on
	// (1-based) with errList.
	listFailFrom int
	listCalls    atomic.Int32

	sent     atomic.Int32
	inFlight atomic.Int32
	peak     atomic.Int32
	block    chan struct{} // when set, every change waits for it
	// actFirst: a blocked change is applied before it waits (the server
	// acted; the answer is what the wait loses).
	actFirst bool
}

func newFake(now time.Time, keys ...model.APIKey) *fakeAPI {
	f := &fakeAPI{keys: map[string]model.APIKey{}, act: map[string]error{}, fail: map[string]error{}, now: now}
	for _, k := range keys {
		f.keys[k.ID] = k
	}
	return f
}

func (f *fakeAPI) StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error {
	if f.listErr != nil {
		return f.listErr
	}
	if n := f.listCalls.Add(1); f.listFailFrom > 0 && int(n) >= f.listFailFrom {
		return errList
	}
	f.mu.Lock()
	var page []model.APIKey
	for _, k := range f.keys {
		if username == "" || k.Username == username {
			page = append(page, k)
		}
	}
	f.mu.Unlock()
	onPage(page)
	return nil
}

func (f *fakeAPI) change(ctx context.Context, id string, apply func(k *model.APIKey) bool) error {
	f.sent.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	if f.block != nil {
		if f.actFirst {
			f.mu.Lock()
			if k, ok := f.keys[id]; ok {
				if apply(&k) {
					delete(f.keys, id)
				} else {
					f.keys[id] = k
				}
			}
			f.mu.Unlock()
		}
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail[id]; err != nil {
		return err
	}
	k, ok := f.keys[id]
	if !ok {
		return errors.New("404 not found")
	}
	if apply(&k) {
		delete(f.keys, id)
	} else {
		f.keys[id] = k
	}
	return f.act[id]
}

func (f *fakeAPI) Deactivate(ctx context.Context, id string) error {
	return f.change(ctx, id, func(k *model.APIKey) bool { k.IsActive = false; return false })
}

func (f *fakeAPI) Delete(ctx context.Context, id string) error {
	return f.change(ctx, id, func(*model.APIKey) bool { return true })
}

func (f *fakeAPI) SetExpiry(ctx context.Context, id string, e model.Expiry) error {
	return f.change(ctx, id, func(k *model.APIKey) bool {
		k.Expires = nil
		if !e.Never {
			at := e.In.AddTo(f.now)
			k.Expires = &at
		}
		return false
	})
}

func (f *fakeAPI) SetInactivity(ctx context.Context, id string, days int) error {
	return f.change(ctx, id, func(k *model.APIKey) bool {
		k.InactivityDays = model.Null[int]()
		if days > 0 {
			k.InactivityDays = model.Some(days)
		}
		return false
	})
}

func (f *fakeAPI) CreateKey(ctx context.Context, nk model.NewKey) (model.CreatedKey, error) {
	f.sent.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, nk)
	if err := f.fail[nk.Name]; err != nil {
		return model.CreatedKey{}, err
	}
	k := model.APIKey{ID: fmt.Sprintf("new-%d", len(f.keys)), Username: "ann", Name: nk.Name, Created: f.now, IsActive: true,
		CollectionID: nk.CollectionID, IsGlobal: nk.CollectionID == ""}
	if nk.InactivityDays > 0 {
		k.InactivityDays = model.Some(nk.InactivityDays)
	}
	if nk.Expiry != nil && !nk.Expiry.Never {
		at := nk.Expiry.In.AddTo(f.now)
		k.Expires = &at
	}
	f.keys[k.ID] = k
	if err := f.act[nk.Name]; err != nil {
		return model.CreatedKey{}, err
	}
	return model.CreatedKey{Secret: model.NewSecret("sk-secret-value"), Key: k}, nil
}

func (f *fakeAPI) ListUsers(context.Context) ([]model.User, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	return f.users, nil
}

func (f *fakeAPI) ListCollections(_ context.Context, username string) ([]model.Collection, error) {
	if f.colErr != nil {
		return nil, f.colErr
	}
	return f.cols[username], nil
}

type recorder struct {
	reports []Report
	err     error
}

func (r *recorder) Record(_ context.Context, rep Report) error {
	r.reports = append(r.reports, rep)
	return r.err
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() func() time.Time { return func() time.Time { return t0 } }

func key(id string) model.APIKey {
	return model.APIKey{ID: id, Username: "ann", Name: "key " + id, IsActive: true, InactivityDays: model.Null[int]()}
}

func TestRunOutcomes(t *testing.T) {
	in := model.Interval{N: 30, Unit: model.Day}
	expiry := model.Expiry{In: in, At: in.AddTo(t0)}
	changes := map[string]Change{
		"deactivate": Deactivate(),
		"delete":     Delete(),
		"expiry":     SetExpiry(expiry),
		"never":      SetExpiry(model.Expiry{Never: true}),
		"inactivity": SetInactivity(60),
		"none":       SetInactivity(0),
	}
	cases := []struct {
		name     string
		act      error // happens, then answers with this
		fail     error // answers with this, nothing happens
		listErr  error
		want     model.Outcome
		readBack bool
	}{
		{name: "done", want: model.Done},
		{name: "refused", fail: errRefused, want: model.NotDone},
		{name: "lost answer, read back done", act: errLost, want: model.Done, readBack: true},
		{name: "lost answer, read back not done", fail: errLost, want: model.NotDone, readBack: true},
		{name: "lost answer, read back fails", act: errLost, listErr: errList, want: model.Unknown},
		{name: "refused, list broken: no read back", fail: errRefused, listErr: errList, want: model.NotDone},
	}
	for cname, c := range changes {
		for _, tc := range cases {
			t.Run(cname+"/"+tc.name, func(t *testing.T) {
				k := key("k1")
				if cname == "never" {
					at := t0.Add(time.Hour)
					k.Expires = &at // so that "not done" is visible
				}
				if cname == "none" {
					k.InactivityDays = model.Some(7)
				}
				f := newFake(t0, k)
				f.act["k1"], f.fail["k1"], f.listErr = tc.act, tc.fail, tc.listErr
				rec := &recorder{}
				rep, err := NewRunner(f, Options{Now: clock(), Recorder: rec}).Run(context.Background(), c, []model.APIKey{k})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				got := rep.Results[0]
				if got.Outcome != tc.want || got.ReadBack != tc.readBack {
					t.Fatalf("outcome %v (read back %v), want %v (%v); err %v", got.Outcome, got.ReadBack, tc.want, tc.readBack, got.Err)
				}
				if tc.want != model.Done && got.Err == nil {
					t.Error("a key not done carries no reason")
				}
				if len(rec.reports) != 1 || rec.reports[0].Action != c.Verb || rec.reports[0].Results[0].Key.ID != "k1" {
					t.Errorf("recorder got %+v", rec.reports)
				}
			})
		}
	}
}

func TestExpiryReadBackWindow(t *testing.T) {
	in := model.Interval{N: 30, Unit: model.Day}
	// The admin chose the value an hour before it was sent.
	e := model.Expiry{In: in, At: in.AddTo(t0.Add(-time.Hour))}
	c := SetExpiry(e)
	sent := Window{From: t0.Add(-2 * time.Minute), To: t0.Add(2 * time.Minute)}
	at := in.AddTo(t0)
	if !c.Applied(&model.APIKey{Expires: &at}, sent) {
		t.Error("expiry counted from when the request arrived not recognised")
	}
	old := in.AddTo(t0.Add(-24 * time.Hour))
	if c.Applied(&model.APIKey{Expires: &old}, sent) {
		t.Error("an older expiry taken for the new one")
	}
	if c.Applied(nil, sent) {
		t.Error("a missing key taken as changed")
	}
}

func TestRunReadOnlySendsNothing(t *testing.T) {
	f := newFake(t0, key("k1"), key("k2"))
	rec := &recorder{}
	rep, err := NewRunner(f, Options{ReadOnly: true, Recorder: rec}).Run(context.Background(), Delete(), []model.APIKey{key("k1"), key("k2")})
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("err %v, want ErrReadOnly", err)
	}
	if f.sent.Load() != 0 || len(f.keys) != 2 {
		t.Fatalf("read-only runner sent %d requests", f.sent.Load())
	}
	if rep.Count(model.NotDone) != 2 || !errors.Is(rep.Results[0].Err, ErrReadOnly) {
		t.Errorf("report %+v", rep)
	}
	if len(rec.reports) != 1 {
		t.Errorf("refusal not recorded")
	}
	cr, err := NewRunner(f, Options{ReadOnly: true}).Create(context.Background(), "ann", model.NewKey{UserID: "u1", Name: "x"})
	if !errors.Is(err, ErrReadOnly) || cr.Outcome() != model.NotDone || f.sent.Load() != 0 {
		t.Errorf("read-only create: %v %v, sent %d", err, cr.Outcome(), f.sent.Load())
	}
}

func TestRunBoundedAndOrdered(t *testing.T) {
	var keys []model.APIKey
	for i := range 20 {
		keys = append(keys, key(fmt.Sprintf("k%02d", i)))
	}
	f := newFake(t0, keys...)
	f.fail["k05"] = errRefused
	rep, err := NewRunner(f, Options{Concurrency: 3}).Run(context.Background(), Deactivate(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if p := f.peak.Load(); p > 3 {
		t.Errorf("%d requests in flight at once, want at most 3", p)
	}
	for i, r := range rep.Results {
		if r.Key.ID != keys[i].ID {
			t.Fatalf("result %d is %s, want %s", i, r.Key.ID, keys[i].ID)
		}
	}
	if rep.Count(model.Done) != 19 || rep.Keys(model.NotDone)[0].ID != "k05" || rep.AllDone() {
		t.Errorf("counts: done %d, not done %v", rep.Count(model.Done), rep.Keys(model.NotDone))
	}
}

// A run cancelled (Ctrl+C) while a request is in flight reads that key
// back on a context of its own: done when the server acted; unknown when
// it had not acted yet (cut off, it may still act) or the read back
// failed. Keys not yet sent are not done, and say so.
func TestRunCancelled(t *testing.T) {
	for _, tc := range []struct {
		name     string
		actFirst bool
		listErr  error
		want     model.Outcome
	}{
		// Cut off by this side: the server may act still.
		{"the server did not act (yet)", false, nil, model.Unknown},
		{"the server acted", true, nil, model.Done},
		{"the read back fails too", true, errList, model.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := []model.APIKey{key("a"), key("b"), key("c")}
			f := newFake(t0, keys...)
			f.block = make(chan struct{})
			f.actFirst = tc.actFirst
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan Report)
			go func() {
				rep, _ := NewRunner(f, Options{Concurrency: 1}).Run(ctx, Delete(), keys)
				done <- rep
			}()
			for f.inFlight.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			f.listErr = tc.listErr // read only by the read back, which starts after cancel
			cancel()
			rep := <-done
			if r := rep.Results[0]; r.Outcome != tc.want || r.ReadBack != (tc.listErr == nil) ||
				(tc.want == model.Unknown && tc.listErr == nil && !strings.Contains(r.Err.Error(), "the server may still be making it")) {
				t.Errorf("the key in flight when cancelled: %v (read back %v, %v), want %v", r.Outcome, r.ReadBack, r.Err, tc.want)
			}
			for _, r := range rep.Results[1:] {
				if r.Outcome != model.NotDone || !errors.Is(r.Err, context.Canceled) || !errors.Is(r.Err, ErrNotSent) {
					t.Errorf("a key never sent: %v %v, want not done, not sent", r.Outcome, r.Err)
				}
			}
			if f.sent.Load() != 1 {
				t.Errorf("%d sent after cancel, want 1", f.sent.Load())
			}
		})
	}
}

func TestRecorderError(t *testing.T) {
	f := newFake(t0, key("k1"))
	rep, err := NewRunner(f, Options{Recorder: &recorder{err: errors.New("disk full")}}).Run(context.Background(), Delete(), []model.APIKey{key("k1")})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("recorder error lost: %v", err)
	}
	if rep.Results[0].Outcome != model.Done {
		t.Error("the report was lost with the recorder's error")
	}
}

func TestCreate(t *testing.T) {
	cases := []struct {
		name       string
		act, fail  error
		listErr    error
		want       model.Outcome
		secretLost bool
		cancelled  bool // ctx ends while the request is in flight (Ctrl+C)
	}{
		{name: "created", want: model.Done},
		{name: "refused", fail: errRefused, want: model.NotDone},
		{name: "lost answer, key exists", act: errLost, want: model.Done, secretLost: true},
		{name: "lost answer, no key", fail: errLost, want: model.NotDone},
		{name: "lost answer, read back fails", act: errLost, listErr: errList, want: model.Unknown},
		// Read back on a context of their own: the caller's has ended.
		{name: "cancelled in flight, key exists", act: context.Canceled, cancelled: true, want: model.Done, secretLost: true},
		{name: "cancelled in flight, no key (yet)", fail: context.Canceled, cancelled: true, want: model.Unknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := key("old")
			old.Name, old.Created = "ci", t0.Add(-48*time.Hour) // same name, long before
			f := newFake(t0, old)
			f.act["ci"], f.fail["ci"], f.listErr = tc.act, tc.fail, tc.listErr
			rec := &recorder{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelled {
				cancel()
			}
			rep, err := NewRunner(f, Options{Now: clock(), Recorder: rec}).Create(ctx, "ann", model.NewKey{UserID: "u1", Name: "ci"})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome() != tc.want || rep.SecretLost() != tc.secretLost {
				t.Fatalf("outcome %v, secret lost %v; want %v, %v (err %v)", rep.Outcome(), rep.SecretLost(), tc.want, tc.secretLost, rep.Err())
			}
			if tc.secretLost && (rep.Key().ID == "old" || rep.Key().ID == "") {
				t.Errorf("read back named %q, want the new key", rep.Key().ID)
			}
			if tc.want == model.Done && !tc.secretLost && rep.Created.Secret.Reveal() == "" {
				t.Error("the secret of a normal create is missing")
			}
			if len(rec.reports) != 1 || rec.reports[0].Action != "create" || rec.reports[0].Results[0].Key.Username != "ann" {
				t.Fatalf("recorder got %+v", rec.reports)
			}
			if s := fmt.Sprintf("%+v", rec.reports[0]); strings.Contains(s, "sk-secret-value") {
				t.Error("the recorded report holds the secret")
			}
		})
	}
}
