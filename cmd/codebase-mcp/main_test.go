package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/migrations"

	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
)

// TestDocs keeps the README's tool list and flag table and docs/api.md's
// route table equal to what this binary serves. The static definitions need no
// database.
func TestDocs(t *testing.T) {
	s := spec()
	toolsnap.CheckSection(t, "../../README.md", "tools:"+s.ServerID, mcpserver.ToolsMarkdown(s.Tools()))
	toolsnap.CheckSection(t, "../../docs/api.md", "routes:"+s.ServerID, mcpserver.RoutesMarkdown(s.Tools()))
	toolsnap.CheckSection(t, "../../README.md", "flags:"+s.ServerID, launch.OptionsMarkdown(s))
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// The commands run in-process on the real runtime: index a relative
// path, then search it; a failed index is an error that names the reason.
func TestCommands_IndexAndSearch(t *testing.T) {
	db := dbtest.New(t, migrations.Codebase())
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "tax.go"), []byte("package tax\n\n// applyVatRate multiplies a net price by the VAT rate.\nfunc applyVatRate(net, rate float64) float64 { return net * (1 + rate) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Dir(root))
	env := func(stdout *bytes.Buffer) launch.Env {
		return launch.Env{Getenv: getenv(map[string]string{"CODEBASE_MCP_DATABASE_URL": db}), Stdout: stdout, Stderr: io.Discard}
	}
	var out bytes.Buffer
	if err := launch.Run(t.Context(), spec(), []string{"index", filepath.Base(root), "--json"}, env(&out)); err != nil {
		t.Fatal(err)
	}
	var job api.JobOut
	if err := json.Unmarshal(out.Bytes(), &job); err != nil || job.Status != "completed" || job.RepoPath != root || job.FilesDone != 1 {
		t.Fatalf("index --json: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := launch.Run(t.Context(), spec(), []string{"search", "apply", "vat", "rate", "--limit", "1"}, env(&out)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1. tax.go:3-4  applyVatRate  (function,") || strings.Contains(out.String(), "\033[") {
		t.Errorf("search output:\n%s", out.String())
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "x.bin"), []byte{0, 1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := launch.Run(t.Context(), spec(), []string{"index", empty}, env(&out))
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(err.Error(), "0 of 1 files indexable") {
		t.Errorf("index of a binary file: %v\n%s", err, out.String())
	}
	if launch.ExitCode(err) != 1 {
		t.Errorf("exit code %d, want 1", launch.ExitCode(err))
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Embed.Provider != "builtin" || c.MaxConcurrentJobs != 2 || c.AllowedRoots != nil || c.JobLease != 15*time.Second || c.SearchCacheMB != 512 {
				t.Errorf("%+v", c)
			}
		}},
		{name: "roots and jobs", env: map[string]string{"CODEBASE_MCP_ALLOWED_ROOTS": "/srv/code/, /home/a", "CODEBASE_MCP_MAX_CONCURRENT_JOBS": "3"},
			check: func(t *testing.T, c Config) {
				if strings.Join(c.AllowedRoots, ",") != "/srv/code,/home/a" || c.MaxConcurrentJobs != 3 {
					t.Errorf("%+v", c)
				}
			}},
		{name: "flag beats env", args: []string{"--embedder-model", "m1"}, env: map[string]string{"EMBEDDER": "ollama", "EMBEDDER_MODEL": "m2"},
			check: func(t *testing.T, c Config) {
				if c.Embed.Provider != "ollama" || c.Embed.Model != "m1" {
					t.Errorf("%+v", c.Embed)
				}
			}},
		{name: "api key from OPENAI_API_KEY", env: map[string]string{"EMBEDDER": "openai", "OPENAI_API_KEY": "sk-test"},
			check: func(t *testing.T, c Config) {
				if c.Embed.APIKey != "sk-test" {
					t.Errorf("key %q", c.Embed.APIKey)
				}
			}},
		{name: "relative root", env: map[string]string{"CODEBASE_MCP_ALLOWED_ROOTS": "/ok,src"}, wantErr: "not an absolute path"},
		{name: "openai without key", args: []string{"--embedder", "openai"}, wantErr: "EMBEDDER_API_KEY"},
		{name: "bad embedder url", args: []string{"--embedder-url", "ftp://x"}, wantErr: "embedder-url"},
		{name: "zero jobs", args: []string{"--max-concurrent-jobs", "0"}, wantErr: "max-concurrent-jobs"},
		{name: "job lease", env: map[string]string{"CODEBASE_MCP_JOB_LEASE": "45s"}, check: func(t *testing.T, c Config) {
			if c.JobLease != 45*time.Second {
				t.Errorf("lease %s", c.JobLease)
			}
		}},
		{name: "job lease too short", args: []string{"--job-lease", "500ms"}, wantErr: "job-lease"},
		{name: "search cache off", args: []string{"--search-cache-mb", "0"}, check: func(t *testing.T, c Config) {
			if c.SearchCacheMB != 0 {
				t.Errorf("search cache %d MB", c.SearchCacheMB)
			}
		}},
		{name: "negative search cache", env: map[string]string{"CODEBASE_MCP_SEARCH_CACHE_MB": "-1"}, wantErr: "search-cache-mb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Config
			s := spec()
			s.Wire = func(context.Context, launch.Deps, Config) (launch.Wiring, error) { return launch.Wiring{}, nil }
			parse := s.Config
			s.Config = func(v launch.Values) (Config, error) {
				c, err := parse(v)
				got = c
				if err == nil {
					err = errStop
				}
				return c, err
			}
			err := launch.Run(t.Context(), s, append([]string{"search", "q"}, tc.args...), launch.Env{Getenv: getenv(tc.env), Stdout: io.Discard, Stderr: io.Discard})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || launch.ExitCode(err) != 2 {
					t.Fatalf("err = %v (exit %d), want %q, exit 2", err, launch.ExitCode(err), tc.wantErr)
				}
				return
			}
			if !errors.Is(err, errStop) {
				t.Fatalf("err = %v", err)
			}
			tc.check(t, got)
		})
	}
}

// errStop ends a run after configuration, before anything connects.
var errStop = errors.New("test: stop after config")
