package search_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

// goSubset loads a seeded tenth of the Go standard library's package
// directories (a few thousand chunks with real vocabulary, doc comments
// and generated files) into project and returns its corpus.
func goSubset(t *testing.T, e *env, project string) (*searchtest.Corpus, searchtest.Loaded) {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	goroot := strings.TrimSpace(string(out))
	keep := func(dir string) bool {
		h := fnv.New64a()
		fmt.Fprintf(h, "lexicon/%s", dir)
		return h.Sum64()%10 == 0
	}
	corpus, err := searchtest.GoCorpus(goroot+"/src", keep, 1)
	if err != nil {
		t.Fatal(err)
	}
	l := searchtest.Load(context.Background(), t, e.conn, searchtest.Repo{ProjectID: project, Root: goroot + "/src"},
		corpus.Files, searchtest.GoChunks, nil)
	return corpus, l
}

// lexiconQueries are the queries the cache is compared on: doc sentences,
// symbols as written and as words, common words (more matches than
// candidates, so the order at the cut matters), and the same with filters.
func lexiconQueries(c *searchtest.Corpus, repositoryID string) []search.Query {
	var qs []search.Query
	for _, d := range c.Docs[:min(len(c.Docs), 120)] {
		qs = append(qs, search.Query{Text: d.Text, Limit: 20})
	}
	for _, s := range c.Symbols[:min(len(c.Symbols), 60)] {
		qs = append(qs, search.Query{Text: s.Text}, search.Query{Text: searchtest.SplitWords(s.Text)})
	}
	common := []string{"return the error", "the value of a string", "read bytes from the buffer", "new", "err", "if it is nil"}
	for _, q := range common {
		qs = append(qs, search.Query{Text: q, Limit: 50})
	}
	for i, d := range c.Docs[:min(len(c.Docs), 30)] {
		dir := d.Target.Dir
		q := search.Query{Text: d.Text, Limit: 20}
		switch i % 5 {
		case 0:
			q.Directory = dir
		case 1:
			q.FileType = "GO"
		case 2:
			q.Language = "go"
			q.RepositoryID = repositoryID
		case 3:
			if j := strings.IndexByte(dir, '/'); j > 0 {
				q.Directory = "*" + dir[j:]
			} else {
				q.Directory = "**/" + dir
			}
		case 4:
			q.FileType = "py" // matches nothing
		}
		qs = append(qs, q)
	}
	return qs
}

