package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/internal/platform/obs"
)

// Runtime is what serve, stdio and the server's commands share once
// started: configuration, logger, registry, pool on a checked schema, and
// the server's wiring.
type Runtime[C any] struct {
	spec     Spec[C]
	vals     Values
	cfg      C
	log      *slog.Logger
	reg      *prometheus.Registry
	metrics  *obs.RequestMetrics
	pool     *dbpool.Pool
	replica  *dbpool.Pool // nil without --database-read-url
	wiring   Wiring
	started  time.Time
	closeLog func()
}

func (rt *Runtime[C]) close() {
	if rt.wiring.Close != nil {
		rt.wiring.Close()
	}
	if rt.replica != nil {
		rt.replica.Close()
	}
	if rt.pool != nil {
		rt.pool.Close()
	}
	rt.closeLog()
}

// configure turns checked option values into the server's typed config.
func configure[C any](spec Spec[C], vals Values) (C, error) {
	var cfg C
	if spec.Config == nil {
		return cfg, nil
	}
	cfg, err := spec.Config(vals)
	if err != nil {
		return cfg, configError(err)
	}
	return cfg, nil
}

// start builds logger, registry, pool (after checking the schema version)
// and the server's wiring. Configuration was validated already.
func start[C any](ctx context.Context, spec Spec[C], vals Values, cfg C, mode string, env Env) (*Runtime[C], error) {
	started := time.Now()
	log, closeLog, err := newLogger(spec.ServerID, vals, env)
	if err != nil {
		return nil, err
	}
	rt := &Runtime[C]{spec: spec, vals: vals, cfg: cfg, started: started, closeLog: closeLog, log: log}
	rt.reg = obs.NewRegistry()
	rt.metrics = obs.NewRequestMetrics(rt.reg, spec.MetricsPrefix)

	poolCfg := dbpool.Config{
		DSN:              vals.String("database-url"),
		MinConns:         int32(vals.Int("db-pool-min")),
		MaxConns:         int32(vals.Int("db-pool-max")),
		AcquireTimeout:   vals.Duration("db-pool-wait"),
		StatementTimeout: vals.Duration("db-statement-timeout"),
	}
	rt.pool, err = dbpool.Open(ctx, poolCfg, rt.log)
	if err != nil {
		rt.closeLog()
		return nil, rt.connectError(err)
	}
	if err := rt.checkSchema(ctx); err != nil {
		rt.close()
		return nil, err
	}
	rt.reg.MustRegister(dbpool.NewCollector(rt.pool, spec.MetricsPrefix))
	if dsn := vals.String("database-read-url"); dsn != "" {
		// The replica's schema is the primary's (it replays it), so it
		// needs no check of its own.
		poolCfg.DSN, poolCfg.Replica = dsn, true
		if rt.replica, err = dbpool.Open(ctx, poolCfg, rt.log.With("pool", "read")); err != nil {
			rt.close()
			return nil, fmt.Errorf("read replica: %w", rt.connectError(err))
		}
		rt.reg.MustRegister(dbpool.NewCollector(rt.replica, spec.MetricsPrefix+"_read"), dbpool.NewLagCollector(rt.replica, spec.MetricsPrefix))
	}
	rt.wiring, err = spec.Wire(ctx, Deps{Logger: rt.log, Registry: rt.reg, Pool: rt.pool,
		Pools: dbpool.NewPools(rt.pool, rt.replica, rt.log), Mode: mode}, cfg)
	if err != nil {
		rt.close()
		return nil, err
	}
	rt.wiring.Tools = replicaReads(rt.wiring.Tools)
	return rt, nil
}

// connectError adds what to do to a connection failure at start.
func (rt *Runtime[C]) connectError(err error) error {
	dsn := RedactURL(rt.vals.String("database-url"))
	switch {
	case errors.Is(err, dbpool.ErrNoDatabase):
		return fmt.Errorf("%w; create it and its schema with: %s migrate --database-url '%s'", err, rt.spec.ServerID, dsn)
	case errors.Is(err, dbpool.ErrAuth):
		return fmt.Errorf("%w; check the user and password in --database-url / %s_DATABASE_URL (and the server's pg_hba.conf)", err, rt.spec.EnvPrefix)
	}
	return err
}

// checkSchema refuses to run on a schema other than the binary's: older
// means `migrate` was not run, newer means the binary is out of date,
// another owner means the database is the other server's.
func (rt *Runtime[C]) checkSchema(ctx context.Context) error {
	ms, err := migrate.Load(rt.spec.Migrations)
	if err != nil {
		return err
	}
	err = migrate.Check(ctx, rt.pool.Pgx(), rt.spec.ServerID, ms)
	var ve *migrate.VersionError
	var oe *migrate.OwnerError
	switch {
	case errors.As(err, &ve):
		msg := ve.Error()
		if ve.Current < ve.Expected {
			msg += fmt.Sprintf("; run: %s migrate --database-url '%s'", rt.spec.ServerID, RedactURL(rt.vals.String("database-url")))
		}
		return &ExitError{Code: ExitSchema, Err: errors.New(msg)}
	case errors.As(err, &oe):
		return &ExitError{Code: ExitSchema, Err: err}
	}
	return err
}

// newMCP builds the MCP server over the bound tools.
func (rt *Runtime[C]) newMCP(cfg mcpserver.Config) (*mcpserver.Server, error) {
	cfg.Name, cfg.Version, cfg.Instructions = rt.spec.ServerID, rt.spec.Version, rt.spec.Instructions
	return mcpserver.New(cfg, rt.log, rt.metrics, rt.wiring.Tools)
}

// uptime is the time since start in seconds, to two decimals.
func (rt *Runtime[C]) uptime() float64 {
	return float64(int64(time.Since(rt.started).Seconds()*100)) / 100
}

// startCancelled reports whether start failed because a signal arrived
// while it was connecting: a requested shutdown, not a failure (exit 0).
func startCancelled(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}
