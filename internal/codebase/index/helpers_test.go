package index_test

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
	"github.com/mcp-memory/servers/migrations"
)

// blockChunker is a small stand-in for the tree-sitter chunker: every
// block of lines separated by a blank line is a chunk, and a block that
// starts with "def NAME" or "func NAME" carries that symbol. It has what
// the index service relies on: deterministic chunks with symbols and
// identical blocks in one file.
type blockChunker struct{}

var symbolRe = regexp.MustCompile(`^(?:def|func|class)\s+([A-Za-z_][A-Za-z0-9_]*)`)

func (blockChunker) Chunk(_ context.Context, language string, src []byte) []codebase.Chunk {
	lines := strings.Split(string(src), "\n")
	var out []codebase.Chunk
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		content := strings.Join(lines[start:end], "\n")
		c := codebase.Chunk{Language: language, Kind: codebase.KindWindow, StartLine: start + 1, EndLine: end,
			Content: content, ContentHash: codebase.ContentHash([]byte(content))}
		if m := symbolRe.FindStringSubmatch(lines[start]); m != nil {
			c.Symbol, c.Kind, c.Signature = m[1], codebase.KindFunction, lines[start]
		}
		out = append(out, c)
		start = -1
	}
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(lines))
	return out
}

// testEmbedder is a deterministic embedder with switches for failures
// and slowness.
type testEmbedder struct {
	name  string
	dim   int
	delay time.Duration
	fail  atomic.Bool
	calls atomic.Int64
}

func (e *testEmbedder) Name() string   { return e.name }
func (e *testEmbedder) Dimension() int { return e.dim }
func (e *testEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	e.calls.Add(1)
	if e.delay > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(e.delay):
		}
	}
	if e.fail.Load() {
		return nil, apperr.New(apperr.Unavailable, "embedding provider unreachable")
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := sha256.Sum256([]byte(t))
		v := make([]float32, e.dim)
		var n float64
		for k := range v {
			v[k] = float32(h[k%32]) - 127.5
			n += float64(v[k]) * float64(v[k])
		}
		for k := range v {
			v[k] /= float32(math.Sqrt(n))
		}
		out[i] = v
	}
	return out, nil
}

// env is a migrated database with a pool, a store and a direct connection.
type env struct {
	dsn   string
	pool  *dbpool.Pool
	store *pgstore.Store
	conn  *pgx.Conn
	logs  *obstest.LogCapture
	log   *slog.Logger
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	return openEnv(tb, dbtest.New(tb, migrations.Codebase()))
}

func openEnv(tb testing.TB, dsn string) *env {
	tb.Helper()
	log, logs := obstest.NewLogger(tb, "codebase-mcp", slog.LevelDebug)
	ctx := context.Background()
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: dsn, MaxConns: 8, ProbeInterval: 200 * time.Millisecond}, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return &env{dsn: dsn, pool: pool, store: pgstore.New(pool), conn: conn, logs: logs, log: log}
}

// service returns a service over e with small batches and a short lease.
func (e *env) service(emb codebase.Embedder, cfg index.Config) *index.Service {
	if cfg.BatchFiles == 0 {
		cfg.BatchFiles = 3
	}
	if cfg.Lease == 0 {
		cfg.Lease = time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	return index.New(cfg, e.store, blockChunker{}, emb, e.log, nil)
}

// writeTree writes files (path -> content) under root.
func writeTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// chunkRow is what the tests compare of a stored chunk.
type chunkRow struct {
	ID, Path, Symbol, Hash string
	Start, End             int
	HasEmbedding           bool
}

// chunks returns the project's chunks by id.
func (e *env) chunks(tb testing.TB, projectID string) map[string]chunkRow {
	tb.Helper()
	rows, err := e.conn.Query(context.Background(), `SELECT chunk_id, file_path, symbol, content_hash, start_line, end_line,
		embedding IS NOT NULL FROM chunks WHERE project_id = $1`, projectID)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]chunkRow{}
	for rows.Next() {
		var c chunkRow
		if err := rows.Scan(&c.ID, &c.Path, &c.Symbol, &c.Hash, &c.Start, &c.End, &c.HasEmbedding); err != nil {
			tb.Fatal(err)
		}
		out[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func (e *env) count(tb testing.TB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkConsistent verifies the invariants a batch must keep: term_df and
// lexical_stats equal what the chunks say, and every chunk belongs to a
// stored file.
func (e *env) checkConsistent(tb testing.TB, projectID string) {
	tb.Helper()
	if n := e.count(tb, `
		SELECT count(*) FROM (
			SELECT term, df FROM term_df WHERE project_id = $1
			EXCEPT
			SELECT u.lexeme, count(*)::int FROM chunks c, unnest(c.tsv) u WHERE c.project_id = $1 GROUP BY u.lexeme
		) x`, projectID); n != 0 {
		tb.Errorf("term_df has %d rows that differ from the chunks", n)
	}
	if n := e.count(tb, `
		SELECT count(*) FROM (
			SELECT u.lexeme, count(*)::int FROM chunks c, unnest(c.tsv) u WHERE c.project_id = $1 GROUP BY u.lexeme
			EXCEPT
			SELECT term, df FROM term_df WHERE project_id = $1
		) x`, projectID); n != 0 {
		tb.Errorf("%d terms of the chunks are missing from term_df or differ", n)
	}
	if n := e.count(tb, `
		SELECT count(*) FROM lexical_stats s WHERE s.project_id = $1 AND (
			s.n_chunks <> (SELECT count(*) FROM chunks WHERE project_id = $1) OR
			s.sum_len <> (SELECT ARRAY[coalesce(sum(field_len[1]),0), coalesce(sum(field_len[2]),0),
				coalesce(sum(field_len[3]),0), coalesce(sum(field_len[4]),0)]::int8[] FROM chunks WHERE project_id = $1))`,
		projectID); n != 0 {
		tb.Errorf("lexical_stats differs from the chunks")
	}
	if n := e.count(tb, `SELECT count(*) FROM chunks c WHERE c.project_id = $1 AND NOT EXISTS (
		SELECT 1 FROM files f WHERE f.project_id = c.project_id AND f.repository_id = c.repository_id AND f.path = c.file_path)`,
		projectID); n != 0 {
		tb.Errorf("%d chunks belong to no stored file", n)
	}
}

// waitJob polls the job until cond holds.
func waitJob(tb testing.TB, svc *index.Service, id string, limit time.Duration, what string, cond func(index.Job) bool) index.Job {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		j, err := svc.Status(context.Background(), id)
		if err != nil && apperr.CodeOf(err) != apperr.Unavailable { // reconnecting after an outage
			tb.Fatal(err)
		}
		if err == nil && cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s; job = %+v", what, limit, j)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ids(m map[string]chunkRow) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func codeOf(err error) apperr.Code { return apperr.CodeOf(err) }
