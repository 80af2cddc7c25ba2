package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/codebase"
)

// FileState is what the index knows about a file without its content:
// enough to tell whether the file on disk changed.
type FileState struct {
	Path        string
	Size        int64
	ModTime     time.Time
	ContentHash string
}

// FileRow is a file to store with the text that was indexed.
type FileRow struct {
	codebase.File
	ContentHash string
	Content     string
	Commit      string
}

// FileStates returns the stored state of every file of a repository, by path.
func (s *Store) FileStates(ctx context.Context, projectID, repositoryID string) (map[string]FileState, error) {
	const q = `SELECT path, size, mtime, content_hash FROM files WHERE project_id = $1 AND repository_id = $2`
	out := make(map[string]FileState)
	err := s.do(ctx, "file_states", func(ctx context.Context, c *pgxpool.Conn) error {
		clear(out) // a retried attempt starts over
		rows, err := c.Query(ctx, q, projectID, repositoryID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f FileState
			if err := rows.Scan(&f.Path, &f.Size, &f.ModTime, &f.ContentHash); err != nil {
				return err
			}
			out[f.Path] = f
		}
		return rows.Err()
	})
	return out, mapErr(err, "files")
}

// SampleFiles returns up to n stored files of a repository, spread over
// the whole repository (every k-th path), for cheap freshness checks.
func (s *Store) SampleFiles(ctx context.Context, projectID, repositoryID string, n int) ([]FileState, error) {
	const q = `
SELECT path, size, mtime, content_hash FROM (
	SELECT path, size, mtime, content_hash, row_number() OVER (ORDER BY path) AS rn,
		count(*) OVER () AS total
	FROM files WHERE project_id = $1 AND repository_id = $2
) f
WHERE (rn - 1) % greatest(1, ceil(total::numeric / $3)::bigint) = 0
ORDER BY path LIMIT $3`
	var out []FileState
	err := s.do(ctx, "sample_files", func(ctx context.Context, c *pgxpool.Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, q, projectID, repositoryID, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f FileState
			if err := rows.Scan(&f.Path, &f.Size, &f.ModTime, &f.ContentHash); err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	return out, mapErr(err, "files")
}
