// Package search is codebase-mcp's search service. A query runs through a
// lexical channel (PostgreSQL full-text search over pre-split identifiers
// generates candidates, BM25F re-scores them in Go), a translation model
// learnt from the repository's own doc comments, ranking rules (file priors,
// a boost for the definition of a named symbol, diminishing returns for many
// chunks of one file) and, when the configured embedder is semantic, a
// vector channel fused by weighted reciprocal-rank fusion. Results carry
// context lines from the indexed file, freshness fields and fit an optional
// token budget.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

// Store is the storage the search service reads; pgstore implements it.
// Every method is scoped to one project and never returns another
// project's rows.
type Store interface {
	// ProjectExists reports whether projectID exists.
	ProjectExists(ctx context.Context, projectID string) (bool, error)
	// SearchState returns, in one round trip, whether the project (and
	// the repository asked for) exists, its chunk count, active index
	// jobs, lexical generation and the associations of q.Words.
	SearchState(ctx context.Context, q StateQuery) (State, error)
	// ReadLexicon reads the project's lexical index in one snapshot: it
	// calls header once, then chunk for every chunk of the project (the
	// chunk and its TSV are valid during the call only). An error from a
	// callback stops the read and is returned.
	ReadLexicon(ctx context.Context, projectID string, header func(LexiconHeader) error, chunk func(*LexiconChunk) error) error
	// LexicalStats returns the collection statistics BM25F needs and the
	// document frequency of each of terms (absent terms have df 0).
	LexicalStats(ctx context.Context, projectID string, terms []string) (Stats, error)
	// LexicalCandidates returns up to q.Limit chunks matching any of
	// q.MatchTerms, with the per-class frequencies of q.ScoreTerms.
	LexicalCandidates(ctx context.Context, q CandidateQuery) ([]Candidate, error)
	// VectorScores returns the cosine similarity of vec with the embedding
	// of each of ids that has one of the same dimension.
	VectorScores(ctx context.Context, projectID string, vec []float32, ids []string) (map[string]float64, error)
	// VectorNearest returns the k chunks nearest to vec that pass f, best
	// first, with their cosine similarity.
	VectorNearest(ctx context.Context, projectID string, vec []float32, f Filter, k int) ([]Scored, error)
	// IndexEmbedder returns the name of the embedder the project's index was
	// built with ("" when unknown).
	IndexEmbedder(ctx context.Context, projectID string) (string, error)
	// ChunkRows returns the full rows of ids within projectID (all projects
	// when projectID is empty), with their file's freshness data; missing ids
	// are absent from the map.
	ChunkRows(ctx context.Context, projectID string, ids []string) (map[string]Row, error)
	// RefreshGenerated re-detects the project's generated files (those
	// whose header says so) and returns how many there are.
	RefreshGenerated(ctx context.Context, projectID string) (int, error)
	// TrainingDocs calls fn for every chunk of projectID that has a doc
	// comment, with the doc text and the chunk's code terms.
	TrainingDocs(ctx context.Context, projectID string, fn func(doc string, codeTerms []string) error) error
	// ReplaceAssociations stores m as projectID's translation model,
	// replacing the previous one.
	ReplaceAssociations(ctx context.Context, projectID string, m map[string][]Association) error
}

