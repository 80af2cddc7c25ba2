package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/internal/platform/obs"
)

// runtime is what serve and stdio share once started.
type runtime struct {
	spec     Spec
	vals     Values
	log      *slog.Logger
	reg      *prometheus.Registry
	metrics  *obs.RequestMetrics
	pool     *dbpool.Pool
	wiring   Wiring
	mcp      *mcpserver.Server
	started  time.Time
	closeLog func()
}

func (rt *runtime) close() {
	if rt.wiring.Close != nil {
		rt.wiring.Close()
	}
	if rt.pool != nil {
		rt.pool.Close()
	}
	rt.closeLog()
}

// start builds logger, registry, pool (after checking the schema version)
// and the server's tools. Configuration was validated already.
func start(ctx context.Context, spec Spec, vals Values, env Env) (*runtime, error) {
	started := time.Now()
	log, closeLog, err := newLogger(spec, vals, env)
	if err != nil {
		return nil, err
	}
	rt := &runtime{spec: spec, vals: vals, started: started, closeLog: closeLog, log: log}
	rt.reg = obs.NewRegistry()
	rt.metrics = obs.NewRequestMetrics(rt.reg, spec.MetricsPrefix)

	rt.pool, err = dbpool.Open(ctx, dbpool.Config{
		DSN:              vals["database-url"],
		MinConns:         int32(vals.Int("db-pool-min")),
		MaxConns:         int32(vals.Int("db-pool-max")),
		AcquireTimeout:   vals.Duration("db-pool-wait"),
		StatementTimeout: vals.Duration("db-statement-timeout"),
	}, rt.log)
	if err != nil {
		rt.closeLog()
		return nil, err
	}
	if err := rt.checkSchema(ctx); err != nil {
		rt.close()
		return nil, err
	}
	rt.reg.MustRegister(dbpool.NewCollector(rt.pool, spec.MetricsPrefix))
	rt.wiring, err = spec.Wire(ctx, Deps{Values: vals, Logger: rt.log, Registry: rt.reg, Pool: rt.pool})
	if err != nil {
		rt.close()
		return nil, err
	}
	rt.mcp, err = mcpserver.New(mcpserver.Config{Name: spec.ServerID, Version: spec.Version, Instructions: spec.Instructions},
		rt.log, rt.metrics, rt.wiring.Tools)
	if err != nil {
		rt.close()
		return nil, err
	}
	return rt, nil
}

// checkSchema refuses to run on a schema other than the binary's: older
// means `migrate` was not run, newer means the binary is out of date.
func (rt *runtime) checkSchema(ctx context.Context) error {
	ms, err := migrate.Load(rt.spec.Migrations)
	if err != nil {
		return err
	}
	err = migrate.Check(ctx, rt.pool.Pgx(), rt.spec.ServerID, ms)
	var ve *migrate.VersionError
	if errors.As(err, &ve) {
		msg := ve.Error()
		if ve.Current < ve.Expected {
			msg += fmt.Sprintf("; run: %s migrate --database-url '%s'", rt.spec.ServerID, RedactURL(rt.vals["database-url"]))
		}
		return &ExitError{Code: ExitSchema, Err: errors.New(msg)}
	}
	return err
}

func serve(ctx context.Context, spec Spec, args []string, env Env) error {
	vals, err := parseServer(spec.ServerID+" serve", spec.serveOptions(), args, env)
	if err != nil {
		return err
	}
	host := vals["host"]
	if !isLoopback(host) && vals["auth-token"] == "" {
		return configError(fmt.Errorf("refusing to bind non-loopback host %q without an auth token: set --auth-token or MCP_AUTH_TOKEN, or bind 127.0.0.1", host))
	}
	// Bind before anything else starts, so a taken port fails fast and
	// changes nothing.
	ln, err := httpserver.Listen(host, vals.Int("port"))
	if err != nil {
		var pe *httpserver.PortInUseError
		if errors.As(err, &pe) {
			return &ExitError{Code: ExitPortInUse, Err: err}
		}
		return configError(err)
	}
	defer ln.Close()

	rt, err := start(ctx, spec, vals, env)
	if err != nil {
		return err
	}
	defer rt.close()

	deps := newDependencyProber(rt.wiring.Dependencies)
	go deps.run(ctx)
	sseH, msgH := rt.mcp.SSE()
	hs, err := httpserver.New(httpserver.Config{AuthToken: vals["auth-token"]}, httpserver.Deps{
		Logger:   rt.log,
		Metrics:  rt.metrics,
		Gatherer: rt.reg,
		Health:   func(context.Context) httpserver.HealthReport { return rt.health(deps) },
		MCP:      rt.mcp.StreamableHTTP(),
		SSE:      sseH,
		Message:  msgH,
		Tools:    rt.wiring.Tools,
		OnShutdown: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			rt.mcp.CloseSessions(ctx)
		},
	})
	if err != nil {
		return err
	}
	rt.log.Info("server_started", "context", map[string]any{
		"address": ln.Addr().String(), "version": versionString(spec.Version),
		"database": dbpool.Target(vals["database-url"]), "tools": len(rt.wiring.Tools),
		"startup_ms": time.Since(rt.started).Milliseconds()})
	err = hs.Serve(ctx, ln)
	rt.log.Info("server_stopped", "context", map[string]any{"uptime_seconds": rt.uptime()})
	return err
}

