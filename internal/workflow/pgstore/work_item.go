package pgstore

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
)

const workItemCols = `w.project_id, w.id, coalesce(w.parent_id::text, ''), w.path, w.item_type, w.title, w.description,
	w.status, w.metadata, w.version, w.created_at, w.updated_at, w.completed_at, w.deleted_at`

func scanWorkItem(row pgx.Row, extra ...any) (workflow.WorkItem, error) {
	var w workflow.WorkItem
	var path string
	dst := append([]any{&w.ProjectID, &w.ID, &w.ParentID, &path, &w.Type, &w.Title, &w.Description,
		&w.Status, &w.Metadata, &w.Version, &w.CreatedAt, &w.UpdatedAt, &w.CompletedAt, &w.DeletedAt}, extra...)
	if err := row.Scan(dst...); err != nil {
		return workflow.WorkItem{}, err
	}
	w.Path = workflow.ParsePath(path)
	w.References = []workflow.ChunkRef{}
	return w, nil
}

// queryer is what both a pooled connection and a transaction offer.
type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// loadRefs attaches the references of items (all of one project).
func loadRefs(ctx context.Context, q queryer, projectID string, items []workflow.WorkItem) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	at := make(map[string]int, len(items))
	for i, w := range items {
		ids[i] = w.ID
		at[w.ID] = i
	}
	const sql = `SELECT work_item_id, chunk_id, repository_id, file_path, symbol, start_line, end_line, content_hash, resolved_at
		FROM work_item_refs WHERE project_id = $1 AND work_item_id = ANY($2::uuid[]) ORDER BY work_item_id, position`
	rows, err := q.Query(ctx, sql, projectID, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r workflow.ChunkRef
		if err := rows.Scan(&r.WorkItemID, &r.ChunkID, &r.RepositoryID, &r.FilePath, &r.Symbol, &r.StartLine, &r.EndLine, &r.ContentHash, &r.ResolvedAt); err != nil {
			return err
		}
		i := at[r.WorkItemID]
		items[i].References = append(items[i].References, r)
	}
	return rows.Err()
}

// insertRefs writes a work item's references in order.
func insertRefs(ctx context.Context, tx pgx.Tx, projectID, workItemID string, refs []workflow.ChunkRef) error {
	if len(refs) == 0 {
		return nil
	}
	n := len(refs)
	pos, ids, repos, paths, syms, starts, ends, hashes := make([]int, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]int, n), make([]int, n), make([]string, n)
	resolved := make([]*time.Time, n)
	for i, r := range refs {
		pos[i], ids[i], repos[i], paths[i], syms[i], starts[i], ends[i], hashes[i], resolved[i] =
			i, r.ChunkID, r.RepositoryID, r.FilePath, r.Symbol, r.StartLine, r.EndLine, r.ContentHash, r.ResolvedAt
	}
	const q = `INSERT INTO work_item_refs (project_id, work_item_id, position, chunk_id, repository_id, file_path, symbol,
			start_line, end_line, content_hash, resolved_at)
		SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::timestamptz[])`
	_, err := tx.Exec(ctx, q, projectID, workItemID, pos, ids, repos, paths, syms, starts, ends, hashes, resolved)
	return err
}

