package dbpool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
)

// retryAfterLost is what clients are told to wait while the database is down.
const retryAfterLost = 5 * time.Second

// Do runs fn on a pooled connection; each statement fn runs commits on
// its own unless fn opens a transaction. Do waits at most AcquireTimeout
// for a connection.
//
// Do repeats fn (up to MaxRetries times, with backoff) only when nothing of
// it can have reached the database: no connection could be acquired, or
// fn's first statement failed before anything was sent
// (pgconn.SafeToRetry). Once a statement was sent it may have committed,
// even when the session ended before the answer arrived, so every later
// failure (a terminated session, a closed connection, a passed deadline, a
// serialization failure) is returned and never retried: an INSERT in fn
// cannot run twice. Work that should be retried after such failures
// belongs in [Pool.Tx], which can retry a whole transaction. Statements
// are counted through pgx's tracer, so fn must use the pgx API of c
// (Exec, Query, QueryRow, SendBatch, CopyFrom), not the raw PgConn.
//
// Connection failures and statement timeouts come back as
// SERVICE_UNAVAILABLE; fn's other errors are returned unchanged.
func (p *Pool) Do(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	return p.run(ctx, op, func(ctx context.Context, c *pgxpool.Conn) (bool, error) {
		sent := p.statements.track(c.Conn())
		defer p.statements.untrack(c.Conn())
		err := fn(ctx, c)
		return err != nil && pgconn.SafeToRetry(err) && sent.Load() <= 1, err
	})
}

// Tx runs fn in a transaction and commits when fn returns nil.
//
// A transaction that did not commit left nothing behind, so Tx runs it
// again from the start (up to MaxRetries times, with backoff) when it
// failed before the commit for a transient reason: the session ended
// (lost connection, administrator termination, crash restart; the server
// rolled the transaction back), or PostgreSQL aborted it with a
// serialization failure or a deadlock (SQLSTATE 40001, 40P01). fn may
// therefore run more than once and must have no effects outside tx. A
// failed COMMIT is retried only when nothing of it was sent
// (pgconn.SafeToRetry); any other COMMIT failure is returned, because the
// transaction may have committed.
//
// Errors are classified as in [Pool.Do].
func (p *Pool) Tx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return p.run(ctx, op, func(ctx context.Context, c *pgxpool.Conn) (bool, error) {
		tx, err := c.Begin(ctx)
		if err != nil {
			return true, err // nothing of the transaction ran
		}
		if err := fn(ctx, tx); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return abortedTransient(err), err
		}
		if err := tx.Commit(ctx); err != nil {
			return pgconn.SafeToRetry(err), err
		}
		return false, nil
	})
}

// run is the retry loop shared by Do and Tx; fn reports whether its error
// may be retried. An operation slower than SlowQuery logs slow_query at
// DEBUG: slow_operation is the request layer's event, logged once per
// request.
func (p *Pool) run(ctx context.Context, op string, fn func(context.Context, *pgxpool.Conn) (bool, error)) error {
	start := time.Now()
	attempts := 0
	defer func() {
		if d := time.Since(start); d > p.cfg.SlowQuery {
			p.log.DebugContext(ctx, "slow_query", "operation_name", op, "context", map[string]any{
				"duration_ms": d.Milliseconds(), "threshold_ms": p.cfg.SlowQuery.Milliseconds(), "attempts": attempts})
		}
	}()
	var err error
	for attempt := 0; attempt <= p.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff(p.cfg.RetryBackoff, 2*time.Second, attempt-1)):
			}
		}
		if !p.Connected() {
			err = errLost
			continue
		}
		var c *pgxpool.Conn
		c, err = p.acquire(ctx)
		if err != nil {
			if apperr.CodeOf(err) == apperr.Unavailable || ctx.Err() != nil {
				return err
			}
			continue // a failed connect is always safe to retry
		}
		attempts++
		var retry bool
		retry, err = fn(ctx, c)
		c.Release()
		if err == nil || !retry || ctx.Err() != nil {
			break
		}
		p.log.DebugContext(ctx, "database_retry", "operation_name", op, "context", map[string]any{
			"attempt": attempt + 1, "error": err.Error()})
	}
	return p.classify(err)
}

