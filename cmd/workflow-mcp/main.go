// Command workflow-mcp keeps projects, work items, typed entities and
// deployments for AI coding assistants, over MCP and REST.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
		fmt.Fprintf(os.Stderr, "workflow-mcp: %v\n", err)
		os.Exit(code)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return launch.Run(ctx, spec(), args, launch.Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

func spec() launch.Spec {
	return launch.Spec{
		ServerID:        "workflow-mcp",
		EnvPrefix:       "WORKFLOW_MCP",
		MetricsPrefix:   "workflow_mcp",
		Version:         version,
		DefaultPort:     8010,
		DefaultDatabase: "postgres:///workflow_mcp",
		PoolMin:         2,
		PoolMax:         10,
		Migrations:      migrations.Workflow(),
		Instructions:    "workflow-mcp keeps projects, work items with hierarchy and dependencies, typed entities and deployments.",
		Options: []launch.Option{
			{Name: "codebase-url", Env: []string{"CODEBASE_MCP_URL"}, Default: "http://127.0.0.1:8020",
				Usage: "base URL of codebase-mcp, for code references", Check: launch.CheckHTTPURL},
		},
		Wire: wire,
	}
}

// wire builds workflow-mcp's tools. The domain tools arrive with their own
// issues; codebase-mcp is already probed so /health reports it.
func wire(ctx context.Context, d launch.Deps) (launch.Wiring, error) {
	return launch.Wiring{
		Dependencies: map[string]string{"codebase_mcp": strings.TrimRight(d.Values["codebase-url"], "/") + "/health"},
	}, nil
}
