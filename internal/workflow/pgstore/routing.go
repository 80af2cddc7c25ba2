package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Read routing follows dbpool's rules (internal/platform/dbpool/routing.go):
// reads of a context marked with [dbpool.WithReplicaReads] (the launch
// runtime marks every read-only tool's calls) may be answered by the
// replica, NOT_FOUND and SERVICE_UNAVAILABLE there are asked again on the
// primary, and everything else uses the primary. Two rules are
// workflow-mcp's own:
//
//   - The reads made inside a write (the version check and the parent
//     lookup of update_work_item, the current schema of
//     register_entity_type, a transaction's own reads) come from tools
//     that are not read-only, so they stay on the primary.
//   - The active project is always read on the primary. It decides which
//     project every call without project_id acts on, so a stale answer
//     would send a query (or a write) to the previous project right after
//     switch_project, possibly through another server replica. It is a
//     one-row primary-key lookup.
//
// A stale version read from the replica cannot cause a lost update: every
// write checks the version on the primary and answers VERSION_CONFLICT
// with the current one.

// readDo runs a read on the replica when ctx allows it (see above).
func (s *Store) readDo(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	return s.pools.ReadDo(ctx, op, fn)
}

// readTx is [Store.readDo] for a read that needs a transaction.
func (s *Store) readTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.pools.ReadTx(ctx, op, fn)
}