var errLost = errors.New("dbpool: database connection lost")

// acquire waits at most AcquireTimeout for a connection.
func (p *Pool) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, p.cfg.AcquireTimeout)
	defer cancel()
	p.waiting.Add(1)
	if st := p.pool.Stat(); st.AcquiredConns() >= st.MaxConns() {
		// This request is about to queue: report the queue it joins.
		p.warnUtilization(ctx, st, &p.lastQueueWarn)
	}
	c, err := p.pool.Acquire(actx)
	p.waiting.Add(-1)
	if err != nil {
		if ctx.Err() == nil && actx.Err() != nil {
			st := p.pool.Stat()
			return nil, (&apperr.Error{
				Code: apperr.Unavailable,
				Message: fmt.Sprintf("no database connection became free within %s (pool max %d, %d in use, %d waiting); retry shortly",
					p.cfg.AcquireTimeout, st.MaxConns(), st.AcquiredConns(), p.waiting.Load()),
				RetryAfter: time.Second,
				Err:        err,
			})
		}
		return nil, err
	}
	p.checkUtilization(ctx)
	return c, nil
}

// checkUtilization logs pool_utilization_high, at most once per
// UtilizationWarnEvery, when more than 80 % of the connections are in use.
func (p *Pool) checkUtilization(ctx context.Context) {
	p.warnUtilization(ctx, p.pool.Stat(), &p.lastUtilWarn)
}

// warnUtilization logs pool_utilization_high above 80 % use, at most once
// per UtilizationWarnEvery per limiter: one for a pool running hot, one
// for requests queueing for a connection (whose line shows the waiting
// count; the first would otherwise often show 0 waiting and hold the
// limiter while the queue builds).
func (p *Pool) warnUtilization(ctx context.Context, st *pgxpool.Stat, last *atomic.Int64) {
	util := utilization(st)
	if util <= utilizationDegraded {
		return
	}
	now := time.Now().UnixNano()
	prev := last.Load()
	if now-prev < int64(p.cfg.UtilizationWarnEvery) || !last.CompareAndSwap(prev, now) {
		return
	}
	p.log.WarnContext(ctx, "pool_utilization_high", "context", map[string]any{
		"size":                st.TotalConns(),
		"in_use":              st.AcquiredConns(),
		"free":                st.IdleConns(),
		"max_size":            st.MaxConns(),
		"min_size":            p.cfg.MinConns,
		"utilization_percent": util,
		"waiting":             p.waiting.Load(),
	})
}

// classify turns connection failures and statement timeouts into
// SERVICE_UNAVAILABLE and leaves every other error as it is.
func (p *Pool) classify(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "57014" { // query_canceled: statement_timeout
		return &apperr.Error{Code: apperr.Unavailable, RetryAfter: time.Second, Err: err,
			Message: fmt.Sprintf("database statement exceeded the %s timeout", p.cfg.StatementTimeout)}
	}
	if errors.Is(err, errLost) || isConnectionError(err) {
		return &apperr.Error{Code: apperr.Unavailable, RetryAfter: retryAfterLost, Err: err,
			Message: "database unavailable; the server is reconnecting, retry shortly"}
	}
	return err
}

// abortedTransient reports failures after which an uncommitted
// transaction is certainly rolled back and worth running again: the
// session failed, or PostgreSQL aborted it for a conflict with another one.
func abortedTransient(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return isConnectionError(err)
}

// isConnectionError reports errors that mean the connection, not the
// statement, failed: nothing was sent, the server ended the session (admin
// or crash shutdown, SQLSTATE class 08), or the network failed, possibly
// after the statement was sent.
func isConnectionError(err error) bool {
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	// io.ErrUnexpectedEOF: the server went away in the middle of an answer
	// (a crash or an immediate shutdown while rows were streaming).
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || pgconn.Timeout(err) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}