// Config tunes the service. Zero fields take the defaults named in their
// comments; [DefaultConfig] returns them all.
type Config struct {
	// Candidates is how many lexical candidates PostgreSQL returns for
	// re-scoring (default 500).
	Candidates int
	// MatchBudget bounds the summed document frequencies of the query terms
	// that select candidates, so the rows PostgreSQL ranks stay bounded
	// (default 5000).
	MatchBudget int
	// VectorWeight is the weight of the vector channel in reciprocal-rank
	// fusion against the lexical channel's 1. Negative means "derive from
	// the embedder": 0 for the builtin hashed embedder, whose vectors are
	// not semantic, 1 for every other one (default -1).
	VectorWeight float64
	// Rank holds the scoring constants.
	Rank RankConfig
	// CacheBytes caps the memory of the in-memory lexicons that answer the
	// lexical channel without PostgreSQL's ranking (default 512 MiB, enough
	// for a project of several hundred thousand chunks; a project that does
	// not fit is searched on PostgreSQL). Negative turns the cache off.
	CacheBytes int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultConfig returns the configuration measured in docs/search-quality.md.
func DefaultConfig() Config {
	return Config{Candidates: 500, MatchBudget: 5000, VectorWeight: -1, Rank: DefaultRankConfig(), CacheBytes: DefaultCacheBytes}
}

// DefaultCacheBytes is the default [Config.CacheBytes].
const DefaultCacheBytes = 512 << 20

// Service answers searches and chunk lookups.
type Service struct {
	cfg      Config
	store    Store
	embedder codebase.Embedder
	log      *slog.Logger
	metrics  *metrics
	cache    *lexCache // nil when off
}

// New returns a search service. embedder may be nil (lexical search only).
// Metrics are registered on reg. [Service.Close] stops its background
// cache builds.
func New(cfg Config, store Store, embedder codebase.Embedder, log *slog.Logger, reg prometheus.Registerer) *Service {
	def := DefaultConfig()
	if cfg.Candidates <= 0 {
		cfg.Candidates = def.Candidates
	}
	if cfg.MatchBudget <= 0 {
		cfg.MatchBudget = def.MatchBudget
	}
	if cfg.Rank == (RankConfig{}) {
		cfg.Rank = def.Rank
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = def.CacheBytes
	}
	if cfg.VectorWeight < 0 {
		cfg.VectorWeight = 1
		if embedder == nil || isHashedEmbedder(embedder.Name()) {
			cfg.VectorWeight = 0
		}
	}
	s := &Service{cfg: cfg, store: store, embedder: embedder, log: log, metrics: newMetrics(reg)}
	if cfg.CacheBytes > 0 {
		s.cache = newLexCache(s, cfg.CacheBytes)
	}
	return s
}

// isHashedEmbedder reports whether name is the builtin feature-hashing
// embedder, whose vectors carry no semantics beyond the lexical channel
// (search-study.md §3: fusing it at equal weight lowers quality).
func isHashedEmbedder(name string) bool {
	return name == "builtin" || strings.HasPrefix(name, "builtin:") || strings.HasPrefix(name, "hash")
}

// timings are the per-stage durations logged with each search.
type timings struct {
	check, stats, candidates, rank, vector, rows time.Duration
	// cached is true when the project's in-memory lexicon answered.
	cached bool
}

// Search runs q. Returns VALIDATION_ERROR for bad input, NOT_FOUND for an
// unknown project or repository, and an empty result (with IndexStatus and
// Notice saying why, when the index is empty or building) when nothing
// matches. Results never come from another project.
func (s *Service) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	res, err := s.search(ctx, q)
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	s.metrics.latency.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	if err == nil && len(res.Results) == 0 {
		s.metrics.empty.Inc()
	}
	res.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	return res, err
}

