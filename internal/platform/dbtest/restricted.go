package dbtest

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Restricted is a migrated database on a private cluster with a login
// role "app" that holds what the servers use: SELECT, INSERT, UPDATE and
// DELETE on every table, USAGE, SELECT and UPDATE on every sequence. A
// test runs the code under test as app (AppDSN) and, as the superuser
// (Exec), revokes one privilege to make one statement fail part-way with
// a real "permission denied". The cluster is private because roles are
// cluster-wide.
type Restricted struct {
	Cluster *Cluster
	// DSN is the superuser's; AppDSN connects as app.
	DSN, AppDSN string
	// Admin is a superuser connection, closed when the test ends.
	Admin *pgx.Conn
}

// NewRestricted makes the database name on a new private cluster,
// applies migrations and creates the app role.
func NewRestricted(tb testing.TB, name string, migrations fs.FS) *Restricted {
	tb.Helper()
	ctx := context.Background()
	cluster := NewCluster(tb)
	dsn := cluster.CreateDatabase(tb, name)
	Migrate(tb, dsn, migrations)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close(context.Background()) })
	r := &Restricted{Cluster: cluster, DSN: dsn, AppDSN: strings.Replace(dsn, "postgres@", "app@", 1), Admin: admin}
	r.Exec(tb, `CREATE ROLE app LOGIN; GRANT USAGE ON SCHEMA public TO app;
		GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app;
		GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO app`)
	return r
}

// Exec runs sql as the superuser and fails the test on an error.
func (r *Restricted) Exec(tb testing.TB, sql string) {
	tb.Helper()
	if _, err := r.Admin.Exec(context.Background(), sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
