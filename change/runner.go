package change

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"h2ogpte-keys/model"
)

// ErrReadOnly is the answer to every change a read-only Runner is asked for.
var ErrReadOnly = errors.New("read-only mode: changes are disabled")

// Recorder is told of every report before the Runner returns it: the audit
// log plugs in here. A Report carries no secret.
type Recorder interface {
	Record(ctx context.Context, r Report) error
}

// Result is what happened to one key.
type Result struct {
	// Key is the key as the caller named it (id, and name and owner when
	// known).
	Key     model.APIKey
	Outcome model.Outcome
	// Err is why the key is not done, or why its outcome is unknown; for a
	// key read back as done it is the error whose answer was lost.
	Err error
	// ReadBack: the outcome was learnt by reading the key back after the
	// request's answer was lost.
	ReadBack bool
}

// Report is one change applied to some keys, key by key, in the order the
// keys were given.
type Report struct {
	// Action is the change's verb ("deactivate", "create").
	Action string
	// Value is the change's new value, when it sets one.
	Value    string
	Started  time.Time
	Finished time.Time
	Results  []Result
}

// Count is how many keys ended with outcome o.
func (r Report) Count(o model.Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// AllDone reports whether every key is done (true for no keys).
func (r Report) AllDone() bool { return r.Count(model.Done) == len(r.Results) }

// Keys are the keys that ended with outcome o, in order.
func (r Report) Keys(o model.Outcome) []model.APIKey {
	var keys []model.APIKey
	for _, res := range r.Results {
		if res.Outcome == o {
			keys = append(keys, res.Key)
		}
	}
	return keys
}

// Options configure a Runner.
type Options struct {
	// ReadOnly refuses every change before anything is sent.
	ReadOnly bool
	// Recorder, when set, is given every report.
	Recorder Recorder
	// Concurrency is how many keys are changed at once; 0 means 4.
	Concurrency int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Progress, when set, is called with each key's result as soon as it
	// is known (in the order keys finish), never concurrently: a command
	// line prints progress with it.
	Progress func(Result)
	// Skew is how far the server's clock may be from this one, for reading
	// back times the server computed; 0 means 2 minutes.
	Skew time.Duration
}

// Runner applies changes. It is safe for concurrent use.
type Runner struct {
	api  API
	opts Options
}

// NewRunner returns a Runner that sends changes through api.
func NewRunner(api API, opts Options) *Runner {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Skew <= 0 {
		opts.Skew = 2 * time.Minute
	}
	return &Runner{api: api, opts: opts}
}

// ReadOnly reports whether the Runner refuses every change.
func (r *Runner) ReadOnly() bool { return r.opts.ReadOnly }

// Run applies c to each key, a few at a time, and reports each outcome;
// one key's failure does not stop the others. Keys not yet started when
// ctx ends are not done. The error is ErrReadOnly (nothing was sent; every
// key is reported not done) or the Recorder's; the Report is complete
// either way.
func (r *Runner) Run(ctx context.Context, c Change, keys []model.APIKey) (Report, error) {
	rep := Report{Action: c.Verb, Value: c.Value, Started: r.opts.Now(), Results: make([]Result, len(keys))}
	if r.opts.ReadOnly {
		for i, k := range keys {
			rep.Results[i] = Result{Key: k, Outcome: model.NotDone, Err: ErrReadOnly}
		}
		rep.Finished = rep.Started
		return r.finish(ctx, rep, ErrReadOnly)
	}
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex // serialises Progress
	progress := func(res Result) {
		if r.opts.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			r.opts.Progress(res)
		}
	}
	for i, k := range keys {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			rep.Results[i] = Result{Key: k, Outcome: model.NotDone, Err: fmt.Errorf("%w: %w", ErrNotSent, ctx.Err())}
			progress(rep.Results[i])
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rep.Results[i] = r.one(ctx, c, k)
			progress(rep.Results[i])
		}()
	}
	wg.Wait()
	rep.Finished = r.opts.Now()
	return r.finish(ctx, rep, nil)
}

