package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"h2ogpte-keys/model"
)

// CheckAdmin proves the token may manage API keys by listing one key. A
// non-admin token gets an *APIError matching ErrUnauthorized or ErrForbidden.
func (c *Client) CheckAdmin(ctx context.Context) error {
	var page []json.RawMessage
	q := url.Values{"offset": {"0"}, "limit": {"1"}}
	return c.getJSON(ctx, "check admin access", "/admin/api_keys", q, &page)
}

// ListKeys returns the keys of username exactly, in the server's order.
func (c *Client) ListKeys(ctx context.Context, username string) ([]model.APIKey, error) {
	if username == "" {
		return nil, errors.New("list keys: no username given")
	}
	return c.collectKeys(ctx, username)
}

// ListAllKeys returns every user's keys, in the server's order.
func (c *Client) ListAllKeys(ctx context.Context) ([]model.APIKey, error) {
	return c.collectKeys(ctx, "")
}

func (c *Client) collectKeys(ctx context.Context, username string) ([]model.APIKey, error) {
	// Pages are kept as they come and joined once at the end: appending
	// them to one growing slice copied a million keys' worth over and over.
	var pages [][]model.APIKey
	err := c.StreamKeys(ctx, username, func(page []model.APIKey) { pages = append(pages, page) })
	if err != nil {
		return nil, err
	}
	keys := slices.Concat(pages...)
	if keys == nil {
		keys = []model.APIKey{}
	}
	return keys, nil
}

type pageResult struct {
	index int // the page's place in the listing (see pageLayout)
	keys  []model.APIKey
	err   error
}

// StreamKeys reads every page (username "" = all users) several pages at a time and calls
// onPage, in offset order, with each page's (exact-owner-filtered) keys as it arrives.
//
// The first page is read alone, so a user with few keys costs one request;
// a listing that fills it goes on in large pages (pageLayout: the first of
// them alone too), then waves of 2, 4, ... pages, each asked for once the wave before it is
// delivered, so a listing of a few pages reads no page past its end. Once a
// wave would be Config.Concurrency pages wide, reads slide instead: up to
// Config.Concurrency are in flight and a new one starts as soon as any
// finishes, never waiting for the slowest page of a wave. Pages that arrive early wait for those before them;
// no read starts more than twice Config.Concurrency pages ahead of the
// last page delivered, so a slow page cannot make the others pile up.
// Once a page shorter than the page size (or an error) has arrived, no
// further page is asked for; pages after it already in flight are
// cancelled and discarded. It stops with an error matching ErrPaging at a
// full page that brings no key not already seen (a server that ignores
// offset) and past Config.MaxItems keys (one that pages forever). Keys are
// normalized (model.APIKey.Normalize), so absent and null fields read the
// same. onPage runs on the caller's goroutine, never concurrently, and may
// get an empty page. A key that was on the page before (rows shift when
// keys are created while reading) is not repeated; memory for the guard
// is 8 bytes and a little per key (see seenIDs). StreamKeys returns only
// after every request it started has finished.
func (c *Client) StreamKeys(ctx context.Context, username string, onPage func([]model.APIKey)) error {
	return c.streamKeys(ctx, username, nil, onPage)
}

// WithDecodeGate returns ctx carrying gate: a listing of keys (StreamKeys)
// under it decodes each page inside a call of gate, which runs its
// argument when the caller sees fit. The dashboard refreshes through one,
// to bound how many processors the refresh's decoding takes.
func WithDecodeGate(ctx context.Context, gate func(decode func())) context.Context {
	return context.WithValue(ctx, decodeGateKey{}, gate)
}

type decodeGateKey struct{}

// decodeGate is ctx's decode gate, or one that runs decode at once.
func decodeGate(ctx context.Context) func(decode func()) {
	if gate, ok := ctx.Value(decodeGateKey{}).(func(func())); ok && gate != nil {
		return gate
	}
	return func(decode func()) { decode() }
}

