package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Settings are the embedder a project's vectors were made with.
type Settings struct {
	Embedder  string
	Dimension int
}

// Settings returns the project's index settings; ok is false when nothing
// has been indexed in the project yet.
func (s *Store) Settings(ctx context.Context, projectID string) (st Settings, ok bool, err error) {
	const q = `SELECT embedder, dimension FROM index_settings WHERE project_id = $1`
	err = s.do(ctx, "index_settings", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, q, projectID).Scan(&st.Embedder, &st.Dimension)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, mapErr(err, "index settings")
	}
	return st, true, nil
}

// settingsForUpdate reads and locks the settings row inside tx.
func settingsForUpdate(ctx context.Context, tx pgx.Tx, projectID string) (Settings, bool, error) {
	const q = `SELECT embedder, dimension FROM index_settings WHERE project_id = $1 FOR UPDATE`
	var st Settings
	err := tx.QueryRow(ctx, q, projectID).Scan(&st.Embedder, &st.Dimension)
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{}, false, nil
	}
	return st, err == nil, err
}

// replaceSettings records st for the project and, when the embedder
// changes, clears every embedding of the project: vectors of different
// embedders cannot be compared, so the next jobs re-embed them all.
func replaceSettings(ctx context.Context, tx pgx.Tx, projectID string, st Settings, clear bool) error {
	const q = `
INSERT INTO index_settings (project_id, embedder, dimension) VALUES ($1, $2, $3)
ON CONFLICT (project_id) DO UPDATE SET embedder = excluded.embedder, dimension = excluded.dimension, updated_at = now()`
	if _, err := tx.Exec(ctx, q, projectID, st.Embedder, st.Dimension); err != nil {
		return err
	}
	if !clear {
		return nil
	}
	// A big project takes a while; the default statement timeout is for requests.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return err
	}
	const clearQ = `UPDATE chunks SET embedding = NULL WHERE project_id = $1 AND embedding IS NOT NULL`
	_, err := tx.Exec(ctx, clearQ, projectID)
	return err
}
