package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/codebase/search"
)

// ReadLexicon reads what the search service's in-memory lexicon holds of a
// project, in one REPEATABLE READ snapshot so the generation, statistics,
// generated files and chunks agree: header first, then every chunk with its
// tsvector in binary form (tsvectorsend: cheaper for the server than the
// text form, and no escapes to parse). It reads through [Store.do], so it
// follows the store's read routing, and runs without the per-statement
// timeout (it reads the whole project).
func (s *Store) ReadLexicon(ctx context.Context, projectID string, header func(search.LexiconHeader) error,
	chunk func(*search.LexiconChunk) error) error {
	const qHeader = `SELECT generation, n_chunks, sum_len FROM lexical_stats WHERE project_id = $1`
	const qGenerated = `SELECT repository_id::text, path FROM search_generated_files WHERE project_id = $1`
	const qChunks = `SELECT chunk_id, repository_id::text, file_path, language, kind, symbol, start_line, end_line,
	       field_len, tsvectorsend(tsv)
	    FROM chunks WHERE project_id = $1`
	err := s.do(ctx, "search_read_lexicon", func(ctx context.Context, c *pgxpool.Conn) error {
		tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // read-only: nothing to lose
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
			return err
		}
		var h search.LexiconHeader
		var sum []int64
		err = tx.QueryRow(ctx, qHeader, projectID).Scan(&h.Generation, &h.N, &sum)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		copy(h.SumLen[:], sum)
		rows, err := tx.Query(ctx, qGenerated, projectID)
		if err != nil {
			return err
		}
		h.Generated, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (search.FileKey, error) {
			var k search.FileKey
			return k, r.Scan(&k.RepositoryID, &k.Path)
		})
		if err != nil {
			return err
		}
		if err := header(h); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, qChunks, projectID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var lc search.LexiconChunk
		var fl []int32
		// DriverBytes points into the connection's buffer: no copy of the
		// tsvector, which is valid until the next row (as documented).
		var tsv pgtype.DriverBytes
		for rows.Next() {
			if err := rows.Scan(&lc.ChunkID, &lc.RepositoryID, &lc.FilePath, &lc.Language, &lc.Kind, &lc.Symbol,
				&lc.StartLine, &lc.EndLine, &fl, &tsv); err != nil {
				return err
			}
			lc.TSV = tsv
			lc.FieldLen = [search.Classes]int{}
			for i := 0; i < len(fl) && i < search.Classes; i++ {
				lc.FieldLen[i] = int(fl[i])
			}
			if err := chunk(&lc); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return mapErr(err, "lexicon of project "+projectID)
}