// streamKeys is StreamKeys; when slots is not nil, each page read also
// holds one of its places while under way, so several listings at once
// (StreamKeysByOwner) share one bound on the requests in flight.
func (c *Client) streamKeys(ctx context.Context, username string, slots chan struct{}, onPage func([]model.APIKey)) error {
	op := "list keys"
	q := url.Values{}
	if username != "" {
		op += " for " + oneLine(username, 80)
		q.Set("filter", username)
	}
	var wg sync.WaitGroup
	defer wg.Wait() // deferred first so it runs after cancel: in-flight reads end promptly
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	in := newInterner()
	// bodies are read buffers for pages, each used again once its page is
	// decoded: a listing reads into a few buffers instead of one new one a
	// page (for a million keys, about 330 MB the collector must reclaim and
	// the system must hand over afresh).
	var bodies sync.Pool
	// Buffered for every read that can be in flight, so a read that
	// finishes after StreamKeys has stopped listening never blocks.
	results := make(chan pageResult, c.concurrency)
	lay := pageLayout{first: c.pageSize, size: c.largePage}
	// fetch reads page index at offset and limit, fixed by the loop below
	// when it starts the read (lay may change later; see pageLayout).
	fetch := func(index, offset, limit int) {
		defer wg.Done()
		if slots != nil {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			case <-ctx.Done():
				results <- pageResult{index, nil, fmt.Errorf("%s: %w", op, ctx.Err())}
				return
			}
		}
		pq := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
		for k, v := range q {
			pq[k] = v
		}
		bp, _ := bodies.Get().(*[]byte)
		if bp == nil {
			bp = new([]byte)
		}
		body, err := c.do(ctx, call{op: op, method: http.MethodGet, path: "/admin/api_keys", query: pq, idempotent: true, buf: *bp})
		var keys []model.APIKey
		if err == nil {
			decodeGate(ctx)(func() { keys, err = c.decodeKeys(op, body, in) })
		}
		if err == nil {
			// The keys hold copies of what they took from the body: its
			// buffer is free for another page.
			*bp = body
			bodies.Put(bp)
		}
		results <- pageResult{index, keys, err}
	}

	seen := newSeenIDs()
	bound := c.newPageBound(op, "key")
	keep := func(page []model.APIKey, offset, limit int) ([]model.APIKey, error) {
		// Filtered in place: the page's backing array is this call's own.
		kept := page[:0]
		fresh := 0
		seen.sampleFor(limit)
		for _, k := range page {
			if k.ID != "" {
				isNew, repeat := seen.add(k.ID)
				if repeat {
					continue
				}
				if isNew {
					fresh++
				}
			}
			if username != "" && k.Username != username {
				continue // the server's filter is a substring match
			}
			k.Normalize()
			kept = append(kept, k)
		}
		n := len(page)
		clear(page[len(kept):]) // no dropped key stays reachable
		unknown := seen.unknown
		seen.endPage()
		return kept, bound.check(offset, limit, n, fresh, unknown)
	}

	pending := make(map[int]pageResult)
	next, deliver, inFlight := 0, 0, 0
	// wave is the width of the current ramp-up wave and rampEnd the first
	// page after it; sliding once the wave would be as wide as allowed.
	wave, rampEnd, sliding := 1, 1, c.concurrency <= 1
	stop := false // a short page or an error has arrived: ask for nothing more
	for {
		for !stop && inFlight < c.concurrency && next-deliver < 2*c.concurrency && (sliding || next < rampEnd) {
			wg.Add(1)
			inFlight++
			go fetch(next, lay.offset(next), lay.limit(next))
			next++
		}
		r := <-results
		inFlight--
		if r.index == 1 && lay.refused(r.err) {
			// Read alone, so nothing after it is under way: read it again
			// at the first page's size.
			wg.Add(1)
			inFlight++
			go fetch(1, lay.offset(1), lay.limit(1))
			continue
		}
		if r.err == nil && r.index == 1 {
			lay.learn(len(r.keys))
		}
		if r.err != nil || len(r.keys) < lay.limit(r.index) {
			stop = true
		}
		pending[r.index] = r
		for {
			p, ok := pending[deliver]
			if !ok {
				break
			}
			delete(pending, deliver)
			if p.err != nil {
				return p.err
			}
			limit := lay.limit(deliver)
			short := len(p.keys) < limit
			kept, err := keep(p.keys, lay.offset(deliver), limit)
			if err != nil {
				return err
			}
			onPage(kept)
			if short {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			deliver++
			if !sliding && deliver == rampEnd {
				if lay.alone(deliver) {
					rampEnd++
					continue
				}
				wave *= 2
				rampEnd += wave
				sliding = wave >= c.concurrency
			}
		}
	}
}

