package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/codebase/terms"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// refusing is a store on a private cluster that connects as a role "app"
// the test takes privileges from, an admin connection that does so, and
// one indexed repository: files a.py and b.py with one chunk each.
type refusing struct {
	s     *pgstore.Store
	db    *dbtest.Restricted
	admin *pgx.Conn
	job   pgstore.Job
	prog  pgstore.Progress
}

func newRefusing(t *testing.T) *refusing {
	t.Helper()
	ctx := context.Background()
	db := dbtest.NewRestricted(t, "codebase", migrations.Codebase())
	admin := db.Admin
	r := &refusing{db: db, admin: admin}
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: db.AppDSN, MaxConns: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	r.s = pgstore.New(pool)
	r.job, _, err = r.s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r", Settings: pgstore.Settings{Embedder: "test", Dimension: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := r.s.ClaimJob(ctx, "w1", time.Minute, r.job.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	r.prog = pgstore.Progress{ProjectID: "default", JobID: r.job.ID, Owner: "w1", Phase: "indexing"}
	a, b := r.file("a.py", "def alpha(): pass\n"), r.file("b.py", "def beta(): pass\n")
	if _, err := r.s.WriteBatch(ctx, r.batch([]pgstore.FileRow{a, b},
		r.chunk("id-a", a, "alpha", []float32{1, 0, 0}), r.chunk("id-b", b, "beta", nil))); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *refusing) exec(t *testing.T, q string) {
	t.Helper()
	r.db.Exec(t, q)
}

func (r *refusing) file(path, content string) pgstore.FileRow {
	return pgstore.FileRow{File: codebase.File{Path: path, Language: "python", Size: int64(len(content)), ModTime: time.Unix(1700000000, 0)},
		ContentHash: codebase.ContentHash([]byte(content)), Content: content, Commit: "abc"}
}

func (r *refusing) chunk(id string, f pgstore.FileRow, symbol string, emb []float32) pgstore.ChunkRow {
	c := codebase.Chunk{ID: id, ProjectID: "default", RepositoryID: r.job.RepositoryID, FilePath: f.Path, Language: "python",
		Symbol: symbol, Kind: codebase.KindFunction, StartLine: 1, EndLine: 1, Content: f.Content,
		Signature: "def " + symbol + "():", Doc: "Does " + symbol + ".", ContentHash: f.ContentHash}
	d := terms.ForChunk(c)
	return pgstore.ChunkRow{Chunk: c, Embedding: emb, TSV: d.AppendTSVectorBinary(nil),
		FieldLen: [4]int32{int32(d.Len(0)), int32(d.Len(1)), int32(d.Len(2)), int32(d.Len(3))}}
}

func (r *refusing) batch(files []pgstore.FileRow, chunks ...pgstore.ChunkRow) pgstore.Batch {
	return pgstore.Batch{ProjectID: "default", RepositoryID: r.job.RepositoryID, Files: files, Chunks: chunks, Progress: r.prog}
}

