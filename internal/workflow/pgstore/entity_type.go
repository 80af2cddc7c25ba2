package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
)

const entityTypeCols = `project_id, type_name, description, schema, schema_version, created_at, updated_at`

func scanEntityType(row pgx.Row) (workflow.EntityType, error) {
	var t workflow.EntityType
	err := row.Scan(&t.ProjectID, &t.Name, &t.Description, &t.Schema, &t.SchemaVersion, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

// EntityType implements [workflow.Store].
func (s *Store) EntityType(ctx context.Context, projectID, name string) (workflow.EntityType, error) {
	const q = `SELECT ` + entityTypeCols + ` FROM entity_types WHERE project_id = $1 AND type_name = $2`
	var out workflow.EntityType
	err := s.readDo(ctx, "get_entity_type", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntityType(c.QueryRow(ctx, q, projectID, name))
		return mapErr(err, "entity type "+name)
	})
	return out, err
}

// CreateEntityType implements [workflow.Store].
func (s *Store) CreateEntityType(ctx context.Context, t workflow.EntityType) (workflow.EntityType, error) {
	const q = `INSERT INTO entity_types (project_id, type_name, description, schema) VALUES ($1, $2, $3, $4) RETURNING ` + entityTypeCols
	var out workflow.EntityType
	err := s.pools.Write().Do(ctx, "register_entity_type", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntityType(c.QueryRow(ctx, q, t.ProjectID, t.Name, t.Description, t.Schema))
		return mapErr(err, "entity type")
	})
	return out, err
}

// UpdateEntityType implements [workflow.Store].
func (s *Store) UpdateEntityType(ctx context.Context, t workflow.EntityType, version int) (workflow.EntityType, error) {
	const q = `UPDATE entity_types SET schema = $3, description = $4, schema_version = schema_version + 1, updated_at = now()
		WHERE project_id = $1 AND type_name = $2 AND schema_version = $5 RETURNING ` + entityTypeCols
	var out workflow.EntityType
	err := s.pools.Write().Do(ctx, "register_entity_type", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntityType(c.QueryRow(ctx, q, t.ProjectID, t.Name, t.Schema, t.Description, version))
		if err == pgx.ErrNoRows {
			return apperr.New(apperr.VersionConflict, "entity type %s changed concurrently; register again", t.Name)
		}
		return mapErr(err, "entity type")
	})
	return out, err
}

// EachEntity implements [workflow.Store]. It reads in batches by id so a
// large type never sits in memory at once.
func (s *Store) EachEntity(ctx context.Context, projectID, typeName string, fn func(workflow.Entity) error) error {
	const q = `SELECT ` + entityCols + ` FROM entities e WHERE e.project_id = $1 AND e.entity_type = $2 AND e.deleted_at IS NULL
		AND e.id > $3 ORDER BY e.id LIMIT 500`
	last := "00000000-0000-0000-0000-000000000000"
	for {
		var batch []workflow.Entity
		err := s.readDo(ctx, "validate_entities", func(ctx context.Context, c *pgxpool.Conn) error {
			rows, err := c.Query(ctx, q, projectID, typeName, last)
			if err != nil {
				return err
			}
			batch, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Entity, error) { return scanEntity(r) })
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < 500 {
			return nil
		}
		last = batch[len(batch)-1].ID
	}
}
