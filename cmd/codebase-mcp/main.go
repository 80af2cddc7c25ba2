// Command codebase-mcp indexes code repositories into PostgreSQL with
// pgvector and answers natural-language and symbol queries over MCP and REST.
package main

import (
	"context"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
	"github.com/mcp-memory/servers/internal/codebase/embed"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
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
		Tools:           func() []tool.Tool { return api.Tools(nil) },
		Wire:            wire,
		Commands:        commands(),
	}
}

// wire builds codebase-mcp's services and binds its tools and commands.
// The index worker runs only where jobs belong: serve and stdio. The CLI
// commands run their index in the foreground instead.
func wire(ctx context.Context, d launch.Deps, cfg Config) (launch.Wiring, error) {
	emb, err := embed.New(cfg.Embed, d.Logger)
	if err != nil {
		return launch.Wiring{}, err
	}
	if cfg.Embed.Provider != embed.ProviderBuiltin && cfg.Embed.Dimension == 0 && d.Mode != "search" {
		// Learn the dimension now, so jobs record it; a service that is
		// down is reported here and again by the jobs that need it.
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		if _, err := embed.Probe(pctx, emb); err != nil {
			d.Logger.WarnContext(ctx, "embedder_unavailable", "error", err.Error())
		}
		cancel()
	}
	// Writes go to the primary; reads of read-only tools (the runtime
	// marks their calls) may go to the --database-read-url replica.
	store := pgstore.NewRouted(d.Pools)
	sc := search.DefaultConfig()
	sc.CacheBytes = int64(cfg.SearchCacheMB) << 20
	if cfg.SearchCacheMB == 0 {
		sc.CacheBytes = -1 // off
	}
	srch := search.New(sc, store, emb, d.Logger, d.Registry)
	ix := index.New(index.Config{
		MaxConcurrentJobs: cfg.MaxConcurrentJobs,
		Lease:             cfg.JobLease,
		AllowedRoots:      cfg.AllowedRoots,
		BeforeComplete:    srch.Prepare,
		AfterIndex:        srch.Train,
	}, store, chunk.New(chunk.Options{}), emb, d.Logger, d.Registry)

	w := launch.Wiring{
		Tools: api.Tools(&api.Services{Index: ix, Search: srch}),
		Commands: map[string]launch.CommandFunc{
			"index":  indexCommand(ix),
			"search": searchCommand(srch),
		},
	}
	// Close stops the search cache's background builds (after the servers
	// stopped taking requests) and, in serve and stdio, the index worker.
	w.Close = srch.Close
	if d.Mode == "serve" || d.Mode == "stdio" {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = ix.Run(wctx) // returns when wctx ends; jobs it ran resume after restart
		}()
		w.Close = func() { cancel(); <-done; srch.Close() }
	}
	return w, nil
}

// commands are codebase-mcp's subcommands beside serve, stdio and migrate.
func commands() map[string]launch.Command {
	project := launch.Option{Name: "project", Default: "default", Usage: "project id"}
	jsonOut := launch.Option{Name: "json", IsBool: true, Usage: "print the JSON the REST API answers"}
	return map[string]launch.Command{
		"index": {
			Summary: "index a repository now, with progress, and print a summary",
			Usage:   "PATH [--project P] [--force] [--dry-run] [--json]",
			Options: []launch.Option{project, jsonOut,
				{Name: "force", IsBool: true, Usage: "re-read and re-embed every file"},
				{Name: "dry-run", IsBool: true, Usage: "only scan: show what would be indexed and skipped; write nothing"},
			},
			MinArgs: 1, MaxArgs: 1,
		},
		"search": {
			Summary: "search indexed code and print ranked hits",
			Usage:   `"QUERY" [--project P] [--limit N] [--file-type EXT] [--directory DIR] [--language L] [--json]`,
			Options: []launch.Option{project, jsonOut,
				{Name: "limit", Default: "10", Usage: "results, 1 to 50", Check: launch.CheckIntRange(1, search.MaxLimit)},
				{Name: "file-type", Usage: "only files with this extension (go, .py)"},
				{Name: "directory", Usage: "only files under this path prefix (globs * and **)"},
				{Name: "language", Usage: "only chunks of this language"},
			},
			MinArgs: 1, MaxArgs: -1,
		},
	}
}
