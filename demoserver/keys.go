package demoserver

import (
	"crypto/sha256"
	"net/http"
	"regexp"
	"strings"
	"time"

	"h2ogpte-keys/model"
)

// apiKeyResult is the spec's APIKeyResult: the only place a secret appears.
type apiKeyResult struct {
	SecretKey string  `json:"secret_key"`
	APIKey    wireKey `json:"api_key"`
}

// listKeys serves GET /admin/api_keys. filter matches usernames loosely
// (case-insensitive substring), as the real server does, so "alice" also
// finds malice's keys; clients must keep exact matches themselves.
func (s *Server) listKeys(w http.ResponseWriter, req *http.Request, _ caller, _ []string) {
	q := req.URL.Query()
	offset, limit, e := s.page(q)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	if !s.waitBlock(req, blockKey{keys: true, filter: q.Get("filter")}) {
		return // the client is gone
	}
	filter := strings.ToLower(q.Get("filter"))

	s.mu.RLock()
	var out []*model.APIKey
	if filter == "" {
		lo, hi := window(len(s.keys), offset, limit)
		out = make([]*model.APIKey, 0, hi-lo)
		for _, k := range s.keys[lo:hi] {
			out = append(out, &k.key)
		}
	} else {
		matched := s.filteredLocked(filter)
		lo, hi := window(len(matched), offset, limit)
		out = make([]*model.APIKey, 0, hi-lo)
		for _, k := range matched[lo:hi] {
			out = append(out, &k.key)
		}
	}
	answer := s.encodeKeysLocked(out)
	s.mu.RUnlock()
	answer(w)
}

