package main

import (
	"github.com/mcp-memory/servers/internal/platform/launch"
)

// Config is codebase-mcp's own configuration, built once from flags and
// environment by [parseConfig]; the platform options (host, port, pool,
// logs) are launch's.
type Config struct {
	// Embedder is the embedding provider: builtin, ollama or openai.
	Embedder string
}

// options are codebase-mcp's own flags, on serve, stdio, index and search.
func options() []launch.Option {
	return []launch.Option{
		{Name: "embedder", Env: []string{"EMBEDDER"}, Default: "builtin", Usage: "embedding provider: builtin, ollama or openai",
			Check: launch.CheckOneOf("builtin", "ollama", "openai")},
	}
}

// parseConfig builds the typed Config from checked option values.
func parseConfig(v launch.Values) (Config, error) {
	return Config{Embedder: v.String("embedder")}, nil
}
