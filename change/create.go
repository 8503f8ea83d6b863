package change

import (
	"context"
	"errors"
	"fmt"

	"h2ogpte-keys/model"
)

// CreateReport is what happened to one create.
type CreateReport struct {
	// Report is the create as the Recorder sees it: Action "create", one
	// Result naming the new key (its id once known) and its owner, never
	// its secret.
	Report
	// Created is the server's answer, with the secret, when it arrived
	// (Outcome Done and not ReadBack).
	Created model.CreatedKey
}

// Outcome is the create's outcome.
func (r CreateReport) Outcome() model.Outcome { return r.Results[0].Outcome }

// Err is why the create is not done or unknown (nil when done normally).
func (r CreateReport) Err() error { return r.Results[0].Err }

// Key is the new key as known: the server's answer, the key found by the
// read back, or just the name and owner asked for.
func (r CreateReport) Key() model.APIKey { return r.Results[0].Key }

// SecretLost reports whether the key exists but its answer, and so its
// secret, was lost: the secret cannot be shown again.
func (r CreateReport) SecretLost() bool {
	return r.Results[0].Outcome == model.Done && r.Results[0].ReadBack
}

// Create creates k for owner (the username of k.UserID), never retried: a
// repeat could make a second key. When the answer is lost it reads the
// owner's keys back, looking for a key of that name created since the
// request began; if one is there the key exists (Done, SecretLost).
func (r *Runner) Create(ctx context.Context, owner string, k model.NewKey) (CreateReport, error) {
	if r.opts.ReadOnly {
		asked := model.APIKey{Username: owner, Name: k.Name, CollectionID: k.CollectionID, IsGlobal: k.CollectionID == ""}
		rep := CreateReport{Report: Report{Action: "create", Started: r.opts.Now(),
			Results: []Result{{Key: asked, Outcome: model.NotDone, Err: ErrReadOnly}}}}
		rep.Finished = rep.Started
		var err error
		rep.Report, err = r.finish(ctx, rep.Report, ErrReadOnly)
		return rep, err
	}
	rep := r.create(ctx, owner, k, "")
	var err error
	rep.Report, err = r.finish(ctx, rep.Report, nil)
	return rep, err
}

// create is Create without the Recorder and the read-only check, for
// callers that report a larger change. A key with id exclude is never
// taken for the new one by the read back: a rotation's old key has the
// same name.
func (r *Runner) create(ctx context.Context, owner string, k model.NewKey, exclude string) CreateReport {
	started := r.opts.Now()
	asked := model.APIKey{Username: owner, Name: k.Name, CollectionID: k.CollectionID, IsGlobal: k.CollectionID == ""}
	if k.Owner == "" {
		k.Owner = owner
	}
	rep := CreateReport{Report: Report{Action: "create", Started: started}}
	finish := func(res Result) CreateReport {
		rep.Results = []Result{res}
		rep.Finished = r.opts.Now()
		return rep
	}
	created, err := r.api.CreateKey(ctx, k)
	switch {
	case err == nil:
		rep.Created = created
		return finish(Result{Key: created.Key, Outcome: model.Done})
	case !errors.Is(err, model.ErrOutcomeUnknown) && !endedInFlight(ctx, err):
		return finish(Result{Key: asked, Outcome: model.NotDone, Err: err})
	}
	// Lost, or ended by ctx in flight: read back (on a context of its own
	// once ctx has ended).
	interrupted := ctx.Err() != nil
	rctx, cancel := readBackContext(ctx)
	defer cancel()
	since := started.Add(-r.opts.Skew)
	var found *model.APIKey
	rerr := r.api.StreamKeys(rctx, owner, func(page []model.APIKey) {
		for _, c := range page {
			// The newest of that name, should there be several.
			if c.Name == k.Name && (exclude == "" || c.ID != exclude) && !c.Created.Before(since) &&
				(found == nil || c.Created.After(found.Created)) {
				c := c
				found = &c
			}
		}
	})
	if rerr == nil && rctx.Err() != nil {
		rerr = rctx.Err()
	}
	switch {
	case rerr != nil:
		return finish(Result{Key: asked, Outcome: model.Unknown,
			Err: fmt.Errorf("%w; reading the keys of %s back failed too: %w", err, model.CleanText(owner), rerr)})
	case found != nil:
		return finish(Result{Key: *found, Outcome: model.Done, Err: err, ReadBack: true})
	case interrupted:
		return finish(Result{Key: asked, Outcome: model.Unknown, Err: fmt.Errorf("%w; %s", err, notYet), ReadBack: true})
	}
	return finish(Result{Key: asked, Outcome: model.NotDone, Err: err, ReadBack: true})
}
