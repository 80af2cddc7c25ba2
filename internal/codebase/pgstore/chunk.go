package pgstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
)

// ChunkRow is a chunk to store with its embedding and lexical terms.
type ChunkRow struct {
	codebase.Chunk
	// Embedding is nil when the embedder failed; the next job fills it.
	Embedding []float32
	// TSV is the tsvector of the chunk's weighted terms in PostgreSQL's
	// binary format (terms.Doc.AppendTSVectorBinary builds it).
	TSV []byte
	// FieldLen holds the term counts of classes A..D.
	FieldLen [4]int32
}

// Batch is one unit of index work, written in one transaction.
type Batch struct {
	ProjectID    string
	RepositoryID string
	// Files are stored (or replaced) together with their new chunks: the
	// old chunks of these paths are deleted first.
	Files []FileRow
	// Chunks are all the chunks of Files.
	Chunks []ChunkRow
	// Touched files kept their content (same hash) but not their size or
	// mtime: only these two are updated, chunks stay.
	Touched []FileRow
	// Deleted paths lose their files row and their chunks.
	Deleted []string
	// Progress is written in the same transaction; the batch is refused
	// with [ErrLeaseLost] if the job is no longer Progress.Owner's.
	Progress Progress

	enc *encodedBatch // set by Encode
}

// encodedBatch is what WriteBatch sends of a batch.
type encodedBatch struct {
	replaced      []string // paths whose files row and chunks are replaced or deleted
	files, chunks []byte   // binary COPY data
	nChunks       int
	added         map[string]int // chunks per term among the new chunks
	addLen        [4]int64
	touchPaths    []string
	touchSizes    []int64
	touchTimes    []time.Time
}

// Encode prepares the batch for [Store.WriteBatch] now: the COPY data of
// files and chunks and the term counts. A pipeline calls it off the
// writer's path; WriteBatch encodes a batch that was not. Encode takes a
// snapshot: later changes to Files, Chunks, Touched or Deleted are
// ignored, so the caller may drop them to free memory.
func (b *Batch) Encode() error {
	if b.enc != nil {
		return nil
	}
	repoID, err := uuid.Parse(b.RepositoryID)
	if err != nil {
		return apperr.Invalid("repository_id", "must be a UUID")
	}
	e := &encodedBatch{replaced: make([]string, 0, len(b.Files)+len(b.Deleted)), nChunks: len(b.Chunks),
		added: make(map[string]int)}
	size := 0
	for _, f := range b.Files {
		e.replaced = append(e.replaced, f.Path)
		size += len(f.Content) + len(f.Path) + 200
	}
	e.replaced = append(e.replaced, b.Deleted...)
	if len(b.Files) > 0 {
		cb := newCopyBuf(size)
		for _, f := range b.Files {
			cb.row(9)
			cb.text(b.ProjectID)
			cb.uuid(repoID)
			cb.text(f.Path)
			cb.text(f.Language)
			cb.int8(f.Size)
			cb.timestamptz(f.ModTime.UnixMicro())
			cb.text(f.ContentHash)
			cb.text(f.Content)
			cb.text(f.Commit)
		}
		e.files = cb.bytes()
	}
	if len(b.Chunks) > 0 {
		size = 0
		for _, c := range b.Chunks {
			size += len(c.Content) + len(c.Signature) + len(c.Doc) + len(c.TSV) + 4*len(c.Embedding) + 400
		}
		cb := newCopyBuf(size)
		for _, c := range b.Chunks {
			cb.row(16)
			cb.text(b.ProjectID)
			cb.text(c.ID)
			cb.uuid(repoID)
			cb.text(c.FilePath)
			cb.text(c.Language)
			cb.text(c.Symbol)
			cb.text(c.Kind)
			cb.int4(int32(c.StartLine))
			cb.int4(int32(c.EndLine))
			cb.text(c.Content)
			cb.text(c.Signature)
			cb.text(c.Doc)
			cb.text(c.ContentHash)
			if c.Embedding != nil {
				cb.vector(c.Embedding)
			} else {
				cb.null()
			}
			cb.raw(c.TSV)
			cb.int4Array(c.FieldLen[:])
			if err := countLexemes(c.TSV, e.added); err != nil {
				return fmt.Errorf("chunk %s of %s: %w", c.ID, c.FilePath, err)
			}
			for k := range e.addLen {
				e.addLen[k] += int64(c.FieldLen[k])
			}
		}
		e.chunks = cb.bytes()
	}
	e.touchPaths = make([]string, len(b.Touched))
	e.touchSizes = make([]int64, len(b.Touched))
	e.touchTimes = make([]time.Time, len(b.Touched))
	for i, f := range b.Touched {
		e.touchPaths[i], e.touchSizes[i], e.touchTimes[i] = f.Path, f.Size, f.ModTime
	}
	b.enc = e
	return nil
}