// CreateWorkItem implements [workflow.Store].
func (s *Store) CreateWorkItem(ctx context.Context, w workflow.WorkItem) (workflow.WorkItem, error) {
	var out workflow.WorkItem
	err := s.pools.Write().Tx(ctx, "create_work_item", func(ctx context.Context, tx pgx.Tx) error {
		var parent any
		if w.ParentID != "" {
			parent = w.ParentID
			// FOR SHARE: the parent cannot be deleted or moved until we commit.
			var path string
			err := tx.QueryRow(ctx, `SELECT path FROM work_items WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL FOR SHARE`,
				w.ProjectID, w.ParentID).Scan(&path)
			if err != nil {
				return notFoundAs(mapErr(err, "parent work item"), "parent_id")
			}
			if path != workflow.PathString(w.Path[:len(w.Path)-1]) {
				return apperr.New(apperr.VersionConflict, "the parent work item moved while this one was created; retry")
			}
		}
		const q = `INSERT INTO work_items AS w (project_id, id, parent_id, path, depth, item_type, title, description, status, metadata, completed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ` + workItemCols
		var err error
		out, err = scanWorkItem(tx.QueryRow(ctx, q, w.ProjectID, w.ID, parent, workflow.PathString(w.Path), w.Depth(),
			w.Type, w.Title, w.Description, w.Status, w.Metadata, w.CompletedAt))
		if err != nil {
			return mapErr(err, "work item")
		}
		if err := insertRefs(ctx, tx, w.ProjectID, w.ID, w.References); err != nil {
			return err
		}
		out.References = w.References
		return nil
	})
	return out, err
}

// notFoundAs names the input field in a NOT_FOUND error.
func notFoundAs(err error, field string) error {
	if e, ok := apperr.As(err); ok && e.Code == apperr.NotFound {
		return e.WithDetails(map[string]any{"field": field})
	}
	return err
}

// WorkItem implements [workflow.Store].
func (s *Store) WorkItem(ctx context.Context, projectID, id string, includeDeleted bool) (workflow.WorkItem, error) {
	q := `SELECT ` + workItemCols + ` FROM work_items w WHERE w.project_id = $1 AND w.id = $2`
	if !includeDeleted {
		q += ` AND w.deleted_at IS NULL`
	}
	var out workflow.WorkItem
	err := s.readDo(ctx, "get_work_item", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		if out, err = scanWorkItem(c.QueryRow(ctx, q, projectID, id)); err != nil {
			return mapErr(err, "work item "+id)
		}
		items := []workflow.WorkItem{out}
		if err := loadRefs(ctx, c, projectID, items); err != nil {
			return err
		}
		out = items[0]
		return nil
	})
	return out, err
}