func (s *Service) search(ctx context.Context, q Query) (Result, error) {
	var tm timings
	t0 := time.Now()
	q, f, err := normalize(q)
	if err != nil {
		return Result{}, err
	}
	qt := terms.Query(q.Text)
	if len(qt) == 0 {
		return Result{}, apperr.Invalid("query", "has no words or identifiers to search for: %q", q.Text)
	}
	sq := StateQuery{ProjectID: q.ProjectID, RepositoryID: f.RepositoryID}
	if s.cfg.Rank.Translation > 0 {
		sq.Words = qt
	}
	state, err := s.store.SearchState(ctx, sq)
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	if !state.ProjectExists {
		return Result{}, apperr.New(apperr.NotFound, "project %q does not exist", q.ProjectID).
			WithDetails(map[string]any{"project_id": q.ProjectID})
	}
	if !state.RepositoryExists {
		return Result{}, apperr.New(apperr.NotFound, "repository %s is not in project %q", f.RepositoryID, q.ProjectID).
			WithDetails(map[string]any{"repository_id": f.RepositoryID})
	}
	res := Result{ProjectID: q.ProjectID, IndexStatus: IndexReady}
	switch {
	case state.ActiveJobs > 0:
		res.IndexStatus = IndexBuilding
		res.Notice = "an index job is still running in this project: results may be incomplete; check get_indexing_status"
	case state.Chunks == 0:
		res.IndexStatus = IndexEmpty
		res.Notice = "nothing is indexed in this project yet: index a repository first (start_indexing_background); an empty result says nothing about the code"
	}
	tm.check = time.Since(t0)
	if state.Chunks == 0 && state.ActiveJobs == 0 {
		return res, nil
	}

	rs, matched, vecNote, err := s.rank(ctx, q, f, qt, &state, &tm)
	if err != nil {
		return Result{}, err
	}
	res.Matched = matched
	if vecNote != "" {
		res.Notice = joinNotice(res.Notice, vecNote)
	}

	// Similarity: half how the chunk ranks against the best, half how much
	// of the query it covers (idf-weighted terms, or the vector cosine
	// when the vector channel is on and says more).
	var best float64
	if len(rs) > 0 {
		best = rs[0].fused
	}
	type pick struct {
		id  string
		sim float64
	}
	var picks []pick
	for _, r := range rs {
		rel := 0.0
		if best > 0 {
			rel = clamp01(r.fused / best)
		}
		cov := r.coverage
		if s.cfg.VectorWeight > 0 && r.hasVec && r.cosine > cov {
			cov = r.cosine
		}
		sim := clamp01(0.5*rel + 0.5*clamp01(cov))
		if sim < q.MinSimilarity {
			continue
		}
		picks = append(picks, pick{r.c.ChunkID, sim})
		if len(picks) == q.Limit {
			break
		}
	}

	t1 := time.Now()
	ids := make([]string, len(picks))
	for i, p := range picks {
		ids[i] = p.id
	}
	rows, err := s.store.ChunkRows(ctx, q.ProjectID, ids)
	if err != nil {
		return Result{}, fmt.Errorf("search: %w", err)
	}
	sc := newStaleChecker()
	hits := make([]Hit, 0, len(picks))
	for _, p := range picks {
		row, ok := rows[p.id]
		if !ok {
			continue // deleted by a re-index since ranking
		}
		h := toHit(row)
		h.SimilarityScore = p.sim
		h.Stale = sc.stale(row)
		hits = append(hits, h)
	}
	tm.rows = time.Since(t1)
	hits, omitted, trimmed, est := fitBudget(hits, q.MaxTokens)
	res.Results, res.Omitted, res.Truncated, res.EstimatedTokens = hits, omitted, trimmed, est
	res.TotalCount = len(hits)
	if trimmed {
		res.Notice = joinNotice(res.Notice, fmt.Sprintf(
			"max_tokens %d: content was trimmed and %d result(s) omitted; raise max_tokens or lower limit for more", q.MaxTokens, omitted))
	}
	s.log.DebugContext(ctx, "search", "context", map[string]any{
		"project_id": q.ProjectID, "terms": len(qt), "candidates": matched, "results": len(hits), "cached": tm.cached,
		"check_ms": ms(tm.check), "stats_ms": ms(tm.stats), "candidates_ms": ms(tm.candidates),
		"rank_ms": ms(tm.rank), "vector_ms": ms(tm.vector), "rows_ms": ms(tm.rows)})
	return res, nil
}

