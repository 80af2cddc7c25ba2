package pgstore

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
)

// AddDependency implements [workflow.Store]. A transaction-scoped advisory
// lock per project serializes dependency writes, so two concurrent inserts
// cannot each pass the cycle check and together close a cycle.
func (s *Store) AddDependency(ctx context.Context, d workflow.Dependency) (workflow.Dependency, error) {
	err := s.pools.Write().Tx(ctx, "add_work_item_dependency", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('workflow.dependencies:' || $1, 0))`, d.ProjectID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id::text FROM work_items WHERE project_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL`,
			d.ProjectID, []string{d.WorkItemID, d.DependsOnID})
		if err != nil {
			return err
		}
		live, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for field, id := range map[string]string{"work_item_id": d.WorkItemID, "depends_on_id": d.DependsOnID} {
			if !slices.Contains(live, id) {
				return apperr.New(apperr.NotFound, "work item %s not found in this project", id).WithDetails(map[string]any{"field": field})
			}
		}
		if d.Type == "blocks" {
			// A cycle closes if depends_on_id already (transitively) depends on work_item_id.
			const q = `WITH RECURSIVE reach(id, trail) AS (
					SELECT depends_on_id, ARRAY[work_item_id, depends_on_id] FROM work_item_dependencies
					WHERE project_id = $1 AND work_item_id = $2 AND dependency_type = 'blocks'
				UNION ALL
					SELECT d.depends_on_id, r.trail || d.depends_on_id FROM work_item_dependencies d JOIN reach r ON d.work_item_id = r.id
					WHERE d.project_id = $1 AND d.dependency_type = 'blocks' AND NOT d.depends_on_id = ANY(r.trail))
				SELECT trail::text[] FROM reach WHERE id = $3 LIMIT 1`
			var trail []string
			err := tx.QueryRow(ctx, q, d.ProjectID, d.DependsOnID, d.WorkItemID).Scan(&trail)
			if err == nil {
				cycle := append([]string{d.WorkItemID}, trail...)
				return apperr.Invalid("depends_on_id", "this dependency would close a cycle of blocking dependencies: %s",
					strings.Join(cycle, " -> ")).WithDetails(map[string]any{"field": "depends_on_id", "cycle": cycle})
			}
			if err != pgx.ErrNoRows {
				return err
			}
		}
		const q = `INSERT INTO work_item_dependencies (project_id, work_item_id, depends_on_id, dependency_type)
			VALUES ($1, $2, $3, $4) RETURNING created_at`
		return mapErr(tx.QueryRow(ctx, q, d.ProjectID, d.WorkItemID, d.DependsOnID, d.Type).Scan(&d.CreatedAt), "dependency")
	})
	return d, err
}

// ListBlocked implements [workflow.Store].
func (s *Store) ListBlocked(ctx context.Context, projectID string, after workflow.Keyset, n int) ([]workflow.BlockedWorkItem, error) {
	var w where
	w.add("w.project_id = ?", projectID)
	w.add("w.deleted_at IS NULL AND w.status <> 'completed'")
	if !after.IsZero() {
		w.add("(w.created_at, w.id) > (?, ?)", after.Time, after.ID)
	}
	w.args = append(w.args, n)
	q := `SELECT ` + workItemCols + `, coalesce(array_agg(b.id::text ORDER BY b.id) FILTER (WHERE b.id IS NOT NULL), '{}')
		FROM work_items w
		LEFT JOIN work_item_dependencies d ON d.project_id = w.project_id AND d.work_item_id = w.id AND d.dependency_type = 'blocks'
		LEFT JOIN work_items b ON b.project_id = d.project_id AND b.id = d.depends_on_id AND b.deleted_at IS NULL AND b.status <> 'completed'
		WHERE ` + w.sql() + `
		GROUP BY w.project_id, w.id
		HAVING w.status = 'blocked' OR count(b.id) > 0
		ORDER BY w.created_at, w.id LIMIT $` + itoa(len(w.args))
	var out []workflow.BlockedWorkItem
	err := s.readDo(ctx, "list_blocked_work_items", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, w.args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.BlockedWorkItem, error) {
			var b workflow.BlockedWorkItem
			var err error
			b.WorkItem, err = scanWorkItem(r, &b.BlockedBy)
			return b, err
		})
		if err != nil {
			return err
		}
		items := make([]workflow.WorkItem, len(out))
		for i, b := range out {
			items[i] = b.WorkItem
		}
		if err := loadRefs(ctx, c, projectID, items); err != nil {
			return err
		}
		for i := range out {
			out[i].WorkItem = items[i]
		}
		return nil
	})
	return out, err
}
