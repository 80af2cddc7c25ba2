package api_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
	"github.com/mcp-memory/servers/internal/codebase/embed"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/migrations"
)

// env is a migrated database with the real services over it, the way
// cmd/codebase-mcp wires them, and the worker running.
type env struct {
	svc   *api.Services
	tools []tool.Tool
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	dsn := dbtest.New(tb, migrations.Codebase())
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: dsn, MaxConns: 8, ProbeInterval: 200 * time.Millisecond}, log)
	if err != nil {
		tb.Fatal(err)
	}
	store := pgstore.New(pool)
	emb, err := embed.New(embed.Config{}, log)
	if err != nil {
		tb.Fatal(err)
	}
	s := search.New(search.DefaultConfig(), store, emb, log, nil)
	ix := index.New(index.Config{PollInterval: 100 * time.Millisecond, AfterIndex: s.Train}, store, chunk.New(chunk.Options{}), emb, log, nil)
	done := make(chan struct{})
	go func() { defer close(done); _ = ix.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done; pool.Close() })
	svc := &api.Services{Index: ix, Search: s}
	return &env{svc: svc, tools: api.Tools(svc)}
}

// writeTree writes files (relative path -> content) under root.
func writeTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// indexRepo indexes root into project synchronously and fails unless
// the job completes.
func (e *env) indexRepo(tb testing.TB, root, project string) index.Job {
	tb.Helper()
	job, err := e.svc.Index.Index(context.Background(), index.Request{RepoPath: root, ProjectID: project}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if job.Status != codebase.JobCompleted {
		tb.Fatalf("job %s: %s (%s %s)", job.ID, job.Status, job.Message, job.ErrorMessage)
	}
	return job
}

// repo is a small Go repository: the function a search must find, and
// decoys.
var repo = map[string]string{
	"auth/token.go": `package auth

import "time"

// Token is an OAuth access token.
type Token struct {
	Value   string
	Expires time.Time
}

// RefreshToken renews the access token before it expires.
func RefreshToken(t *Token) (*Token, error) {
	return &Token{Value: t.Value + "x", Expires: time.Now().Add(time.Hour)}, nil
}
`,
	"config/parse.go": `package config

import "strings"

// parseConfig reads key=value lines into a map.
func parseConfig(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, "=")
		out[k] = v
	}
	return out
}
`,
	"web/cookie.go": `package web

// parseCookieHeader splits a Cookie header into name=value pairs.
func parseCookieHeader(h string) [][2]string {
	return nil
}
`,
}
