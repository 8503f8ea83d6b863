package client

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"h2ogpte-keys/model"
)

// pages reads a list endpoint page by page, in order, until a short page or
// until each returns false. id names an item, so that paging that does not
// end stops with ErrPaging (see pageBound); what is the item's name.
func pages[T any](ctx context.Context, c *Client, op, path, what string, q url.Values, id func(*T) string, each func([]T) bool) error {
	seen := newSeenIDs()
	bound := c.newPageBound(op, what)
	for offset := 0; ; offset += c.pageSize {
		pq := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(c.pageSize)}}
		for k, v := range q {
			pq[k] = v
		}
		var page []T
		if err := c.getJSON(ctx, op, path, pq, &page); err != nil {
			return err
		}
		fresh := 0
		seen.sampleFor(c.pageSize)
		for i := range page {
			if k := id(&page[i]); k != "" {
				// Users and collections are not dropped here (their
				// callers drop repeats by exact id): only counted.
				if isNew, _ := seen.add(k); isNew {
					fresh++
				}
			}
		}
		unknown := seen.unknown
		seen.endPage()
		if err := bound.check(offset, c.pageSize, len(page), fresh, unknown); err != nil {
			return err
		}
		if !each(page) || len(page) < c.pageSize {
			return nil
		}
	}
}

// seenIDs is the memory of a listing's ids that the endless-paging guard
// needs, kept small: a listing of a million keys used to hold every id as
// a string in a map (about 185 bytes a key); this holds a 64-bit hash of
// each (about 8 to 20 bytes a key, as the map grows), or on large pages of
// one id in eight (sampleFor), and the exact ids of two pages only.
//
// A hash collision (two different ids with one hash: for n ids a chance of
// about n²/2⁶⁵, under one in a million at the 5,000,000 cap; the seed is
// random per listing, so a server cannot aim for one) cannot change a
// result that matters. An item is dropped as a repeat only when its exact
// id is on the page before or earlier on its own page, which is where rows
// shifted by a key created mid-listing land; a hash match alone drops
// nothing. A hash match only counts the item as not new for the guard, and
// the guard refuses a page only when EVERY id on a full page matches (or,
// sampled, see below): for a page of new ids that would take a collision
// for each of them at once.
// The price of not keeping every id exactly: an item repeated further away
// than the page before (more than a page of rows shifted) is listed again
// rather than dropped.
//
// Sampled, only an id whose hash has its low three bits clear is
// remembered and counted new; every id is still dropped by its exact id
// alone, and an id neither remembered nor dropped is unknown. A full page
// with no new id is refused at once when it has no unknown id either (a
// page all repeats of the page before: a server that ignores offset);
// with unknown ids, only when the page before it was such a page too (a
// page from further back has about an eighth of its ids remembered, so
// a server that pages in a cycle is stopped one page later). A page whose
// few new ids happen all to be unknown (rows shifted by nearly a page)
// is therefore let through, and a page of new ids is refused only if two
// in a row had none remembered: at 512 ids a page, under 10⁻⁵⁹. What the
// exact guard let through and this may not: two full pages in a row each
// with only a few new ids (rows shifted by nearly a page before each of
// them, a page of keys created between reads), all of them not remembered
// (for k new ids on each, a chance of (7/8)^k a page). At a
// million keys the set holds 125,000 hashes instead of a million, whose
// growth cost a load about 0.6 s of CPU; with the exact sets of two pages
// built on every page instead, the guard took 0.13 s in a profile.
type seenIDs struct {
	seed maphash.Seed
	// sample is the bits of a hash that must be clear for its id to be
	// remembered: none until a page is large enough (sampleFor).
	sample uint64
	hashes map[uint64]struct{}
	// prev and cur are the exact ids of the page before and of this page
	// so far; prevSet and curSet find them by hash (the hash an id already
	// has here, not a second one of the string), built only when an id's
	// hash was met before or is not remembered (cur's is kept up from then
	// on). A listing whose rows do not shift and that remembers every id
	// never builds one: a key costs one insert in hashes, not four map
	// operations. A set the page before's page used is cleared and used
	// again (spare), not grown anew each page.
	prev, cur       []string
	prevSet, curSet idSet
	spare           idSet
	// unknown counts this page's ids neither remembered nor dropped: ids
	// the guard cannot call new or not (see pageBound.check).
	unknown int
}

