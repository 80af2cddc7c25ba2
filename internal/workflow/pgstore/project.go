package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/workflow"
)

const projectCols = `p.project_id, p.name, p.description, p.created_at, p.last_activated_at,
	(SELECT count(*) FROM work_items w WHERE w.project_id = p.project_id AND w.deleted_at IS NULL),
	(SELECT count(*) FROM entities e WHERE e.project_id = p.project_id AND e.deleted_at IS NULL)`

func scanProject(row pgx.Row) (workflow.Project, error) {
	var p workflow.Project
	err := row.Scan(&p.ID, &p.Name, &p.Description, &p.CreatedAt, &p.LastActivatedAt, &p.WorkItemCount, &p.EntityCount)
	return p, err
}

// CreateProject implements [workflow.Store].
func (s *Store) CreateProject(ctx context.Context, p workflow.Project) (workflow.Project, error) {
	const q = `INSERT INTO projects AS p (name, description) VALUES ($1, $2)
		RETURNING p.project_id, p.name, p.description, p.created_at, p.last_activated_at, 0, 0`
	var out workflow.Project
	err := s.pools.Write().Do(ctx, "create_project", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanProject(c.QueryRow(ctx, q, p.Name, p.Description))
		return mapErr(err, "project")
	})
	return out, err
}

// ProjectByID implements [workflow.Store].
func (s *Store) ProjectByID(ctx context.Context, id string) (workflow.Project, error) {
	return s.project(ctx, `SELECT `+projectCols+` FROM projects p WHERE p.project_id = $1`, id)
}

// ProjectByName implements [workflow.Store].
func (s *Store) ProjectByName(ctx context.Context, name string) (workflow.Project, error) {
	return s.project(ctx, `SELECT `+projectCols+` FROM projects p WHERE lower(p.name) = lower($1)`, name)
}

func (s *Store) project(ctx context.Context, q string, arg string) (workflow.Project, error) {
	var out workflow.Project
	err := s.readDo(ctx, "get_project", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanProject(c.QueryRow(ctx, q, arg))
		return mapErr(err, "project")
	})
	return out, err
}

// ListProjects implements [workflow.Store].
func (s *Store) ListProjects(ctx context.Context, after workflow.Keyset, n int) ([]workflow.Project, error) {
	var w where
	w.add("true")
	if !after.IsZero() {
		w.add("(coalesce(p.last_activated_at, p.created_at), p.project_id) < (?, ?)", after.Time, after.ID)
	}
	w.args = append(w.args, n)
	q := `SELECT ` + projectCols + ` FROM projects p WHERE ` + w.sql() +
		` ORDER BY coalesce(p.last_activated_at, p.created_at) DESC, p.project_id DESC LIMIT $` + itoa(len(w.args))
	var out []workflow.Project
	err := s.readDo(ctx, "list_projects", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, w.args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Project, error) { return scanProject(r) })
		return err
	})
	return out, err
}

// SetActiveProject implements [workflow.Store]. One statement stamps the
// project and upserts the singleton row, so a switch is atomic. A
// transaction-scoped advisory lock, taken before the stamp, serializes
// concurrent switches: the last to commit carries the latest stamp, so
// the active project is always the most recently activated one.
func (s *Store) SetActiveProject(ctx context.Context, id string) (workflow.ActiveProject, error) {
	const q = `WITH l AS (SELECT pg_advisory_xact_lock(hashtextextended('workflow.active_project', 0))),
		p AS (
			UPDATE projects SET last_activated_at = clock_timestamp() FROM l WHERE project_id = $1
			RETURNING project_id, name, last_activated_at)
		INSERT INTO active_project AS a (singleton, project_id, switched_at)
			SELECT true, project_id, last_activated_at FROM p
		ON CONFLICT (singleton) DO UPDATE SET project_id = EXCLUDED.project_id, switched_at = EXCLUDED.switched_at
		RETURNING a.project_id, (SELECT name FROM p), a.switched_at`
	var a workflow.ActiveProject
	err := s.pools.Write().Do(ctx, "switch_project", func(ctx context.Context, c *pgxpool.Conn) error {
		return mapErr(c.QueryRow(ctx, q, id).Scan(&a.ProjectID, &a.Name, &a.SwitchedAt), "project")
	})
	return a, err
}

// ActiveProject implements [workflow.Store].
func (s *Store) ActiveProject(ctx context.Context) (workflow.ActiveProject, error) {
	const q = `SELECT a.project_id, p.name, a.switched_at FROM active_project a JOIN projects p USING (project_id)`
	var a workflow.ActiveProject
	err := s.pools.Write().Do(ctx, "get_active_project", func(ctx context.Context, c *pgxpool.Conn) error {
		return mapErr(c.QueryRow(ctx, q).Scan(&a.ProjectID, &a.Name, &a.SwitchedAt), "active project")
	})
	return a, err
}
