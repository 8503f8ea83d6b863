package change

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"h2ogpte-keys/model"
)

// ErrNotRotatable marks a key that may not be rotated: deactivated, deleted,
// bound to a collection its owner no longer has, or described by the server
// too poorly to copy its reach. Nothing was created.
var ErrNotRotatable = errors.New("cannot be rotated")

// ErrNameNotReusable marks a refusal of PlanRotation for the old key's name
// alone: the server holds a name a new key may not be given (a control or
// invisible character, say, from before such names were refused). Such a
// key is rotated under a name the admin gives (RotationPlan.WithName). It comes
// with ErrNotRotatable.
var ErrNameNotReusable = errors.New("its name cannot be given to a new key")

// Retire is what happens to the old key once its replacement exists.
type Retire int

const (
	// RetireKeep leaves the old key working, so the admin can deploy the
	// new secret first; the default.
	RetireKeep Retire = iota
	// RetireDeactivate deactivates the old key (for good).
	RetireDeactivate
	// RetireDelete deletes the old key.
	RetireDelete
)

// String is the word the command line takes: keep, deactivate, delete.
func (t Retire) String() string {
	switch t {
	case RetireDeactivate:
		return "deactivate"
	case RetireDelete:
		return "delete"
	}
	return "keep"
}

// ParseRetire reads keep, deactivate or delete.
func ParseRetire(s string) (Retire, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "keep":
		return RetireKeep, nil
	case "deactivate":
		return RetireDeactivate, nil
	case "delete":
		return RetireDelete, nil
	}
	return RetireKeep, fmt.Errorf("%q: want keep, deactivate or delete", model.Clip(s, 80))
}

// change is the descriptor that retires the old key; ok is false for keep.
func (t Retire) change() (c Change, ok bool) {
	switch t {
	case RetireDeactivate:
		return Deactivate(), true
	case RetireDelete:
		return Delete(), true
	}
	return Change{}, false
}

// RotationPlan is a replacement for one key with the same reach: same
// owner, name, collection (or global) and inactivity interval, and an
// expiry as long as the old key's lifetime, capped at the server's limit.
type RotationPlan struct {
	// Old is the key being replaced, as it was listed.
	Old model.APIKey
	// OwnerID is the owner's user id, which a create names. When empty,
	// Rotate looks it up from Old.Username; a caller that knows it (the
	// dashboard does) fills it in to spare that read.
	OwnerID string
	// Name is the new key's name: the old key's, or the admin's when
	// Renamed.
	Name string
	// Renamed: Name was given by the admin (WithName), not copied.
	Renamed bool
	// CollectionID is the collection the new key is bound to; empty for a
	// global key.
	CollectionID string
	// InactivityDays is the old key's interval; 0 for none.
	InactivityDays int
	// Expiry is the new key's expiry; Never when the old key had none.
	Expiry model.Expiry
	// Lifetime is the old key's expires_at − created_at; 0 when it had no
	// expiry.
	Lifetime time.Duration
	// Capped: the old lifetime was longer than the server's limit allows,
	// so Expiry is the limit.
	Capped bool
	// Edited: Expiry was chosen by the admin, not derived.
	Edited bool
	// LimitDays is the server's global expiry limit (0 = none) the plan was
	// made under; Rotate checks Expiry against it again.
	LimitDays int
}

// Global reports whether the new key will be global (not bound to a
// collection).
func (p RotationPlan) Global() bool { return p.CollectionID == "" }

// NewKey is the create request of the plan, for the owner with user id
// ownerID.
func (p RotationPlan) NewKey(ownerID string) model.NewKey {
	nk := model.NewKey{UserID: ownerID, Name: p.Name, CollectionID: p.CollectionID, InactivityDays: p.InactivityDays}
	if !p.Expiry.Never {
		e := p.Expiry
		nk.Expiry = &e
	}
	return nk
}

// WithExpiry is the plan with an expiry the admin chose instead ("never"
// included: an expiry stays optional under a limit). An explicit expiry
// past the plan's limit is refused with a *model.LimitError.
func (p RotationPlan) WithExpiry(e model.Expiry, now time.Time) (RotationPlan, error) {
	if err := model.CheckExpiry(e, p.LimitDays, now); err != nil {
		return p, err
	}
	p.Expiry, p.Edited, p.Capped = e, true, false
	return p, nil
}