// idSet finds a page's ids (ids) by their hashes: each hash is the place
// of the last id with it. A hash alone decides nothing: has compares the
// id, and an id whose hash another id on the page took later is found by
// looking through the page.
type idSet map[uint64]int32

func (m idSet) has(ids []string, id string, h uint64) bool {
	i, ok := m[h]
	if !ok {
		return false
	}
	return ids[i] == id || slices.Contains(ids, id)
}

// sampleFrom is the page limit from which a listing remembers one id in
// eight (seenIDs); sampleBits the bits of a hash that must be clear.
const (
	sampleFrom = 512
	sampleBits = 7
)

func newSeenIDs() *seenIDs {
	return &seenIDs{seed: maphash.MakeSeed(), hashes: make(map[uint64]struct{})}
}

// sampleFor is called before a page of this limit: from sampleFrom on, the
// listing remembers one id in eight, and goes on doing so (ids remembered
// before are all still there, so none is missed).
func (s *seenIDs) sampleFor(limit int) {
	if limit >= sampleFrom {
		s.sample = sampleBits
	}
}

// add records id. isNew is true when id is remembered and its hash was not
// met before; repeat is true when the id itself is on this page or the
// page before, and the item should be dropped.
func (s *seenIDs) add(id string) (isNew, repeat bool) {
	h := maphash.String(s.seed, id)
	remembered := h&s.sample == 0
	if remembered {
		n := len(s.hashes)
		s.hashes[h] = struct{}{}
		if len(s.hashes) > n {
			// Never met, so on neither page.
			s.keep(id, h)
			return true, false
		}
	}
	if s.prevSet == nil {
		s.prevSet = s.setOf(s.prev)
	}
	if s.curSet == nil {
		s.curSet = s.setOf(s.cur)
	}
	if s.curSet.has(s.cur, id, h) || s.prevSet.has(s.prev, id, h) {
		return false, true
	}
	if !remembered {
		s.unknown++
	}
	s.keep(id, h)
	return false, false
}

// keep adds id, whose hash is h, to this page's ids.
func (s *seenIDs) keep(id string, h uint64) {
	s.cur = append(s.cur, id)
	if s.curSet != nil {
		s.curSet[h] = int32(len(s.cur) - 1)
	}
}

// setOf is a set of ids, in the spare set if there is one.
func (s *seenIDs) setOf(ids []string) idSet {
	m := s.spare
	s.spare = nil
	if m == nil {
		m = make(idSet, len(ids))
	}
	for i, id := range ids {
		m[maphash.String(s.seed, id)] = int32(i)
	}
	return m
}

// endPage moves on to the next page: this page becomes the page before.
func (s *seenIDs) endPage() {
	s.unknown = 0
	s.prev, s.cur = s.cur, s.prev[:0]
	if s.prevSet != nil {
		clear(s.prevSet)
		s.spare = s.prevSet
	}
	s.prevSet, s.curSet = s.curSet, nil
}

// pageBound stops listings whose paging does not end.
type pageBound struct {
	op, what string
	max      int
	total    int
	requests int
	// unproven says the page before was full, with no new id but some
	// unknown ones (see seenIDs).
	unproven bool
}

func (c *Client) newPageBound(op, what string) *pageBound {
	return &pageBound{op: op, what: what, max: c.maxItems}
}

// check takes one page in offset order: n items of the limit asked for,
// fresh of them with an id not seen before, unknown of them neither known
// new nor known seen (seenIDs, sampled). A full page with nothing new
// means the server ignores offset or repeats itself; reading on would never
// end. With unknown ids a full page proves nothing new only when the page
// before did not either.
func (b *pageBound) check(offset, limit, n, fresh, unknown int) error {
	b.requests++
	b.total += n
	full := n >= limit && fresh == 0
	unproven := b.unproven
	b.unproven = full && unknown > 0
	switch {
	case full && unknown == 0:
		return fmt.Errorf("%s: %w: the page at offset %d brought no %s not already seen (does the server ignore offset?); stopped after %d pages",
			b.op, ErrPaging, offset, b.what, b.requests)
	case full && unproven:
		return fmt.Errorf("%s: %w: neither the page at offset %d nor the one before brought a %s known to be new (does the server ignore offset?); stopped after %d pages",
			b.op, ErrPaging, offset, b.what, b.requests)
	case b.total > b.max:
		return fmt.Errorf("%s: %w: more than %d %ss listed; stopped after %d pages",
			b.op, ErrPaging, b.max, b.what, b.requests)
	}
	return nil
}

