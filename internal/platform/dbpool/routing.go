package dbpool

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Read routing, shared by both servers' stores. A streaming replica lags
// the primary by the replication delay, so only a request that reads and
// never writes may read there; everything else reads where it writes:
//
//   - A context marked with [WithReplicaReads] may read from the replica.
//     The launch runtime marks the calls of every read-only tool
//     (readOnlyHint), for MCP and REST alike; an unmarked context never
//     reads there. Unmarked is the safe default: the reads a write makes
//     (a version check, a parent lookup, a job claim) go through the same
//     store methods as the read-only tools, so the request must say which
//     it is.
//   - A replica read that finds nothing (NOT_FOUND or no rows) or cannot
//     reach the replica (SERVICE_UNAVAILABLE) runs again on the primary:
//     a row a client created a moment ago through any server replica is
//     never reported missing, and a replica lost between two probes of its
//     monitor costs a retry, not a failed read.
//   - Otherwise a read may lag by the replication delay, exposed as
//     <prefix>_db_replica_lag_seconds.

// replicaReadsKey marks a context whose reads may use the replica.
type replicaReadsKey struct{}

// WithReplicaReads marks ctx as a read-only request: [Pools.ReadDo] and
// [Pools.ReadTx] may answer its reads from the read replica.
func WithReplicaReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, replicaReadsKey{}, true)
}

// ReplicaReads reports whether ctx was marked by [WithReplicaReads].
func ReplicaReads(ctx context.Context) bool {
	ok, _ := ctx.Value(replicaReadsKey{}).(bool)
	return ok
}

// readReplica returns the pool a read of ctx may use other than the
// primary, or nil when it must (or can only) use the primary.
func (ps *Pools) readReplica(ctx context.Context) *Pool {
	if !ReplicaReads(ctx) {
		return nil
	}
	if p := ps.Read(); p != ps.Write() {
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
	if errors.Is(err, pgx.ErrNoRows) {
		return true
	}
	switch apperr.CodeOf(err) {
	case apperr.NotFound, apperr.Unavailable:
		return true
	}
	return false
}

// ReadDo runs a read with [Pool.Do] on the replica when ctx allows it,
// else (or again, see the rules above) on the primary. fn must only read
// and must overwrite whatever it returns, since it may run twice.
func (ps *Pools) ReadDo(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	if r := ps.readReplica(ctx); r != nil {
		if err := r.Do(ctx, op, fn); !retryOnPrimary(ctx, err) {
			return err
		}
	}
	return ps.Write().Do(ctx, op, fn)
}

// ReadTx is [Pools.ReadDo] for a read that needs a transaction (SET LOCAL
// planner settings, a consistent snapshot over several statements); a hot
// standby runs read-only transactions.
func (ps *Pools) ReadTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if r := ps.readReplica(ctx); r != nil {
		if err := r.Tx(ctx, op, fn); !retryOnPrimary(ctx, err) {
			return err
		}
	}
	return ps.Write().Tx(ctx, op, fn)
}

// ReadFound runs a read that reports whether something exists (found is
// set by fn) on the replica when ctx allows it; "not there" on the replica
// is asked again on the primary, like NOT_FOUND in [Pools.ReadDo].
func (ps *Pools) ReadFound(ctx context.Context, op string, found *bool, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	if r := ps.readReplica(ctx); r != nil {
		err := r.Do(ctx, op, fn)
		if err == nil && *found {
			return nil
		}
		if err != nil && !retryOnPrimary(ctx, err) {
			return err
		}
	}
	return ps.Write().Do(ctx, op, fn)
}
