package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/workflow"
)

const entityCols = `e.project_id, e.id, e.entity_type, e.name, e.data, e.tags, e.version, e.created_at, e.updated_at, e.deleted_at`

func scanEntity(row pgx.Row) (workflow.Entity, error) {
	var e workflow.Entity
	err := row.Scan(&e.ProjectID, &e.ID, &e.Type, &e.Name, &e.Data, &e.Tags, &e.Version, &e.CreatedAt, &e.UpdatedAt, &e.DeletedAt)
	return e, err
}

// CreateEntity implements [workflow.Store].
func (s *Store) CreateEntity(ctx context.Context, e workflow.Entity) (workflow.Entity, error) {
	const q = `INSERT INTO entities AS e (project_id, entity_type, name, data, tags) VALUES ($1, $2, $3, $4, $5) RETURNING ` + entityCols
	var out workflow.Entity
	err := s.pools.Write().Do(ctx, "create_entity", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntity(c.QueryRow(ctx, q, e.ProjectID, e.Type, e.Name, e.Data, tags(e.Tags)))
		return mapErr(err, "entity")
	})
	return out, err
}

// Entity implements [workflow.Store].
func (s *Store) Entity(ctx context.Context, projectID, id string, includeDeleted bool) (workflow.Entity, error) {
	q := `SELECT ` + entityCols + ` FROM entities e WHERE e.project_id = $1 AND e.id = $2`
	if !includeDeleted {
		q += ` AND e.deleted_at IS NULL`
	}
	var out workflow.Entity
	err := s.readDo(ctx, "get_entity", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntity(c.QueryRow(ctx, q, projectID, id))
		return mapErr(err, "entity "+id)
	})
	return out, err
}

// UpdateEntity implements [workflow.Store]. The version check is in the
// UPDATE itself, so of concurrent writers with the same version exactly
// one matches; the others find the new version and get VERSION_CONFLICT.
func (s *Store) UpdateEntity(ctx context.Context, e workflow.Entity, version int) (workflow.Entity, error) {
	const q = `UPDATE entities AS e SET data = $3, tags = $4, version = version + 1, updated_at = clock_timestamp()
		WHERE project_id = $1 AND id = $2 AND version = $5 AND deleted_at IS NULL RETURNING ` + entityCols
	var out workflow.Entity
	err := s.pools.Write().Do(ctx, "update_entity", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntity(c.QueryRow(ctx, q, e.ProjectID, e.ID, e.Data, tags(e.Tags), version))
		if err != pgx.ErrNoRows {
			return mapErr(err, "entity")
		}
		var cur int
		if err := c.QueryRow(ctx, `SELECT version FROM entities WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL`,
			e.ProjectID, e.ID).Scan(&cur); err != nil {
			return mapErr(err, "entity "+e.ID)
		}
		return apperr.New(apperr.VersionConflict, "entity %s changed since you read it: your version is %d, the current version is %d; read it again and reapply your change",
			e.ID, version, cur).WithDetails(map[string]any{"current_version": cur, "your_version": version})
	})
	return out, err
}

// DeleteEntity implements [workflow.Store].
func (s *Store) DeleteEntity(ctx context.Context, projectID, id string, at time.Time) (workflow.Entity, error) {
	const q = `UPDATE entities AS e SET deleted_at = $3, updated_at = $3, version = version + 1
		WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ` + entityCols
	var out workflow.Entity
	err := s.pools.Write().Do(ctx, "delete_entity", func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		out, err = scanEntity(c.QueryRow(ctx, q, projectID, id, at))
		return mapErr(err, "entity "+id)
	})
	return out, err
}

// denseMatches is the number of matches from which walking the order index
// and filtering finds a page sooner than collecting every match.
const denseMatches = 2000

