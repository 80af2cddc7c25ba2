// Package migrate applies a server's embedded SQL migrations in order, each
// in its own transaction, under a PostgreSQL advisory lock so that two
// processes migrating at once cannot interleave.
//
// The bookkeeping table schema_migrations records, for every applied
// migration, its version, file name and owner: the id of the server whose
// migrations they are ("codebase-mcp", "workflow-mcp"). Each server needs
// its own database, and [Up] and [Check] refuse a database another server
// owns with an [*OwnerError].
//
// Databases migrated before owners were recorded have a schema_migrations
// without the owner column. The first server that runs [Up] on such a
// database adopts it: it checks that every recorded migration has the name
// of its own migration of that version, then records itself as the owner.
// The names cannot tell the servers apart while both have only
// 0001_init.sql, so the rule that decides is the one that held before
// owners were recorded: one database served one server, and the operator
// who runs that server's migrate names it. [Check] never adopts: it
// refuses an un-owned database until migrate has run.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lockKey is the advisory lock every migration run takes (any constant
// works; it only has to be the same for both binaries' runs on one database).
const lockKey = 7_265_110_483

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads files named NNNN_description.sql from fsys, in version order.
// Versions must be unique and start at 1 without gaps, so that a missing
// file is caught at build time rather than in production.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must look like 0001_description.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d (versions must be 1, 2, 3, ... without gaps or repeats)", m.Name, i+1)
		}
	}
	return ms, nil
}

// Latest returns the highest version in ms, or 0.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Querier is what [Current] needs: a pgx connection, pool or transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Current returns the schema version recorded in the database, 0 when no
// migration was ever applied.
func Current(ctx context.Context, q Querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRow(ctx, "SELECT COALESCE(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Up applies the migrations newer than the database's version, recording
// owner (the server id) with each, and returns the versions it applied. It
// refuses with an [*OwnerError] a database another owner's migrations
// created, and with a [*VersionError] a database newer than ms. A database
// whose schema_migrations predates owners is adopted (see the package
// comment).
func Up(ctx context.Context, conn *pgx.Conn, owner string, ms []Migration) ([]int, error) {
	if owner == "" {
		return nil, errors.New("migrate: owner (the server id) is required")
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey)) //nolint:errcheck // released with the session anyway

	// Migrations may build large indexes; the pool's statement timeout must not apply.
	if _, err := conn.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return nil, err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		owner      text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	if err := adopt(ctx, conn, owner, ms); err != nil {
		return nil, err
	}
	recorded, err := readOwner(ctx, conn)
	if err != nil {
		return nil, err
	}
	if recorded.owner != "" && recorded.owner != owner {
		return nil, &OwnerError{Owner: recorded.owner, Want: owner}
	}
	cur, err := Current(ctx, conn)
	if err != nil {
		return nil, err
	}
	if cur > Latest(ms) {
		return nil, &VersionError{Current: cur, Expected: Latest(ms)}
	}
	applied := []int{}
	for _, m := range ms {
		if m.Version <= cur {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, owner) VALUES ($1, $2, $3)", m.Version, m.Name, owner)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// adopt records owner in a schema_migrations made before owners were
// recorded, after checking that the migrations it lists carry the names
// of owner's. It does nothing to a table that has the owner column.
func adopt(ctx context.Context, conn *pgx.Conn, owner string, ms []Migration) error {
	rec, err := readOwner(ctx, conn)
	if err != nil || rec.hasColumn {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT version, name FROM schema_migrations ORDER BY version")
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		type row struct {
			version int
			name    string
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.version, &x.name)
		})
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		for _, g := range got {
			if g.version > Latest(ms) {
				// Newer than owner knows: its names cannot be checked, so
				// adopting would be a guess.
				return &VersionError{Current: got[len(got)-1].version, Expected: Latest(ms)}
			}
			if g.version >= 1 && g.version <= len(ms) && ms[g.version-1].Name != g.name {
				return &OwnerError{Want: owner, Mismatch: fmt.Sprintf("it records migration %s where %s has %s", g.name, owner, ms[g.version-1].Name)}
			}
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE schema_migrations ADD COLUMN owner text"); err != nil {
			return fmt.Errorf("add owner to schema_migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE schema_migrations SET owner = $1", owner); err != nil {
			return fmt.Errorf("record owner in schema_migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE schema_migrations ALTER COLUMN owner SET NOT NULL"); err != nil {
			return fmt.Errorf("add owner to schema_migrations: %w", err)
		}
		return nil
	})
}

// recordedOwner is what schema_migrations says about its owner.
type recordedOwner struct {
	table     bool   // schema_migrations exists
	hasColumn bool   // it has the owner column
	rows      bool   // it lists at least one migration
	owner     string // the owner of its lowest version, "" when unknown
}

// readOwner reads the owner of the database's migrations: the owner of
// the lowest recorded version, since the server whose migrations created
// the schema owns it.
func readOwner(ctx context.Context, q Querier) (recordedOwner, error) {
	var r recordedOwner
	const q1 = `SELECT to_regclass('schema_migrations') IS NOT NULL,
		EXISTS (SELECT 1 FROM pg_attribute
			WHERE attrelid = to_regclass('schema_migrations') AND attname = 'owner' AND NOT attisdropped)`
	if err := q.QueryRow(ctx, q1).Scan(&r.table, &r.hasColumn); err != nil {
		return r, fmt.Errorf("read schema owner: %w", err)
	}
	if !r.table {
		return r, nil
	}
	if !r.hasColumn {
		if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations)").Scan(&r.rows); err != nil {
			return r, fmt.Errorf("read schema owner: %w", err)
		}
		return r, nil
	}
	err := q.QueryRow(ctx, "SELECT owner FROM schema_migrations ORDER BY version LIMIT 1").Scan(&r.owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return r, nil
	case err != nil:
		return r, fmt.Errorf("read schema owner: %w", err)
	}
	r.rows = true
	return r, nil
}