// PlanRotation plans old's replacement under a global expiry limit of
// limitDays (0 = none), as of now.
//
// A deactivated key is refused (ErrNotRotatable): it was retired on
// purpose and the API cannot bring it back, so its reach is not to be
// handed out again. An expired or idle key is rotated: replacing a key
// that stopped working is the usual way back, and its replacement is
// given the same lifetime counted from now, so it works again.
//
// The new key keeps the old key's name. An old name that a new key may not
// be given (model.CheckKeyName) is refused with ErrNameNotReusable; that
// refusal alone comes with the plan, without a name (Name ""), for
// WithName to give it one.
func PlanRotation(old model.APIKey, limitDays int, now time.Time) (RotationPlan, error) {
	p, err := planRotation(old, limitDays, now)
	if err != nil {
		return RotationPlan{}, err
	}
	if err := model.CheckKeyName(old.Name); err != nil {
		// The reason states the position and kind of the bad character,
		// never the name itself (see model.CheckKeyName).
		p.Name = ""
		return p, fmt.Errorf("key %s: %w (%v): %w", model.CleanText(old.ID), ErrNameNotReusable, err, ErrNotRotatable)
	}
	return p, nil
}

// WithName is the plan with the new key named name instead of the old
// key's: the way to rotate a key whose name a new key may not be given
// (PlanRotation's ErrNameNotReusable), and to rename a key as it is
// replaced. A name model.CheckKeyName refuses is refused with its error (a
// model.ErrBadKeyName); the old key's own name is no renaming.
func (p RotationPlan) WithName(name string) (RotationPlan, error) {
	if err := model.CheckKeyName(name); err != nil {
		return p, err
	}
	p.Name, p.Renamed = name, name != p.Old.Name
	return p, nil
}

// planRotation is PlanRotation's plan, named as the old key, its name not
// yet checked.
func planRotation(old model.APIKey, limitDays int, now time.Time) (RotationPlan, error) {
	id := model.CleanText(old.ID)
	if !old.IsActive {
		return RotationPlan{}, fmt.Errorf("key %s is deactivated: %w (a deactivated key stays retired)", id, ErrNotRotatable)
	}
	if !old.IsGlobal && old.CollectionID == "" {
		// Made global, the new key would reach more than the old one did.
		return RotationPlan{}, fmt.Errorf("key %s is not global but the server names no collection for it: %w", id, ErrNotRotatable)
	}
	p := RotationPlan{Old: old, Name: old.Name, LimitDays: max(limitDays, 0), Expiry: model.Expiry{Never: true}}
	if !old.IsGlobal {
		p.CollectionID = old.CollectionID
	}
	if d, ok := old.InactivityDays.Get(); ok && d > 0 {
		p.InactivityDays = d
	}
	if old.Expires == nil {
		return p, nil
	}
	p.Lifetime = old.Expires.Sub(old.Created)
	if p.Lifetime < time.Minute {
		return RotationPlan{}, fmt.Errorf("key %s expires %s after it was created, too soon to copy as a lifetime: %w",
			id, p.Lifetime, ErrNotRotatable)
	}
	iv := lifetimeInterval(p.Lifetime)
	p.Expiry = model.Expiry{In: iv, At: iv.AddTo(now)}
	if latest, limited := model.LatestExpiry(p.LimitDays, now); limited && p.Expiry.At.After(latest) {
		cap := model.Interval{N: p.LimitDays, Unit: model.Day}
		p.Expiry, p.Capped = model.Expiry{In: cap, At: cap.AddTo(now)}, true
	}
	return p, nil
}

// lifetimeInterval is d in the largest unit that holds it whole (days,
// hours), else in whole minutes rounded down, so the new key never
// outlives the old lifetime.
func lifetimeInterval(d time.Duration) model.Interval {
	switch {
	case d%(24*time.Hour) == 0 && d/(24*time.Hour) <= 1_000_000:
		return model.Interval{N: int(d / (24 * time.Hour)), Unit: model.Day}
	case d%time.Hour == 0 && d/time.Hour <= 1_000_000:
		return model.Interval{N: int(d / time.Hour), Unit: model.Hour}
	}
	return model.Interval{N: int(min(d/time.Minute, 60_000_000)), Unit: model.Minute}
}

