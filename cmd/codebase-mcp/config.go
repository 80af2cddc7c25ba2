package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/embed"
	"github.com/mcp-memory/servers/internal/platform/launch"
)

// Config is codebase-mcp's own configuration, built once from flags and
// environment by [parseConfig]; the platform options (host, port, pool,
// logs) are launch's.
type Config struct {
	// Embed selects and configures the embedder (docs/embedders.md).
	Embed embed.Config
	// AllowedRoots, when not empty, restricts indexing to directories
	// inside these absolute paths.
	AllowedRoots []string
	// MaxConcurrentJobs caps the index jobs this process runs at once.
	MaxConcurrentJobs int
	// JobLease is how long a running job stays claimed without a
	// heartbeat: another replica resumes a dead one's job after it.
	JobLease time.Duration
	// SearchCacheMB caps the in-memory search index across projects; 0
	// turns it off.
	SearchCacheMB int
}

// options are codebase-mcp's own flags, on serve, stdio, index and search.
func options() []launch.Option {
	return []launch.Option{
		{Name: "embedder", Env: []string{"EMBEDDER"}, Default: "builtin", Usage: "embedding provider: builtin, ollama or openai",
			Check: launch.CheckOneOf("builtin", "ollama", "openai")},
		{Name: "embedder-url", Env: []string{"EMBEDDER_URL"}, Usage: "embedding service base URL (default: ollama http://127.0.0.1:11434, openai https://api.openai.com)",
			Check: optional(launch.CheckHTTPURL)},
		{Name: "embedder-model", Env: []string{"EMBEDDER_MODEL"}, Usage: "embedding model (default: ollama nomic-embed-text, openai text-embedding-3-small)"},
		{Name: "embedder-api-key", Env: []string{"EMBEDDER_API_KEY", "OPENAI_API_KEY"}, Secret: true,
			Usage: "bearer token for the openai embedder; prefer the environment variable"},
		{Name: "embedder-dimension", Env: []string{"EMBEDDER_DIMENSION"}, Default: "0", Usage: "expected vector length; 0 learns it (providers) or uses 256 (builtin)",
			Check: launch.CheckIntRange(0, 16000)},
		{Name: "embedder-batch-size", Env: []string{"EMBEDDER_BATCH_SIZE"}, Default: "0", Usage: "texts per request; 0: ollama 32, openai 128",
			Check: launch.CheckIntRange(0, 4096)},
		{Name: "embedder-concurrency", Env: []string{"EMBEDDER_CONCURRENCY"}, Default: "0", Usage: "requests in flight; 0: ollama 2, openai 4",
			Check: launch.CheckIntRange(0, 64)},
		{Name: "embedder-timeout", Env: []string{"EMBEDDER_TIMEOUT"}, Default: "60s", Usage: "per embedding request",
			Check: launch.CheckDuration(time.Second, time.Hour)},
		{Name: "embedder-max-retries", Env: []string{"EMBEDDER_MAX_RETRIES"}, Default: "4", Usage: "retries per embedding request (negative: none)",
			Check: launch.CheckIntRange(-1, 100)},
		{Name: "allowed-roots", Env: []string{"CODEBASE_MCP_ALLOWED_ROOTS"}, Usage: "comma-separated absolute paths; when set, only directories inside them may be indexed",
			Check: checkRoots},
		{Name: "max-concurrent-jobs", Env: []string{"CODEBASE_MCP_MAX_CONCURRENT_JOBS"}, Default: "2", Usage: "index jobs run at once by this process",
			Check: launch.CheckIntRange(1, 64)},
		{Name: "job-lease", Env: []string{"CODEBASE_MCP_JOB_LEASE"}, Default: "15s",
			Usage: "how long a running index job stays claimed without a heartbeat; another replica resumes a dead one's job after it",
			Check: launch.CheckDuration(2*time.Second, 10*time.Minute)},
		{Name: "search-cache-mb", Env: []string{"CODEBASE_MCP_SEARCH_CACHE_MB"}, Default: "512",
			Usage: "memory for the in-memory search index across projects, in MiB (about 0.75 MB per 1,000 chunks); 0 turns it off and every search ranks on PostgreSQL",
			Check: launch.CheckIntRange(0, 1<<20)},
	}
}

// optional accepts the empty string (the default) and checks anything else.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

func checkRoots(s string) error {
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" && !filepath.IsAbs(r) {
			return fmt.Errorf("%q is not an absolute path; give absolute directories separated by commas", r)
		}
	}
	return nil
}

// parseConfig builds the typed Config from checked option values. The
// embedder configuration is checked here (embed.New does no I/O), so a
// bad combination is a configuration error (exit 2), not a failure later.
func parseConfig(v launch.Values) (Config, error) {
	cfg := Config{
		Embed: embed.Config{
			Provider: v.String("embedder"), URL: v.String("embedder-url"), Model: v.String("embedder-model"),
			APIKey: v.String("embedder-api-key"), Dimension: v.Int("embedder-dimension"),
			BatchSize: v.Int("embedder-batch-size"), Concurrency: v.Int("embedder-concurrency"),
			Timeout: v.Duration("embedder-timeout"), MaxRetries: v.Int("embedder-max-retries"),
		},
		MaxConcurrentJobs: v.Int("max-concurrent-jobs"),
		JobLease:          v.Duration("job-lease"),
		SearchCacheMB:     v.Int("search-cache-mb"),
	}
	for _, r := range v.List("allowed-roots") {
		cfg.AllowedRoots = append(cfg.AllowedRoots, filepath.Clean(r))
	}
	if _, err := embed.New(cfg.Embed, nil); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
