package dbpool

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// statementCounter counts the statements each connection starts while it
// runs a [Pool.Do] callback. It is the pgx tracer of every pooled
// connection: Do may repeat a callback only when the failed statement was
// its first, because pgconn.SafeToRetry speaks for the failed statement
// alone and an earlier one may already have committed.
type statementCounter struct {
	counts sync.Map // *pgx.Conn → *atomic.Int32, only while a callback runs
}

var (
	_ pgx.QueryTracer    = (*statementCounter)(nil)
	_ pgx.BatchTracer    = (*statementCounter)(nil)
	_ pgx.CopyFromTracer = (*statementCounter)(nil)
)

// track starts counting the statements of c and returns the counter.
func (s *statementCounter) track(c *pgx.Conn) *atomic.Int32 {
	n := new(atomic.Int32)
	s.counts.Store(c, n)
	return n
}

// untrack stops counting the statements of c.
func (s *statementCounter) untrack(c *pgx.Conn) { s.counts.Delete(c) }

func (s *statementCounter) add(c *pgx.Conn) {
	if n, ok := s.counts.Load(c); ok {
		n.(*atomic.Int32).Add(1)
	}
}

// TraceQueryStart counts Exec, Query and QueryRow.
func (s *statementCounter) TraceQueryStart(ctx context.Context, c *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.add(c)
	return ctx
}

// TraceQueryEnd implements [pgx.QueryTracer].
func (s *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts a batch as one statement: it is sent at once.
func (s *statementCounter) TraceBatchStart(ctx context.Context, c *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	s.add(c)
	return ctx
}

// TraceBatchQuery implements [pgx.BatchTracer].
func (s *statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements [pgx.BatchTracer].
func (s *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart counts CopyFrom.
func (s *statementCounter) TraceCopyFromStart(ctx context.Context, c *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	s.add(c)
	return ctx
}

// TraceCopyFromEnd implements [pgx.CopyFromTracer].
func (s *statementCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}