// RotationReport is what happened in one rotation.
type RotationReport struct {
	// Report is the rotation as the Recorder sees it: Action "rotate",
	// Value "OLD → NEW, then keep|deactivate|delete"; Results[0] is the
	// create (the new key, or the key asked for), Results[1], when
	// retiring was asked for, the old key's retirement. No secret.
	Report
	Plan RotationPlan
	Then Retire
	// Created is the server's answer with the new secret, when it arrived.
	Created model.CreatedKey
	// Refused is why nothing was created (the checks before the create,
	// or read-only); nil when the create was sent.
	Refused error
}

// Create is the new key's result.
func (r RotationReport) Create() Result { return r.Results[0] }

// NewKey is the new key as known: the server's answer, the key found by the
// read back, or only what was asked for.
func (r RotationReport) NewKey() model.APIKey { return r.Results[0].Key }

// Secret is the new key's secret; empty unless the create's answer arrived.
func (r RotationReport) Secret() model.Secret { return r.Created.Secret }

// SecretLost reports whether the new key exists but its secret was lost
// with the create's answer: the old key was then left alone.
func (r RotationReport) SecretLost() bool {
	c := r.Results[0]
	return c.Outcome == model.Done && c.ReadBack
}

// Retirement is the old key's result when retiring it was asked for and
// attempted or skipped; ok is false for keep.
func (r RotationReport) Retirement() (res Result, ok bool) {
	if len(r.Results) < 2 {
		return Result{}, false
	}
	return r.Results[1], true
}

// OldStillActive reports whether the old key may still work: kept by
// choice, or its retirement not done or unknown.
func (r RotationReport) OldStillActive() bool {
	res, ok := r.Retirement()
	return !ok || res.Outcome != model.Done
}

// Complete reports whether everything asked for happened: a new key whose
// secret the admin holds, and the old key retired as chosen. Anything else
// is a partial outcome (a command line exits 1).
func (r RotationReport) Complete() bool {
	if r.Refused != nil || r.Results[0].Outcome != model.Done || r.SecretLost() {
		return false
	}
	res, ok := r.Retirement()
	return !ok || res.Outcome == model.Done
}

// Rotate carries out plan: it checks again that the old key is listed and
// active and (for a collection key) that the collection is still its
// owner's, then creates the new key (never retried; a lost answer is read
// back), then retires the old key as then says through the Deactivate or
// Delete descriptor. Nothing follows a create that is not done, unknown, or
// done without its secret: the admin has no working secret then, so the old
// key is left as it was.
//
// The error is ErrReadOnly or the Recorder's; refusals and failures are in
// the report (Refused, and each result's outcome), which is complete either
// way.
func (r *Runner) Rotate(ctx context.Context, plan RotationPlan, then Retire) (RotationReport, error) {
	old := plan.Old
	asked := model.APIKey{Username: old.Username, Name: plan.Name, CollectionID: plan.CollectionID, IsGlobal: plan.Global()}
	rep := RotationReport{Plan: plan, Then: then, Report: Report{Action: "rotate", Started: r.opts.Now()}}
	value := func(newID string) string {
		if newID == "" {
			newID = "(none)"
		}
		return fmt.Sprintf("%s → %s, then %s", model.CleanText(old.ID), model.CleanText(newID), then)
	}
	finish := func(err error) (RotationReport, error) {
		rep.Value = value(rep.Results[0].Key.ID)
		rep.Finished = r.opts.Now()
		rep.Report, err = r.finish(ctx, rep.Report, err)
		return rep, err
	}
	refuse := func(why error) (RotationReport, error) {
		rep.Refused = why
		rep.Results = []Result{{Key: asked, Outcome: model.NotDone, Err: why}}
		if then != RetireKeep {
			rep.Results = append(rep.Results, Result{Key: old, Outcome: model.NotDone, Err: fmt.Errorf("not sent: %w", why)})
		}
		var err error
		if errors.Is(why, ErrReadOnly) {
			err = ErrReadOnly
		}
		return finish(err)
	}
	if r.opts.ReadOnly {
		return refuse(ErrReadOnly)
	}
	ownerID, err := r.checkRotation(ctx, plan)
	if err != nil {
		return refuse(err)
	}

	created := r.create(ctx, old.Username, plan.NewKey(ownerID), old.ID)
	rep.Created = created.Created
	rep.Results = []Result{created.Results[0]}
	if then == RetireKeep {
		return finish(nil)
	}
	c, _ := then.change()
	cr := created.Results[0]
	var skip error
	switch {
	case cr.Outcome == model.NotDone:
		skip = errors.New("not sent: the new key was not created")
	case cr.Outcome == model.Unknown:
		skip = errors.New("not sent: whether the new key exists is unknown")
	case cr.ReadBack:
		skip = errors.New("not sent: the new key exists but its secret was lost, so the old key is the only one whose secret is known")
	case ctx.Err() != nil:
		skip = fmt.Errorf("not sent: %w", ctx.Err())
	}
	if skip != nil {
		rep.Results = append(rep.Results, Result{Key: old, Outcome: model.NotDone, Err: skip})
		return finish(nil)
	}
	rep.Results = append(rep.Results, r.one(ctx, c, old))
	return finish(nil)
}

