package search

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// lexCache holds the lexicons of recently searched projects within a
// memory cap, evicting the least recently used. A lexicon is used only
// for the generation it was built at; a search that finds none (or an
// older one) is answered by PostgreSQL while one background build per
// project loads the current generation. Builds never block searches.
type lexCache struct {
	capBytes int64
	svc      *Service

	mu       sync.Mutex
	entries  map[string]*cacheEntry
	building map[string]bool
	// skip holds projects not to build for a while: too large for the cap
	// at a generation (until it changes), or a failed build (until a time).
	skip  map[string]skipEntry
	used  int64
	clock uint64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type cacheEntry struct {
	lx      *lexicon
	lastUse uint64
}

type skipEntry struct {
	tooLargeGen int64
	until       time.Time
}

// buildRetry is how long a project whose build failed waits for the next.
const buildRetry = 30 * time.Second

// minBytesPerChunk is a floor of a lexicon's size per chunk: a project
// whose chunk count times it exceeds the cap is not even tried.
const minBytesPerChunk = 200

func newLexCache(svc *Service, capBytes int64) *lexCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &lexCache{capBytes: capBytes, svc: svc, entries: map[string]*cacheEntry{}, building: map[string]bool{},
		skip: map[string]skipEntry{}, ctx: ctx, cancel: cancel}
}

// get returns the project's lexicon if it is at generation gen.
func (c *lexCache) get(project string, gen int64) *lexicon {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[project]
	// Only the search's own generation: a search that read it on a lagging
	// replica is answered by PostgreSQL there (consistent with the chunk
	// rows it reads next) until the replica has replayed the lexicon's.
	if e == nil || e.lx.gen != gen || gen == 0 {
		c.svc.metrics.cache.WithLabelValues("miss").Inc()
		return nil
	}
	c.clock++
	e.lastUse = c.clock
	c.svc.metrics.cache.WithLabelValues("hit").Inc()
	return e.lx
}

// has reports whether the project's lexicon is at generation gen,
// without counting a hit or a miss.
func (c *lexCache) has(project string, gen int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[project]
	return e != nil && gen != 0 && e.lx.gen == gen
}

// refresh starts a background build of the project's lexicon unless one
// is running, the cap cannot hold chunks, or a recent build failed. The
// build reads with ctx's values (read routing: a read-only request's build
// reads the replica its search read, so their generations agree) but not
// its cancellation, which is the cache's.
func (c *lexCache) refresh(ctx context.Context, project string, gen, chunks int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.building[project] || c.ctx.Err() != nil {
		return
	}
	if sk, ok := c.skip[project]; ok {
		if sk.tooLargeGen != 0 && sk.tooLargeGen == gen {
			return
		}
		if c.svc.cfg.Now().Before(sk.until) {
			return
		}
	}
	if chunks*minBytesPerChunk > c.capBytes {
		c.skip[project] = skipEntry{tooLargeGen: gen}
		return
	}
	c.building[project] = true
	c.wg.Add(1)
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(c.ctx, cancel)
	go func() {
		defer c.wg.Done()
		defer cancel()
		defer stop()
		_, _ = c.build(bctx, project)
	}()
}

// build loads the project's lexicon and installs it. The caller has set
// building[project], which build clears.
func (c *lexCache) build(ctx context.Context, project string) (*lexicon, error) {
	start := time.Now()
	lx, err := c.load(ctx, project)
	secs := time.Since(start).Seconds()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.building, project)
	m := c.svc.metrics
	switch {
	case errors.Is(err, errLexiconTooLarge):
		m.cacheBuilds.WithLabelValues("too_large").Inc()
		c.skip[project] = skipEntry{tooLargeGen: lx.gen}
		c.svc.log.InfoContext(ctx, "search_cache_skipped", "context", map[string]any{
			"project_id": project, "generation": lx.gen, "cache_bytes": c.capBytes,
			"reason": "the project's lexicon exceeds the search cache; searches use PostgreSQL"})
		return nil, err
	case err != nil:
		m.cacheBuilds.WithLabelValues("failure").Inc()
		c.skip[project] = skipEntry{until: c.svc.cfg.Now().Add(buildRetry)}
		if ctx.Err() == nil {
			c.svc.log.WarnContext(ctx, "search_cache_build_failed", "context", map[string]any{
				"project_id": project, "error": err.Error()})
		}
		return nil, err
	}
	m.cacheBuilds.WithLabelValues("success").Inc()
	m.cacheBuildSeconds.Observe(secs)
	delete(c.skip, project)
	if old := c.entries[project]; old != nil {
		if old.lx.gen > lx.gen {
			return old.lx, nil // a newer build finished first
		}
		c.used -= old.lx.bytes
	}
	c.clock++
	c.entries[project] = &cacheEntry{lx: lx, lastUse: c.clock}
	c.used += lx.bytes
	c.evict(project)
	m.cacheBytes.Set(float64(c.used))
	m.cacheProjects.Set(float64(len(c.entries)))
	c.svc.log.InfoContext(ctx, "search_cache_built", "context", map[string]any{
		"project_id": project, "generation": lx.gen, "chunks": lx.chunks(), "terms": len(lx.terms),
		"postings": len(lx.pDoc), "bytes": lx.bytes, "seconds": secs, "cache_bytes_used": c.used})
	return lx, nil
}