// QueryEntities implements [workflow.Store]. Containment and tag filters
// are served by the GIN indexes on data and tags, the order by btree
// indexes. PostgreSQL cannot estimate how many rows a containment filter
// matches, and when it guesses "many" it walks the order index: fast if
// matches are dense, a scan of the whole project if there are none. So a
// filtered query first collects up to denseMatches matches through the GIN
// indexes alone and sorts them, which is the answer when there are fewer;
// otherwise matches are dense and the order index is walked.
func (s *Store) QueryEntities(ctx context.Context, f workflow.EntityFilter, after workflow.Keyset, n int) ([]workflow.Entity, error) {
	var w where
	w.add("e.project_id = ?", f.ProjectID)
	if f.Type != "" {
		w.add("e.entity_type = ?", f.Type)
	}
	if !f.IncludeDeleted {
		w.add("e.deleted_at IS NULL")
	}
	if len(f.Contains) > 0 {
		w.add("e.data @> ?::jsonb", f.Contains)
	}
	if len(f.Tags) > 0 {
		w.add("e.tags @> ?::text[]", f.Tags)
	}
	var order string
	switch f.Order {
	case "name":
		order = "e.name, e.id"
		if !after.IsZero() {
			w.add("(e.name, e.id) > (?, ?)", after.Key, after.ID)
		}
	case "-name":
		order = "e.name DESC, e.id DESC"
		if !after.IsZero() {
			w.add("(e.name, e.id) < (?, ?)", after.Key, after.ID)
		}
	case "-created_at":
		order = "e.created_at DESC, e.id DESC"
		if !after.IsZero() {
			w.add("(e.created_at, e.id) < (?, ?)", after.Time, after.ID)
		}
	default:
		order = "e.created_at, e.id"
		if !after.IsZero() {
			w.add("(e.created_at, e.id) > (?, ?)", after.Time, after.ID)
		}
	}
	w.args = append(w.args, n)
	q := `SELECT ` + entityCols + ` FROM entities e WHERE ` + w.sql() + ` ORDER BY ` + order + ` LIMIT $` + itoa(len(w.args))
	if len(f.Contains) == 0 && len(f.Tags) == 0 {
		var out []workflow.Entity
		err := s.readDo(ctx, "query_entities", func(ctx context.Context, c *pgxpool.Conn) error {
			rows, err := c.Query(ctx, q, w.args...)
			if err != nil {
				return mapErr(err, "entities")
			}
			out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Entity, error) { return scanEntity(r) })
			return err
		})
		return out, err
	}
	// Sparse first: at most denseMatches matches through the GIN indexes
	// (only bitmap scans allowed), sorted; exact when fewer were found.
	sparse := `SELECT ` + entityCols + `, count(*) OVER () FROM (SELECT * FROM entities e WHERE ` + w.sql() +
		` LIMIT ` + itoa(denseMatches) + `) e ORDER BY ` + order + ` LIMIT $` + itoa(len(w.args))
	var out []workflow.Entity
	err := s.readTx(ctx, "query_entities", func(ctx context.Context, tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue("SET LOCAL enable_seqscan = off")
		b.Queue("SET LOCAL enable_indexscan = off")
		b.Queue(sparse, w.args...)
		b.Queue("SET LOCAL enable_seqscan = on")
		b.Queue("SET LOCAL enable_indexscan = on")
		res := tx.SendBatch(ctx, b)
		for range 2 {
			if _, err := res.Exec(); err != nil {
				res.Close()
				return err
			}
		}
		rows, err := res.Query()
		if err != nil {
			res.Close()
			return mapErr(err, "entities")
		}
		total := 0
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Entity, error) {
			var e workflow.Entity
			err := r.Scan(&e.ProjectID, &e.ID, &e.Type, &e.Name, &e.Data, &e.Tags, &e.Version, &e.CreatedAt, &e.UpdatedAt, &e.DeletedAt, &total)
			return e, err
		})
		if err != nil {
			res.Close()
			return mapErr(err, "entities")
		}
		if err := res.Close(); err != nil {
			return err
		}
		if total < denseMatches {
			return nil
		}
		// Dense: walking the order index finds a page after few rows.
		rows, err = tx.Query(ctx, q, w.args...)
		if err != nil {
			return mapErr(err, "entities")
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (workflow.Entity, error) { return scanEntity(r) })
		return err
	})
	return out, err
}

// tags makes nil an empty array: the column is NOT NULL.
func tags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}
