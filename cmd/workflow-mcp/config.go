package main

import (
	"strings"

	"github.com/mcp-memory/servers/internal/platform/launch"
)

// Config is workflow-mcp's own configuration, built once from flags and
// environment by [parseConfig].
type Config struct {
	// CodebaseURL is codebase-mcp's base URL, for code references and the
	// dependency shown in /health.
	CodebaseURL string
	// CodebaseToken is the bearer token codebase-mcp requires, if any.
	CodebaseToken string
}

// options are workflow-mcp's own flags, on serve and stdio.
func options() []launch.Option {
	return []launch.Option{
		{Name: "codebase-url", Env: []string{"CODEBASE_MCP_URL"}, Default: "http://127.0.0.1:8020",
			Usage: "base URL of codebase-mcp, for code references", Check: launch.CheckHTTPURL},
		{Name: "codebase-token", Env: []string{"CODEBASE_MCP_AUTH_TOKEN", "MCP_AUTH_TOKEN"}, Secret: true,
			Usage: "bearer token codebase-mcp requires (when it runs with --auth-token)"},
	}
}

// parseConfig builds the typed Config from checked option values.
func parseConfig(v launch.Values) (Config, error) {
	return Config{
		CodebaseURL:   strings.TrimRight(v.String("codebase-url"), "/"),
		CodebaseToken: v.String("codebase-token"),
	}, nil
}