func userID(u *model.User) string             { return u.ID }
func collectionID(c *model.Collection) string { return c.ID }

// ListUsers returns every user, in the server's order.
func (c *Client) ListUsers(ctx context.Context) ([]model.User, error) {
	users := []model.User{}
	seen := make(map[string]struct{})
	err := pages(ctx, c, "list users", "/users", "user", nil, userID, func(page []model.User) bool {
		for _, u := range page {
			if _, dup := seen[u.ID]; dup && u.ID != "" {
				continue
			}
			seen[u.ID] = struct{}{}
			users = append(users, u)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// GetUser returns the user with this id (User.ID, not the username).
func (c *Client) GetUser(ctx context.Context, id string) (model.User, error) {
	op := "get user " + oneLine(id, 80)
	if id == "" {
		return model.User{}, fmt.Errorf("get user: no user id")
	}
	var u model.User
	if err := c.getJSON(ctx, op, "/users/"+url.PathEscape(id), nil, &u); err != nil {
		return model.User{}, err
	}
	return u, nil
}

// FindUser returns the user whose username is exactly username, reading
// pages only until it is found. If there is none, the error matches
// ErrNotFound.
func (c *Client) FindUser(ctx context.Context, username string) (model.User, error) {
	var found *model.User
	op := "find user " + strconv.Quote(oneLine(username, 80))
	if username == "" {
		return model.User{}, errors.New("find user: no username given")
	}
	err := pages(ctx, c, op, "/users", "user", nil, userID, func(page []model.User) bool {
		for i := range page {
			if page[i].Username == username {
				found = &page[i]
				return false
			}
		}
		return true
	})
	switch {
	case err != nil:
		return model.User{}, err
	case found == nil:
		return model.User{}, fmt.Errorf("user %q %w", oneLine(username, 80), ErrNotFound)
	}
	return *found, nil
}

// ListCollections returns the collections owned by username exactly. The
// server's filter also matches names and ids, so its rows are filtered again.
func (c *Client) ListCollections(ctx context.Context, username string) ([]model.Collection, error) {
	op := "list collections of " + oneLine(username, 80)
	if username == "" {
		return nil, fmt.Errorf("list collections: no username given")
	}
	cols := []model.Collection{}
	seen := make(map[string]struct{})
	err := pages(ctx, c, op, "/collections/all", "collection", url.Values{"filter": {username}}, collectionID, func(page []model.Collection) bool {
		for _, col := range page {
			if col.Username != username {
				continue
			}
			if _, dup := seen[col.ID]; dup && col.ID != "" {
				continue
			}
			seen[col.ID] = struct{}{}
			cols = append(cols, col)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return cols, nil
}

// expiryLimitKey is the global setting that caps how far ahead an expiry
// may be set.
const expiryLimitKey = "global_api_key_expiry_days"

// configItem is the part of the API's GlobalConfigurationItem used here.
type configItem struct {
	KeyName     string `json:"key_name"`
	StringValue string `json:"string_value"`
}

// GlobalExpiryLimit returns the server's global_api_key_expiry_days; 0 means
// no limit (the setting is absent, empty or 0).
func (c *Client) GlobalExpiryLimit(ctx context.Context) (days int, err error) {
	const op = "read the global expiry limit"
	var items []configItem
	if err := c.getJSON(ctx, op, "/configurations", url.Values{"as_admin": {"true"}}, &items); err != nil {
		return 0, err
	}
	for _, it := range items {
		if it.KeyName == expiryLimitKey {
			return parseLimitDays(it.StringValue)
		}
	}
	return 0, nil
}

// parseLimitDays accepts "90" and also "90.0", since value_type may be a
// float on some servers. Zero or negative means no limit.
func parseLimitDays(s string) (int, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != float64(int(f)) || f > 1e6 || f < -1e6 {
			return 0, fmt.Errorf("read the global expiry limit: %s is %q, not a whole number of days", expiryLimitKey, oneLine(s, 40))
		}
		n = int(f)
	}
	return max(n, 0), nil
}
