package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ProjectExists reports whether the project has been created (by the
// migration for "default", by its first index job for any other). A
// project the replica does not know yet is looked up on the primary.
func (s *Store) ProjectExists(ctx context.Context, projectID string) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM projects WHERE project_id = $1)`
	var ok bool
	err := s.pools.ReadFound(ctx, "project_exists", &ok, func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, q, projectID).Scan(&ok)
	})
	return ok, mapErr(err, "project")
}

// ensureProject creates the project if it does not exist yet.
func ensureProject(ctx context.Context, tx pgx.Tx, projectID string) error {
	const q = `INSERT INTO projects (project_id) VALUES ($1) ON CONFLICT DO NOTHING`
	_, err := tx.Exec(ctx, q, projectID)
	return mapErr(err, "project "+projectID)
}
