package search

import (
	"context"
)

// vectorRerank is how many of the best lexical candidates get a cosine
// score; vectorNearestFactor times the limit is how many nearest chunks the
// exact vector search adds.
const (
	vectorRerank        = 200
	vectorNearestFactor = 5
)

// fuseVector adds the vector channel by weighted reciprocal-rank fusion:
// fused = 1/(k + lexical rank) + w/(k + vector rank). With weight 0, no
// embedder, or an index built by another embedder, the lexical order
// stands and fused follows the lexical score. A failing embedder degrades
// to lexical search with a note rather than failing the search.
func (s *Service) fuseVector(ctx context.Context, q Query, f Filter, rs []*ranked) ([]*ranked, string) {
	lexicalOnly := func() []*ranked {
		for _, r := range rs {
			r.fused = r.lex
		}
		return rs
	}
	if s.cfg.VectorWeight <= 0 || s.embedder == nil {
		return lexicalOnly(), ""
	}
	name, err := s.store.IndexEmbedder(ctx, q.ProjectID)
	if err != nil {
		s.log.WarnContext(ctx, "search_vector_skipped", "error", err.Error())
		return lexicalOnly(), "vector search unavailable: lexical results only"
	}
	if name != "" && name != s.embedder.Name() {
		return lexicalOnly(), "the index was built with embedder " + name + ", not " + s.embedder.Name() + ": lexical results only; re-index with force_reindex to use vectors"
	}
	vecs, err := s.embedder.Embed(ctx, []string{q.Text})
	if err != nil || len(vecs) != 1 {
		s.log.WarnContext(ctx, "search_vector_skipped", "error", errString(err))
		return lexicalOnly(), "the embedder could not be reached: lexical results only"
	}
	vec := vecs[0]
	ids := make([]string, 0, min(len(rs), vectorRerank))
	for _, r := range rs[:min(len(rs), vectorRerank)] {
		ids = append(ids, r.c.ChunkID)
	}
	cos, err := s.store.VectorScores(ctx, q.ProjectID, vec, ids)
	if err != nil {
		s.log.WarnContext(ctx, "search_vector_skipped", "error", err.Error())
		return lexicalOnly(), "vector search failed: lexical results only"
	}
	near, err := s.store.VectorNearest(ctx, q.ProjectID, vec, f, q.Limit*vectorNearestFactor)
	if err != nil {
		s.log.WarnContext(ctx, "search_vector_skipped", "error", err.Error())
		return lexicalOnly(), "vector search failed: lexical results only"
	}
	byID := make(map[string]*ranked, len(rs))
	for _, r := range rs {
		byID[r.c.ChunkID] = r
	}
	for id, c := range cos {
		byID[id].cosine, byID[id].hasVec = c, true
	}
	for _, n := range near {
		r, ok := byID[n.ChunkID]
		if !ok {
			r = &ranked{c: &Candidate{ChunkID: n.ChunkID}, lex: -1e9}
			byID[n.ChunkID] = r
			rs = append(rs, r)
		}
		r.cosine, r.hasVec = n.Score, true
	}
	k := s.cfg.Rank.RRFK
	// rs is in lexical order; vector-only hits were appended with no
	// lexical rank.
	for i, r := range rs {
		if r.lex > -1e9 {
			r.fused = 1 / (k + float64(i+1))
		}
	}
	var vr []*ranked
	for _, r := range rs {
		if r.hasVec {
			vr = append(vr, r)
		}
	}
	sortBy(vr, func(r *ranked) float64 { return r.cosine })
	for i, r := range vr {
		r.fused += s.cfg.VectorWeight / (k + float64(i+1))
	}
	sortBy(rs, func(r *ranked) float64 { return r.fused })
	return rs, ""
}

func errString(err error) string {
	if err == nil {
		return "embedder returned no vector"
	}
	return err.Error()
}