// WriteBatch writes b in one transaction: it deletes the old chunks of
// the batch's files (returning their terms), stores files and chunks with
// COPY, applies the net change to term_df and lexical_stats (moving the
// project's lexical generation when any chunk changed), and updates the
// job's progress. Running it twice has the same effect as once, so a
// batch whose commit outcome is unknown may be written again. It reports
// whether someone asked to cancel the job.
func (s *Store) WriteBatch(ctx context.Context, b Batch) (cancelRequested bool, err error) {
	if err := b.Encode(); err != nil {
		return false, err
	}
	e := b.enc
	err = s.tx(ctx, "write_index_batch", func(ctx context.Context, tx pgx.Tx) error {
		// Lock the job row first: a worker that lost its lease writes nothing.
		cancel, err := updateProgress(ctx, tx, b.Progress)
		if err != nil {
			return err
		}
		cancelRequested = cancel
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
			return err
		}
		delta := make(map[string]int, len(e.added))
		for t, n := range e.added {
			delta[t] = n
		}
		var nDeleted int64
		var delLen [4]int64
		if len(e.replaced) > 0 {
			// Only a path with a files row can have chunks (this method
			// writes both together), so the chunks of the paths whose row
			// went are deleted; a first index, where no path had a row,
			// skips the chunk delete (in a grown table whose statistics
			// are stale it cost a scan per batch).
			const delFiles = `DELETE FROM files WHERE project_id = $1 AND repository_id = $2 AND path = ANY($3) RETURNING path`
			rows, err := tx.Query(ctx, delFiles, b.ProjectID, b.RepositoryID, e.replaced)
			if err != nil {
				return fmt.Errorf("delete files: %w", err)
			}
			had, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("delete files: %w", err)
			}
			if len(had) > 0 {
				nDeleted, delLen, err = deleteChunks(ctx, tx, b.ProjectID, b.RepositoryID, had, delta)
				if err != nil {
					return err
				}
			}
		}
		if e.files != nil {
			const copyFiles = `COPY files (project_id, repository_id, path, language, size, mtime, content_hash, content, commit)
FROM STDIN (FORMAT binary)`
			if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(e.files), copyFiles); err != nil {
				return fmt.Errorf("copy files: %w", err)
			}
		}
		if e.chunks != nil {
			const copyChunks = `COPY chunks (project_id, chunk_id, repository_id, file_path, language, symbol, kind,
	start_line, end_line, content, signature, doc, content_hash, embedding, tsv, field_len) FROM STDIN (FORMAT binary)`
			if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(e.chunks), copyChunks); err != nil {
				return fmt.Errorf("copy chunks: %w", err)
			}
		}
		if len(e.touchPaths) > 0 {
			const touch = `
UPDATE files f SET size = t.size, mtime = t.mtime
FROM unnest($3::text[], $4::int8[], $5::timestamptz[]) AS t(path, size, mtime)
WHERE f.project_id = $1 AND f.repository_id = $2 AND f.path = t.path`
			if _, err := tx.Exec(ctx, touch, b.ProjectID, b.RepositoryID, e.touchPaths, e.touchSizes, e.touchTimes); err != nil {
				return fmt.Errorf("touch files: %w", err)
			}
		}
		if err := applyTermDelta(ctx, tx, b.ProjectID, delta); err != nil {
			return err
		}
		n := int64(e.nChunks) - nDeleted
		var lens [4]int64
		for k := range lens {
			lens[k] = e.addLen[k] - delLen[k]
		}
		// Any chunk written or deleted moves the project's generation, even
		// when the counts and lengths come out unchanged (an edited file
		// whose terms changed but not their number): the search service's
		// in-memory lexicon is keyed by it.
		if e.nChunks > 0 || nDeleted > 0 {
			const stats = `
INSERT INTO lexical_stats (project_id, n_chunks, sum_len) VALUES ($1, $2, $3)
ON CONFLICT (project_id) DO UPDATE SET n_chunks = lexical_stats.n_chunks + excluded.n_chunks,
	sum_len = ARRAY[lexical_stats.sum_len[1] + excluded.sum_len[1], lexical_stats.sum_len[2] + excluded.sum_len[2],
		lexical_stats.sum_len[3] + excluded.sum_len[3], lexical_stats.sum_len[4] + excluded.sum_len[4]],
	generation = nextval('lexical_generation')`
			if _, err := tx.Exec(ctx, stats, b.ProjectID, n, lens[:]); err != nil {
				return fmt.Errorf("lexical stats: %w", err)
			}
		}
		return nil
	})
	if errors.Is(err, ErrLeaseLost) {
		return false, err
	}
	return cancelRequested, mapErr(err, "index batch")
}