func stdio(ctx context.Context, spec Spec, args []string, env Env) error {
	vals, err := parseServer(spec.ServerID+" stdio", spec.stdioOptions(), args, env)
	if err != nil {
		return err
	}
	rt, err := start(ctx, spec, vals, env)
	if err != nil {
		return err
	}
	defer rt.close()
	rt.log.Info("server_started", "context", map[string]any{"transport": "stdio", "version": versionString(spec.Version)})
	err = rt.mcp.ServeStdio(ctx, env.Stdin, env.Stdout)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	rt.log.Info("server_stopped", "context", map[string]any{"uptime_seconds": rt.uptime()})
	return err
}

func migrateCmd(ctx context.Context, spec Spec, args []string, env Env) error {
	opts := append([]Option{spec.databaseOption()}, spec.logOptions()...)
	vals, _, err := parse(spec.ServerID+" migrate", opts, args, env.Getenv, env.Stderr)
	if err != nil {
		return err
	}
	log, closeLog, err := newLogger(spec, vals, env)
	if err != nil {
		return err
	}
	defer closeLog()
	ms, err := migrate.Load(spec.Migrations)
	if err != nil {
		return err
	}
	dsn := vals["database-url"]
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	created, err := migrate.EnsureDatabase(cctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %w (is PostgreSQL running? `make db` starts the local one)", dbpool.Target(dsn), err)
	}
	if created {
		log.Info("database_created", "context", map[string]any{"database": dbpool.Target(dsn)})
	}
	conn, err := connect(cctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", dbpool.Target(dsn), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	start := time.Now()
	applied, err := migrate.Up(ctx, conn, spec.ServerID, ms)
	if err != nil {
		var ve *migrate.VersionError
		if errors.As(err, &ve) {
			return &ExitError{Code: ExitSchema, Err: err}
		}
		return err
	}
	log.Info("migrations_applied", "context", map[string]any{
		"database": dbpool.Target(dsn), "applied": applied, "schema_version": migrate.Latest(ms),
		"duration_ms": time.Since(start).Milliseconds()})
	fmt.Fprintf(env.Stdout, "%s: schema at version %d (%d migration(s) applied)\n", spec.ServerID, migrate.Latest(ms), len(applied))
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// parseServer parses the options of serve and stdio and checks the ones
// that depend on each other.
func parseServer(cmd string, opts []Option, args []string, env Env) (Values, error) {
	vals, rest, err := parse(cmd, opts, args, env.Getenv, env.Stderr)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, configError(fmt.Errorf("%s takes no arguments, got %q", cmd, rest))
	}
	if vals.Int("db-pool-min") > vals.Int("db-pool-max") {
		return nil, configError(fmt.Errorf("invalid --db-pool-min value %q: must not exceed --db-pool-max (%s)", vals["db-pool-min"], vals["db-pool-max"]))
	}
	return vals, nil
}

// newLogger opens the log destination (--log-file or stderr) and builds
// the logger the options ask for; the returned func closes the file.
func newLogger(spec Spec, vals Values, env Env) (*slog.Logger, func(), error) {
	w, closeLog, err := openLogWriter(vals, env.Stderr)
	if err != nil {
		return nil, nil, err
	}
	level, _ := obs.ParseLevel(vals["log-level"])
	return obs.NewLogger(obs.LogConfig{ServerID: spec.ServerID, Level: level, Format: vals["log-format"], Writer: w}), closeLog, nil
}
