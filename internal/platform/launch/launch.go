// Package launch is the shared command-line runtime of both servers: it
// parses flags and environment, and runs serve, stdio, migrate, version
// and a server's own commands (codebase-mcp index, search) on the platform
// packages (logging, metrics, pool, migrations, HTTP and MCP servers). A
// server supplies a [Spec] with its names, defaults, migrations, its typed
// configuration, its static tool definitions and a Wire function that
// builds its services and binds its tools and commands; launch never
// imports a domain package.
package launch

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// Spec describes one server binary whose typed configuration is C.
type Spec[C any] struct {
	// ServerID is the binary name and the server_id log field.
	ServerID string
	// EnvPrefix prefixes the server's own environment variables (CODEBASE_MCP).
	EnvPrefix string
	// MetricsPrefix prefixes metric names (codebase_mcp).
	MetricsPrefix string
	// Version is the build version (set with -ldflags).
	Version     string
	DefaultPort int
	// DefaultDatabase is the database URL used when none is configured.
	DefaultDatabase  string
	PoolMin, PoolMax int
	Migrations       fs.FS
	Instructions     string
	// Options are the server's own flags, added to serve, stdio and the
	// server's commands.
	Options []Option
	// Config builds the typed configuration from the option values, once,
	// before anything starts; an error is bad configuration (exit 2).
	// Values panics on a name no option declares, so a typo fails every
	// test instead of reading "".
	Config func(v Values) (C, error)
	// Tools returns the static tool definitions (no handlers): what the
	// server will serve, known without a database, for docs and snapshots.
	Tools func() []tool.Tool
	// Wire builds the server's services over the platform dependencies
	// and returns its bound tools and commands.
	Wire func(ctx context.Context, d Deps, cfg C) (Wiring, error)
	// Commands are extra subcommands (codebase-mcp index, search). They
	// run on the same runtime as serve and stdio: options, logger, pool,
	// schema check and the services Wire built.
	Commands map[string]Command
}

// Deps are the platform pieces a server's Wire function may use.
type Deps struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Pool is the primary. Pools routes reads to the read replica of
	// --database-read-url when there is one (Pools.Read), writes to Pool.
	Pool  *dbpool.Pool
	Pools *dbpool.Pools
	// Mode is "serve", "stdio" or the command's name: Wire starts
	// background workers only where they belong (serve).
	Mode string
}

// Wiring is what Wire returns.
type Wiring struct {
	// Tools are the bound operations, served over MCP and REST.
	Tools []tool.Tool
	// Commands binds each of Spec.Commands to the services.
	Commands map[string]CommandFunc
	// Dependencies maps a dependency name to its /health URL; each is
	// probed in the background and reported in /health, never making this
	// server unhealthy.
	Dependencies map[string]string
	// Close releases what Wire started; it may be nil.
	Close func()
}

// Command is the static part of a subcommand.
type Command struct {
	Summary string
	// Usage is the argument synopsis, e.g. "PATH [--project P] [--force]".
	Usage string
	// Options are the command's own flags (flags may follow arguments).
	Options []Option
	// MinArgs and MaxArgs bound the positional arguments (MaxArgs -1: any).
	MinArgs, MaxArgs int
}

// CommandFunc runs a command with its parsed options and arguments.
type CommandFunc func(ctx context.Context, inv Invocation) error

// Invocation is one run of a command.
type Invocation struct {
	Values Values
	Args   []string
	Env    Env
}

// Env is the process environment handed to commands, injected for tests.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Run executes the command line args (without the program name). The
// returned error's exit code comes from [ExitCode].
func Run[C any](ctx context.Context, spec Spec[C], args []string, env Env) error {
	if len(args) == 0 {
		printUsage(spec, env.Stderr)
		return configError(fmt.Errorf("no command given"))
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, spec, rest, env)
	case "stdio":
		return stdio(ctx, spec, rest, env)
	case "migrate":
		return migrateCmd(ctx, spec, rest, env)
	case "version", "--version", "-version":
		fmt.Fprintf(env.Stdout, "%s %s\n", spec.ServerID, versionString(spec.Version))
		return nil
	case "help", "-h", "--help":
		printUsage(spec, env.Stdout)
		return nil
	}
	if c, ok := spec.Commands[cmd]; ok {
		return runCommand(ctx, spec, cmd, c, rest, env)
	}
	printUsage(spec, env.Stderr)
	return configError(fmt.Errorf("unknown command %q; run %s help", cmd, spec.ServerID))
}

func printUsage[C any](spec Spec[C], w io.Writer) {
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\nCommands:\n", spec.ServerID)
	fmt.Fprintf(w, "  serve     serve MCP (Streamable HTTP /mcp, SSE /sse), REST, /health and /metrics on 127.0.0.1:%d\n", spec.DefaultPort)
	fmt.Fprintf(w, "  stdio     serve MCP over stdin/stdout for desktop clients (logs go to stderr or --log-file)\n")
	fmt.Fprintf(w, "  migrate   create the database if missing and apply schema migrations\n")
	names := make([]string, 0, len(spec.Commands))
	for n := range spec.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, spec.Commands[n].Summary)
	}
	fmt.Fprintf(w, "  version   print the version\n\nRun '%s <command> -h' for the flags of a command.\n", spec.ServerID)
}