var errMalformedTSVector = errors.New("malformed binary tsvector")

// countLexemes adds one to counts for each lexeme of tsv, a tsvector in
// the binary format: an int32 count, then per lexeme its bytes, a NUL, a
// uint16 position count and two bytes per position. The terms counted are
// thereby exactly those stored, which term_df must equal.
func countLexemes(tsv []byte, counts map[string]int) error {
	bad := errMalformedTSVector
	if len(tsv) < 4 {
		return bad
	}
	n := binary.BigEndian.Uint32(tsv)
	rest := tsv[4:]
	for range n {
		end := bytes.IndexByte(rest, 0)
		if end < 0 || len(rest) < end+3 {
			return bad
		}
		lexeme := rest[:end]
		npos := int(binary.BigEndian.Uint16(rest[end+1:]))
		rest = rest[end+3:]
		if len(rest) < 2*npos {
			return bad
		}
		rest = rest[2*npos:]
		counts[string(lexeme)]++
	}
	if len(rest) != 0 {
		return bad
	}
	return nil
}

// deleteChunks deletes the chunks of paths and subtracts their terms from
// delta; it returns how many chunks went and their summed field lengths.
func deleteChunks(ctx context.Context, tx pgx.Tx, projectID, repositoryID string, paths []string, delta map[string]int) (int64, [4]int64, error) {
	// The first row (term NULL) carries the count and the length sums;
	// the others one deleted term each with the number of chunks that had it.
	const q = `
WITH d AS (
	DELETE FROM chunks WHERE project_id = $1 AND repository_id = $2 AND file_path = ANY($3)
	RETURNING tsv, field_len
)
SELECT NULL::text, count(*), coalesce(sum(field_len[1]), 0)::int8, coalesce(sum(field_len[2]), 0)::int8,
	coalesce(sum(field_len[3]), 0)::int8, coalesce(sum(field_len[4]), 0)::int8 FROM d
UNION ALL
SELECT u.lexeme, count(*), 0, 0, 0, 0 FROM d, unnest(d.tsv) AS u GROUP BY u.lexeme`
	rows, err := tx.Query(ctx, q, projectID, repositoryID, paths)
	if err != nil {
		return 0, [4]int64{}, fmt.Errorf("delete chunks: %w", err)
	}
	defer rows.Close()
	var n int64
	var lens [4]int64
	for rows.Next() {
		var term *string
		var cnt int64
		var l [4]int64
		if err := rows.Scan(&term, &cnt, &l[0], &l[1], &l[2], &l[3]); err != nil {
			return 0, lens, err
		}
		if term == nil {
			n, lens = cnt, l
			continue
		}
		delta[*term] -= int(cnt)
	}
	return n, lens, rows.Err()
}

