// Command workflow-mcp keeps projects, work items, typed entities and
// deployments for AI coding assistants, over MCP and REST.
package main

import (
	"context"

	"github.com/mcp-memory/servers/internal/codelink"
	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/api"
	"github.com/mcp-memory/servers/internal/workflow/pgstore"
	"github.com/mcp-memory/servers/migrations"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { launch.Main(spec()) }

func spec() launch.Spec[Config] {
	return launch.Spec[Config]{
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
		Options:         options(),
		Config:          parseConfig,
		Tools:           func() []tool.Tool { return api.Tools(nil) },
		Wire:            wire,
	}
}

// wire builds workflow-mcp's services and binds its tools; codebase-mcp
// is probed so /health reports it.
func wire(ctx context.Context, d launch.Deps, cfg Config) (launch.Wiring, error) {
	code, err := codelink.New(codelink.Config{BaseURL: cfg.CodebaseURL, AuthToken: cfg.CodebaseToken, Registerer: d.Registry})
	if err != nil {
		return launch.Wiring{}, err
	}
	// Writes go to the primary; reads of read-only tools (the runtime
	// marks their calls) may go to the --database-read-url replica
	// (pgstore's routing.go has the rules).
	store := pgstore.NewRouted(d.Pools)
	svc, err := workflow.NewService(workflow.Config{Store: store, Code: code, Logger: d.Logger, Registerer: d.Registry})
	if err != nil {
		return launch.Wiring{}, err
	}
	return launch.Wiring{
		Tools:        api.Tools(svc),
		Dependencies: map[string]string{"codebase_mcp": cfg.CodebaseURL + "/health"},
	}, nil
}
