// Package pgstore stores codebase-mcp's projects, repositories, files,
// chunks, lexical statistics and index jobs in PostgreSQL with pgvector.
// Bulk writes use COPY; every batch of the index service is one
// transaction, so the index is consistent after any crash. PostgreSQL
// errors leave this package as apperr codes; pgx types never do.
package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
)

// Store is the PostgreSQL storage of codebase-mcp.
type Store struct {
	pools *dbpool.Pools
}

// New returns a store over pool alone.
func New(pool *dbpool.Pool) *Store { return NewRouted(dbpool.NewPools(pool, nil, nil)) }

// NewRouted returns a store that writes to pools.Write() and answers the
// reads of read-only requests from pools.Read() (see [Store.do]).
func NewRouted(pools *dbpool.Pools) *Store { return &Store{pools: pools} }

// Available reports whether the primary's monitor currently reaches the
// database. The index service pauses its jobs while it does not.
func (s *Store) Available() bool { return s.pools.Write().Connected() }

// ErrLeaseLost is returned by job writes of a worker whose lease on the
// job expired and was taken over by another worker (or the job was
// finished meanwhile); the worker must stop working on the job.
var ErrLeaseLost = errors.New("pgstore: job lease lost")

// SQLSTATE codes translated to apperr codes.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
	invalidText         = "22P02"
	deadlockDetected    = "40P01"
	serializationFail   = "40001"
)

// mapErr translates driver errors: no rows -> NotFound(what), unique
// violation -> AlreadyExists, bad input -> Validation. Connection failures
// were already turned into Unavailable by dbpool; other errors pass.
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
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case uniqueViolation:
			return apperr.Wrap(err, apperr.AlreadyExists, what+" already exists")
		case foreignKeyViolation:
			return apperr.Wrap(err, apperr.NotFound, what+": a referenced row does not exist")
		case checkViolation, invalidText:
			return apperr.Wrap(err, apperr.Validation, what+": invalid value: "+pgErr.Message)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isTransientConflict reports a deadlock or serialization failure: the
// transaction was rolled back and may simply be run again.
func isTransientConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == deadlockDetected || pgErr.Code == serializationFail)
}

// do runs fn on a pooled connection (dbpool retries and timeouts apply):
// on the read replica when ctx is a read-only request
// ([dbpool.WithReplicaReads]: search_code, get_chunks, list_repositories,
// get_indexing_status), else on the primary, with dbpool's fallback to the
// primary for NOT_FOUND and an unreachable replica. Writes never run in a
// marked context: the index worker and the tools that write use unmarked
// contexts, so their reads see their own writes. A search after a job
// reported "completed" by get_indexing_status sees the job's chunks: both
// are read from the same replica, which replays the chunks' transactions
// before the job's final one.
func (s *Store) do(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	return s.pools.ReadDo(ctx, op, fn)
}

// tx runs fn in a transaction and runs it again (up to 3 times) when
// PostgreSQL aborted it for a deadlock or serialization failure.
func (s *Store) tx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = s.pools.Write().Tx(ctx, op, fn)
		if !isTransientConflict(err) {
			return err
		}
	}
	return err
}
