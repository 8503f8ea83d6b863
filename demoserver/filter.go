package demoserver

import "strings"

// maxFilterCache bounds how many filters' matches are kept at once.
const maxFilterCache = 64

// filteredLocked returns the keys whose owner's name contains filter (lower
// case), in listing order. Paging through one user's keys used to scan
// every key for every page; the matches are now found once and kept until
// a key is added or removed (the only changes that alter them: owners and
// the listing order never change). The caller holds s.mu, read or write;
// the result must not be modified.
func (s *Server) filteredLocked(filter string) []*keyRec {
	s.filterMu.Lock()
	defer s.filterMu.Unlock()
	if m, ok := s.filterCache[filter]; ok {
		return m
	}
	var m []*keyRec
	for _, k := range s.keys {
		if strings.Contains(k.owner.lower, filter) {
			m = append(m, k)
		}
	}
	if s.filterCache == nil || len(s.filterCache) >= maxFilterCache {
		s.filterCache = make(map[string][]*keyRec)
	}
	s.filterCache[filter] = m
	return m
}

// forgetFiltersLocked drops every kept filter result. The caller holds the
// write lock of s.mu.
func (s *Server) forgetFiltersLocked() {
	s.filterMu.Lock()
	s.filterCache = nil
	s.filterMu.Unlock()
}
