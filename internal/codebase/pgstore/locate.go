package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/codebase/search"
)

var _ search.Locator = (*Store)(nil)

// LocateChunks implements [search.Locator]: for each location, the chunk
// of that repository, file and symbol that starts first (a symbol cut into
// parts or defined twice has several). Repository ids must be UUIDs (the
// caller checks); the project comes from the repository, so the file
// index, which leads with project_id, serves the lookup.
func (s *Store) LocateChunks(ctx context.Context, locs []search.Location) (map[search.Location]string, error) {
	out := make(map[search.Location]string, len(locs))
	if len(locs) == 0 {
		return out, nil
	}
	const q = `
SELECT DISTINCT ON (l.i) l.i, c.chunk_id
FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS l(repository_id, path, symbol, i)
JOIN repositories r ON r.repository_id = l.repository_id
JOIN chunks c ON c.project_id = r.project_id AND c.repository_id = r.repository_id
             AND c.file_path = l.path AND c.symbol = l.symbol
ORDER BY l.i, c.start_line, c.chunk_id`
	repos := make([]string, len(locs))
	paths := make([]string, len(locs))
	symbols := make([]string, len(locs))
	for i, l := range locs {
		repos[i], paths[i], symbols[i] = l.RepositoryID, l.FilePath, l.Symbol
	}
	err := s.do(ctx, "locate_chunks", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, repos, paths, symbols)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i int64
			var id string
			if err := rows.Scan(&i, &id); err != nil {
				return err
			}
			out[locs[i-1]] = id
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("%d chunk locations", len(locs)))
	}
	return out, nil
}
