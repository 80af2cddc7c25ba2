// Package migrate applies a server's embedded SQL migrations in order, each
// in its own transaction, under a PostgreSQL advisory lock so that two
// processes migrating at once cannot interleave.
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

// Up applies the migrations newer than the database's version and returns
// the versions it applied. It refuses a database newer than ms.
func Up(ctx context.Context, conn *pgx.Conn, ms []Migration) ([]int, error) {
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
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, create); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
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
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
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

// Check returns a *VersionError when the database's version differs from
// the latest of ms.
func Check(ctx context.Context, q Querier, ms []Migration) error {
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
