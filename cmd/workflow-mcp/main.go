// Command workflow-mcp keeps projects, work items, typed entities and
// deployments for AI coding assistants, over MCP and REST.
package main

import (
	"context"
	"strings"

	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/migrations"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { launch.Main(spec()) }

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