// TestLexicon_SameAsPostgres checks that the in-memory lexicon gives the
// store's candidates (same chunks, fields and frequencies) and
// statistics, and that searches from the cache return exactly what the
// PostgreSQL path returns, on real data.
func TestLexicon_SameAsPostgres(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	corpus, l := goSubset(t, e, "default")
	loadFixture(t, e, "other") // isolation: another project in the same tables
	cfgPG := search.DefaultConfig()
	cfgPG.CacheBytes = -1
	pg := e.service(t, cfgPG, nil)
	if err := pg.Prepare(ctx, "default", l.RepositoryID); err != nil { // generated-file flags (and lexicon)
		t.Fatal(err)
	}
	if err := pg.Train(ctx, "default", l.RepositoryID); err != nil {
		t.Fatal(err)
	}
	cached := e.service(t, search.DefaultConfig(), nil)
	if err := cached.WarmCache(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d chunks, lexicon %d bytes (%.0f per chunk)", len(l.Chunks), search.CachedBytes(cached, "default"),
		float64(search.CachedBytes(cached, "default"))/float64(len(l.Chunks)))
	queries := lexiconQueries(corpus, l.RepositoryID)

	t.Run("candidates and statistics", func(t *testing.T) {
		def := search.DefaultConfig()
		cuts := 0
		for _, q := range queries {
			qt := terms.Query(q.Text)
			want, err := e.store.LexicalStats(ctx, "default", qt)
			if err != nil {
				t.Fatal(err)
			}
			f := search.Filter{ProjectID: "default", RepositoryID: q.RepositoryID, Language: q.Language,
				Extension: strings.ToLower(q.FileType)}
			if q.Directory != "" {
				continue // directory patterns are compared through Search below
			}
			cq := search.CandidateQuery{Filter: f, MatchTerms: search.MatchTerms(qt, &want, def.MatchBudget),
				ScoreTerms: qt, Limit: def.Candidates}
			wantC, err := e.store.LexicalCandidates(ctx, cq)
			if err != nil {
				t.Fatal(err)
			}
			gotC, got, err := search.CachedCandidates(cached, "default", cq, qt)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != want.N || got.SumLen != want.SumLen || !reflect.DeepEqual(got.DF, want.DF) {
				t.Fatalf("%q: stats %+v, want %+v", q.Text, got, want)
			}
			if len(wantC) == def.Candidates {
				cuts++
			}
			if len(gotC) != len(wantC) {
				t.Fatalf("%q: %d candidates, want %d", q.Text, len(gotC), len(wantC))
			}
			// The same set (the ranking re-sorts it); PostgreSQL's order
			// decided which chunks made the cut.
			byID := func(a, b search.Candidate) int { return strings.Compare(a.ChunkID, b.ChunkID) }
			slices.SortFunc(gotC, byID)
			slices.SortFunc(wantC, byID)
			for i := range wantC {
				if !reflect.DeepEqual(gotC[i], wantC[i]) {
					t.Fatalf("%q: candidate %d\n got %+v\nwant %+v", q.Text, i, gotC[i], wantC[i])
				}
			}
		}
		if cuts == 0 {
			t.Fatal("no query had more matches than candidates: the order at the cut was not tested")
		}
		t.Logf("%d queries had more matches than the %d candidates", cuts, def.Candidates)
	})

	t.Run("search results", func(t *testing.T) {
		hits0 := gathered(t, e.reg, "codebase_mcp_search_cache_requests_total")
		for _, q := range queries {
			want, err := pg.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cached.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffResults(got, want); d != "" {
				t.Fatalf("%+v: %s", q, d)
			}
		}
		if n := gathered(t, e.reg, "codebase_mcp_search_cache_requests_total") - hits0; n != float64(len(queries)) {
			t.Fatalf("%v cache lookups, want %d", n, len(queries))
		}
		if hits := cacheCount(t, e, "hit"); hits < float64(len(queries)) {
			t.Fatalf("%v cache hits, want %d: the cached service did not use its lexicon", hits, len(queries))
		}
	})

	t.Run("other project", func(t *testing.T) {
		for _, text := range []string{"widget", "parse config", "refresh token"} {
			q := search.Query{Text: text, ProjectID: "other", Limit: 50}
			want, err := pg.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if err := cached.WarmCache(ctx, "other"); err != nil {
				t.Fatal(err)
			}
			got, err := cached.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffResults(got, want); d != "" || len(got.Results) == 0 {
				t.Fatalf("%q: %s (%d results)", text, d, len(got.Results))
			}
			for _, h := range got.Results {
				if h.ProjectID != "other" {
					t.Fatalf("%q in other: chunk %s of %s", text, h.ChunkID, h.ProjectID)
				}
			}
		}
	})
}

// cacheCount is the current value of the cache counter for result. The
// registry holds the last service made by env.service.
func cacheCount(t *testing.T, e *env, result string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "codebase_mcp_search_cache_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "result" && lp.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatal("codebase_mcp_search_cache_requests_total not registered")
	return 0
}

// diffResults says how two answers differ in their ranked chunks and
// scores ("" when they do not).
func diffResults(got, want search.Result) string {
	if len(got.Results) != len(want.Results) || got.Matched != want.Matched {
		return fmt.Sprintf("%d results from %d candidates, want %d from %d",
			len(got.Results), got.Matched, len(want.Results), want.Matched)
	}
	for i := range want.Results {
		g, w := got.Results[i], want.Results[i]
		if g.ChunkID != w.ChunkID || g.SimilarityScore != w.SimilarityScore {
			return fmt.Sprintf("result %d: %s (%v), want %s (%v)", i, g.ChunkID, g.SimilarityScore, w.ChunkID, w.SimilarityScore)
		}
	}
	return ""
}

// indexer writes batches through the index service's write path
// (pgstore.WriteBatch) under a claimed job.
type indexer struct {
	t    *testing.T
	e    *env
	repo string
	prog pgstore.Progress
}

