package pgstore

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
)

const deploymentCols = `d.project_id, d.id, d.commit_sha, d.branch, d.environment, d.status, d.message, d.author,
	d.deployed_at, d.metadata, d.created_at,
	ARRAY(SELECT x.work_item_id::text FROM deployment_work_items x WHERE x.project_id = d.project_id AND x.deployment_id = d.id ORDER BY 1),
	ARRAY(SELECT x.entity_id::text FROM deployment_entities x WHERE x.project_id = d.project_id AND x.deployment_id = d.id ORDER BY 1)`

func scanDeployment(row pgx.Row) (workflow.Deployment, error) {
	var d workflow.Deployment
	err := row.Scan(&d.ProjectID, &d.ID, &d.CommitSHA, &d.Branch, &d.Environment, &d.Status, &d.Message, &d.Author,
		&d.DeployedAt, &d.Metadata, &d.CreatedAt, &d.WorkItemIDs, &d.EntityIDs)
	return d, err
}

// CreateDeployment implements [workflow.Store].
func (s *Store) CreateDeployment(ctx context.Context, d workflow.Deployment) (workflow.Deployment, error) {
	var out workflow.Deployment
	err := s.pools.Write().Tx(ctx, "record_deployment", func(ctx context.Context, tx pgx.Tx) error {
		if err := missing(ctx, tx, `SELECT id::text FROM work_items WHERE project_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL`,
			d.ProjectID, d.WorkItemIDs, "work_item_ids", "work item"); err != nil {
			return err
		}
		if err := missing(ctx, tx, `SELECT id::text FROM entities WHERE project_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL`,
			d.ProjectID, d.EntityIDs, "entity_ids", "entity"); err != nil {
			return err
		}
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO deployments (project_id, commit_sha, branch, environment, status, message, author, deployed_at, metadata)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			d.ProjectID, d.CommitSHA, d.Branch, d.Environment, d.Status, d.Message, d.Author, d.DeployedAt, d.Metadata).Scan(&id)
		if err != nil {
			return mapErr(err, "deployment")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deployment_work_items (project_id, deployment_id, work_item_id)
			SELECT $1, $2, unnest($3::uuid[])`, d.ProjectID, id, d.WorkItemIDs); err != nil {
			return mapErr(err, "deployment")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deployment_entities (project_id, deployment_id, entity_id)
			SELECT $1, $2, unnest($3::uuid[])`, d.ProjectID, id, d.EntityIDs); err != nil {
			return mapErr(err, "deployment")
		}
		out, err = scanDeployment(tx.QueryRow(ctx, `SELECT `+deploymentCols+` FROM deployments d WHERE d.project_id = $1 AND d.id = $2`, d.ProjectID, id))
		return err
	})
	return out, err
}

// missing fails with NOT_FOUND naming the first of ids that q (which
// returns the live ids among $2) does not return.
func missing(ctx context.Context, tx pgx.Tx, q, projectID string, ids []string, field, what string) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, q, projectID, ids)
	if err != nil {
		return err
	}
	live, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(live, id) {
			return apperr.New(apperr.NotFound, "%s %s not found in this project", what, id).WithDetails(map[string]any{"field": field})
		}
	}
	return nil
}

// ListDeployments implements [workflow.Store].
func (s *Store) ListDeployments(ctx context.Context, f workflow.DeploymentFilter, after workflow.Keyset, n int) ([]workflow.Deployment, error) {
	var w where
	w.add("d.project_id = ?", f.ProjectID)
	if f.Environment != "" {
		w.add("d.environment = ?", f.Environment)
	}
	if f.Status != "" {
		w.add("d.status = ?", f.Status)
	}
	if f.Branch != "" {
		w.add("d.branch = ?", f.Branch)
	}
	if !f.Since.IsZero() {
		w.add("d.deployed_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		w.add("d.deployed_at <= ?", f.Until)
	}
	if f.WorkItemID != "" {
		w.add("EXISTS (SELECT 1 FROM deployment_work_items x WHERE x.project_id = d.project_id AND x.deployment_id = d.id AND x.work_item_id = ?)", f.WorkItemID)
	}
	if f.EntityID != "" {
		w.add("EXISTS (SELECT 1 FROM deployment_entities x WHERE x.project_id = d.project_id AND x.deployment_id = d.id AND x.entity_id = ?)", f.EntityID)
	}
	if !after.IsZero() {
		w.add("(d.deployed_at, d.id) < (?, ?)", after.Time, after.ID)
	}
	w.args = append(w.args, n)
	q := `SELECT ` + deploymentCols + ` FROM deployments d WHERE ` + w.sql() + ` ORDER BY d.deployed_at DESC, d.id DESC LIMIT $` + itoa(len(w.args))
	var out []workflow.Deployment
	err := s.readDo(ctx, "list_deployments", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, w.args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Deployment, error) { return scanDeployment(r) })
		return err
	})
	return out, err
}
