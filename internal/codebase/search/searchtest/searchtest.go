// Package searchtest loads repositories into a codebase-mcp database for
// the search tests, evaluation and benchmarks: files are chunked, turned
// into terms with the indexing code (terms.ForChunk) and written with the
// rows, document frequencies and statistics the storage contract
// describes. It is a minimal stand-in for the index service, which the
// search package must not depend on.
package searchtest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/pgvector/pgvector-go"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

// Source is one file to index.
type Source struct {
	// Path is relative to the repository root, with forward slashes.
	Path     string
	Language string
	Content  []byte
	ModTime  time.Time
}

// Repo describes a repository to load.
type Repo struct {
	ProjectID string
	// RepositoryID is generated when empty.
	RepositoryID string
	// Root is the repository's absolute root (for stale checks).
	Root   string
	Commit string
}

// Loaded reports what [Load] wrote.
type Loaded struct {
	RepositoryID string
	Files        int
	Chunks       []codebase.Chunk
}

// ChunkFunc cuts one file into chunks.
type ChunkFunc func(ctx context.Context, language string, src []byte) []codebase.Chunk

// Load writes files into the database at conn: project, repository, files
// and chunks with their tsvector and field lengths, then adds to term_df
// and lexical_stats (moving the project's lexical generation, as the index
// service's writes do). When emb is not nil every chunk gets an embedding and
// index_settings records the embedder.
func Load(ctx context.Context, tb testing.TB, conn *pgx.Conn, r Repo, files []Source, chunk ChunkFunc, emb codebase.Embedder) Loaded {
	tb.Helper()
	if r.RepositoryID == "" {
		r.RepositoryID = uuid.NewString()
	}
	must := func(err error, what string) {
		if err != nil {
			tb.Fatalf("searchtest: %s: %v", what, err)
		}
	}
	tx, err := conn.Begin(ctx)
	must(err, "begin")
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `INSERT INTO projects (project_id) VALUES ($1) ON CONFLICT DO NOTHING`, r.ProjectID)
	must(err, "project")
	embName, dim := "", 0
	if emb != nil {
		embName, dim = emb.Name(), emb.Dimension()
		_, err = tx.Exec(ctx, `INSERT INTO index_settings (project_id, embedder, dimension) VALUES ($1, $2, $3)
		    ON CONFLICT (project_id) DO UPDATE SET embedder = excluded.embedder, dimension = excluded.dimension`, r.ProjectID, embName, dim)
		must(err, "index settings")
	}
	_, err = tx.Exec(ctx, `INSERT INTO repositories (project_id, repository_id, path, commit, indexed_at, embedder, dimension)
	    VALUES ($1, $2, $3, $4, now(), $5, $6)`, r.ProjectID, r.RepositoryID, r.Root, r.Commit, embName, dim)
	must(err, "repository")

	var fileRows, chunkRows [][]any
	var all []codebase.Chunk
	df := map[string]int{}
	var sumLen [4]int64
	for _, f := range files {
		mt := f.ModTime
		if mt.IsZero() {
			mt = time.Now()
		}
		fileRows = append(fileRows, []any{r.ProjectID, r.RepositoryID, f.Path, f.Language, int64(len(f.Content)),
			mt.Truncate(time.Microsecond), codebase.ContentHash(f.Content), string(f.Content), r.Commit})
		seen := map[string]int{}
		for _, c := range chunk(ctx, f.Language, f.Content) {
			c.ProjectID, c.RepositoryID, c.FilePath = r.ProjectID, r.RepositoryID, f.Path
			if c.Language == "" {
				c.Language = f.Language
			}
			if c.ContentHash == "" {
				c.ContentHash = codebase.ContentHash([]byte(c.Content))
			}
			key := c.Symbol + "\x00" + c.ContentHash
			c.ID = codebase.ChunkID(r.ProjectID, r.RepositoryID, f.Path, c.Symbol, c.ContentHash, seen[key])
			seen[key]++
			d := terms.ForChunk(c)
			var tsv pgtype.TSVector
			must(tsv.Scan(d.TSVector()), "tsvector of "+f.Path)
			fl := []int32{int32(d.Len(terms.ClassA)), int32(d.Len(terms.ClassB)), int32(d.Len(terms.ClassC)), int32(d.Len(terms.ClassD))}
			for i := range sumLen {
				sumLen[i] += int64(fl[i])
			}
			// The lexemes stored, as the index service counts them: a huge
			// chunk's tsvector leaves out terms past PostgreSQL's size limit.
			for _, l := range tsv.Lexemes {
				df[l.Word]++
			}
			all = append(all, c)
			chunkRows = append(chunkRows, []any{r.ProjectID, c.ID, r.RepositoryID, c.FilePath, c.Language, c.Symbol, c.Kind,
				int32(c.StartLine), int32(c.EndLine), c.Content, c.Signature, c.Doc, c.ContentHash, nil, tsv, fl})
		}
	}
	if emb != nil {
		const batch = 256
		for i := 0; i < len(all); i += batch {
			j := min(i+batch, len(all))
			texts := make([]string, j-i)
			for k := range texts {
				texts[k] = all[i+k].Content
			}
			vecs, err := emb.Embed(ctx, texts)
			must(err, "embed")
			for k, v := range vecs {
				chunkRows[i+k][13] = pgvector.NewVector(v)
			}
		}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"files"},
		[]string{"project_id", "repository_id", "path", "language", "size", "mtime", "content_hash", "content", "commit"},
		pgx.CopyFromRows(fileRows))
	must(err, "copy files")
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunks"},
		[]string{"project_id", "chunk_id", "repository_id", "file_path", "language", "symbol", "kind",
			"start_line", "end_line", "content", "signature", "doc", "content_hash", "embedding", "tsv", "field_len"},
		pgx.CopyFromRows(chunkRows))
	must(err, "copy chunks")
	ts := make([]string, 0, len(df))
	for t := range df {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	ns := make([]int32, len(ts))
	for i, t := range ts {
		ns[i] = int32(df[t])
	}
	_, err = tx.Exec(ctx, `INSERT INTO term_df (project_id, term, df) SELECT $1, t, n FROM unnest($2::text[], $3::int4[]) AS x(t, n)
	    ON CONFLICT (project_id, term) DO UPDATE SET df = term_df.df + excluded.df`, r.ProjectID, ts, ns)
	must(err, "term_df")
	_, err = tx.Exec(ctx, `INSERT INTO lexical_stats (project_id, n_chunks, sum_len) VALUES ($1, $2, $3)
	    ON CONFLICT (project_id) DO UPDATE SET n_chunks = lexical_stats.n_chunks + excluded.n_chunks,
	    sum_len = ARRAY[lexical_stats.sum_len[1] + excluded.sum_len[1], lexical_stats.sum_len[2] + excluded.sum_len[2],
	                    lexical_stats.sum_len[3] + excluded.sum_len[3], lexical_stats.sum_len[4] + excluded.sum_len[4]],
	    generation = nextval('lexical_generation')`,
		r.ProjectID, int64(len(chunkRows)), sumLen[:])
	must(err, "lexical_stats")
	_, err = tx.Exec(ctx, `UPDATE repositories SET file_count = $3, chunk_count = $4 WHERE project_id = $1 AND repository_id = $2`,
		r.ProjectID, r.RepositoryID, len(fileRows), len(chunkRows))
	must(err, "repository counts")
	must(tx.Commit(ctx), "commit")
	_, err = conn.Exec(ctx, `ANALYZE chunks; ANALYZE term_df; ANALYZE files`)
	must(err, "analyze")
	return Loaded{RepositoryID: r.RepositoryID, Files: len(fileRows), Chunks: all}
}

// WriteTree writes files under root (for stale checks against the disk)
// and returns them as sources with their modification times.
func WriteTree(tb testing.TB, root string, files map[string]string) []Source {
	tb.Helper()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []Source
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(files[p]), 0o644); err != nil {
			tb.Fatal(err)
		}
		fi, err := os.Stat(full)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, Source{Path: p, Language: languageOf(p), Content: []byte(files[p]), ModTime: fi.ModTime()})
	}
	return out
}

func languageOf(p string) string {
	switch filepath.Ext(p) {
	case ".go":
		return "go"
	case ".py":
		return "python"
	case ".ts":
		return "typescript"
	case ".js":
		return "javascript"
	}
	return "text"
}
