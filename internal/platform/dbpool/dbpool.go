// Package dbpool manages a server's PostgreSQL connection pool: it opens a
// pgxpool with pgvector types registered, watches the database with a
// dedicated probe connection so a lost database is noticed within seconds
// and reconnection is logged, bounds how long a request waits for a
// connection, retries transient connection failures and keeps the health
// state that /health reports without touching the database.
package dbpool

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

// Config configures [Open]. Zero fields take the defaults named in their comments.
type Config struct {
	// DSN is the PostgreSQL connection URL or keyword/value string.
	DSN string
	// MinConns is the number of connections kept open (0 is allowed).
	MinConns int32
	// MaxConns caps the pool (default 10).
	MaxConns int32
	// ConnectTimeout bounds one connection attempt (default 10 s).
	ConnectTimeout time.Duration
	// StatementTimeout is the server-side statement_timeout of every pooled
	// connection (default 5 s); a negative value disables it.
	StatementTimeout time.Duration
	// AcquireTimeout caps how long an operation waits for a free connection
	// before it fails with SERVICE_UNAVAILABLE (default 30 s).
	AcquireTimeout time.Duration
	// StartupWait is how long Open keeps retrying a database that does not
	// answer yet (default 15 s).
	StartupWait time.Duration
	// ProbeInterval is the period of the liveness probe (default 1 s).
	ProbeInterval time.Duration
	// ProbeTimeout bounds one probe (default 1 s).
	ProbeTimeout time.Duration
	// SlowProbe is the probe latency above which the database counts as
	// slow and health as degraded (default 500 ms).
	SlowProbe time.Duration
	// SlowQuery is the duration above which a [Pool.Do] or [Pool.Tx]
	// logs slow_query at DEBUG (default 200 ms). The WARNING
	// slow_operation belongs to the request layer, which logs it once per
	// request.
	SlowQuery time.Duration
	// MaxRetries is how many times an operation is retried after a
	// failure that left nothing applied (default 3); see [Pool.Do] and
	// [Pool.Tx] for which failures qualify.
	MaxRetries int
	// RetryBackoff is the first retry delay; it doubles per retry (default 100 ms).
	RetryBackoff time.Duration
	// ReconnectBackoffMax caps the probe backoff while the database is lost (default 5 s).
	ReconnectBackoffMax time.Duration
	// UtilizationWarnEvery rate-limits pool_utilization_high (default 10 s).
	UtilizationWarnEvery time.Duration
	// Replica marks a read-replica pool: its monitor also measures the
	// replication lag ([Pool.ReplicationLag]).
	Replica bool
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.MaxConns == 0 {
		c.MaxConns = 10
	}
	def(&c.ConnectTimeout, 10*time.Second)
	def(&c.StatementTimeout, 5*time.Second)
	def(&c.AcquireTimeout, 30*time.Second)
	def(&c.StartupWait, 15*time.Second)
	def(&c.ProbeInterval, time.Second)
	def(&c.ProbeTimeout, time.Second)
	def(&c.SlowProbe, 500*time.Millisecond)
	def(&c.SlowQuery, 200*time.Millisecond)
	def(&c.RetryBackoff, 100*time.Millisecond)
	def(&c.ReconnectBackoffMax, 5*time.Second)
	def(&c.UtilizationWarnEvery, 10*time.Second)
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.MinConns < 0 || c.MaxConns < 1 || c.MinConns > c.MaxConns {
		return fmt.Errorf("pool sizes: min %d and max %d must satisfy 0 <= min <= max and max >= 1", c.MinConns, c.MaxConns)
	}
	if _, err := pgxpool.ParseConfig(c.DSN); err != nil {
		return fmt.Errorf("database url: %w", err)
	}
	return nil
}

// Pool is a monitored pgx connection pool.
type Pool struct {
	cfg     Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	target  string // host:port/db, for messages; never the password
	waiting atomic.Int64

	mu    sync.Mutex
	state state

	statements *statementCounter // pgx tracer: statements sent per Do callback

	lastUtilWarn  atomic.Int64 // unix nanos of the last pool_utilization_high
	lastQueueWarn atomic.Int64 // the same, for requests queueing
	lagMillis     atomic.Int64 // replication lag of a replica, from its monitor
	stop          context.CancelFunc
	done          chan struct{}
}

// state is what the monitor last learned about the database.
type state struct {
	connected    bool
	lastOK       time.Time
	lostAt       time.Time
	probeLatency time.Duration
	lastError    string
}

// Open connects to the database, retrying for up to cfg.StartupWait, and
// starts the monitor. Close stops both.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Pool, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	pcfg.MinConns = cfg.MinConns
	pcfg.MaxConns = cfg.MaxConns
	pcfg.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	if cfg.StatementTimeout > 0 {
		pcfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	}
	pcfg.AfterConnect = registerVectorTypes
	p := &Pool{cfg: cfg, log: log, target: Target(cfg.DSN), statements: &statementCounter{}, done: make(chan struct{})}
	pcfg.ConnConfig.Tracer = p.statements

	deadline := time.Now().Add(cfg.StartupWait)
	for attempt := 0; ; attempt++ {
		p.pool, err = pgxpool.NewWithConfig(ctx, pcfg)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
			err = p.pool.Ping(pctx)
			cancel()
			if err == nil {
				break
			}
			p.pool.Close()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if ferr := permanent(err); ferr != nil {
			return nil, fmt.Errorf("connect to database %s: %w", p.target, ferr)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cannot connect to database %s after %s: %w (is PostgreSQL running? `make db` starts the local one)",
				p.target, cfg.StartupWait, err)
		}
		wait := backoff(cfg.RetryBackoff*4, cfg.ReconnectBackoffMax, attempt)
		log.Warn("database_connect_retry", "context", map[string]any{
			"database": p.target, "attempt": attempt + 1, "retry_in_seconds": wait.Seconds(), "error": err.Error()})
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	now := time.Now()
	p.state = state{connected: true, lastOK: now}
	mctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go p.monitor(mctx)
	return p, nil
}

// registerVectorTypes teaches each new connection the pgvector types once
// the extension exists; before `migrate` created it there is nothing to register.
func registerVectorTypes(ctx context.Context, c *pgx.Conn) error {
	var present bool
	if err := c.QueryRow(ctx, "SELECT to_regtype('vector') IS NOT NULL").Scan(&present); err != nil {
		return err
	}
	if !present {
		return nil
	}
	return pgxvec.RegisterTypes(ctx, c)
}

// Close stops the monitor and closes every connection.
func (p *Pool) Close() {
	if p.stop != nil {
		p.stop()
		<-p.done
	}
	p.pool.Close()
}

// Pgx returns the underlying pgxpool for stores that need the full pgx API.
// Prefer [Pool.Do] and [Pool.Tx], which add retries, the wait cap and logging.
func (p *Pool) Pgx() *pgxpool.Pool { return p.pool }

// Target returns host:port/database of dsn without user or password, for
// messages and logs.
func Target(dsn string) string {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		if u, uerr := url.Parse(dsn); uerr == nil {
			return u.Host + u.Path
		}
		return "(unparsable database url)"
	}
	return fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
}

// backoff returns min(base*2^attempt, max) with ±20 % jitter.
func backoff(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return jitter(d)
}