// pageLayout is where a listing of keys reads its pages. The first page
// asks for Config.PageSize (the spec's default of 100, which any server
// answers in full); a listing that fills it is large, and every page after
// it asks for Config.LargePageSize, so a million keys take a tenth of the
// requests. The spec says a page shorter than the limit asked for is the
// last; a server that instead bounds its pages below the large size would
// then seem to end the listing early. So the first large page is read
// alone, and when it comes back shorter than asked but no shorter than the
// first page (which such a server filled), its length is taken for the
// page size from there on: the next page, at that size and read alone too,
// is either full (the server bounds its pages) or short or empty (the
// listing ended there). That costs one more request only for listings of
// 2×PageSize to PageSize+LargePageSize-1 keys (200 to 1,099 by default).
// A server that refuses the large limit outright (400 or 422, as a
// framework validating a maximum does) is read on in pages of PageSize.
// A server that bounds its pages below PageSize breaks the spec's rule for
// the default page as well, and is not told from a short listing.
type pageLayout struct {
	first   int  // the first page's limit
	size    int  // the limit of every page after it
	learned bool // size is the length of the first large page
	smaller bool // the server refused the large size (refused)
}

func (l pageLayout) offset(index int) int {
	if index == 0 {
		return 0
	}
	return l.first + (index-1)*l.size
}

func (l pageLayout) limit(index int) int {
	if index == 0 {
		return l.first
	}
	return l.size
}

// learn takes the length of the first large page (index 1, read alone).
func (l *pageLayout) learn(n int) {
	if n >= l.first && n < l.size {
		l.size, l.learned = n, true
	}
}

// refused takes the error of the first large page: a 400 or 422 (a server
// that validates the limit and refuses one so large) makes every page from
// there on ask for the first page's size, which the server answered, and
// reports that the page is to be read again. Anything else is an error.
func (l *pageLayout) refused(err error) bool {
	var apiErr *APIError
	if l.smaller || l.size == l.first || !errors.As(err, &apiErr) {
		return false
	}
	if apiErr.Status != http.StatusBadRequest && apiErr.Status != http.StatusUnprocessableEntity {
		return false
	}
	l.size, l.smaller = l.first, true
	return true
}

// alone reports whether page index must be read with no other page in
// flight: the first page; the first large page, since where the pages after
// it start is not known until it is back; and the page after a learned
// size, which often finds the listing's end (so only one read is spent).
func (l pageLayout) alone(index int) bool {
	return index == 0 || index == 1 && l.size != l.first || index == 2 && l.learned
}

// StreamKeysByOwner reads the keys of each of usernames (exact owners, as
// ListKeys) and calls onOwner with each owner's keys, in the order of
// usernames, one owner at a time on the caller's goroutine. Several owners
// are read at once: up to Config.Concurrency owners are under way or
// waiting to be delivered, and their page reads share Config.Concurrency
// places, so no more requests are in flight than for one StreamKeys. What
// is held is therefore a few owners' keys, never the whole listing. It
// stops at the first error, from a read or from onOwner, and with an error
// matching ErrPaging once the owners delivered hold more than
// Config.MaxItems keys together. A key is listed under the owner whose
// username it names; a key whose owner is not in usernames is not read.
// It returns only after every request it started has finished.
func (c *Client) StreamKeysByOwner(ctx context.Context, usernames []string, onOwner func(username string, keys []model.APIKey) error) error {
	for _, u := range usernames {
		if u == "" {
			// "" would list every user's keys under one owner.
			return errors.New("list keys by owner: an empty username")
		}
	}
	type ownerResult struct {
		index int
		keys  []model.APIKey
		err   error
	}
	var wg sync.WaitGroup
	defer wg.Wait() // deferred first so it runs after cancel
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := c.concurrency
	slots := make(chan struct{}, c.concurrency)
	// Buffered for every owner that can be under way, so a read that ends
	// after this call has stopped listening never blocks.
	results := make(chan ownerResult, window)
	read := func(index int) {
		defer wg.Done()
		var pages [][]model.APIKey
		err := c.streamKeys(ctx, usernames[index], slots, func(page []model.APIKey) { pages = append(pages, page) })
		results <- ownerResult{index, slices.Concat(pages...), err}
	}
	pending := make(map[int]ownerResult)
	next, total := 0, 0
	for deliver := 0; deliver < len(usernames); {
		for next < len(usernames) && next-deliver < window {
			wg.Add(1)
			go read(next)
			next++
		}
		r := <-results
		pending[r.index] = r
		for {
			p, ok := pending[deliver]
			if !ok {
				break
			}
			delete(pending, deliver)
			if p.err != nil {
				return p.err
			}
			if total += len(p.keys); total > c.maxItems {
				return fmt.Errorf("list keys by owner: %w: more than %d keys listed, after %d of %d owners", ErrPaging, c.maxItems, deliver+1, len(usernames))
			}
			if err := onOwner(usernames[deliver], p.keys); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("list keys by owner: %w", err)
			}
			deliver++
		}
	}
	return nil
}