// state is everything a batch writes, as one comparable string.
func (r *refusing) state(t *testing.T) string {
	t.Helper()
	var s string
	if err := r.admin.QueryRow(context.Background(), `SELECT concat_ws(' | ',
		(SELECT string_agg(path || ':' || size || ':' || content_hash, ',' ORDER BY path) FROM files),
		(SELECT string_agg(chunk_id || ':' || file_path, ',' ORDER BY chunk_id) FROM chunks),
		(SELECT string_agg(term || ':' || df, ',' ORDER BY term) FROM term_df),
		(SELECT n_chunks || ':' || generation || ':' || sum_len::text FROM lexical_stats),
		(SELECT files_done || ':' || chunks_written FROM index_jobs))`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func denied(err error) bool { return err != nil && strings.Contains(err.Error(), "permission denied") }

// TestStore_WriteBatchRefused refuses one statement of a batch at a time
// (PostgreSQL's "permission denied" on the table or sequence it writes,
// after the statements before it succeeded): WriteBatch returns the
// database's error, not ErrLeaseLost nor a caller's error, nothing of the
// batch is stored (files, chunks, term_df, lexical_stats and the job's
// progress as before), and the same batch succeeds with the privilege back.
func TestStore_WriteBatchRefused(t *testing.T) {
	r := newRefusing(t)
	ctx := context.Background()
	n := 0
	// Each write replaces a.py (new content and chunk), deletes b.py's
	// successor, adds a file and touches another, so every statement runs.
	for _, tc := range []struct{ name, privilege, object string }{
		{"job progress", "UPDATE", "index_jobs"},
		{"file delete", "DELETE", "files"},
		{"chunk delete", "DELETE", "chunks"},
		{"file copy", "INSERT", "files"},
		{"chunk copy", "INSERT", "chunks"},
		{"file touch", "UPDATE", "files"},
		{"term_df insert", "INSERT", "term_df"},
		{"term_df prune", "DELETE", "term_df"},
		{"lexical stats", "UPDATE", "lexical_stats"},
		{"lexical generation", "USAGE, UPDATE", "SEQUENCE lexical_generation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n++
			a := r.file("a.py", fmt.Sprintf("def alpha%d(): pass\n", n))
			c := r.file(fmt.Sprintf("c%d.py", n), fmt.Sprintf("def gamma%d(): pass\n", n))
			b := r.file("b.py", "def beta(): pass\n")
			b.Size++ // same content, another size: a touch
			batch := r.batch([]pgstore.FileRow{a, c},
				r.chunk(fmt.Sprintf("id-a%d", n), a, fmt.Sprintf("alpha%d", n), []float32{0, 1, 0}),
				r.chunk(fmt.Sprintf("id-c%d", n), c, fmt.Sprintf("gamma%d", n), nil))
			batch.Touched = []pgstore.FileRow{b}
			if n > 1 {
				batch.Deleted = []string{fmt.Sprintf("c%d.py", n-1)}
			}
			batch.Progress.FilesDone, batch.Progress.ChunksWritten = n, 2*n
			before := r.state(t)
			r.exec(t, "REVOKE "+tc.privilege+" ON "+tc.object+" FROM app")
			_, err := r.s.WriteBatch(ctx, batch)
			r.exec(t, "GRANT "+tc.privilege+" ON "+tc.object+" TO app")
			if !denied(err) {
				t.Fatalf("WriteBatch without %s on %s: %v, want the database's permission denied", tc.privilege, tc.object, err)
			}
			if code := apperr.CodeOf(err); code == apperr.Validation || code == apperr.NotFound || errors.Is(err, pgstore.ErrLeaseLost) {
				t.Errorf("the refusal blames the caller (%s): %v", code, err)
			}
			if after := r.state(t); after != before {
				t.Fatalf("a refused batch changed the index:\n before %s\n after  %s", before, after)
			}
			if _, err := r.s.WriteBatch(ctx, batch); err != nil {
				t.Fatalf("with the privilege back: %v", err)
			}
			if r.state(t) == before {
				t.Fatal("the batch with the privilege back changed nothing")
			}
			checkLexical(t, r.admin, 3)
		})
	}
}

// TestStore_WriteBatchRejected: a batch of a job whose lease another
// worker took, one with a repository id that is not a UUID and one with a
// malformed tsvector are refused before anything is written.
func TestStore_WriteBatchRejected(t *testing.T) {
	r := newRefusing(t)
	ctx := context.Background()
	before := r.state(t)
	a := r.file("a.py", "def alpha2(): pass\n")
	good := r.batch([]pgstore.FileRow{a}, r.chunk("id-a2", a, "alpha2", nil))

	bad := good
	bad.RepositoryID = "not-a-uuid"
	if _, err := r.s.WriteBatch(ctx, bad); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("repository id not a UUID: %v, want %s", err, apperr.Validation)
	}
	for name, tsv := range map[string][]byte{
		"short":               {0, 0},
		"no lexeme end":       {0, 0, 0, 1, 'a', 'b'},
		"positions cut off":   {0, 0, 0, 1, 'a', 0, 0, 2, 0x40},
		"trailing bytes":      {0, 0, 0, 1, 'a', 0, 0, 0, 'x'},
		"count over contents": {0, 0, 0, 2, 'a', 0, 0, 0},
	} {
		b := r.batch([]pgstore.FileRow{a}, r.chunk("id-a2", a, "alpha2", nil))
		b.Chunks[0].TSV = tsv
		if _, err := r.s.WriteBatch(ctx, b); err == nil || !strings.Contains(err.Error(), "malformed binary tsvector") {
			t.Errorf("tsvector %s: %v, want malformed", name, err)
		}
	}
	if _, ok, err := r.s.ClaimJob(ctx, "w2", 0, r.job.ID); err != nil || !ok {
		t.Fatalf("take-over: %v %v", ok, err)
	}
	if _, err := r.s.WriteBatch(ctx, good); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("batch of the old owner: %v, want ErrLeaseLost", err)
	}
	if _, err := r.s.SetEmbeddings(ctx, "default", map[string][]float32{"id-b": {0, 0, 1}}, r.prog); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Errorf("embeddings of the old owner: %v, want ErrLeaseLost", err)
	}
	if after := r.state(t); after != before {
		t.Fatalf("a rejected batch changed the index:\n before %s\n after  %s", before, after)
	}
	var emb *string
	if err := r.admin.QueryRow(ctx, `SELECT embedding::text FROM chunks WHERE chunk_id = 'id-b'`).Scan(&emb); err != nil || emb != nil {
		t.Errorf("embedding of id-b after the refused SetEmbeddings: %v %v", emb, err)
	}
}

