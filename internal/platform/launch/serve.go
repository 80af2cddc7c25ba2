package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/internal/platform/obs"
)

func serve[C any](ctx context.Context, spec Spec[C], args []string, env Env) error {
	vals, err := parseRuntime(spec.ServerID+" serve", spec.serveOptions(), args, 0, 0, env)
	if err != nil {
		return err
	}
	host := vals.String("host")
	if !httpserver.IsLoopbackHost(host) && vals.String("auth-token") == "" {
		return configError(fmt.Errorf("refusing to bind non-loopback host %q without an auth token: set --auth-token or MCP_AUTH_TOKEN, or bind 127.0.0.1", host))
	}
	cfg, err := configure(spec, vals)
	if err != nil {
		return err
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

	rt, err := start(ctx, spec, vals, cfg, "serve", env)
	if startCancelled(ctx, err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rt.close()
	mcp, err := rt.newMCP(mcpserver.Config{MaxSessions: vals.Int("max-sessions"),
		SessionIdleTTL: vals.Duration("session-idle-timeout"), Stateless: vals.Bool("stateless")})
	if err != nil {
		return err
	}

	deps := newDependencyProber(rt.wiring.Dependencies)
	go deps.run(ctx)
	sseH, msgH := mcp.SSE()
	hs, err := httpserver.New(httpserver.Config{AuthToken: vals.String("auth-token")}, httpserver.Deps{
		Logger:   rt.log,
		Metrics:  rt.metrics,
		Gatherer: rt.reg,
		Health:   func(context.Context) httpserver.HealthReport { return rt.health(deps) },
		MCP:      mcp.StreamableHTTP(),
		SSE:      sseH,
		Message:  msgH,
		Tools:    rt.wiring.Tools,
		OnShutdown: func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			mcp.CloseSessions(ctx)
		},
	})
	if err != nil {
		return err
	}
	rt.log.Info("server_started", "context", map[string]any{
		"address": ln.Addr().String(), "version": versionString(spec.Version),
		"database": dbpool.Target(vals.String("database-url")), "tools": mcp.ToolCount(),
		"startup_ms": time.Since(rt.started).Milliseconds()})
	err = hs.Serve(ctx, ln)
	rt.log.Info("server_stopped", "context", map[string]any{"uptime_seconds": rt.uptime()})
	return err
}

func stdio[C any](ctx context.Context, spec Spec[C], args []string, env Env) error {
	vals, err := parseRuntime(spec.ServerID+" stdio", spec.runtimeOptions("info"), args, 0, 0, env)
	if err != nil {
		return err
	}
	cfg, err := configure(spec, vals)
	if err != nil {
		return err
	}
	rt, err := start(ctx, spec, vals, cfg, "stdio", env)
	if startCancelled(ctx, err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rt.close()
	mcp, err := rt.newMCP(mcpserver.Config{})
	if err != nil {
		return err
	}
	rt.log.Info("server_started", "context", map[string]any{"transport": "stdio", "version": versionString(spec.Version)})
	err = mcp.ServeStdio(ctx, env.Stdin, env.Stdout)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	rt.log.Info("server_stopped", "context", map[string]any{"uptime_seconds": rt.uptime()})
	return err
}

// runCommand runs one of the server's own commands on the runtime. Its
// logs default to errors only: the command's output is for a person.
func runCommand[C any](ctx context.Context, spec Spec[C], name string, c Command, args []string, env Env) error {
	// A command's summary says what was skipped or failed; warnings in the
	// log would repeat it next to the progress bar.
	opts := append(spec.runtimeOptions("error"), c.Options...)
	vals, pos, err := parseArgs(spec.ServerID+" "+name, opts, args, c.MinArgs, c.MaxArgs, env)
	if err != nil {
		return err
	}
	cfg, err := configure(spec, vals)
	if err != nil {
		return err
	}
	rt, err := start(ctx, spec, vals, cfg, name, env)
	if startCancelled(ctx, err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rt.close()
	run := rt.wiring.Commands[name]
	if run == nil {
		return fmt.Errorf("%s %s: the server wired no handler for this command", spec.ServerID, name)
	}
	return run(ctx, Invocation{Values: vals, Args: pos, Env: env})
}

func migrateCmd[C any](ctx context.Context, spec Spec[C], args []string, env Env) error {
	opts := append([]Option{spec.databaseOption()}, logOptions("info")...)
	vals, _, err := parseArgs(spec.ServerID+" migrate", opts, args, 0, 0, env)
	if err != nil {
		return err
	}
	log, closeLog, err := newLogger(spec.ServerID, vals, env)
	if err != nil {
		return err
	}
	defer closeLog()
	ms, err := migrate.Load(spec.Migrations)
	if err != nil {
		return err
	}
	dsn := vals.String("database-url")
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	created, err := migrate.EnsureDatabase(cctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to %s: %w (is PostgreSQL running? `make db` starts the local one)", dbpool.Target(dsn), err)
	}
	if created {
		log.Info("database_created", "context", map[string]any{"database": dbpool.Target(dsn)})
	}
	start := time.Now()
	applied, err := migrate.UpDSN(ctx, dsn, 30*time.Second, spec.ServerID, ms)
	if err != nil {
		var ve *migrate.VersionError
		var oe *migrate.OwnerError
		if errors.As(err, &ve) || errors.As(err, &oe) {
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

// parseRuntime parses the options of serve and stdio and checks the ones
// that depend on each other.
func parseRuntime(cmd string, opts []Option, args []string, minArgs, maxArgs int, env Env) (Values, error) {
	vals, _, err := parseArgs(cmd, opts, args, minArgs, maxArgs, env)
	if err != nil {
		return nil, err
	}
	if vals.Int("db-pool-min") > vals.Int("db-pool-max") {
		return nil, configError(fmt.Errorf("invalid --db-pool-min value %q: must not exceed --db-pool-max (%s)", vals["db-pool-min"], vals["db-pool-max"]))
	}
	return vals, nil
}

// parseArgs parses options and checks the number of positional arguments
// (maxArgs -1: any number).
func parseArgs(cmd string, opts []Option, args []string, minArgs, maxArgs int, env Env) (Values, []string, error) {
	vals, pos, err := parse(cmd, opts, args, env.Getenv, env.Stderr)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case maxArgs == 0 && len(pos) > 0:
		return nil, nil, configError(fmt.Errorf("%s takes no arguments, got %q", cmd, pos))
	case len(pos) < minArgs:
		return nil, nil, configError(fmt.Errorf("%s needs %d argument(s), got %d; run %s -h", cmd, minArgs, len(pos), cmd))
	case maxArgs > 0 && len(pos) > maxArgs:
		return nil, nil, configError(fmt.Errorf("%s takes at most %d argument(s), got %q", cmd, maxArgs, pos))
	}
	return vals, pos, nil
}

// newLogger opens the log destination (--log-file or stderr) and builds
// the logger the options ask for; the returned func closes the file.
func newLogger(serverID string, vals Values, env Env) (*slog.Logger, func(), error) {
	w, closeLog, err := openLogWriter(vals, env.Stderr)
	if err != nil {
		return nil, nil, err
	}
	level, _ := obs.ParseLevel(vals.String("log-level"))
	return obs.NewLogger(obs.LogConfig{ServerID: serverID, Level: level, Format: vals.String("log-format"), Writer: w}), closeLog, nil
}