// one applies c to k and, when the answer was lost, reads k back.
func (r *Runner) one(ctx context.Context, c Change, k model.APIKey) Result {
	from := r.opts.Now()
	err := c.Apply(ctx, r.api, k)
	switch {
	case err == nil:
		return Result{Key: k, Outcome: model.Done}
	case !errors.Is(err, model.ErrOutcomeUnknown) && !endedInFlight(ctx, err):
		return Result{Key: k, Outcome: model.NotDone, Err: err}
	}
	// The answer was lost, or ctx ended (Ctrl+C) while the request was in
	// flight, when it may have arrived: read back, on a context of its own
	// if ctx has ended.
	sent := Window{From: from.Add(-r.opts.Skew), To: r.opts.Now().Add(r.opts.Skew)}
	interrupted := ctx.Err() != nil
	rctx, cancel := readBackContext(ctx)
	defer cancel()
	read, rerr := FindKey(rctx, r.api, k.Username, k.ID)
	if rerr != nil {
		return Result{Key: k, Outcome: model.Unknown, Err: fmt.Errorf("%w; reading the key back failed too: %w", err, rerr)}
	}
	if c.Applied(read, sent) {
		return Result{Key: k, Outcome: model.Done, Err: err, ReadBack: true}
	}
	if interrupted {
		// The request was cut off by this side, not answered: the server
		// may be working on it still, so "not yet" is not "not done".
		return Result{Key: k, Outcome: model.Unknown, Err: fmt.Errorf("%w; %s", err, notYet), ReadBack: true}
	}
	return Result{Key: k, Outcome: model.NotDone, Err: err, ReadBack: true}
}

// ErrNotSent marks a key's result when ctx ended before its request was
// sent.
var ErrNotSent = errors.New("not sent")

// ReadBackGrace is how long a read-back may take once the caller's context
// has ended (Ctrl+C while changes were in flight): what was sent is read
// back and reported rather than called unknown unread. The command line
// quits at once on a second Ctrl+C.
const ReadBackGrace = 10 * time.Second

// notYet words a read back, right after the request was cut off, that
// found the change not made.
const notYet = "not made when read back right after the interrupt, but the server may still be making it: check again with list"

// readBackContext is ctx while it lives, else a context of its own that
// ends after ReadBackGrace, marked as a read back (ReadingBack).
func readBackContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), readingBackKey{}, true), ReadBackGrace)
}

type readingBackKey struct{}

// ReadingBack reports whether ctx is a read back's own context, made once
// the caller's context had ended: it must outlive what the caller's
// context was tied to (an SSH session), bounded by ReadBackGrace.
func ReadingBack(ctx context.Context) bool {
	v, _ := ctx.Value(readingBackKey{}).(bool)
	return v
}

// endedInFlight reports whether err is ctx's end while a request was in
// flight.
func endedInFlight(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, ctx.Err())
}

// finish hands rep to the Recorder and returns it with err, or with the
// Recorder's error when err is nil.
func (r *Runner) finish(ctx context.Context, rep Report, err error) (Report, error) {
	if r.opts.Recorder != nil {
		if rerr := r.opts.Recorder.Record(ctx, rep); rerr != nil && err == nil {
			err = fmt.Errorf("record the %s report: %w", rep.Action, rerr)
		}
	}
	return rep, err
}

// KeyLister is what FindKey needs: one owner's keys ("" = every owner's),
// page by page. *client.Client satisfies it.
type KeyLister interface {
	StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error
}

// FindKey reads key id back from owner's keys ("" = every owner's, when the
// owner is not known), stopping the listing once it is found: nil, nil
// when the listing ends without it.
func FindKey(ctx context.Context, api KeyLister, owner, id string) (*model.APIKey, error) {
	var found *model.APIKey
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	err := api.StreamKeys(sctx, owner, func(page []model.APIKey) {
		for _, k := range page {
			if k.ID == id && found == nil {
				k := k
				found = &k
				stop() // found: the rest of the listing is not needed
			}
		}
	})
	switch {
	case found != nil:
		return found, nil
	case err != nil:
		return nil, fmt.Errorf("read back key %s: %w", model.CleanText(id), err)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("read back key %s: %w", model.CleanText(id), ctx.Err())
	}
	return nil, nil
}
