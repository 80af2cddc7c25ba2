package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
)

// Read routing. A streaming replica lags the primary by the replication
// delay, so only a request that reads and never writes may read there;
// everything else reads where it writes. The rules:
//
//   - Writes, and every read made inside a write (the version check and
//     the parent lookup of update_work_item, the current schema of
//     register_entity_type, a transaction's own reads), use the primary.
//     The service makes those reads through the same Store methods as the
//     read-only tools, so the store cannot tell them apart by method:
//     the request says so instead. A context marked with
//     [NewContextWithReplicaReads] (workflow-mcp marks the calls of its
//     read-only tools) may read from the replica; an unmarked context
//     never does. Unmarked is the safe default.
//   - The active project is always read on the primary. It decides which
//     project every call without project_id acts on, so a stale answer
//     would send a query (or a write) to the previous project right after
//     switch_project, possibly through another server replica. It is a
//     one-row primary-key lookup.
//   - A replica read that finds nothing (NOT_FOUND) or cannot reach the
//     replica (SERVICE_UNAVAILABLE) runs again on the primary: a row a
//     client created a moment ago through any server replica is never
//     reported missing, and a replica lost between two probes of its
//     monitor costs a retry, not a failed read.
//   - Lists may otherwise lag by the replication delay, exposed as
//     <prefix>_db_replica_lag_seconds. A stale version read from the
//     replica cannot cause a lost update: every write checks the version
//     on the primary and answers VERSION_CONFLICT with the current one.

// replicaReadsKey marks a context whose reads may use the replica.
type replicaReadsKey struct{}

// NewContextWithReplicaReads marks ctx as a read-only request: the Store
// may answer its reads from the read replica, which lags the primary by
// the replication delay. Writes and the active project still use the
// primary.
func NewContextWithReplicaReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, replicaReadsKey{}, true)
}

// replicaReadsFromContext reports whether ctx was marked by
// [NewContextWithReplicaReads].
func replicaReadsFromContext(ctx context.Context) bool {
	ok, _ := ctx.Value(replicaReadsKey{}).(bool)
	return ok
}

// replica returns the pool a read of ctx may use other than the primary,
// or nil when it must (or can only) use the primary.
func (s *Store) replica(ctx context.Context) *dbpool.Pool {
	if !replicaReadsFromContext(ctx) {
		return nil
	}
	if p := s.pools.Read(); p != s.pools.Write() {
		return p
	}
	return nil
}

// retryOnPrimary reports whether a replica read's error calls for the
// same read on the primary.
func retryOnPrimary(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	switch apperr.CodeOf(err) {
	case apperr.NotFound, apperr.Unavailable:
		return true
	}
	return false
}

// readDo runs a read with [dbpool.Pool.Do] on the replica when ctx allows
// it, else (or again, see [retryOnPrimary]) on the primary. fn must only
// read and must overwrite whatever it returns, since it may run twice.
func (s *Store) readDo(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	if r := s.replica(ctx); r != nil {
		if err := r.Do(ctx, op, fn); !retryOnPrimary(ctx, err) {
			return err
		}
	}
	return s.pools.Write().Do(ctx, op, fn)
}

// readTx is [Store.readDo] for a read that needs a transaction (SET LOCAL
// planner settings); a hot standby runs read-only transactions.
func (s *Store) readTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if r := s.replica(ctx); r != nil {
		if err := r.Tx(ctx, op, fn); !retryOnPrimary(ctx, err) {
			return err
		}
	}
	return s.pools.Write().Tx(ctx, op, fn)
}
