package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Analyze refreshes the planner statistics of the tables an index job
// fills. A freshly indexed project is otherwise unknown to the planner
// until autovacuum gets to it (a minute or more): meanwhile it estimated
// 161 files for 10,000 and hashed every file of the project to return
// the 10 result rows of a search (45 ms instead of about 1 ms).
func (s *Store) Analyze(ctx context.Context) error {
	err := s.pools.Write().Do(ctx, "analyze_index_tables", func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `ANALYZE chunks, files, repositories, term_df`)
		return err
	})
	return mapErr(err, "analyze")
}
