// Package pgstore implements [workflow.Store] on PostgreSQL through
// [dbpool.Pools]: JSONB for free-form data, version-checked updates for
// optimistic concurrency, PostgreSQL errors translated to apperr codes,
// and the reads of read-only requests answered by a streaming replica
// when one is configured (see routing.go).
package pgstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/workflow"
)

// Store is the PostgreSQL workflow store.
type Store struct {
	pools *dbpool.Pools
}

var _ workflow.Store = (*Store)(nil)

// New returns a Store on db alone, whose schema is migrations.Workflow().
func New(db *dbpool.Pool) *Store { return NewRouted(dbpool.NewPools(db, nil, nil)) }

// NewRouted returns a Store that writes to pools.Write() and answers the
// reads of requests marked with [dbpool.WithReplicaReads] from
// pools.Read(); see routing.go for which reads those are.
func NewRouted(pools *dbpool.Pools) *Store { return &Store{pools: pools} }

// mapErr translates driver errors into apperr errors; what names the row
// kind for NOT_FOUND. Connection errors pass unchanged, so dbpool can
// retry and classify them.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "%s not found", what)
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err
	}
	switch pg.Code {
	case "23505": // unique_violation
		return apperr.Wrap(err, apperr.AlreadyExists, uniqueMessage(pg.ConstraintName))
	case "23503": // foreign_key_violation
		return apperr.Wrap(err, apperr.NotFound, "a referenced row does not exist in this project ("+pg.ConstraintName+")")
	case "23514", "23502", "22001", "22P02", "22023": // check, not null, too long, bad text, bad parameter
		return apperr.Wrap(err, apperr.Validation, "the database rejected the value: "+pg.Message)
	case "40001", "40P01": // serialization failure, deadlock
		return apperr.Wrap(err, apperr.VersionConflict, "a concurrent change conflicted with this one; read again and retry")
	}
	return fmt.Errorf("%s: %w", what, err)
}

// uniqueMessage says which name is taken, from the constraint's name.
func uniqueMessage(constraint string) string {
	switch constraint {
	case "projects_name_key":
		return "a project with this name already exists (names are case-insensitive); pick another name or use the existing project"
	case "entities_name_key":
		return "a live entity of this type with this name already exists (names are case-insensitive); update it instead"
	case "entity_types_pkey":
		return "this entity type is already registered"
	case "work_item_dependencies_pkey":
		return "this dependency already exists"
	}
	return "already exists (" + constraint + ")"
}

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

// add appends a condition in which each "?" stands for the next of vals.
func (w *where) add(cond string, vals ...any) {
	for _, v := range vals {
		w.args = append(w.args, v)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

func itoa(i int) string { return fmt.Sprint(i) }