// UpdateWorkItem implements [workflow.Store].
func (s *Store) UpdateWorkItem(ctx context.Context, w workflow.WorkItem, version int, refs []workflow.ChunkRef) (workflow.WorkItem, error) {
	var out workflow.WorkItem
	err := s.pools.Write().Tx(ctx, "update_work_item", func(ctx context.Context, tx pgx.Tx) error {
		var curVersion, depth int
		var oldPath string
		err := tx.QueryRow(ctx, `SELECT version, path, depth FROM work_items WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`,
			w.ProjectID, w.ID).Scan(&curVersion, &oldPath, &depth)
		if err != nil {
			return mapErr(err, "work item "+w.ID)
		}
		if curVersion != version {
			return apperr.New(apperr.VersionConflict, "work item %s changed since you read it: your version is %d, the current version is %d; read it again and reapply your change",
				w.ID, version, curVersion).WithDetails(map[string]any{"current_version": curVersion, "your_version": version})
		}
		newPath := workflow.PathString(w.Path)
		var parent any
		if w.ParentID != "" {
			parent = w.ParentID
		}
		if newPath != oldPath {
			if err := moveSubtree(ctx, tx, w, oldPath, newPath, depth); err != nil {
				return err
			}
		}
		const q = `UPDATE work_items AS w SET item_type = $3, title = $4, description = $5, status = $6, metadata = $7,
				completed_at = $8, parent_id = $9, path = $10, depth = $11, version = version + 1, updated_at = clock_timestamp()
			WHERE project_id = $1 AND id = $2 RETURNING ` + workItemCols
		out, err = scanWorkItem(tx.QueryRow(ctx, q, w.ProjectID, w.ID, w.Type, w.Title, w.Description, w.Status, w.Metadata,
			w.CompletedAt, parent, newPath, w.Depth()))
		if err != nil {
			return mapErr(err, "work item")
		}
		if refs != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM work_item_refs WHERE project_id = $1 AND work_item_id = $2`, w.ProjectID, w.ID); err != nil {
				return err
			}
			if err := insertRefs(ctx, tx, w.ProjectID, w.ID, refs); err != nil {
				return err
			}
		}
		items := []workflow.WorkItem{out}
		if err := loadRefs(ctx, tx, w.ProjectID, items); err != nil {
			return err
		}
		out = items[0]
		return nil
	})
	return out, err
}

// moveSubtree checks a move under the write lock (new parent live, not
// inside the subtree, depth limit kept) and rewrites the descendants' paths.
func moveSubtree(ctx context.Context, tx pgx.Tx, w workflow.WorkItem, oldPath, newPath string, oldDepth int) error {
	if w.ParentID != "" {
		var parentPath string
		err := tx.QueryRow(ctx, `SELECT path FROM work_items WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL FOR SHARE`,
			w.ProjectID, w.ParentID).Scan(&parentPath)
		if err != nil {
			return notFoundAs(mapErr(err, "parent work item "+w.ParentID), "parent_id")
		}
		if strings.HasPrefix(parentPath, oldPath) {
			return apperr.Invalid("parent_id", "%s is inside the subtree of the item; that would make a cycle", w.ParentID)
		}
		if parentPath+w.ID+"/" != newPath {
			return apperr.New(apperr.VersionConflict, "the new parent moved meanwhile; retry")
		}
	}
	var maxDepth int
	if err := tx.QueryRow(ctx, `SELECT max(depth) FROM work_items WHERE project_id = $1 AND path LIKE $2 || '%'`,
		w.ProjectID, oldPath).Scan(&maxDepth); err != nil {
		return err
	}
	delta := w.Depth() - oldDepth
	if maxDepth+delta > workflow.MaxDepth {
		return apperr.Invalid("parent_id", "moving there would put the subtree's deepest item at depth %d; the hierarchy allows at most %d levels",
			maxDepth+delta, workflow.MaxDepth)
	}
	_, err := tx.Exec(ctx, `UPDATE work_items SET path = $3 || substr(path, length($2) + 1), depth = depth + $4
		WHERE project_id = $1 AND path LIKE $2 || '%' AND path <> $2`, w.ProjectID, oldPath, newPath, delta)
	return err
}

// DeleteWorkItem implements [workflow.Store].
func (s *Store) DeleteWorkItem(ctx context.Context, projectID, id string, at time.Time) (int, error) {
	var n int
	err := s.pools.Write().Tx(ctx, "delete_work_item", func(ctx context.Context, tx pgx.Tx) error {
		var path string
		err := tx.QueryRow(ctx, `SELECT path FROM work_items WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`,
			projectID, id).Scan(&path)
		if err != nil {
			return mapErr(err, "work item "+id)
		}
		tag, err := tx.Exec(ctx, `UPDATE work_items SET deleted_at = $3, updated_at = $3, version = version + 1
			WHERE project_id = $1 AND path LIKE $2 || '%' AND deleted_at IS NULL`, projectID, path, at)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

// ListWorkItems implements [workflow.Store].
func (s *Store) ListWorkItems(ctx context.Context, f workflow.WorkItemFilter, after workflow.Keyset, n int) ([]workflow.WorkItem, error) {
	var w where
	w.add("w.project_id = ?", f.ProjectID)
	if !f.IncludeDeleted {
		w.add("w.deleted_at IS NULL")
	}
	if f.Status != "" {
		w.add("w.status = ?", f.Status)
	}
	if f.Type != "" {
		w.add("w.item_type = ?", f.Type)
	}
	if f.ParentID != "" {
		w.add("w.parent_id = ?", f.ParentID)
	}
	if f.OpenOnly {
		w.add("w.status <> 'completed'")
	}
	if len(f.ChunkIDs) > 0 || len(f.FilePaths) > 0 {
		chunks, files := f.ChunkIDs, f.FilePaths
		if chunks == nil {
			chunks = []string{}
		}
		if files == nil {
			files = []string{}
		}
		w.add(`EXISTS (SELECT 1 FROM work_item_refs r WHERE r.project_id = w.project_id AND r.work_item_id = w.id
			AND (r.chunk_id = ANY(?::text[]) OR r.file_path = ANY(?::text[])))`, chunks, files)
	}
	if !after.IsZero() {
		w.add("(w.created_at, w.id) > (?, ?)", after.Time, after.ID)
	}
	w.args = append(w.args, n)
	q := `SELECT ` + workItemCols + ` FROM work_items w WHERE ` + w.sql() + ` ORDER BY w.created_at, w.id LIMIT $` + itoa(len(w.args))
	return s.workItems(ctx, "query_work_items", f.ProjectID, q, w.args...)
}

// workItems runs a query returning workItemCols and loads the references.
func (s *Store) workItems(ctx context.Context, op, projectID, q string, args ...any) ([]workflow.WorkItem, error) {
	var out []workflow.WorkItem
	err := s.readDo(ctx, op, func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return mapErr(err, "work items")
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.WorkItem, error) { return scanWorkItem(r) })
		if err != nil {
			return err
		}
		return loadRefs(ctx, c, projectID, out)
	})
	return out, err
}

// WorkItemsByID implements [workflow.Store].
func (s *Store) WorkItemsByID(ctx context.Context, projectID string, ids []string) ([]workflow.WorkItem, error) {
	q := `SELECT ` + workItemCols + ` FROM work_items w WHERE w.project_id = $1 AND w.id = ANY($2::uuid[]) ORDER BY w.depth`
	return s.workItems(ctx, "get_work_items", projectID, q, projectID, ids)
}

// Descendants implements [workflow.Store].
func (s *Store) Descendants(ctx context.Context, projectID, path string, n int) ([]workflow.WorkItem, int, error) {
	const q = `SELECT ` + workItemCols + `, count(*) OVER () FROM work_items w
		WHERE w.project_id = $1 AND w.path LIKE $2 || '%' AND w.path <> $2 AND w.deleted_at IS NULL
		ORDER BY w.depth, w.created_at, w.id LIMIT $3`
	var out []workflow.WorkItem
	total := 0
	err := s.readDo(ctx, "get_work_item_hierarchy", func(ctx context.Context, c *pgxpool.Conn) error {
		total = 0 // a read retried on the primary may find no rows
		rows, err := c.Query(ctx, q, projectID, path, n)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.WorkItem, error) {
			return scanWorkItem(r, &total)
		})
		if err != nil {
			return err
		}
		return loadRefs(ctx, c, projectID, out)
	})
	if out == nil {
		out = []workflow.WorkItem{}
	}
	return out, total, err
}

// UpdateRefSnapshots implements [workflow.Store].
func (s *Store) UpdateRefSnapshots(ctx context.Context, projectID string, refs []workflow.ChunkRef) error {
	n := len(refs)
	items, ids, repos, paths, syms, starts, ends, hashes := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]int, n), make([]int, n), make([]string, n)
	resolved := make([]*time.Time, n)
	for i, r := range refs {
		items[i], ids[i], repos[i], paths[i], syms[i], starts[i], ends[i], hashes[i], resolved[i] =
			r.WorkItemID, r.ChunkID, r.RepositoryID, r.FilePath, r.Symbol, r.StartLine, r.EndLine, r.ContentHash, r.ResolvedAt
	}
	const q = `UPDATE work_item_refs r SET repository_id = u.repo, file_path = u.path, symbol = u.sym,
			start_line = u.sl, end_line = u.el, content_hash = u.hash, resolved_at = u.at
		FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::text[], $10::timestamptz[])
			AS u(item, chunk, repo, path, sym, sl, el, hash, at)
		WHERE r.project_id = $1 AND r.work_item_id = u.item AND r.chunk_id = u.chunk AND r.resolved_at IS NULL`
	return s.pools.Write().Do(ctx, "update_reference_snapshots", func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, q, projectID, items, ids, repos, paths, syms, starts, ends, hashes, resolved)
		return err
	})
}