// checkRotation reads the server again before anything is created: the
// old key must still be listed and active, a collection key's collection
// must still be its owner's, and the expiry within the limit. It returns
// the owner's user id.
func (r *Runner) checkRotation(ctx context.Context, plan RotationPlan) (string, error) {
	old := plan.Old
	id, owner := model.CleanText(old.ID), model.CleanText(old.Username)
	if old.ID == "" || old.Username == "" {
		return "", fmt.Errorf("the key to rotate has no id or no owner: %w", ErrNotRotatable)
	}
	if err := model.CheckKeyName(plan.Name); err != nil {
		// A plan refused for its name and not given one (WithName).
		return "", fmt.Errorf("rotate key %s: the new key's name: %w", id, err)
	}
	if err := model.CheckExpiry(plan.Expiry, plan.LimitDays, r.opts.Now()); err != nil {
		return "", fmt.Errorf("rotate key %s: %w", id, err)
	}
	now, err := FindKey(ctx, r.api, old.Username, old.ID)
	switch {
	case err != nil:
		return "", fmt.Errorf("check key %s before rotating it: %w", id, err)
	case now == nil:
		return "", fmt.Errorf("key %s of %s is no longer listed (deleted?): %w", id, owner, ErrNotRotatable)
	case !now.IsActive:
		return "", fmt.Errorf("key %s is deactivated: %w (a deactivated key stays retired)", id, ErrNotRotatable)
	}
	if plan.CollectionID != "" {
		cols, err := r.api.ListCollections(ctx, old.Username)
		if err != nil {
			return "", fmt.Errorf("check the collection of key %s before rotating it: %w", id, err)
		}
		mine := false
		for _, c := range cols {
			mine = mine || (c.ID == plan.CollectionID && c.Username == old.Username)
		}
		if !mine {
			return "", fmt.Errorf("collection %s of key %s no longer belongs to %s, so a key for it cannot be made: %w",
				model.CleanText(plan.CollectionID), id, owner, ErrNotRotatable)
		}
	}
	if plan.OwnerID != "" {
		return plan.OwnerID, nil
	}
	u, err := r.findOwner(ctx, old.Username)
	if err != nil {
		return "", fmt.Errorf("find the owner of key %s: %w", id, err)
	}
	return u.ID, nil
}

// userFinder is what *client.Client offers to find one user without
// reading them all.
type userFinder interface {
	FindUser(ctx context.Context, username string) (model.User, error)
}

// findOwner returns the user named username.
func (r *Runner) findOwner(ctx context.Context, username string) (model.User, error) {
	if f, ok := r.api.(userFinder); ok {
		return f.FindUser(ctx, username)
	}
	users, err := r.api.ListUsers(ctx)
	if err != nil {
		return model.User{}, err
	}
	for _, u := range users {
		if u.Username == username {
			return u, nil
		}
	}
	return model.User{}, fmt.Errorf("no user named %s: %w", model.CleanText(username), ErrNotRotatable)
}