// createKey serves POST /admin/api_keys (APIKeyCreateRequest).
func (s *Server) createKey(w http.ResponseWriter, req *http.Request, _ caller, _ []string) {
	m, e := readObject(w, req, false)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	userID, ok, e := optString(m, "user_id")
	if e == nil && (!ok || userID == "") {
		e = errorf(http.StatusBadRequest, "user_id is required (the user's id, not the username)")
	}
	name, hasName, e2 := optString(m, "name")
	collID, _, e3 := optString(m, "collection_id")
	expiresIn, hasExpiry, e4 := optString(m, "expires_in")
	inactivity, hasInactivity, e5 := optInt(m, "inactivity_interval")
	if e := firstErr(e, e2, e3, e4, e5); e != nil {
		writeAPIError(w, e)
		return
	}
	if !hasName || strings.TrimSpace(name) == "" {
		name = defaultKeyName
	}
	var iv model.Interval
	if hasExpiry {
		if iv, e = parseExpiresIn(expiresIn); e != nil {
			writeAPIError(w, e)
			return
		}
	}
	if hasInactivity {
		if e := checkInactivity(inactivity); e != nil {
			writeAPIError(w, e)
			return
		}
	}
	secret, err := newSecret()
	if err != nil {
		writeAPIError(w, errorf(http.StatusInternalServerError, "generate secret: %v", err))
		return
	}
	now := s.now().UTC().Truncate(time.Microsecond)

	key, e := func() (model.APIKey, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !hasExpiry {
			if e := s.requireExpiryLocked(""); e != nil {
				return model.APIKey{}, e
			}
		}
		u := s.usersByID[userID]
		if u == nil {
			return model.APIKey{}, errorf(http.StatusNotFound, "user not found: no user has id %q", userID)
		}
		key := model.APIKey{
			Username:       u.user.Username,
			Name:           name,
			Hint:           secret[len(secret)-4:],
			Created:        now,
			LastUsed:       model.Null[time.Time](),
			InactivityDays: model.Null[int](),
			TotalCalls:     model.Some[int64](0),
			IsActive:       true,
			IsGlobal:       true,
		}
		if collID != "" {
			c := s.collsByID[collID]
			if c == nil {
				return model.APIKey{}, errorf(http.StatusNotFound, "collection not found: no collection has id %q", collID)
			}
			if c.Username != u.user.Username {
				return model.APIKey{}, errorf(http.StatusBadRequest,
					"collection %q belongs to %s, not %s: a collection key may only name a collection of its own user",
					collID, c.Username, u.user.Username)
			}
			key.CollectionID, key.CollectionName, key.IsGlobal = c.ID, c.Name, false
		}
		if hasExpiry {
			at, e := s.expiryLocked(iv, expiresIn, now)
			if e != nil {
				return model.APIKey{}, e
			}
			key.Expires = &at
		}
		if hasInactivity {
			key.InactivityDays = model.Some(int(inactivity))
		}
		key.ID = s.newID()
		s.insertKeyLocked(&keyRec{key: key, owner: u, hash: sha256.Sum256([]byte(secret))})
		return key, nil
	}()
	if e != nil {
		writeAPIError(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, apiKeyResult{SecretKey: secret, APIKey: s.spelling.wire(&key)})
}

func firstErr(errs ...*apiError) *apiError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func checkInactivity(days int64) *apiError {
	switch {
	case days <= 0:
		return errorf(http.StatusBadRequest, "inactivity_interval must be a whole number of days greater than 0 (leave it out to remove the interval)")
	case days > maxInactivityDays:
		return errorf(http.StatusBadRequest, "inactivity_interval must be at most %d days", maxInactivityDays)
	}
	return nil
}

// expiresInRE is the API's expires_in: a whole number and a unit, such as
// "30 days", "12 hours" or "1 month". The CLI's shorthand ("30d", "2w",
// "90m") is not the API's, so the demo refuses it as a server would.
var expiresInRE = regexp.MustCompile(`^\d+ (minute|hour|day|week|month|year)s?$`)

func parseExpiresIn(s string) (model.Interval, *apiError) {
	if !expiresInRE.MatchString(s) {
		return model.Interval{}, errorf(http.StatusBadRequest,
			"invalid expires_in %q: want a whole number and a unit (minute, hour, day, week, month or year), such as \"30 days\"", s)
	}
	iv, err := model.ParseInterval(s)
	if err != nil {
		return model.Interval{}, errorf(http.StatusBadRequest, "invalid expires_in: %v", err)
	}
	return iv, nil
}

// requireExpiryLocked refuses a key without expiry while
// global_api_key_expiry_days is set, only when Options.RequireExpiry asks
// for it: the API contract leaves the expiry optional under the limit.
// Callers hold mu.
func (s *Server) requireExpiryLocked(why string) *apiError {
	if !s.requireExpiry || s.limitDays <= 0 {
		return nil
	}
	return errorf(http.StatusBadRequest, "the server's API key expiry limit is %d days: expires_in is required%s", s.limitDays, why)
}

// expiryLocked turns expires_in into an expiry time, enforcing
// global_api_key_expiry_days. Callers hold mu.
func (s *Server) expiryLocked(iv model.Interval, asked string, now time.Time) (time.Time, *apiError) {
	at := iv.AddTo(now)
	if err := model.CheckExpiry(model.Expiry{In: iv, At: at}, s.limitDays, now); err != nil {
		latest, _ := model.LatestExpiry(s.limitDays, now)
		return time.Time{}, errorf(http.StatusBadRequest,
			"expires_in %q is longer than the global API key expiry limit of %d days (global_api_key_expiry_days); the latest allowed expiry is %s",
			asked, s.limitDays, latest.Format(time.RFC3339))
	}
	return at, nil
}

// deactivateKey serves POST /admin/api_keys/deactivate/{key_id}. There is no
// way back, so a second deactivation is a conflict rather than a no-op.
func (s *Server) deactivateKey(w http.ResponseWriter, _ *http.Request, _ caller, params []string) {
	s.changeKey(w, params[0], func(k *keyRec) *apiError {
		if !k.key.IsActive {
			return errorf(http.StatusConflict, "API key %s is already deactivated", params[0])
		}
		k.key.IsActive = false
		return nil
	})
}

// changeKey applies change to the key with id under the lock and answers 204,
// or the error: 404 for an unknown key, change's own error otherwise.
func (s *Server) changeKey(w http.ResponseWriter, id string, change func(k *keyRec) *apiError) {
	e := func() *apiError {
		s.mu.Lock()
		defer s.mu.Unlock()
		k := s.keysByID[id]
		if k == nil {
			return keyNotFound(id)
		}
		return change(k)
	}()
	if e != nil {
		writeAPIError(w, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func keyNotFound(id string) *apiError {
	return errorf(http.StatusNotFound, "API key not found: no key has id %q", id)
}

// updateExpiry serves PATCH /admin/api_keys/expire/{key_id}: expires_in sets
// the expiry from now, leaving it out removes it.
func (s *Server) updateExpiry(w http.ResponseWriter, req *http.Request, _ caller, params []string) {
	m, e := readObject(w, req, true)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	expiresIn, has, e := optString(m, "expires_in")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	var iv model.Interval
	if has {
		if iv, e = parseExpiresIn(expiresIn); e != nil {
			writeAPIError(w, e)
			return
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	s.changeKey(w, params[0], func(k *keyRec) *apiError {
		if !has {
			if e := s.requireExpiryLocked(" (an expiry cannot be removed under the limit)"); e != nil {
				return e
			}
			k.key.Expires = nil
			return nil
		}
		at, e := s.expiryLocked(iv, expiresIn, now)
		if e != nil {
			return e
		}
		k.key.Expires = &at
		return nil
	})
}

// updateInactivity serves PATCH /admin/api_keys/inactivity_interval/{key_id}:
// a positive whole number of days sets the interval, leaving it out removes it.
func (s *Server) updateInactivity(w http.ResponseWriter, req *http.Request, _ caller, params []string) {
	switch s.inactivityStatus {
	case http.StatusNotFound:
		// What a web framework answers for a route it does not have.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail":"Not Found"}`))
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", "GET")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"detail":"Method Not Allowed"}`))
		return
	}
	m, e := readObject(w, req, true)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	days, has, e := optInt(m, "inactivity_interval")
	if e == nil && has {
		e = checkInactivity(days)
	}
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.changeKey(w, params[0], func(k *keyRec) *apiError {
		if has {
			k.key.InactivityDays = model.Some(int(days))
		} else {
			k.key.InactivityDays = model.Null[int]()
		}
		return nil
	})
}

// deleteKey serves DELETE /admin/api_keys/{key_id}.
func (s *Server) deleteKey(w http.ResponseWriter, _ *http.Request, _ caller, params []string) {
	s.mu.Lock()
	k := s.keysByID[params[0]]
	if k != nil {
		s.removeKeyLocked(k)
	}
	s.mu.Unlock()
	if k == nil {
		writeAPIError(w, keyNotFound(params[0]))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