// createKeyRequest is the API's APIKeyCreateRequest.
type createKeyRequest struct {
	UserID             string `json:"user_id"`
	Name               string `json:"name"`
	CollectionID       string `json:"collection_id,omitempty"`
	ExpiresIn          string `json:"expires_in,omitempty"`
	InactivityInterval int    `json:"inactivity_interval,omitempty"`
}

// createKeyResult is the API's APIKeyResult.
type createKeyResult struct {
	SecretKey string       `json:"secret_key"`
	APIKey    model.APIKey `json:"api_key"`
}

// CreateKey creates a key for k.UserID and returns it with its secret, which
// the server shows only this once. It is never retried: a repeat could
// create a second key. After a timeout the key may exist; the error says so.
func (c *Client) CreateKey(ctx context.Context, k model.NewKey) (model.CreatedKey, error) {
	who := k.Owner
	if who == "" {
		who = k.UserID
	}
	op := fmt.Sprintf("create key %q for user %s", oneLine(k.Name, 80), oneLine(who, 80))
	if k.UserID == "" {
		return model.CreatedKey{}, fmt.Errorf("%s: no user id", op)
	}
	if k.InactivityDays < 0 {
		return model.CreatedKey{}, fmt.Errorf("%s: inactivity interval must not be negative", op)
	}
	req := createKeyRequest{UserID: k.UserID, Name: k.Name, CollectionID: k.CollectionID, InactivityInterval: k.InactivityDays}
	if k.Expiry != nil && !k.Expiry.Never {
		if k.Expiry.In.N <= 0 {
			return model.CreatedKey{}, fmt.Errorf("%s: expiry interval must be more than zero", op)
		}
		req.ExpiresIn = k.Expiry.ExpiresIn()
	}
	body, err := c.do(ctx, call{op: op, method: http.MethodPost, path: "/admin/api_keys", body: req})
	if err != nil {
		var unknown *outcomeUnknownError
		if errors.As(err, &unknown) {
			unknown.note = "the key may have been created; read the user's keys back before trying again"
		}
		return model.CreatedKey{}, err
	}
	defer clear(body) // the body holds the secret; keep it in memory no longer than needed
	// A 2xx answer that cannot be used still means the server acted: the
	// error is an unknown outcome, so callers read the key back instead of
	// reporting it not created.
	const mayExist = "the key may have been created, but its secret is lost; reload the list"
	var res createKeyResult
	if err := json.Unmarshal(body, &res); err != nil {
		// Not c.decode: even a decoding error's text could quote the body.
		return model.CreatedKey{}, &outcomeUnknownError{err: fmt.Errorf("%s: the server's answer could not be read", op), note: mayExist}
	}
	if res.SecretKey == "" {
		return model.CreatedKey{}, &outcomeUnknownError{err: fmt.Errorf("%s: the server's answer has no secret", op), note: mayExist}
	}
	res.APIKey.Normalize()
	return model.CreatedKey{Secret: model.NewSecret(res.SecretKey), Key: res.APIKey}, nil
}