// OwnerError reports a database whose migrations belong to another
// server, or whose owner is not recorded. Each server needs its own
// database.
type OwnerError struct {
	// Owner is the server recorded in schema_migrations, "" when the table
	// predates owners.
	Owner string
	// Want is the server that asked.
	Want string
	// Mismatch, set when an un-owned database was not adopted, says which
	// recorded migration is not Want's.
	Mismatch string
}

func (e *OwnerError) Error() string {
	switch {
	case e.Owner != "":
		return fmt.Sprintf("this database belongs to %s (recorded in schema_migrations), not %s: each server needs its own database; "+
			"set %s and %s to different databases (DATABASE_URL is a fallback for both, so it cannot serve both)",
			e.Owner, e.Want, envName(e.Owner), envName(e.Want))
	case e.Mismatch != "":
		return fmt.Sprintf("this database's migrations are not %s's (%s), so %s did not adopt it: each server needs its own database; "+
			"set %s to a database of its own (DATABASE_URL is a fallback for both servers)",
			e.Want, e.Mismatch, e.Want, envName(e.Want))
	default:
		return fmt.Sprintf("this database's schema_migrations does not record which server owns it (it predates owner tracking): "+
			"if it is %s's database, run `%s migrate` once to record that; otherwise set %s to a database of its own "+
			"(each server needs its own; DATABASE_URL is a fallback for both)",
			e.Want, e.Want, envName(e.Want))
	}
}

// envName is the environment variable that gives server id its own
// database URL: codebase-mcp reads CODEBASE_MCP_DATABASE_URL.
func envName(id string) string {
	return strings.ToUpper(strings.ReplaceAll(id, "-", "_")) + "_DATABASE_URL"
}

// VersionError reports a schema that does not match the binary.
type VersionError struct {
	Current, Expected int
}

func (e *VersionError) Error() string {
	if e.Current > e.Expected {
		return fmt.Sprintf("database schema is at version %d, newer than the %d this binary knows; upgrade the binary", e.Current, e.Expected)
	}
	return fmt.Sprintf("database schema is at version %d, this binary needs version %d", e.Current, e.Expected)
}

// Check returns an [*OwnerError] when the database's migrations belong to
// another server than owner or record no owner, and a [*VersionError] when
// its version differs from the latest of ms. It only reads.
func Check(ctx context.Context, q Querier, owner string, ms []Migration) error {
	if owner == "" {
		return errors.New("migrate: owner (the server id) is required")
	}
	rec, err := readOwner(ctx, q)
	if err != nil {
		return err
	}
	switch {
	case rec.table && !rec.hasColumn && rec.rows:
		return &OwnerError{Want: owner}
	case rec.owner != "" && rec.owner != owner:
		return &OwnerError{Owner: rec.owner, Want: owner}
	}
	cur, err := Current(ctx, q)
	if err != nil {
		return err
	}
	if cur != Latest(ms) {
		return &VersionError{Current: cur, Expected: Latest(ms)}
	}
	return nil
}

// EnsureDatabase creates the database named in dsn when it does not exist,
// connecting to the maintenance database "postgres" of the same server.
// It returns whether it created it.
func EnsureDatabase(ctx context.Context, dsn string) (bool, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return false, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return false, conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return false, err
	}
	name := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("database %q does not exist and the server's \"postgres\" database is not reachable to create it: %w", name, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
			return false, nil
		}
		return false, fmt.Errorf("create database %q: %w", name, err)
	}
	return true, nil
}
