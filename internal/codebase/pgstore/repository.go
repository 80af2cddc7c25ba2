package pgstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Repository is one indexed directory of a project.
type Repository struct {
	ID        string
	ProjectID string
	// Path is the absolute root directory.
	Path       string
	Commit     string
	IndexedAt  *time.Time // nil until the first job completes
	FileCount  int
	ChunkCount int
	Embedder   string
	Dimension  int
}

// Page limits of list calls (docs/api.md "Lists, budgets and freshness").
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// RepositoryPage is one page of [Store.Repositories].
type RepositoryPage struct {
	Repositories []Repository
	// NextCursor is empty on the last page.
	NextCursor string
}

// repoCursor is the position after the last repository of a page; the
// order (path, repository_id) is unique, so pages never skip or repeat a
// repository while others insert.
type repoCursor struct {
	Path string `json:"p"`
	ID   string `json:"i"`
}

// Repositories lists a project's repositories ordered by path. limit 0
// means [DefaultLimit]; it must not exceed [MaxLimit]. cursor is the
// NextCursor of the previous page, or empty. Returns NOT_FOUND for an
// unknown project and VALIDATION_ERROR for a bad limit or cursor.
func (s *Store) Repositories(ctx context.Context, projectID string, limit int, cursor string) (RepositoryPage, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return RepositoryPage{}, apperr.Invalid("limit", "must be between 1 and %d, got %d", MaxLimit, limit)
	}
	var after repoCursor
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || json.Unmarshal(b, &after) != nil || after.ID == "" {
			return RepositoryPage{}, apperr.Invalid("cursor", "not a cursor returned by this list")
		}
	}
	const q = `
SELECT repository_id::text, project_id, path, commit, indexed_at, file_count, chunk_count, embedder, dimension
FROM repositories
WHERE project_id = $1 AND ($2::text IS NULL OR (path, repository_id) > ($2, $3::uuid))
ORDER BY path, repository_id
LIMIT $4`
	var page RepositoryPage
	err := s.do(ctx, "list_repositories", func(ctx context.Context, c *pgxpool.Conn) error {
		var exists bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM projects WHERE project_id = $1)`, projectID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return apperr.New(apperr.NotFound, "project %q not found", projectID)
		}
		var p, id any
		if cursor != "" {
			p, id = after.Path, after.ID
		}
		rows, err := c.Query(ctx, q, projectID, p, id, limit+1)
		if err != nil {
			return err
		}
		page.Repositories, err = pgx.CollectRows(rows, scanRepository)
		return err
	})
	if err != nil {
		return RepositoryPage{}, mapErr(err, "repositories")
	}
	if len(page.Repositories) > limit {
		page.Repositories = page.Repositories[:limit]
		last := page.Repositories[limit-1]
		b, _ := json.Marshal(repoCursor{Path: last.Path, ID: last.ID})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}

// Repository returns one repository. Returns NOT_FOUND when it does not exist.
func (s *Store) Repository(ctx context.Context, projectID, repositoryID string) (Repository, error) {
	const q = `
SELECT repository_id::text, project_id, path, commit, indexed_at, file_count, chunk_count, embedder, dimension
FROM repositories WHERE project_id = $1 AND repository_id = $2`
	var r Repository
	err := s.do(ctx, "get_repository", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, projectID, repositoryID)
		if err != nil {
			return err
		}
		r, err = pgx.CollectExactlyOneRow(rows, scanRepository)
		return err
	})
	return r, mapErr(err, "repository")
}

func scanRepository(row pgx.CollectableRow) (Repository, error) {
	var r Repository
	err := row.Scan(&r.ID, &r.ProjectID, &r.Path, &r.Commit, &r.IndexedAt, &r.FileCount, &r.ChunkCount, &r.Embedder, &r.Dimension)
	return r, err
}

// RepositoryDone records a completed index of the repository: commit,
// embedder, the time, and file and chunk counts counted from the rows.
func (s *Store) RepositoryDone(ctx context.Context, projectID, repositoryID, commit string, st Settings) (Repository, error) {
	const q = `
UPDATE repositories r SET commit = $3, indexed_at = now(), embedder = $4, dimension = $5,
	file_count = (SELECT count(*) FROM files f WHERE f.project_id = $1 AND f.repository_id = $2),
	chunk_count = (SELECT count(*) FROM chunks c WHERE c.project_id = $1 AND c.repository_id = $2)
WHERE project_id = $1 AND repository_id = $2
RETURNING repository_id::text, project_id, path, commit, indexed_at, file_count, chunk_count, embedder, dimension`
	var r Repository
	err := s.do(ctx, "repository_done", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, projectID, repositoryID, commit, st.Embedder, st.Dimension)
		if err != nil {
			return err
		}
		r, err = pgx.CollectExactlyOneRow(rows, scanRepository)
		return err
	})
	return r, mapErr(err, "repository")
}

// RecountRepository refreshes the file and chunk counts after a job that
// stopped early (cancelled or failed), leaving commit and indexed_at as
// they were.
func (s *Store) RecountRepository(ctx context.Context, projectID, repositoryID string) error {
	const q = `
UPDATE repositories SET
	file_count = (SELECT count(*) FROM files f WHERE f.project_id = $1 AND f.repository_id = $2),
	chunk_count = (SELECT count(*) FROM chunks c WHERE c.project_id = $1 AND c.repository_id = $2)
WHERE project_id = $1 AND repository_id = $2`
	return mapErr(s.do(ctx, "recount_repository", func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, q, projectID, repositoryID)
		return err
	}), "repository")
}
