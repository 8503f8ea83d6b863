package demoserver

import (
	"context"
	"time"

	"h2ogpte-keys/model"
)

// Use makes n API calls with keys picked at random, as their owners would,
// each counted as authenticate counts a call: total_calls up by one and
// last_used_at now. Successive reads of keys then differ, as on a busy
// server, which is what a usage history has to record. A key that no
// longer works (deactivated, expired, idle) is refused, as the real server
// refuses it, and its call is not counted. Use returns the calls counted.
func (s *Server) Use(n int) int {
	now := s.now().UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	counted := 0
	for range n {
		if len(s.keys) == 0 {
			break
		}
		k := s.keys[s.usage.IntN(len(s.keys))]
		if k.key.StatusAt(now) != model.StatusActive {
			continue
		}
		calls, _ := k.key.TotalCalls.Get()
		k.key.TotalCalls = model.Some(calls + 1)
		k.key.LastUsed = model.Some(now)
		counted++
	}
	return counted
}

// Traffic makes perSecond calls a second with random keys (Use), a tenth
// of them every 100 ms, until ctx ends.
func (s *Server) Traffic(ctx context.Context, perSecond int) {
	if perSecond <= 0 {
		return
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Spread so that a rate below ten a second still makes its calls.
			s.Use(perSecond*(tick+1)/10 - perSecond*tick/10)
		}
	}
}
