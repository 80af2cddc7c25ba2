// Command codebase-mcp indexes code repositories into PostgreSQL with
// pgvector and answers natural-language and symbol queries over MCP and REST.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/migrations"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// A client that closes our stdout or stderr must not kill the process
	// mid-cleanup: writes then fail with EPIPE instead.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if code := launch.ExitCode(err); code != launch.ExitOK {
		fmt.Fprintf(os.Stderr, "codebase-mcp: %v\n", err)
		os.Exit(code)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return launch.Run(ctx, spec(), args, launch.Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

func spec() launch.Spec {
	return launch.Spec{
		ServerID:        "codebase-mcp",
		EnvPrefix:       "CODEBASE_MCP",
		MetricsPrefix:   "codebase_mcp",
		Version:         version,
		DefaultPort:     8020,
		DefaultDatabase: "postgres:///codebase_mcp",
		PoolMin:         5,
		PoolMax:         20,
		Migrations:      migrations.Codebase(),
		Instructions:    "codebase-mcp indexes code repositories and finds functions, files and line ranges by meaning or by symbol.",
		Options: []launch.Option{
			{Name: "embedder", Env: []string{"EMBEDDER"}, Default: "builtin", Usage: "embedding provider: builtin, ollama or openai",
				Check: launch.CheckOneOf("builtin", "ollama", "openai")},
		},
		Wire: wire,
	}
}

// wire builds codebase-mcp's tools. The indexing and search tools arrive
// with their own issues; until then the server offers the platform only.
func wire(ctx context.Context, d launch.Deps) (launch.Wiring, error) {
	return launch.Wiring{}, nil
}
