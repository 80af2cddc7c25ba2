package search_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/search/searchtest"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// faultEnv is an env on a private cluster whose store connects as a role
// "app" the test takes privileges from (PostgreSQL's own "permission
// denied" part-way through a call), with an admin connection to do so.
type faultEnv struct {
	*env
	db    *dbtest.Restricted
	admin *pgx.Conn
	dsn   string
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	db := dbtest.NewRestricted(t, "codebase", migrations.Codebase())
	dsn, admin := db.DSN, db.Admin
	fe := &faultEnv{db: db, admin: admin, dsn: dsn}
	fe.env = envAt(t, dsn, db.AppDSN)
	return fe
}

func (fe *faultEnv) exec(t *testing.T, q string) {
	t.Helper()
	fe.db.Exec(t, q)
}

// revoke takes privilege on table from the store's role until the test ends.
func (fe *faultEnv) revoke(t *testing.T, privilege, table string) {
	t.Helper()
	fe.exec(t, "REVOKE "+privilege+" ON "+table+" FROM app")
	t.Cleanup(func() { fe.exec(t, "GRANT "+privilege+" ON "+table+" TO app") })
}

// revokeColumn leaves the store's role SELECT on every column of chunks
// but column, until the test ends.
func (fe *faultEnv) revokeColumn(t *testing.T, column string) {
	t.Helper()
	rows, err := fe.admin.Query(context.Background(),
		`SELECT column_name FROM information_schema.columns WHERE table_name = 'chunks' AND column_name <> $1`, column)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	fe.exec(t, "REVOKE SELECT ON chunks FROM app; GRANT SELECT ("+strings.Join(cols, ", ")+") ON chunks TO app")
	t.Cleanup(func() { fe.exec(t, "GRANT SELECT ON chunks TO app") })
}

// fakeClock is a settable clock for Config.Now (read by cache builds on
// other goroutines).
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// buildCount is the cache build counter for outcome.
func buildCount(t *testing.T, e *env, outcome string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "codebase_mcp_search_cache_builds_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "outcome" && lp.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatal("codebase_mcp_search_cache_builds_total not registered")
	return 0
}

func isDenied(err error) bool {
	return err != nil && strings.Contains(err.Error(), "permission denied")
}