func newIndexer(t *testing.T, e *env, project string) *indexer {
	t.Helper()
	ctx := context.Background()
	job, _, err := e.store.CreateJob(ctx, pgstore.NewJob{ProjectID: project, RepoPath: "/repo-" + project,
		Settings: pgstore.Settings{Embedder: "test", Dimension: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := e.store.ClaimJob(ctx, "w1", time.Minute, job.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	return &indexer{t: t, e: e, repo: job.RepositoryID,
		prog: pgstore.Progress{ProjectID: project, JobID: job.ID, Owner: "w1", Phase: "indexing"}}
}

// write stores files (path -> one Go function per file, named by the
// content) and deletes paths.
func (ix *indexer) write(files map[string]string, deleted ...string) {
	ix.t.Helper()
	b := pgstore.Batch{ProjectID: ix.prog.ProjectID, RepositoryID: ix.repo, Deleted: deleted, Progress: ix.prog}
	for p, sym := range files {
		content := "package p\n\n// " + sym + " is here.\nfunc " + sym + "() {}\n"
		b.Files = append(b.Files, pgstore.FileRow{File: codebase.File{Path: p, Language: "go", Size: int64(len(content)),
			ModTime: time.Unix(1, 0)}, ContentHash: codebase.ContentHash([]byte(content)), Content: content})
		c := codebase.Chunk{ID: ix.prog.ProjectID + ":" + p + ":" + sym, ProjectID: ix.prog.ProjectID, RepositoryID: ix.repo,
			FilePath: p, Language: "go", Symbol: sym, Kind: codebase.KindFunction, StartLine: 3, EndLine: 4,
			Content: content, Signature: "func " + sym + "()", Doc: sym + " is here.", ContentHash: codebase.ContentHash([]byte(content))}
		d := terms.ForChunk(c)
		b.Chunks = append(b.Chunks, pgstore.ChunkRow{Chunk: c, TSV: d.AppendTSVectorBinary(nil),
			FieldLen: [4]int32{int32(d.Len(0)), int32(d.Len(1)), int32(d.Len(2)), int32(d.Len(3))}})
	}
	if _, err := ix.e.store.WriteBatch(context.Background(), b); err != nil {
		ix.t.Fatal(err)
	}
}

// finish completes the job, so searches may build the lexicon again.
func (ix *indexer) finish() {
	ix.t.Helper()
	if _, err := ix.e.store.FinishJob(context.Background(), pgstore.Outcome{ProjectID: ix.prog.ProjectID,
		JobID: ix.prog.JobID, Owner: "w1", Status: "completed"}); err != nil {
		ix.t.Fatal(err)
	}
}

func symbolsOf(t *testing.T, svc *search.Service, project, q string) []string {
	t.Helper()
	res, err := svc.Search(context.Background(), search.Query{Text: q, ProjectID: project, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range res.Results {
		out = append(out, h.Symbol)
	}
	return out
}

// TestLexicon_Freshness checks that a change of the project's chunks
// (added, replaced, deleted through the index service's write path) is
// seen by the very next search, never hidden by the cached lexicon, and
// that a rebuilt lexicon serves it.
func TestLexicon_Freshness(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ix := newIndexer(t, e, "fresh")
	ix.write(map[string]string{"a.go": "zebraQuokkaAlpha", "b.go": "zebraQuokkaBeta"})
	svc := e.service(t, search.DefaultConfig(), nil)
	if err := svc.WarmCache(ctx, "fresh"); err != nil {
		t.Fatal(err)
	}
	if got := symbolsOf(t, svc, "fresh", "zebra quokka"); len(got) != 2 {
		t.Fatalf("before: %v", got)
	}
	if cacheCount(t, e, "hit") != 1 {
		t.Fatal("the warm lexicon was not used")
	}

	steps := []struct {
		name  string
		apply func()
		want  []string
	}{
		{"added", func() { ix.write(map[string]string{"c.go": "zebraQuokkaGamma"}) },
			[]string{"zebraQuokkaAlpha", "zebraQuokkaBeta", "zebraQuokkaGamma"}},
		// Same length, other terms: the statistics do not change, the
		// generation must.
		{"replaced", func() { ix.write(map[string]string{"a.go": "zebraQuokkaDelta"}) },
			[]string{"zebraQuokkaBeta", "zebraQuokkaDelta", "zebraQuokkaGamma"}},
		{"deleted", func() { ix.write(nil, "b.go") }, []string{"zebraQuokkaDelta", "zebraQuokkaGamma"}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.apply()
			misses := cacheCount(t, e, "miss")
			got := symbolsOf(t, svc, "fresh", "zebra quokka")
			if !sameSet(got, s.want) {
				t.Fatalf("after the change: %v, want %v", got, s.want)
			}
			if cacheCount(t, e, "miss") != misses+1 {
				t.Fatal("the search after the change was not a cache miss")
			}
			if err := svc.WarmCache(ctx, "fresh"); err != nil {
				t.Fatal(err)
			}
			hits := cacheCount(t, e, "hit")
			if got := symbolsOf(t, svc, "fresh", "zebra quokka"); !sameSet(got, s.want) {
				t.Fatalf("from the rebuilt lexicon: %v, want %v", got, s.want)
			}
			if cacheCount(t, e, "hit") != hits+1 {
				t.Fatal("the rebuilt lexicon was not used")
			}
		})
	}

	t.Run("generated-file flags move the generation when they change", func(t *testing.T) {
		generation := func() int64 {
			t.Helper()
			st, err := e.store.SearchState(ctx, search.StateQuery{ProjectID: "fresh"})
			if err != nil {
				t.Fatal(err)
			}
			return st.Generation
		}
		refresh := func() {
			t.Helper()
			if _, err := e.store.RefreshGenerated(ctx, "fresh"); err != nil {
				t.Fatal(err)
			}
		}
		refresh()
		before := generation()
		refresh() // the same files: the lexicon stays valid
		if g := generation(); g != before || before == 0 {
			t.Fatalf("an unchanged refresh moved the generation %d -> %d", before, g)
		}
		// A flag that no longer holds (the file has no generated header).
		if _, err := e.conn.Exec(ctx, `INSERT INTO search_generated_files (project_id, repository_id, path)
			SELECT project_id, repository_id, path FROM files WHERE project_id = 'fresh' LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		refresh()
		if g := generation(); g == before {
			t.Fatalf("a changed refresh left the generation at %d", g)
		}
	})

	t.Run("searches after the job build in the background", func(t *testing.T) {
		ix.finish()
		hits, builds := cacheCount(t, e, "hit"), gathered(t, e.reg, "codebase_mcp_search_cache_builds_total")
		symbolsOf(t, svc, "fresh", "zebra quokka") // a miss (RefreshGenerated above) that starts a build
		if cacheCount(t, e, "hit") != hits {
			t.Fatal("the search after RefreshGenerated used the old lexicon")
		}
		deadline := time.Now().Add(time.Minute)
		for cacheCount(t, e, "hit") == hits || gathered(t, e.reg, "codebase_mcp_search_cache_builds_total") == builds {
			if time.Now().After(deadline) {
				t.Fatal("no background build was used within a minute")
			}
			symbolsOf(t, svc, "fresh", "zebra quokka")
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestLexicon_Cap checks that the cache stays within its size: the least
// recently used project is evicted for a new one, and a project larger
// than the cap is searched on PostgreSQL.
func TestLexicon_Cap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	loadFixture(t, e, "a")
	loadFixture(t, e, "b")
	probe := e.service(t, search.DefaultConfig(), nil)
	if err := probe.WarmCache(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	size := search.CachedBytes(probe, "a")
	if size <= 0 {
		t.Fatal("no size for a's lexicon")
	}

	t.Run("evicts the least recently used", func(t *testing.T) {
		cfg := search.DefaultConfig()
		cfg.CacheBytes = size + size/2 // one project fits, two do not
		svc := e.service(t, cfg, nil)
		if err := svc.WarmCache(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := svc.WarmCache(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		if search.CachedBytes(svc, "a") != 0 || search.CachedBytes(svc, "b") == 0 {
			t.Fatalf("after b: a %d bytes, b %d bytes; want a evicted", search.CachedBytes(svc, "a"), search.CachedBytes(svc, "b"))
		}
		if n := gathered(t, e.reg, "codebase_mcp_search_cache_evictions_total"); n != 1 {
			t.Fatalf("%v evictions, want 1", n)
		}
		if got := symbolsOf(t, svc, "a", "parse config"); len(got) == 0 || got[0] != "parseConfig" {
			t.Fatalf("a after eviction: %v", got)
		}
	})

	t.Run("a project over the cap stays on PostgreSQL", func(t *testing.T) {
		cfg := search.DefaultConfig()
		cfg.CacheBytes = size / 2
		svc := e.service(t, cfg, nil)
		if err := svc.WarmCache(ctx, "a"); err == nil {
			t.Fatal("WarmCache of a project over the cap succeeded")
		}
		if search.CachedBytes(svc, "a") != 0 {
			t.Fatal("a lexicon over the cap is cached")
		}
		for range 3 {
			if got := symbolsOf(t, svc, "a", "parse config"); len(got) == 0 || got[0] != "parseConfig" {
				t.Fatalf("over the cap: %v", got)
			}
		}
		if cacheCount(t, e, "hit") != 0 {
			t.Fatal("a cache hit for a project over the cap")
		}
	})
}

// TestLexicon_ConcurrentBuild runs searches while the lexicon is built and
// rebuilt: every answer equals the PostgreSQL path's (run with -race).
func TestLexicon_ConcurrentBuild(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	loadFixture(t, e, "default")
	cfgPG := search.DefaultConfig()
	cfgPG.CacheBytes = -1
	pg := e.service(t, cfgPG, nil)
	texts := []string{"parse config", "refresh token", "widget", "deploy the service", "revoke"}
	want := map[string]search.Result{}
	for _, q := range texts {
		r, err := pg.Search(ctx, search.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		want[q] = r
	}
	svc := e.service(t, search.DefaultConfig(), nil)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				q := texts[(c+i)%len(texts)]
				got, err := svc.Search(ctx, search.Query{Text: q})
				if err != nil {
					errs <- err.Error()
					return
				}
				if d := diffResults(got, want[q]); d != "" {
					errs <- q + ": " + d
					return
				}
			}
		}()
	}
	for range 3 {
		if err := svc.WarmCache(ctx, "default"); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if cacheCount(t, e, "hit") == 0 {
		t.Fatal("no search used the lexicon")
	}
}
