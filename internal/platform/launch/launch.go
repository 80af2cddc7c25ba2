// Package launch is the shared command-line runtime of both servers: it
// parses flags and environment, and runs serve, stdio, migrate and version
// on the platform packages (logging, metrics, pool, migrations, HTTP and
// MCP servers). A server supplies a [Spec] with its names, defaults,
// migrations and a Wire function that builds its tools; launch never
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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// Spec describes one server binary.
type Spec struct {
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
	// Options are the server's own flags, added to serve and stdio.
	Options []Option
	// Wire builds the server's tools over the platform dependencies.
	Wire func(ctx context.Context, d Deps) (Wiring, error)
	// Commands are extra subcommands (such as codebase-mcp index).
	Commands map[string]Command
}

// Deps are the platform pieces a server's Wire function may use.
type Deps struct {
	Values   Values
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Pool     *dbpool.Pool
}

// Wiring is what Wire returns.
type Wiring struct {
	Tools []tool.Tool
	// Dependencies maps a dependency name to its /health URL; each is
	// probed in the background and reported in /health, never making this
	// server unhealthy.
	Dependencies map[string]string
	// Close releases what Wire started; it may be nil.
	Close func()
}

// Command is an extra subcommand.
type Command struct {
	Summary string
	Run     func(ctx context.Context, env Env, args []string) error
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
func Run(ctx context.Context, spec Spec, args []string, env Env) error {
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
		return c.Run(ctx, env, rest)
	}
	printUsage(spec, env.Stderr)
	return configError(fmt.Errorf("unknown command %q; run %s help", cmd, spec.ServerID))
}

func printUsage(spec Spec, w io.Writer) {
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
func (s Spec) envNames(suffix string, generic bool) []string {
	names := []string{s.EnvPrefix + "_" + suffix}
	if generic {
		names = append(names, suffix)
	}
	return names
}

// databaseOption is the option every command that needs the database has.
func (s Spec) databaseOption() Option {
	return Option{Name: "database-url", Env: s.envNames("DATABASE_URL", true), Default: s.DefaultDatabase,
		Usage: "PostgreSQL URL", Check: checkDatabaseURL}
}

func (s Spec) logOptions() []Option {
	return []Option{
		{Name: "log-file", Env: []string{"LOG_FILE"}, Usage: "append logs to this file instead of stderr"},
		{Name: "log-level", Env: []string{"LOG_LEVEL"}, Default: "info", Usage: "debug, info, warning, error or critical", Check: checkLogLevel},
		{Name: "log-format", Env: []string{"LOG_FORMAT"}, Default: "json", Usage: "json, or text for humans", Check: checkOneOf("json", "text")},
	}
}

func (s Spec) poolOptions() []Option {
	return []Option{
		{Name: "db-pool-min", Env: s.envNames("DB_POOL_MIN", true), Default: fmt.Sprint(s.PoolMin), Usage: "connections kept open", Check: checkIntRange(0, 1000)},
		{Name: "db-pool-max", Env: s.envNames("DB_POOL_MAX", true), Default: fmt.Sprint(s.PoolMax), Usage: "maximum connections", Check: checkIntRange(1, 1000)},
		{Name: "db-pool-wait", Env: s.envNames("DB_POOL_WAIT", true), Default: "30s", Usage: "longest wait for a free connection before 503", Check: checkDuration(1e6, 1e12)},
		{Name: "db-statement-timeout", Env: s.envNames("DB_STATEMENT_TIMEOUT", true), Default: "5s", Usage: "per-statement timeout", Check: checkDuration(1e6, 36e11)},
	}
}

// stdioOptions are serve's options without the network ones.
func (s Spec) stdioOptions() []Option {
	opts := append([]Option{s.databaseOption()}, s.logOptions()...)
	opts = append(opts, s.poolOptions()...)
	return append(opts, s.Options...)
}

func (s Spec) serveOptions() []Option {
	opts := []Option{
		{Name: "host", Env: s.envNames("HOST", true), Default: "127.0.0.1", Usage: "address to bind", Check: checkHost},
		{Name: "port", Env: s.envNames("PORT", true), Default: fmt.Sprint(s.DefaultPort), Usage: "port to bind", Check: checkPort},
		s.databaseOption(),
		{Name: "auth-token", Env: []string{"MCP_AUTH_TOKEN"}, Usage: "bearer token required on every route but /health; required to bind a non-loopback host"},
	}
	opts = append(opts, s.logOptions()...)
	opts = append(opts, s.poolOptions()...)
	return append(opts, s.Options...)
}

func openLogWriter(vals Values, stderr io.Writer) (io.Writer, func(), error) {
	path := vals["log-file"]
	if path == "" {
		return stderr, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, configError(fmt.Errorf("invalid --log-file value %q: %v", path, err))
	}
	return f, func() { f.Close() }, nil
}
