package search

import "errors"

// CachedCandidates runs q over the project's lexicon in s's cache (built by
// WarmCache) and returns the candidates (in no particular order) and the
// statistics of terms, so tests can compare them with the store's.
func CachedCandidates(s *Service, projectID string, q CandidateQuery, terms []string) ([]Candidate, Stats, error) {
	s.cache.mu.Lock()
	e := s.cache.entries[projectID]
	s.cache.mu.Unlock()
	if e == nil {
		return nil, Stats{}, errors.New("no lexicon in the cache")
	}
	c, _, err := e.lx.candidates(q)
	return c, e.lx.stats(terms), err
}

// CachedBytes returns the estimated size of the project's lexicon (0 when
// it is not in the cache).
func CachedBytes(s *Service, projectID string) int64 {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if e := s.cache.entries[projectID]; e != nil {
		return e.lx.bytes
	}
	return 0
}

// MatchTerms exposes matchTerms.
func MatchTerms(qt []string, st *Stats, budget int) []string { return matchTerms(qt, st, budget) }
