// Command codebase-mcp indexes code repositories into PostgreSQL with
// pgvector and answers natural-language and symbol queries over MCP and REST.
package main

import (
	"context"

	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/migrations"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { launch.Main(spec()) }

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