// TestStore_ReadsRefused runs the search and chunk reads as a role without
// one privilege they need: each fails with the database's error rather
// than an empty or partial answer (no chunks, no embeddings, no
// statistics), and succeeds with the privilege back.
func TestStore_ReadsRefused(t *testing.T) {
	r := newRefusing(t)
	ctx := context.Background()
	s := r.s
	repo := r.job.RepositoryID
	lexicon := func() error {
		n := 0
		err := s.ReadLexicon(ctx, "default", func(search.LexiconHeader) error { return nil },
			func(*search.LexiconChunk) error { n++; return nil })
		if err == nil && n != 2 {
			return fmt.Errorf("lexicon of %d chunks, want 2", n)
		}
		return err
	}
	nonEmpty := func(n int, err error) error {
		if err == nil && n == 0 {
			return errors.New("an empty answer")
		}
		return err
	}
	for _, tc := range []struct {
		name, revoke string
		call         func() error
	}{
		{"SearchState associations", "SELECT ON search_associations", func() error {
			_, err := s.SearchState(ctx, search.StateQuery{ProjectID: "default", Words: []string{"alpha"}})
			return err
		}},
		{"LexicalStats", "SELECT ON lexical_stats", func() error {
			st, err := s.LexicalStats(ctx, "default", []string{"alpha"})
			return nonEmpty(int(st.N), err)
		}},
		{"LexicalStats df", "SELECT ON term_df", func() error {
			st, err := s.LexicalStats(ctx, "default", []string{"alpha"})
			return nonEmpty(len(st.DF), err)
		}},
		{"LexicalCandidates", "SELECT ON search_generated_files", func() error {
			c, err := s.LexicalCandidates(ctx, search.CandidateQuery{Filter: search.Filter{ProjectID: "default"},
				MatchTerms: []string{"alpha"}, ScoreTerms: []string{"alpha"}, Limit: 10})
			return nonEmpty(len(c), err)
		}},
		{"VectorScores", "SELECT ON chunks", func() error {
			m, err := s.VectorScores(ctx, "default", []float32{1, 0, 0}, []string{"id-a"})
			return nonEmpty(len(m), err)
		}},
		{"VectorNearest", "SELECT ON chunks", func() error {
			n, err := s.VectorNearest(ctx, "default", []float32{1, 0, 0}, search.Filter{}, 5)
			return nonEmpty(len(n), err)
		}},
		{"IndexEmbedder", "SELECT ON index_settings", func() error {
			name, err := s.IndexEmbedder(ctx, "default")
			return nonEmpty(len(name), err)
		}},
		{"ReplaceAssociations insert", "INSERT ON search_associations", func() error {
			return s.ReplaceAssociations(ctx, "default", map[string][]search.Association{"alpha": {{Term: "alpha", P: 1}}})
		}},
		{"ReplaceAssociations delete", "DELETE ON search_associations", func() error {
			return s.ReplaceAssociations(ctx, "default", map[string][]search.Association{"alpha": {{Term: "alpha", P: 1}}})
		}},
		{"TrainingDocs", "SELECT ON chunks", func() error {
			n := 0
			err := s.TrainingDocs(ctx, "default", func(string, []string) error { n++; return nil })
			return nonEmpty(n, err)
		}},
		{"RefreshGenerated delete", "DELETE ON search_generated_files", func() error { _, err := s.RefreshGenerated(ctx, "default"); return err }},
		{"RefreshGenerated insert", "INSERT ON search_generated_files", func() error { _, err := s.RefreshGenerated(ctx, "default"); return err }},
		{"RefreshGenerated generation", "UPDATE ON lexical_stats", func() error { _, err := s.RefreshGenerated(ctx, "default"); return err }},
		{"ChunkRows", "SELECT ON files", func() error {
			m, err := s.ChunkRows(ctx, "default", []string{"id-a"})
			return nonEmpty(len(m), err)
		}},
		{"ReadLexicon header", "SELECT ON lexical_stats", lexicon},
		{"ReadLexicon generated files", "SELECT ON search_generated_files", lexicon},
		{"ReadLexicon chunks", "SELECT ON chunks", lexicon},
		{"Embeddings", "SELECT ON chunks", func() error {
			m, err := s.Embeddings(ctx, "default", []string{codebase.ContentHash([]byte("def alpha(): pass\n"))})
			return nonEmpty(len(m), err)
		}},
		{"MissingEmbeddings", "SELECT ON chunks", func() error {
			m, err := s.MissingEmbeddings(ctx, "default", "", 10)
			return nonEmpty(len(m), err)
		}},
		{"SetEmbeddings progress", "UPDATE ON index_jobs", func() error {
			_, err := s.SetEmbeddings(ctx, "default", map[string][]float32{"id-b": {0, 0, 1}}, r.prog)
			return err
		}},
		{"GetChunk", "SELECT ON chunks", func() error { _, err := s.GetChunk(ctx, "id-a"); return err }},
		{"ChunksByLanguage", "SELECT ON chunks", func() error {
			m, err := s.ChunksByLanguage(ctx, "default", repo)
			return nonEmpty(len(m), err)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := r.state(t)
			r.exec(t, "REVOKE "+tc.revoke+" FROM app")
			err := tc.call()
			r.exec(t, "GRANT "+tc.revoke+" TO app")
			if !denied(err) {
				t.Fatalf("err = %v, want the database's permission denied", err)
			}
			if code := apperr.CodeOf(err); code == apperr.NotFound || code == apperr.Validation {
				t.Errorf("the refusal blames the caller (%s): %v", code, err)
			}
			if after := r.state(t); after != before {
				t.Errorf("the refused call changed rows: %s -> %s", before, after)
			}
			if err := tc.call(); err != nil {
				t.Errorf("with the privilege back: %v", err)
			}
		})
	}
}

