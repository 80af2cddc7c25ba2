package migrate_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/migrations"
)

// TestErrors_Messages checks that each refusal says what to do: which
// variable to set, or that the binary is older than the schema.
func TestErrors_Messages(t *testing.T) {
	tests := []struct {
		err  error
		want []string
	}{
		{&migrate.OwnerError{Owner: "workflow-mcp", Want: "codebase-mcp"},
			[]string{"belongs to workflow-mcp", "WORKFLOW_MCP_DATABASE_URL", "CODEBASE_MCP_DATABASE_URL"}},
		{&migrate.OwnerError{Want: "codebase-mcp", Mismatch: "0002_items.sql"},
			[]string{"not codebase-mcp's (0002_items.sql)", "CODEBASE_MCP_DATABASE_URL"}},
		{&migrate.OwnerError{Want: "workflow-mcp"}, []string{"does not record which server owns it", "workflow-mcp migrate"}},
		{&migrate.VersionError{Current: 5, Expected: 3}, []string{"newer than the 3 this binary knows", "upgrade the binary"}},
		{&migrate.VersionError{Current: 2, Expected: 3}, []string{"at version 2, this binary needs version 3"}},
	}
	for _, tc := range tests {
		for _, w := range tc.want {
			if !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%q lacks %q", tc.err.Error(), w)
			}
		}
	}
	if migrate.Latest(nil) != 0 {
		t.Errorf("Latest(nil) = %d, want 0", migrate.Latest(nil))
	}
	if _, err := migrate.Load(os.DirFS(filepath.Join(t.TempDir(), "missing"))); err == nil || !strings.Contains(err.Error(), "read migrations") {
		t.Errorf("Load of a missing directory: %v", err)
	}
}

// TestUpDSN_Faults checks UpDSN's errors for a malformed URL and for a
// server that does not answer.
func TestUpDSN_Faults(t *testing.T) {
	ms, err := migrate.Load(migrations.Workflow())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := migrate.UpDSN(ctx, "postgres://%zz", time.Second, owner, ms); err == nil || !strings.Contains(err.Error(), "database url") {
		t.Errorf("malformed URL: %v", err)
	}
	closed := "postgres://postgres@127.0.0.1:" + strconv.Itoa(dbtest.FreePort(t)) + "/x?sslmode=disable"
	if _, err := migrate.UpDSN(ctx, closed, time.Second, owner, ms); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("nothing listening: %v", err)
	}
}

// TestConnectionKilled terminates the migration connection's backend
// (as a failover or an administrator would): Current, Check and Up each
// return an error saying which step failed instead of a version or nil.
func TestConnectionKilled(t *testing.T) {
	ctx := context.Background()
	ms, err := migrate.Load(migrations.Workflow())
	if err != nil {
		t.Fatal(err)
	}
	dsn := dbtest.NewEmpty(t)
	admin := connect(t, dsn)
	tests := []struct {
		name string
		call func(*pgx.Conn) error
		want string
	}{
		{"Current", func(c *pgx.Conn) error { _, err := migrate.Current(ctx, c); return err }, "read schema version"},
		{"Check", func(c *pgx.Conn) error { return migrate.Check(ctx, c, owner, ms) }, "read schema owner"},
		{"Up", func(c *pgx.Conn) error { _, err := migrate.Up(ctx, c, owner, ms); return err }, "migration lock"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := connect(t, dsn)
			if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", conn.PgConn().PID()); err != nil {
				t.Fatal(err)
			}
			err := tc.call(conn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d tables after the failed runs (%v), want 0", n, err)
	}
}

// TestEnsureDatabase_Faults runs EnsureDatabase on a private cluster whose
// maintenance database is gone, and as a role that may not create
// databases: both fail with an error that says why.
func TestEnsureDatabase_Faults(t *testing.T) {
	ctx := context.Background()
	cluster := dbtest.NewCluster(t)
	other := cluster.CreateDatabase(t, "other")
	admin := connect(t, other)
	if _, err := admin.Exec(ctx, "CREATE ROLE limited LOGIN NOCREATEDB"); err != nil {
		t.Fatal(err)
	}
	limited := strings.Replace(cluster.URL("missing_a"), "postgres@", "limited@", 1)
	if created, err := migrate.EnsureDatabase(ctx, limited); created || err == nil || !strings.Contains(err.Error(), `create database "missing_a"`) {
		t.Errorf("role without CREATEDB: created=%v err=%v", created, err)
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE postgres"); err != nil {
		t.Fatal(err)
	}
	created, err := migrate.EnsureDatabase(ctx, cluster.URL("missing_b"))
	if created || err == nil || !strings.Contains(err.Error(), `"postgres" database is not reachable`) {
		t.Errorf("no maintenance database: created=%v err=%v", created, err)
	}
	if errors.Unwrap(err) == nil {
		t.Errorf("the cause is not wrapped: %v", err)
	}
}
