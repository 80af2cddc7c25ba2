package pgstore_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/terms"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestStore_WriteBatch_RoundTrip writes files and chunks with the binary
// COPY encoder and reads every column back; then replaces one file,
// deletes the other, writes a batch twice (as after an unknown commit
// outcome) and checks term_df and lexical_stats against the chunks.
func TestStore_WriteBatch_RoundTrip(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.New(t, migrations.Codebase())
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: dsn, MaxConns: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := pgstore.New(pool)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })

	job, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r", Settings: pgstore.Settings{Embedder: "test", Dimension: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w1", time.Minute, job.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	prog := pgstore.Progress{ProjectID: "default", JobID: job.ID, Owner: "w1", Phase: "indexing"}
	mtime := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.FixedZone("x", 3600))
	file := func(p, content string) pgstore.FileRow {
		return pgstore.FileRow{File: codebase.File{Path: p, Language: "python", Size: int64(len(content)), ModTime: mtime},
			ContentHash: codebase.ContentHash([]byte(content)), Content: content, Commit: "abc"}
	}
	chunk := func(id, p, symbol, content string, emb []float32) pgstore.ChunkRow {
		c := codebase.Chunk{ID: id, ProjectID: "default", RepositoryID: job.RepositoryID, FilePath: p, Language: "python",
			Symbol: symbol, Kind: codebase.KindFunction, StartLine: 2, EndLine: 40000, Content: content,
			Signature: "def " + symbol + "():", Doc: "Dóc ✓", ContentHash: codebase.ContentHash([]byte(content))}
		d := terms.ForChunk(c)
		return pgstore.ChunkRow{Chunk: c, Embedding: emb, TSV: d.AppendTSVectorBinary(nil),
			FieldLen: [4]int32{int32(d.Len(0)), int32(d.Len(1)), int32(d.Len(2)), -7}}
	}
	a := file("pkg/a.py", "def alpha():\n    return 'héllo ✓'\n")
	b := file("pkg/b.py", "def beta(): pass\n")
	ca := chunk("id-a", a.Path, "alpha", a.Content, []float32{0.5, -1.25, 3e-8})
	cb := chunk("id-b", b.Path, "it's", b.Content, nil)
	batch := pgstore.Batch{ProjectID: "default", RepositoryID: job.RepositoryID,
		Files: []pgstore.FileRow{a, b}, Chunks: []pgstore.ChunkRow{ca, cb}, Progress: prog}
	for range 2 { // the second write replaces the first
		if _, err := s.WriteBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	var path, lang, hash, content, commit string
	var size int64
	var got time.Time
	if err := conn.QueryRow(ctx, `SELECT path, language, size, mtime, content_hash, content, commit FROM files WHERE path = $1`, a.Path).
		Scan(&path, &lang, &size, &got, &hash, &content, &commit); err != nil {
		t.Fatal(err)
	}
	if path != a.Path || lang != a.Language || size != a.Size || !got.Equal(mtime) || hash != a.ContentHash || content != a.Content || commit != "abc" {
		t.Errorf("file row = %q %q %d %s %q %q %q", path, lang, size, got, hash, content, commit)
	}

	type stored struct {
		codebase.Chunk
		Emb      []float32
		TSV      string
		FieldLen []int32
	}
	read := func(id string) stored {
		t.Helper()
		var c stored
		var emb *string
		if err := conn.QueryRow(ctx, `SELECT chunk_id, repository_id::text, file_path, language, symbol, kind, start_line, end_line,
			content, signature, doc, content_hash, embedding::text, tsv::text, field_len FROM chunks WHERE chunk_id = $1`, id).
			Scan(&c.ID, &c.RepositoryID, &c.FilePath, &c.Language, &c.Symbol, &c.Kind, &c.StartLine, &c.EndLine,
				&c.Content, &c.Signature, &c.Doc, &c.ContentHash, &emb, &c.TSV, &c.FieldLen); err != nil {
			t.Fatal(err)
		}
		if emb != nil {
			if err := conn.QueryRow(ctx, `SELECT $1::vector::real[]`, *emb).Scan(&c.Emb); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	for _, want := range []pgstore.ChunkRow{ca, cb} {
		c := read(want.ID)
		w := want.Chunk
		if c.RepositoryID != w.RepositoryID || c.FilePath != w.FilePath || c.Language != w.Language || c.Symbol != w.Symbol ||
			c.Kind != w.Kind || c.StartLine != w.StartLine || c.EndLine != w.EndLine || c.Content != w.Content ||
			c.Signature != w.Signature || c.Doc != w.Doc || c.ContentHash != w.ContentHash {
			t.Errorf("chunk %s = %+v, want %+v", w.ID, c.Chunk, w)
		}
		if !slices.Equal(c.Emb, want.Embedding) {
			t.Errorf("chunk %s embedding = %v, want %v", w.ID, c.Emb, want.Embedding)
		}
		if wantTSV := terms.ForChunk(w).TSVector(); c.TSV != wantTSV {
			t.Errorf("chunk %s tsv = %s, want %s", w.ID, c.TSV, wantTSV)
		}
		if !slices.Equal(c.FieldLen, want.FieldLen[:]) {
			t.Errorf("chunk %s field_len = %v, want %v", w.ID, c.FieldLen, want.FieldLen)
		}
	}
	checkLexical(t, conn, 2)

	// a changes (new chunk), b is deleted.
	a2 := file(a.Path, "def gamma(): return 1\n")
	ca2 := chunk("id-a2", a.Path, "gamma", a2.Content, []float32{1, 2, 3})
	if _, err := s.WriteBatch(ctx, pgstore.Batch{ProjectID: "default", RepositoryID: job.RepositoryID,
		Files: []pgstore.FileRow{a2}, Chunks: []pgstore.ChunkRow{ca2}, Deleted: []string{b.Path}, Progress: prog}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	rows, _ := conn.Query(ctx, `SELECT chunk_id FROM chunks ORDER BY 1`)
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"id-a2"}) {
		t.Errorf("chunks after replace and delete = %v, want [id-a2]", ids)
	}
	var nFiles int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM files`).Scan(&nFiles); err != nil || nFiles != 1 {
		t.Errorf("files after delete = %d (%v), want 1", nFiles, err)
	}
	checkLexical(t, conn, 1)
}

// checkLexical compares term_df and lexical_stats with the stored chunks.
func checkLexical(t *testing.T, conn *pgx.Conn, chunks int) {
	t.Helper()
	ctx := context.Background()
	var diff int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (
		(SELECT term, df FROM term_df EXCEPT SELECT u.lexeme, count(*)::int FROM chunks c, unnest(c.tsv) u GROUP BY 1)
		UNION ALL
		(SELECT u.lexeme, count(*)::int FROM chunks c, unnest(c.tsv) u GROUP BY 1 EXCEPT SELECT term, df FROM term_df)) x`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Errorf("term_df differs from the chunks in %d rows", diff)
	}
	var n int
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT n_chunks, sum_len = (SELECT ARRAY[sum(field_len[1]), sum(field_len[2]), sum(field_len[3]),
		sum(field_len[4])]::int8[] FROM chunks) FROM lexical_stats`).Scan(&n, &ok); err != nil {
		t.Fatal(err)
	}
	if n != chunks || !ok {
		t.Errorf("lexical_stats: n_chunks %d (want %d), sum_len matches %v", n, chunks, ok)
	}
}