// rank runs the lexical and vector channels and returns the fused ranking,
// best first, with the number of lexical candidates and a note when the
// vector channel could not be used.
func (s *Service) rank(ctx context.Context, q Query, f Filter, qt []string, state *State, tm *timings) ([]*ranked, int, string, error) {
	rc := &s.cfg.Rank
	assoc := state.Associations
	t := time.Now()
	var lx *lexicon
	if s.cache != nil {
		lx = s.cache.get(q.ProjectID, state.Generation)
		// No build while an index job runs: each of its batches changes
		// the generation, and searches meanwhile are answered by PostgreSQL.
		if lx == nil && state.Chunks > 0 && state.ActiveJobs == 0 {
			s.cache.refresh(ctx, q.ProjectID, state.Generation, state.Chunks)
		}
	}
	var st Stats
	var cands []Candidate
	var files []*lexFile // the candidates' files, when the lexicon answered
	if lx != nil {
		st = lx.stats(qt)
		tm.stats = time.Since(t)
		t = time.Now()
		var err error
		cands, files, err = lx.candidates(CandidateQuery{
			Filter: f, MatchTerms: matchTerms(qt, &st, s.cfg.MatchBudget), ScoreTerms: scoreTerms(qt, assoc), Limit: s.cfg.Candidates})
		switch {
		case errors.Is(err, errFilterUnsupported):
			lx = nil
		case err != nil:
			return nil, 0, "", fmt.Errorf("search: %w", err)
		default:
			tm.cached = true
		}
		tm.candidates = time.Since(t)
	}
	if lx == nil {
		var err error
		if st, err = s.store.LexicalStats(ctx, q.ProjectID, qt); err != nil {
			return nil, 0, "", fmt.Errorf("search: %w", err)
		}
		tm.stats = time.Since(t)
		t = time.Now()
		cands, err = s.store.LexicalCandidates(ctx, CandidateQuery{
			Filter: f, MatchTerms: matchTerms(qt, &st, s.cfg.MatchBudget), ScoreTerms: scoreTerms(qt, assoc), Limit: s.cfg.Candidates})
		if err != nil {
			return nil, 0, "", fmt.Errorf("search: %w", err)
		}
		tm.candidates = time.Since(t)
	}

	t = time.Now()
	qs := querySymbols(q.Text)
	var tr *translator
	if rc.Translation > 0 {
		tr = newTranslator(qt, assoc, &st, rc)
	}
	rs := make([]*ranked, len(cands))
	store := make([]ranked, len(cands)) // one allocation for all
	for i := range cands {
		c := &cands[i]
		r := &store[i]
		r.c = c
		r.bm, r.coverage = bm25f(c, qt, &st, rc)
		if files != nil {
			r.bm *= priorOf(c, files[i].testPath, files[i].generated || files[i].generatedPath, rc)
		} else {
			r.bm *= prior(c, c.Generated, rc)
		}
		r.def = definitionLevel(c, qs)
		if rc.Translation > 0 {
			r.tm = tr.score(c)
		}
		rs[i] = r
	}
	fuseLexical(rs, len(qt), rc)
	for _, r := range rs {
		// After fusion, so the translation model cannot undo it: with the
		// default 3 an exact definition outranks every other chunk.
		r.lex += (rc.DefinitionBoost - 1) * r.def / 2
	}
	penalizeRepeats(rs, rc)
	tm.rank = time.Since(t)

	t = time.Now()
	rs, note := s.fuseVector(ctx, q, f, rs)
	tm.vector = time.Since(t)
	return rs, len(cands), note, nil
}

// matchTerms picks the query terms that select candidates: the rarest
// first, while their summed document frequencies stay within budget (the
// rarest always). The other terms still score every candidate. This bounds
// how many chunks PostgreSQL must rank whatever the query; the terms left
// out are the common ones, with the least weight in BM25F.
func matchTerms(qt []string, st *Stats, budget int) []string {
	var present []string
	for _, t := range qt {
		if st.DF[t] > 0 {
			present = append(present, t)
		}
	}
	sort.SliceStable(present, func(i, j int) bool { return st.DF[present[i]] < st.DF[present[j]] })
	var out []string
	var sum int64
	for _, t := range present {
		if len(out) > 0 && sum+st.DF[t] > int64(budget) {
			break
		}
		sum += st.DF[t]
		out = append(out, t)
	}
	return out
}

func scoreTerms(qt []string, assoc map[string][]Association) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, t := range qt {
		add(t)
	}
	for _, t := range qt {
		for _, a := range assoc[t] {
			add(a.Term)
		}
	}
	return out
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func joinNotice(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
