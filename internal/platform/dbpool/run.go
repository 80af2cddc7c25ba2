package dbpool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/apperr"
)

// retryAfterLost is what clients are told to wait while the database is down.
const retryAfterLost = 5 * time.Second

// Do runs fn on a pooled connection. It waits at most AcquireTimeout for a
// connection, retries connection failures that happened before anything was
// sent up to MaxRetries times with backoff, and logs slow_operation when fn
// takes longer than SlowOperation. Connection failures and timeouts come
// back as SERVICE_UNAVAILABLE; fn's other errors are returned unchanged.
func (p *Pool) Do(ctx context.Context, op string, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	return p.run(ctx, op, func(ctx context.Context, c *pgxpool.Conn) (bool, error) {
		err := fn(ctx, c)
		return retryable(err), err
	})
}

// Tx runs fn in a transaction, committing when it returns nil. A connection
// failure before the commit is retried like in [Pool.Do] (the transaction
// was rolled back by the server); a failure during the commit is not,
// because the commit may have happened.
func (p *Pool) Tx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return p.run(ctx, op, func(ctx context.Context, c *pgxpool.Conn) (bool, error) {
		tx, err := c.Begin(ctx)
		if err != nil {
			return true, err
		}
		if err := fn(ctx, tx); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return isConnectionError(err), err
		}
		if err := tx.Commit(ctx); err != nil {
			return false, err
		}
		return false, nil
	})
}

// run is the retry loop shared by Do and Tx; fn reports whether its error
// may be retried.
func (p *Pool) run(ctx context.Context, op string, fn func(context.Context, *pgxpool.Conn) (bool, error)) error {
	start := time.Now()
	defer func() {
		if d := time.Since(start); d > p.cfg.SlowOperation {
			p.log.WarnContext(ctx, "slow_operation", "operation_name", op, "context", map[string]any{
				"duration_ms": d.Milliseconds(), "threshold_ms": p.cfg.SlowOperation.Milliseconds()})
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
	st := p.pool.Stat()
	max := st.MaxConns()
	if max == 0 || float64(st.AcquiredConns())/float64(max)*100 <= utilizationDegraded {
		return
	}
	now := time.Now().UnixNano()
	last := p.lastUtilWarn.Load()
	if now-last < int64(p.cfg.UtilizationWarnEvery) || !p.lastUtilWarn.CompareAndSwap(last, now) {
		return
	}
	p.log.WarnContext(ctx, "pool_utilization_high", "context", map[string]any{
		"size":                st.TotalConns(),
		"in_use":              st.AcquiredConns(),
		"free":                st.IdleConns(),
		"max_size":            max,
		"min_size":            p.cfg.MinConns,
		"utilization_percent": float64(int64(float64(st.AcquiredConns())/float64(max)*1000+0.5)) / 10,
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

// retryable reports errors after which the statement certainly did not
// take effect: nothing was sent, or the server ended the session (admin or
// crash shutdown) before or while running it, which rolls it back.
func retryable(err error) bool {
	if err == nil {
		return false
	}
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
	return false
}

// isConnectionError reports errors that mean the connection, not the
// statement, failed: the retryable ones, and network failures that may
// have happened after the statement was sent.
func isConnectionError(err error) bool {
	if retryable(err) {
		return true
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) || pgconn.Timeout(err)
}