// evict drops least recently used lexicons other than keep's until the
// cache is within its cap.
func (c *lexCache) evict(keep string) {
	for c.used > c.capBytes {
		victim := ""
		var oldest uint64
		for p, e := range c.entries {
			if p != keep && (victim == "" || e.lastUse < oldest) {
				victim, oldest = p, e.lastUse
			}
		}
		if victim == "" {
			return
		}
		c.used -= c.entries[victim].lx.bytes
		delete(c.entries, victim)
		c.svc.metrics.cacheEvictions.Inc()
	}
}

// load reads the project's lexicon from the store.
func (c *lexCache) load(ctx context.Context, project string) (*lexicon, error) {
	b := newLexBuilder(project, c.capBytes)
	err := c.svc.store.ReadLexicon(ctx, project, b.header, b.add)
	if err != nil {
		return b.lx, fmt.Errorf("read lexicon of %s: %w", project, err)
	}
	lx, err := b.finish()
	if err != nil {
		return b.lx, err
	}
	return lx, nil
}

// close stops running builds and waits for them. Cancelling under the
// lock orders it with refresh, so no build starts after the wait begins.
func (c *lexCache) close() {
	c.mu.Lock()
	c.cancel()
	c.mu.Unlock()
	c.wg.Wait()
}

// Prepare readies projectID for searching after an index job's last
// write, before the job is reported completed: it refreshes the
// generated-file flags (the ranking prior for generated files) and loads
// the in-memory lexicon, so that searches right after "completed" run at
// full speed.
// The cache being off, or too small for the project, is not an error.
func (s *Service) Prepare(ctx context.Context, projectID, repositoryID string) error {
	if _, err := s.store.RefreshGenerated(ctx, projectID); err != nil {
		return fmt.Errorf("prepare search: %w", err)
	}
	if s.cache == nil {
		return nil
	}
	// A job that changed nothing (an unchanged re-index) keeps the
	// generation: the lexicon in memory is current, do not build it again.
	st, err := s.store.SearchState(ctx, StateQuery{ProjectID: projectID})
	if err != nil {
		return fmt.Errorf("prepare search: %w", err)
	}
	if s.cache.has(projectID, st.Generation) {
		return nil
	}
	if err := s.WarmCache(ctx, projectID); err != nil && !errors.Is(err, errLexiconTooLarge) {
		return fmt.Errorf("prepare search: %w", err)
	}
	return nil
}

// WarmCache builds the project's in-memory lexicon now and waits for it
// (searches build it in the background on their own; this is for start-up
// and benchmarks). It returns an error when the cache is off, the project's
// lexicon exceeds the cache, or the store fails.
func (s *Service) WarmCache(ctx context.Context, projectID string) error {
	if s.cache == nil {
		return errors.New("search: the search cache is off")
	}
	c := s.cache
	for {
		c.mu.Lock()
		if !c.building[projectID] {
			c.building[projectID] = true
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	_, err := c.build(ctx, projectID)
	return err
}

// Close stops the search cache's background builds and waits for them to
// end. Searches still work after Close, from PostgreSQL.
func (s *Service) Close() {
	if s.cache != nil {
		s.cache.close()
	}
}