// applyTermDelta adds delta to term_df in one statement over the sorted
// terms (a fixed lock order, so concurrent batches of one project do not
// deadlock), then removes terms no chunk holds any more.
func applyTermDelta(ctx context.Context, tx pgx.Tx, projectID string, delta map[string]int) error {
	terms := make([]string, 0, len(delta))
	for t, d := range delta {
		if d != 0 {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return nil
	}
	sort.Strings(terms)
	ds := make([]int32, len(terms))
	var gone []string
	for i, t := range terms {
		ds[i] = int32(delta[t])
		if ds[i] < 0 {
			gone = append(gone, t)
		}
	}
	const upsert = `
INSERT INTO term_df (project_id, term, df)
SELECT $1, t, d FROM unnest($2::text[], $3::int4[]) AS u(t, d)
ON CONFLICT (project_id, term) DO UPDATE SET df = term_df.df + excluded.df`
	if _, err := tx.Exec(ctx, upsert, projectID, terms, ds); err != nil {
		return fmt.Errorf("term_df: %w", err)
	}
	if len(gone) > 0 {
		const prune = `DELETE FROM term_df WHERE project_id = $1 AND term = ANY($2) AND df <= 0`
		if _, err := tx.Exec(ctx, prune, projectID, gone); err != nil {
			return fmt.Errorf("term_df prune: %w", err)
		}
	}
	return nil
}

// Embeddings returns the stored embeddings of the given content hashes in
// the project, for reuse: content embedded once is not embedded again.
func (s *Store) Embeddings(ctx context.Context, projectID string, hashes []string) (map[string][]float32, error) {
	const q = `
SELECT DISTINCT ON (content_hash) content_hash, embedding FROM chunks
WHERE project_id = $1 AND content_hash = ANY($2) AND embedding IS NOT NULL`
	out := make(map[string][]float32)
	if len(hashes) == 0 {
		return out, nil
	}
	err := s.do(ctx, "reuse_embeddings", func(ctx context.Context, c *pgxpool.Conn) error {
		clear(out)
		rows, err := c.Query(ctx, q, projectID, hashes)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			var v pgvector.Vector
			if err := rows.Scan(&h, &v); err != nil {
				return err
			}
			out[h] = v.Slice()
		}
		return rows.Err()
	})
	return out, mapErr(err, "embeddings")
}

// MissingEmbedding is a chunk waiting for its embedding.
type MissingEmbedding struct {
	ChunkID     string
	ContentHash string
	Content     string
}

// MissingEmbeddings returns up to limit chunks of the project without an
// embedding, in chunk id order after afterID (for paging).
func (s *Store) MissingEmbeddings(ctx context.Context, projectID, afterID string, limit int) ([]MissingEmbedding, error) {
	const q = `
SELECT chunk_id, content_hash, content FROM chunks
WHERE project_id = $1 AND embedding IS NULL AND chunk_id > $2
ORDER BY chunk_id LIMIT $3`
	var out []MissingEmbedding
	err := s.do(ctx, "missing_embeddings", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, projectID, afterID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (MissingEmbedding, error) {
			var m MissingEmbedding
			return m, r.Scan(&m.ChunkID, &m.ContentHash, &m.Content)
		})
		return err
	})
	return out, mapErr(err, "chunks")
}

// SetEmbeddings stores embeddings of chunks by id (chunk id -> vector)
// and renews the job's lease and progress in the same transaction.
func (s *Store) SetEmbeddings(ctx context.Context, projectID string, vecs map[string][]float32, p Progress) (cancelRequested bool, err error) {
	ids := make([]string, 0, len(vecs))
	for id := range vecs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	vs := make([]pgvector.Vector, len(ids))
	for i, id := range ids {
		vs[i] = pgvector.NewVector(vecs[id])
	}
	const q = `
UPDATE chunks c SET embedding = u.v
FROM unnest($2::text[], $3::vector[]) AS u(id, v)
WHERE c.project_id = $1 AND c.chunk_id = u.id`
	err = s.tx(ctx, "set_embeddings", func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if cancelRequested, err = updateProgress(ctx, tx, p); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, q, projectID, ids, vs)
		return err
	})
	if errors.Is(err, ErrLeaseLost) {
		return false, err
	}
	return cancelRequested, mapErr(err, "embeddings")
}

