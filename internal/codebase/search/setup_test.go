package search_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// env is a migrated database with a store, a direct connection for
// loading and inspecting rows, and a registry for metrics.
type env struct {
	store *pgstore.Store
	conn  *pgx.Conn
	reg   *prometheus.Registry
	log   *slog.Logger
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	dsn := dbtest.New(tb, migrations.Codebase())
	return envAt(tb, dsn, dsn)
}

// envAt is an env whose store connects with storeDSN (a role the test may
// take privileges from) and whose direct connection uses dsn.
func envAt(tb testing.TB, dsn, storeDSN string) *env {
	tb.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: storeDSN, MaxConns: 12, StartupWait: 5 * time.Second}, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
		tb.Fatal(err)
	}
	return &env{store: pgstore.New(pool), conn: conn, reg: prometheus.NewRegistry(), log: log}
}

func (e *env) service(tb testing.TB, cfg search.Config, emb codebase.Embedder) *search.Service {
	tb.Helper()
	e.reg = prometheus.NewRegistry()
	s := search.New(cfg, e.store, emb, e.log, e.reg)
	tb.Cleanup(s.Close)
	return s
}
