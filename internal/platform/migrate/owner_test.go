package migrate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/migrate"
	"github.com/mcp-memory/servers/migrations"
)

func mustLoad(t *testing.T, fsys fstest.MapFS) []migrate.Migration {
	t.Helper()
	ms, err := migrate.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// rowCount returns the number of rows in schema_migrations.
func rowCount(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// legacyUp applies ms the way migrate did before owners were recorded:
// a schema_migrations without the owner column.
func legacyUp(t *testing.T, conn *pgx.Conn, ms []migrate.Migration) {
	t.Helper()
	ctx := context.Background()
	const create = `CREATE TABLE schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			t.Fatal(err)
		}
	}
}

func hasOwnerColumn(t *testing.T, conn *pgx.Conn) bool {
	t.Helper()
	var ok bool
	const q = `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'schema_migrations' AND column_name = 'owner')`
	if err := conn.QueryRow(context.Background(), q).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestUp_RefusesAnotherServersDatabase reproduces issue 5 item 12 with the
// real migrations: both servers' first migration is 0001_init.sql, so
// without an owner workflow-mcp saw codebase-mcp's database as migrated.
func TestUp_RefusesAnotherServersDatabase(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.NewEmpty(t))
	codebase, err := migrate.Load(migrations.Codebase())
	if err != nil {
		t.Fatal(err)
	}
	workflow, err := migrate.Load(migrations.Workflow())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Up(ctx, conn, "codebase-mcp", codebase); err != nil {
		t.Fatal(err)
	}
	before := rowCount(t, conn)

	for name, call := range map[string]func() error{
		"Up": func() error {
			applied, err := migrate.Up(ctx, conn, "workflow-mcp", workflow)
			if len(applied) != 0 {
				t.Errorf("Up applied %v to another server's database", applied)
			}
			return err
		},
		"Check": func() error { return migrate.Check(ctx, conn, "workflow-mcp", workflow) },
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			var oe *migrate.OwnerError
			if !errors.As(err, &oe) || oe.Owner != "codebase-mcp" || oe.Want != "workflow-mcp" {
				t.Fatalf("err = %v, want an OwnerError{codebase-mcp, workflow-mcp}", err)
			}
			for _, s := range []string{"codebase-mcp", "workflow-mcp", "CODEBASE_MCP_DATABASE_URL", "WORKFLOW_MCP_DATABASE_URL"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not name %s", err, s)
				}
			}
		})
	}
	if n := rowCount(t, conn); n != before {
		t.Errorf("schema_migrations has %d rows after the refusals, want %d", n, before)
	}
	if err := migrate.Check(ctx, conn, "codebase-mcp", codebase); err != nil {
		t.Errorf("owner's Check: %v", err)
	}
	if _, err := migrate.Up(ctx, conn, "codebase-mcp", codebase); err != nil {
		t.Errorf("owner's second Up: %v", err)
	}
}

// TestUp_AdoptsAnUnownedDatabase checks the upgrade of a database migrated
// before owners were recorded: Check refuses it with a hint, the first Up
// records its server as owner and continues, and from then on the other
// server is refused.
func TestUp_AdoptsAnUnownedDatabase(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.NewEmpty(t))
	ms := mustLoad(t, twoSteps)
	legacyUp(t, conn, ms[:1])

	err := migrate.Check(ctx, conn, "codebase-mcp", ms)
	var oe *migrate.OwnerError
	if !errors.As(err, &oe) || oe.Owner != "" || !strings.Contains(err.Error(), "run `codebase-mcp migrate`") {
		t.Fatalf("Check of an un-owned database: %v, want an OwnerError telling to run codebase-mcp migrate", err)
	}

	applied, err := migrate.Up(ctx, conn, "codebase-mcp", ms)
	if err != nil || len(applied) != 1 || applied[0] != 2 {
		t.Fatalf("Up adopting the database applied %v, err %v; want [2]", applied, err)
	}
	var owners []string
	rows, err := conn.Query(ctx, "SELECT owner FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	owners, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(owners) != 2 || owners[0] != "codebase-mcp" || owners[1] != "codebase-mcp" {
		t.Fatalf("owners = %v (%v), want codebase-mcp for both versions", owners, err)
	}
	if err := migrate.Check(ctx, conn, "codebase-mcp", ms); err != nil {
		t.Fatalf("Check after adoption: %v", err)
	}
	if err := migrate.Check(ctx, conn, "workflow-mcp", ms); !errors.As(err, &oe) || oe.Owner != "codebase-mcp" {
		t.Fatalf("other server's Check after adoption: %v, want an OwnerError", err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (99, 'x')"); err == nil {
		t.Fatal("a row without owner was accepted; the column must be NOT NULL after adoption")
	}
}

// TestUp_DoesNotAdoptForeignMigrations checks that an un-owned database
// is not adopted when its recorded names, or versions, are not the
// server's own, and is left as it was.
func TestUp_DoesNotAdoptForeignMigrations(t *testing.T) {
	ctx := context.Background()
	other := mustLoad(t, fstest.MapFS{
		"0001_things.sql": {Data: []byte("CREATE TABLE things (id int PRIMARY KEY);")},
		"0002_items.sql":  {Data: []byte("CREATE TABLE items (id int PRIMARY KEY);")},
	})
	tests := []struct {
		name    string
		ms      []migrate.Migration
		wantErr func(error) bool
	}{
		{"DifferentName", mustLoad(t, twoSteps), func(err error) bool {
			var oe *migrate.OwnerError
			return errors.As(err, &oe) && oe.Owner == "" && strings.Contains(oe.Mismatch, "0002_items.sql")
		}},
		{"NewerThanKnown", mustLoad(t, twoSteps)[:1], func(err error) bool {
			var ve *migrate.VersionError
			return errors.As(err, &ve) && ve.Current == 2 && ve.Expected == 1
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn := connect(t, dbtest.NewEmpty(t))
			legacyUp(t, conn, other)
			applied, err := migrate.Up(ctx, conn, "codebase-mcp", tc.ms)
			if !tc.wantErr(err) || len(applied) != 0 {
				t.Fatalf("Up applied %v, err %v", applied, err)
			}
			if hasOwnerColumn(t, conn) {
				t.Error("the refused database was adopted")
			}
		})
	}
}

// TestUp_TwoServersAtOnce migrates a fresh database from two servers
// concurrently: one owns it, the other is refused, nothing is applied twice.
func TestUp_TwoServersAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	ms := mustLoad(t, twoSteps)
	type result struct {
		owner   string
		applied int
		err     error
	}
	results := make(chan result, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		id := []string{"a-mcp", "b-mcp"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, dsn)
			if err != nil {
				results <- result{id, 0, err}
				return
			}
			defer c.Close(ctx)
			applied, err := migrate.Up(ctx, c, id, ms)
			results <- result{id, len(applied), err}
		}()
	}
	wg.Wait()
	close(results)
	total, winners := 0, map[string]bool{}
	for r := range results {
		total += r.applied
		var oe *migrate.OwnerError
		switch {
		case r.err == nil:
			winners[r.owner] = true
		case errors.As(r.err, &oe) && oe.Want == r.owner && oe.Owner != r.owner:
		default:
			t.Errorf("%s: %v", r.owner, r.err)
		}
	}
	if total != 2 || len(winners) != 1 {
		t.Fatalf("applied %d migrations in total by owners %v, want 2 by one owner", total, winners)
	}
}

func TestUpCheck_RequireOwner(t *testing.T) {
	ctx := context.Background()
	conn := connect(t, dbtest.NewEmpty(t))
	ms := mustLoad(t, twoSteps)
	if _, err := migrate.Up(ctx, conn, "", ms); err == nil {
		t.Error("Up without an owner succeeded")
	}
	if err := migrate.Check(ctx, conn, "", ms); err == nil {
		t.Error("Check without an owner succeeded")
	}
}