// TestCache_BuildFailure: a lexicon build that the database refuses
// (permission denied on a table only the build reads, or on one column of
// chunks) fails WarmCache with the database's error and caches nothing;
// searches meanwhile are answered by PostgreSQL, the project is not
// rebuilt for 30 s after a failure, and the first search after that
// builds it again.
func TestCache_BuildFailure(t *testing.T) {
	fe := newFaultEnv(t)
	ctx := context.Background()
	loadFixture(t, fe.env, "default")
	pgCfg := search.DefaultConfig()
	pgCfg.CacheBytes = -1
	want, err := fe.service(t, pgCfg, nil).Search(ctx, search.Query{Text: "parse config"})
	if err != nil || len(want.Results) == 0 {
		t.Fatalf("PostgreSQL search: %v, %d results", err, len(want.Results))
	}

	t.Run("no retry within 30 s", func(t *testing.T) {
		clock := &fakeClock{}
		cfg := search.DefaultConfig()
		cfg.Now = clock.now
		svc := fe.service(t, cfg, nil)
		func() {
			fe.exec(t, "REVOKE SELECT ON search_generated_files FROM app")
			defer fe.exec(t, "GRANT SELECT ON search_generated_files TO app")
			if err := svc.WarmCache(ctx, "default"); !isDenied(err) {
				t.Fatalf("WarmCache without SELECT on search_generated_files: %v, want the database's error", err)
			}
		}()
		if search.CachedBytes(svc, "default") != 0 {
			t.Fatal("a failed build left a lexicon in the cache")
		}
		clock.advance(29 * time.Second)
		got, err := svc.Search(ctx, search.Query{Text: "parse config"})
		if err != nil {
			t.Fatal(err)
		}
		if d := diffResults(got, want); d != "" {
			t.Fatalf("search after a failed build: %s", d)
		}
		svc.Close() // waits for any build the search started
		if f, s := buildCount(t, fe.env, "failure"), buildCount(t, fe.env, "success"); f != 1 || s != 0 {
			t.Fatalf("builds: %v failed, %v succeeded; want only the refused one (no retry within 30 s)", f, s)
		}
		// After Close, searches still work, from PostgreSQL.
		got, err = svc.Search(ctx, search.Query{Text: "parse config"})
		if err != nil {
			t.Fatal(err)
		}
		if d := diffResults(got, want); d != "" {
			t.Fatalf("search after Close: %s", d)
		}
		if cacheCount(t, fe.env, "hit") != 0 {
			t.Fatal("a cache hit without a lexicon")
		}
	})

	t.Run("retry after 30 s", func(t *testing.T) {
		clock := &fakeClock{}
		cfg := search.DefaultConfig()
		cfg.Now = clock.now
		svc := fe.service(t, cfg, nil)
		func() {
			fe.revokeColumn(t, "tsv")
			if err := svc.WarmCache(ctx, "default"); !isDenied(err) {
				t.Fatalf("WarmCache without SELECT on chunks.tsv: %v, want the database's error", err)
			}
		}()
		fe.exec(t, "GRANT SELECT ON chunks TO app")
		clock.advance(31 * time.Second)
		if _, err := svc.Search(ctx, search.Query{Text: "parse config"}); err != nil {
			t.Fatal(err)
		}
		// The search started a build; WarmCache waits for it, then builds.
		if err := svc.WarmCache(ctx, "default"); err != nil {
			t.Fatal(err)
		}
		if search.CachedBytes(svc, "default") == 0 {
			t.Fatal("no lexicon after the privilege came back")
		}
		got, err := svc.Search(ctx, search.Query{Text: "parse config"})
		if err != nil {
			t.Fatal(err)
		}
		if d := diffResults(got, want); d != "" {
			t.Fatalf("cached search: %s", d)
		}
		if cacheCount(t, fe.env, "hit") == 0 {
			t.Fatal("the search after the rebuild did not use the lexicon")
		}
	})
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCache_CloseDuringBuild holds a lock that stops a background build
// (and the search that started it) in PostgreSQL: WarmCache with a
// cancelled context returns at once instead of waiting for the build,
// Close cancels the build and returns without a failure warning, and the
// search completes from PostgreSQL once the lock goes.
func TestCache_CloseDuringBuild(t *testing.T) {
	fe := newFaultEnv(t)
	ctx := context.Background()
	loadFixture(t, fe.env, "default")
	logs := &lockedBuffer{}
	fe.log = slog.New(slog.NewJSONHandler(logs, nil))
	svc := fe.service(t, search.DefaultConfig(), nil)

	locker, err := pgx.Connect(ctx, fe.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE search_generated_files IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		res search.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		r, err := svc.Search(ctx, search.Query{Text: "parse config"})
		done <- answer{r, err}
	}()
	// Both the build and the search wait for the lock.
	for {
		var waiting int
		if err := fe.admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%search_generated_files%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := svc.WarmCache(cancelled, "default"); !errors.Is(err, context.Canceled) {
		t.Fatalf("WarmCache with a cancelled context during a build: %v", err)
	}
	svc.Close()
	if n := buildCount(t, fe.env, "failure"); n != 1 {
		t.Fatalf("%v failed builds after Close, want the cancelled one", n)
	}
	if strings.Contains(logs.String(), "search_cache_build_failed") {
		t.Fatalf("a build stopped by Close logged a failure: %s", logs.String())
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil || len(a.res.Results) == 0 || a.res.Results[0].Symbol != "parseConfig" {
		t.Fatalf("search held by the lock: %v, %v", a.err, symbols(a.res))
	}
	if search.CachedBytes(svc, "default") != 0 {
		t.Fatal("a build cancelled by Close installed a lexicon")
	}
}

// TestCache_TooLargeNotTried: a project whose chunk count alone exceeds the
// cache is searched on PostgreSQL without any build being tried; the cache
// is on by default and off when asked.
func TestCache_TooLargeNotTried(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	loadFixture(t, e, "default")
	cfg := search.DefaultConfig()
	cfg.CacheBytes = 100 // less than one chunk's floor
	svc := e.service(t, cfg, nil)
	for range 2 {
		if got := symbolsOf(t, svc, "default", "parse config"); len(got) == 0 || got[0] != "parseConfig" {
			t.Fatalf("search over a too small cache: %v", got)
		}
	}
	svc.Close()
	for _, o := range []string{"success", "failure", "too_large"} {
		if n := buildCount(t, e, o); n != 0 {
			t.Fatalf("%v builds with outcome %s, want none tried", n, o)
		}
	}
	// A zero Config means the defaults, the cache on among them.
	if err := search.New(search.Config{}, e.store, nil, e.log, nil).WarmCache(ctx, "default"); err != nil {
		t.Fatalf("WarmCache with the default config: %v", err)
	}
	if err := search.New(search.Config{CacheBytes: -1}, e.store, nil, e.log, nil).WarmCache(ctx, "default"); err == nil ||
		!strings.Contains(err.Error(), "cache is off") {
		t.Fatalf("WarmCache with the cache off: %v", err)
	}
}

// TestSearch_ReadRefused: a search whose store read is refused part-way
// (the state check, the statistics, the rows of the results) fails with the
// database's error, not an empty or partial answer; the vector channel's
// reads degrade to lexical results with a notice instead.
func TestSearch_ReadRefused(t *testing.T) {
	fe := newFaultEnv(t)
	ctx := context.Background()
	root := t.TempDir()
	emb := conceptEmbedder{name: "test:concepts"}
	searchtest.Load(ctx, t, fe.conn, searchtest.Repo{ProjectID: "default", Root: root},
		searchtest.WriteTree(t, root, testRepo), searchtest.GoChunks, emb)
	pgCfg := search.DefaultConfig()
	pgCfg.CacheBytes = -1
	pgCfg.VectorWeight = 0
	lexical := fe.service(t, pgCfg, nil)
	want, err := lexical.Search(ctx, search.Query{Text: "parse config"})
	if err != nil || len(want.Results) == 0 {
		t.Fatalf("lexical search: %v, %d results", err, len(want.Results))
	}
	cached := fe.service(t, search.DefaultConfig(), nil)
	if err := cached.WarmCache(ctx, "default"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, table string
		svc         *search.Service
	}{
		{"state", "index_jobs", lexical},
		{"statistics", "term_df", lexical},
		{"candidates", "search_generated_files", lexical},
		{"rows", "files", lexical},
		{"rows after cached ranking", "files", cached},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fe.revoke(t, "SELECT", tc.table)
			res, err := tc.svc.Search(ctx, search.Query{Text: "parse config"})
			if !isDenied(err) || len(res.Results) != 0 {
				t.Fatalf("search without SELECT on %s: %v, %d results; want the database's error", tc.table, err, len(res.Results))
			}
		})
	}

	vec := fe.service(t, search.DefaultConfig(), emb)
	for _, tc := range []struct {
		name, notice string
		revoke       func(t *testing.T)
	}{
		{"index embedder", "vector search unavailable", func(t *testing.T) { fe.revoke(t, "SELECT", "index_settings") }},
		{"embeddings", "vector search failed", func(t *testing.T) { fe.revokeColumn(t, "embedding") }},
	} {
		t.Run("vector "+tc.name, func(t *testing.T) {
			tc.revoke(t)
			res, err := vec.Search(ctx, search.Query{Text: "parse config"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Notice, tc.notice) || !strings.Contains(res.Notice, "lexical results only") {
				t.Fatalf("notice %q, want %q", res.Notice, tc.notice)
			}
			if d := diffResults(res, want); d != "" {
				t.Fatalf("degraded search differs from the lexical one: %s", d)
			}
		})
	}
}

// shapeEmbedder answers with vectors of another shape than the index's:
// dim components each, or no vector at all when dim is 0.
type shapeEmbedder struct{ dim int }

func (s shapeEmbedder) Name() string   { return "test:concepts" }
func (s shapeEmbedder) Dimension() int { return s.dim }
func (s shapeEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if s.dim == 0 {
		return nil, nil
	}
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = make([]float32, s.dim)
		out[i][0] = 1
	}
	return out, nil
}

// TestSearch_VectorShape: a query vector of another dimension than the
// index's matches no embedding (the lexical order stands, no error), and an
// embedder that answers without a vector degrades with a notice.
func TestSearch_VectorShape(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := t.TempDir()
	searchtest.Load(ctx, t, e.conn, searchtest.Repo{ProjectID: "default", Root: root},
		searchtest.WriteTree(t, root, testRepo), searchtest.GoChunks, conceptEmbedder{name: "test:concepts"})
	cfg := search.DefaultConfig()
	cfg.VectorWeight = 0
	want, err := e.service(t, cfg, nil).Search(ctx, search.Query{Text: "parse config"})
	if err != nil || len(want.Results) == 0 {
		t.Fatalf("lexical search: %v, %d results", err, len(want.Results))
	}
	res, err := e.service(t, search.DefaultConfig(), shapeEmbedder{dim: 3}).Search(ctx, search.Query{Text: "parse config"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Notice != "" || symbols(res) != symbols(want) {
		t.Fatalf("3-dimensional query on a 4-dimensional index: %v notice %q, want the lexical %v", symbols(res), res.Notice, symbols(want))
	}
	res, err = e.service(t, search.DefaultConfig(), shapeEmbedder{}).Search(ctx, search.Query{Text: "parse config"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Notice, "could not be reached") || symbols(res) != symbols(want) {
		t.Fatalf("embedder without a vector: %v notice %q", symbols(res), res.Notice)
	}
}

// TestService_ChunkReadsRefused: chunk lookups whose store read is refused
// fail with the database's error rather than reporting the chunks missing
// or not found.
func TestService_ChunkReadsRefused(t *testing.T) {
	fe := newFaultEnv(t)
	ctx := context.Background()
	_, l := loadFixture(t, fe.env, "default")
	svc := fe.service(t, search.DefaultConfig(), nil)
	res, err := svc.Search(ctx, search.Query{Text: "parse config"})
	if err != nil || len(res.Results) == 0 {
		t.Fatalf("search: %v, %d results", err, len(res.Results))
	}
	hit := res.Results[0]
	loc := search.Location{RepositoryID: l.RepositoryID, FilePath: hit.FilePath, Symbol: hit.Symbol}
	calls := map[string]func() error{
		"GetChunks": func() error { _, err := svc.GetChunks(ctx, []string{hit.ChunkID}); return err },
		"GetChunk":  func() error { _, err := svc.GetChunk(ctx, hit.ChunkID); return err },
		"Chunk":     func() error { _, err := svc.Chunk(ctx, hit.ChunkID); return err },
		"LookupChunks by id": func() error {
			_, err := svc.LookupChunks(ctx, search.LookupRequest{ChunkIDs: []string{hit.ChunkID}})
			return err
		},
		"LookupChunks by location": func() error {
			r, err := svc.LookupChunks(ctx, search.LookupRequest{Locations: []search.Location{loc}})
			if err == nil && len(r.Located) != 1 {
				return errors.New("the location found nothing")
			}
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s with every privilege: %v", name, err)
		}
	}
	for _, table := range []string{"files", "chunks"} {
		t.Run(table, func(t *testing.T) {
			fe.revoke(t, "SELECT", table)
			for name, call := range calls {
				if err := call(); !isDenied(err) {
					t.Errorf("%s without SELECT on %s: %v, want the database's error", name, table, err)
				}
			}
		})
	}
}

// TestService_TrainRefused: a training run the database refuses at any of
// its steps (project check, reading the documented chunks, storing the
// model) fails with the database's error and leaves the previous model in
// place.
func TestService_TrainRefused(t *testing.T) {
	fe := newFaultEnv(t)
	ctx := context.Background()
	_, l := loadFixture(t, fe.env, "default")
	svc := fe.service(t, search.DefaultConfig(), nil)
	if err := svc.Train(ctx, "", l.RepositoryID); apperr.CodeOf(err) != apperr.Validation {
		t.Fatalf("Train without a project: %v", err)
	}
	if err := svc.Train(ctx, "default", l.RepositoryID); err != nil {
		t.Fatal(err)
	}
	model := func() string {
		var m string
		if err := fe.admin.QueryRow(ctx, `SELECT coalesce(string_agg(word || '=' || array_to_string(terms, ','), ';' ORDER BY word), '')
			FROM search_associations`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := model()
	if before == "" {
		t.Fatal("no model after training")
	}
	for _, tc := range []struct{ privilege, table string }{
		{"SELECT", "projects"},
		{"SELECT", "chunks"},
		{"INSERT", "search_associations"},
	} {
		t.Run(tc.privilege+" "+tc.table, func(t *testing.T) {
			fe.revoke(t, tc.privilege, tc.table)
			if err := svc.Train(ctx, "default", l.RepositoryID); !isDenied(err) {
				t.Fatalf("Train without %s on %s: %v, want the database's error", tc.privilege, tc.table, err)
			}
			if got := model(); got != before {
				t.Fatalf("a refused training changed the model:\n before %s\n after  %s", before, got)
			}
		})
	}
}

// TestService_Prepare: Prepare loads the project's lexicon; the cache
// being off or too small for the project is not an error, while a refresh
// of the generated-file flags or a lexicon build the database refuses is
// (with the database's error, and no lexicon cached).
func TestService_Prepare(t *testing.T) {
	fe := newFaultEnv(t)
	ctx := context.Background()
	_, l := loadFixture(t, fe.env, "default")
	svc := fe.service(t, search.DefaultConfig(), nil)
	if err := svc.Prepare(ctx, "default", l.RepositoryID); err != nil {
		t.Fatal(err)
	}
	if search.CachedBytes(svc, "default") == 0 {
		t.Fatal("no lexicon after Prepare")
	}
	off := search.DefaultConfig()
	off.CacheBytes = -1
	if err := fe.service(t, off, nil).Prepare(ctx, "default", l.RepositoryID); err != nil {
		t.Errorf("Prepare with the cache off: %v", err)
	}
	small := search.DefaultConfig()
	small.CacheBytes = search.CachedBytes(svc, "default") / 2
	tooSmall := fe.service(t, small, nil)
	if err := tooSmall.Prepare(ctx, "default", l.RepositoryID); err != nil {
		t.Errorf("Prepare with a cache too small for the project: %v", err)
	}
	if search.CachedBytes(tooSmall, "default") != 0 {
		t.Error("a lexicon over the cap is cached")
	}
	for name, revoke := range map[string]func(t *testing.T){
		"generated files": func(t *testing.T) { fe.revoke(t, "DELETE", "search_generated_files") },
		"lexicon":         func(t *testing.T) { fe.revokeColumn(t, "tsv") },
	} {
		t.Run(name, func(t *testing.T) {
			s := fe.service(t, search.DefaultConfig(), nil)
			revoke(t)
			if err := s.Prepare(ctx, "default", l.RepositoryID); !isDenied(err) {
				t.Fatalf("Prepare: %v, want the database's error", err)
			}
			if search.CachedBytes(s, "default") != 0 {
				t.Fatal("a lexicon cached after a refused Prepare")
			}
		})
	}
}