// TestStore_ReadLexiconCallbackError: an error from ReadLexicon's header
// or chunk callback, or from TrainingDocs' callback, stops the read and is
// returned as is; unknown and too many chunk ids are the caller's error.
func TestStore_ReadLexiconCallbackError(t *testing.T) {
	r := newRefusing(t)
	ctx := context.Background()
	stop := errors.New("stop")
	chunks := 0
	err := r.s.ReadLexicon(ctx, "default", func(search.LexiconHeader) error { return stop },
		func(*search.LexiconChunk) error { chunks++; return nil })
	if !errors.Is(err, stop) || chunks != 0 {
		t.Errorf("header callback error: %v after %d chunks, want stop before any chunk", err, chunks)
	}
	err = r.s.ReadLexicon(ctx, "default", func(search.LexiconHeader) error { return nil },
		func(*search.LexiconChunk) error { chunks++; return stop })
	if !errors.Is(err, stop) || chunks != 1 {
		t.Errorf("chunk callback error: %v after %d chunks, want stop after the first", err, chunks)
	}
	docs := 0
	err = r.s.TrainingDocs(ctx, "default", func(string, []string) error { docs++; return stop })
	if !errors.Is(err, stop) || docs != 1 {
		t.Errorf("TrainingDocs callback error: %v after %d docs, want stop after the first", err, docs)
	}
	if _, err := r.s.GetChunk(ctx, "no-such-chunk"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("GetChunk of an unknown id: %v, want %s", err, apperr.NotFound)
	}
	if _, _, err := r.s.LookupChunks(ctx, make([]string, pgstore.MaxLookup+1)); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("LookupChunks over the cap: %v, want %s", err, apperr.Validation)
	}
}
