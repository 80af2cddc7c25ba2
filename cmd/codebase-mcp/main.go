// Command codebase-mcp indexes code repositories into PostgreSQL with
// pgvector and answers natural-language and symbol queries over MCP and REST.
package main

import (
	"context"

	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/migrations"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { launch.Main(spec()) }

func spec() launch.Spec[Config] {
	return launch.Spec[Config]{
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
		Options:         options(),
		Config:          parseConfig,
		Tools:           func() []tool.Tool { return nil },
		Wire:            wire,
	}
}

// wire builds codebase-mcp's services and binds its tools.
func wire(ctx context.Context, d launch.Deps, cfg Config) (launch.Wiring, error) {
	return launch.Wiring{}, nil
}