const chunkColumns = `chunk_id, project_id, repository_id::text, file_path, language, symbol, kind,
	start_line, end_line, content, signature, doc, content_hash`

func scanChunk(row pgx.CollectableRow) (codebase.Chunk, error) {
	var c codebase.Chunk
	err := row.Scan(&c.ID, &c.ProjectID, &c.RepositoryID, &c.FilePath, &c.Language, &c.Symbol, &c.Kind,
		&c.StartLine, &c.EndLine, &c.Content, &c.Signature, &c.Doc, &c.ContentHash)
	return c, err
}

// MaxLookup caps the ids of one [Store.LookupChunks] call.
const MaxLookup = 500

// LookupChunks returns the chunks with the given ids, in any project, in
// the order asked (duplicates once), and the ids that do not exist.
// Returns VALIDATION_ERROR for more than [MaxLookup] ids.
func (s *Store) LookupChunks(ctx context.Context, ids []string) (found []codebase.Chunk, missing []string, err error) {
	if len(ids) > MaxLookup {
		return nil, nil, apperr.Invalid("chunk_ids", "at most %d ids per call, got %d", MaxLookup, len(ids))
	}
	uniq := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	q := `SELECT ` + chunkColumns + ` FROM chunks WHERE chunk_id = ANY($1)`
	var got []codebase.Chunk
	err = s.do(ctx, "lookup_chunks", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, uniq)
		if err != nil {
			return err
		}
		got, err = pgx.CollectRows(rows, scanChunk)
		return err
	})
	if err != nil {
		return nil, nil, mapErr(err, "chunks")
	}
	byID := make(map[string]codebase.Chunk, len(got))
	for _, c := range got {
		byID[c.ID] = c
	}
	found = make([]codebase.Chunk, 0, len(got))
	missing = []string{}
	for _, id := range uniq {
		if c, ok := byID[id]; ok {
			found = append(found, c)
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing, nil
}

// GetChunk returns one chunk by id, in any project. Returns NOT_FOUND
// when no chunk has that id.
func (s *Store) GetChunk(ctx context.Context, id string) (codebase.Chunk, error) {
	found, _, err := s.LookupChunks(ctx, []string{id})
	if err != nil {
		return codebase.Chunk{}, err
	}
	if len(found) == 0 {
		return codebase.Chunk{}, apperr.New(apperr.NotFound, "chunk %s not found", id)
	}
	return found[0], nil
}

// CountMissingEmbeddings returns how many chunks of the project have no
// embedding.
func (s *Store) CountMissingEmbeddings(ctx context.Context, projectID string) (int, error) {
	const q = `SELECT count(*) FROM chunks WHERE project_id = $1 AND embedding IS NULL`
	var n int
	err := s.do(ctx, "count_missing_embeddings", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, q, projectID).Scan(&n)
	})
	return n, mapErr(err, "chunks")
}

// ChunksByLanguage counts a repository's chunks per language.
func (s *Store) ChunksByLanguage(ctx context.Context, projectID, repositoryID string) (map[string]int, error) {
	const q = `SELECT language, count(*) FROM chunks WHERE project_id = $1 AND repository_id = $2 GROUP BY language`
	out := map[string]int{}
	err := s.do(ctx, "chunks_by_language", func(ctx context.Context, c *pgxpool.Conn) error {
		clear(out)
		rows, err := c.Query(ctx, q, projectID, repositoryID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var lang string
			var n int
			if err := rows.Scan(&lang, &n); err != nil {
				return err
			}
			out[lang] = n
		}
		return rows.Err()
	})
	return out, mapErr(err, "chunks")
}
