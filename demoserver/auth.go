package demoserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"h2ogpte-keys/model"
)

// authenticate finds who is calling. A stored key that still works has the
// call counted (total_calls, last_used_at) the moment it authenticates, as
// the real server does; one that no longer works says why and is not counted.
func (s *Server) authenticate(req *http.Request) (caller, *apiError) {
	h := strings.TrimSpace(req.Header.Get("Authorization"))
	if h == "" {
		return caller{}, errorf(http.StatusUnauthorized, "unauthorized: missing Authorization header (want Bearer <API key>)")
	}
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return caller{}, errorf(http.StatusUnauthorized, "unauthorized: Authorization header must be Bearer <API key>")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(DemoToken)) == 1 {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return caller{user: s.admin}, nil
	}
	sum := sha256.Sum256([]byte(token))
	now := s.now().UTC().Truncate(time.Microsecond)

	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keysByHash[sum]
	if k == nil {
		return caller{}, errorf(http.StatusUnauthorized, "unauthorized: invalid API key")
	}
	switch k.key.StatusAt(now) {
	case model.StatusInactive:
		return caller{}, errorf(http.StatusUnauthorized, "unauthorized: API key %s has been deactivated", k.key.ID)
	case model.StatusExpired:
		return caller{}, errorf(http.StatusUnauthorized, "unauthorized: API key %s expired at %s",
			k.key.ID, k.key.Expires.Format(time.RFC3339))
	case model.StatusIdle:
		days, _ := k.key.InactivityDays.Get()
		return caller{}, errorf(http.StatusUnauthorized,
			"unauthorized: API key %s was unused for more than its inactivity interval of %d days and is no longer valid",
			k.key.ID, days)
	}
	calls, _ := k.key.TotalCalls.Get()
	k.key.TotalCalls = model.Some(calls + 1)
	k.key.LastUsed = model.Some(now)
	return caller{user: k.owner, key: k}, nil
}