// Deactivate deactivates a key for good: the API has no way back.
func (c *Client) Deactivate(ctx context.Context, keyID string) error {
	return c.mutate(ctx, "deactivate key", http.MethodPost, "/admin/api_keys/deactivate/", keyID, nil)
}

// expiryRequest is the API's APIKeyUpdateExpiryRequest; leaving expires_in
// out removes the expiry.
type expiryRequest struct {
	ExpiresIn string `json:"expires_in,omitempty"`
}

// SetExpiry sets a key's expiry to e.In from now, or removes it (e.Never).
func (c *Client) SetExpiry(ctx context.Context, keyID string, e model.Expiry) error {
	req := expiryRequest{}
	if !e.Never {
		if e.In.N <= 0 {
			return fmt.Errorf("set expiry of key %s: expiry interval must be more than zero", oneLine(keyID, 80))
		}
		req.ExpiresIn = e.ExpiresIn()
	}
	return c.mutate(ctx, "set expiry of key", http.MethodPatch, "/admin/api_keys/expire/", keyID, req)
}

// inactivityRequest is the API's APIKeyUpdateInactivityIntervalRequest;
// leaving inactivity_interval out removes the interval.
type inactivityRequest struct {
	InactivityInterval int `json:"inactivity_interval,omitempty"`
}

// SetInactivity sets a key's inactivity interval in days; 0 removes it.
//
// A server from before the endpoint existed answers 405, or 404 as for a
// route it does not have; either gives an error matching ErrUnsupported
// ("this server does not support inactivity intervals"). A 404 is read as
// a missing key instead (ErrNotFound only) when the server's own message
// says more than "not found": a server that has the endpoint names the key
// it could not find, a web framework without the route says only "Not
// Found" (or "not found: /path").
func (c *Client) SetInactivity(ctx context.Context, keyID string, days int) error {
	if days < 0 {
		return fmt.Errorf("set inactivity interval of key %s: must not be negative", oneLine(keyID, 80))
	}
	err := c.mutate(ctx, "set inactivity interval of key", http.MethodPatch, "/admin/api_keys/inactivity_interval/", keyID, inactivityRequest{days})
	var ae *APIError
	if errors.As(err, &ae) && routeMissing(ae) {
		return &unsupportedError{op: ae.Op, what: "inactivity intervals", err: err}
	}
	return err
}

// routeMissing reports whether an error answer says the endpoint itself is
// missing rather than the thing it names.
func routeMissing(ae *APIError) bool {
	switch ae.Status {
	case http.StatusMethodNotAllowed:
		return true
	case http.StatusNotFound:
		m := strings.ToLower(strings.TrimSpace(ae.Message))
		return m == "" || m == "not found" || strings.HasPrefix(m, "not found: /")
	}
	return false
}

// FindKey reads username's keys back and returns the one with keyID; found
// is false when it is not listed (deleted, or never created). It is what a
// caller uses to learn what happened after a change with an unknown
// outcome. Being a read, it retries as every read does.
func (c *Client) FindKey(ctx context.Context, username, keyID string) (key model.APIKey, found bool, err error) {
	if keyID == "" {
		return model.APIKey{}, false, errors.New("find key: no key id given")
	}
	keys, err := c.ListKeys(ctx, username)
	if err != nil {
		return model.APIKey{}, false, fmt.Errorf("read back key %s: %w", oneLine(keyID, 80), err)
	}
	for _, k := range keys {
		if k.ID == keyID {
			return k, true, nil
		}
	}
	return model.APIKey{}, false, nil
}

// Delete deletes one key.
func (c *Client) Delete(ctx context.Context, keyID string) error {
	return c.mutate(ctx, "delete key", http.MethodDelete, "/admin/api_keys/", keyID, nil)
}

// mutate sends a change to one key, once. An empty id is refused rather than
// sent: the path would then name a different endpoint.
func (c *Client) mutate(ctx context.Context, verb, method, prefix, keyID string, body any) error {
	op := verb + " " + oneLine(keyID, 80)
	if keyID == "" {
		return fmt.Errorf("%s: no key id", verb)
	}
	_, err := c.do(ctx, call{op: op, method: method, path: prefix + url.PathEscape(keyID), body: body})
	return err
}
