// Package dbtest gives tests real PostgreSQL: a fresh, migrated database
// per test on the project's local cluster (TEST_DATABASE_URL, set by
// `make test`), or a private throwaway cluster that a fault test may stop
// and start.
package dbtest

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/migrations"
)

// BaseURL returns TEST_DATABASE_URL. Without it the test is skipped with a
// message, except under CI (CI=true), where a missing database is a failure.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("TEST_DATABASE_URL is not set; CI must run the tests through `make test`, which starts PostgreSQL")
		}
		tb.Skip("TEST_DATABASE_URL is not set; run `make test` (it starts the local PostgreSQL) or `eval \"$(scripts/dev-db.sh start)\"`")
	}
	return u
}

// NewEmpty creates a new, empty database on the server of TEST_DATABASE_URL,
// drops it when the test ends and returns its URL.
func NewEmpty(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, BaseURL(tb))
}

// New creates a new database, applies the migrations in fsys and returns
// its URL. The database is dropped when the test ends.
func New(tb testing.TB, fsys fs.FS) string {
	tb.Helper()
	dsn := NewEmpty(tb)
	Migrate(tb, dsn, fsys)
	return dsn
}

// Migrate applies the migrations in fsys to dsn, recorded as owned by the
// server whose migrations they are (see [Owner]).
func Migrate(tb testing.TB, dsn string, fsys fs.FS) {
	tb.Helper()
	ms, err := migrate.Load(fsys)
	if err != nil {
		tb.Fatal(err)
	}
	owner := Owner(tb, ms)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	if _, err := migrate.Up(ctx, conn, owner, ms); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
}

// TestOwner owns databases migrated with a set that is neither server's.
const TestOwner = "dbtest"

// Owner returns the server id the migrations ms belong to:
// "codebase-mcp" or "workflow-mcp" when ms are that server's embedded
// migrations, else [TestOwner]. Tests keep calling [New] with a
// migrations FS, and a server started on the database accepts it.
func Owner(tb testing.TB, ms []migrate.Migration) string {
	tb.Helper()
	for id, fsys := range map[string]fs.FS{"codebase-mcp": migrations.Codebase(), "workflow-mcp": migrations.Workflow()} {
		server, err := migrate.Load(fsys)
		if err != nil {
			tb.Fatal(err)
		}
		if sameMigrations(ms, server) {
			return id
		}
	}
	return TestOwner
}

func sameMigrations(a, b []migrate.Migration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func createDatabase(tb testing.TB, base string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to the test server %s: %v (is it running? `scripts/dev-db.sh start`)", base, err)
	}
	defer admin.Close(ctx)
	name := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("drop test database %s: %v", name, err)
		}
	})
	return WithDatabase(base, name)
}

// WithDatabase returns dsn (a URL) with its database name replaced.
func WithDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return fmt.Sprintf("%s dbname=%s", dsn, name)
	}
	u.Path = "/" + name
	return u.String()
}
