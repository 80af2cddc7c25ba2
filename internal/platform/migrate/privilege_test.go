package migrate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/migrate"
)

// TestUp_RoleThatCannotAdoptOrRead migrates a database whose
// schema_migrations predates owner tracking, as a role that does not own
// that table: adopting it (ALTER TABLE) is refused by PostgreSQL, Up says
// which step failed and the table is left as it was. Without SELECT on
// it, Up and Check fail reading the owner.
func TestUp_RoleThatCannotAdoptOrRead(t *testing.T) {
	ctx := context.Background()
	cluster := dbtest.NewCluster(t)
	dsn := cluster.CreateDatabase(t, "legacy")
	admin := connect(t, dsn)
	ms := mustLoad(t, twoSteps)
	legacyUp(t, admin, ms)
	for _, q := range []string{"CREATE ROLE app LOGIN", "GRANT USAGE, CREATE ON SCHEMA public TO app",
		"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO app"} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	app := strings.Replace(dsn, "postgres@", "app@", 1)
	appConn := func() *pgx.Conn { return connect(t, app) }

	_, err := migrate.Up(ctx, appConn(), owner, ms)
	if err == nil || !strings.Contains(err.Error(), "add owner to schema_migrations") || !strings.Contains(err.Error(), "must be owner") {
		t.Errorf("Up as a non-owner of a legacy table: %v", err)
	}
	if hasOwnerColumn(t, admin) {
		t.Error("the refused adoption changed schema_migrations")
	}

	if _, err := admin.Exec(ctx, "REVOKE SELECT ON schema_migrations FROM app"); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, appConn(), owner, ms); err == nil || !strings.Contains(err.Error(), "read schema owner") {
		t.Errorf("Up without SELECT on schema_migrations: %v", err)
	}
	if err := migrate.Check(ctx, appConn(), owner, ms); err == nil || !strings.Contains(err.Error(), "read schema owner") {
		t.Errorf("Check without SELECT on schema_migrations: %v", err)
	}
	// Once the owner is recorded, reading it needs SELECT too.
	if _, err := migrate.Up(ctx, admin, owner, ms); err != nil {
		t.Fatal(err)
	}
	if err := migrate.Check(ctx, appConn(), owner, ms); err == nil || !strings.Contains(err.Error(), "read schema owner") {
		t.Errorf("Check of an owned database without SELECT: %v", err)
	}
	if _, err := migrate.Current(ctx, appConn()); err == nil || !strings.Contains(err.Error(), "read schema version") {
		t.Errorf("Current without SELECT: %v", err)
	}
}