func versionString(v string) string {
	if v == "" {
		v = "dev"
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev string
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
		if rev != "" {
			return fmt.Sprintf("%s (%s, commit %s)", v, bi.GoVersion, rev)
		}
		return fmt.Sprintf("%s (%s)", v, bi.GoVersion)
	}
	return v
}

// envNames returns the server-prefixed then the generic variable names.
func (s Spec[C]) envNames(suffix string, generic bool) []string {
	names := []string{s.EnvPrefix + "_" + suffix}
	if generic {
		names = append(names, suffix)
	}
	return names
}

// databaseOption is the option every command that needs the database has.
func (s Spec[C]) databaseOption() Option {
	return Option{Name: "database-url", Env: s.envNames("DATABASE_URL", true), Default: s.DefaultDatabase,
		Usage: "PostgreSQL URL", Check: checkDatabaseURL, Show: RedactURL}
}

// readDatabaseOption names an optional streaming replica for reads.
func (s Spec[C]) readDatabaseOption() Option {
	return Option{Name: "database-read-url", Env: s.envNames("DATABASE_READ_URL", false),
		Usage: "PostgreSQL URL of a streaming read replica: a second pool, reported in /health, that read-only tools may use (README: Scaling out); empty: the primary serves reads",
		Check: func(v string) error {
			if v == "" {
				return nil
			}
			return checkDatabaseURL(v)
		}, Show: RedactURL}
}

func logOptions(defaultLevel string) []Option {
	return []Option{
		{Name: "log-file", Env: []string{"LOG_FILE"}, Usage: "append logs to this file instead of stderr"},
		{Name: "log-level", Env: []string{"LOG_LEVEL"}, Default: defaultLevel, Usage: "debug, info, warning, error or critical", Check: checkLogLevel},
		{Name: "log-format", Env: []string{"LOG_FORMAT"}, Default: "json", Usage: "json, or text for humans", Check: checkOneOf("json", "text")},
	}
}

func (s Spec[C]) poolOptions() []Option {
	return []Option{
		{Name: "db-pool-min", Env: s.envNames("DB_POOL_MIN", true), Default: fmt.Sprint(s.PoolMin), Usage: "connections kept open", Check: checkIntRange(0, 1000)},
		{Name: "db-pool-max", Env: s.envNames("DB_POOL_MAX", true), Default: fmt.Sprint(s.PoolMax), Usage: "maximum connections", Check: checkIntRange(1, 1000)},
		{Name: "db-pool-wait", Env: s.envNames("DB_POOL_WAIT", true), Default: "30s", Usage: "longest wait for a free connection before 503", Check: checkDuration(time.Millisecond, 1000*time.Second)},
		{Name: "db-statement-timeout", Env: s.envNames("DB_STATEMENT_TIMEOUT", true), Default: "5s", Usage: "per-statement timeout", Check: checkDuration(time.Millisecond, time.Hour)},
	}
}

// runtimeOptions are the options of everything that runs on the runtime
// (stdio and commands): database, logs, pool and the server's own.
func (s Spec[C]) runtimeOptions(defaultLevel string) []Option {
	opts := append([]Option{s.databaseOption(), s.readDatabaseOption()}, logOptions(defaultLevel)...)
	opts = append(opts, s.poolOptions()...)
	return append(opts, s.Options...)
}

func (s Spec[C]) serveOptions() []Option {
	opts := []Option{
		{Name: "host", Env: s.envNames("HOST", true), Default: "127.0.0.1", Usage: "address to bind", Check: checkHost},
		{Name: "port", Env: s.envNames("PORT", true), Default: fmt.Sprint(s.DefaultPort), Usage: "port to bind", Check: checkPort},
		{Name: "auth-token", Env: []string{"MCP_AUTH_TOKEN"}, Secret: true, Usage: "bearer token required on every route but /health; required to bind a non-loopback host"},
		{Name: "max-sessions", Env: []string{"MCP_MAX_SESSIONS"}, Default: "1000", Usage: "live MCP Streamable HTTP sessions; beyond it the least recently used one ends", Check: checkIntRange(1, 1000000)},
		{Name: "session-idle-timeout", Env: []string{"MCP_SESSION_IDLE_TIMEOUT"}, Default: "10m", Usage: "MCP sessions idle this long end", Check: checkDuration(time.Second, 24*time.Hour)},
		{Name: "stateless", Env: []string{"MCP_STATELESS"}, IsBool: true, Usage: "serve Streamable HTTP without sessions, so any replica answers any request"},
	}
	return append(opts, s.runtimeOptions("info")...)
}

func openLogWriter(vals Values, stderr io.Writer) (io.Writer, func(), error) {
	path := vals.String("log-file")
	if path == "" {
		return stderr, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, configError(fmt.Errorf("invalid --log-file value %q: %v", path, err))
	}
	return f, func() { f.Close() }, nil
}
