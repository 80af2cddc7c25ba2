package dbpool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

// retryFixture is a one-connection pool on a fresh database with an
// items table, and an admin connection that can end the pool's session.
type retryFixture struct {
	p     *dbpool.Pool
	admin *pgx.Conn
}

func newRetryFixture(t *testing.T) *retryFixture {
	t.Helper()
	ctx := context.Background()
	dsn := dbtest.NewEmpty(t)
	p, _ := openPool(t, dbpool.Config{DSN: dsn, MinConns: 1, MaxConns: 1, RetryBackoff: 10 * time.Millisecond})
	t.Cleanup(p.Close)
	if _, err := p.Pgx().Exec(ctx, "CREATE TABLE items (name text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	return &retryFixture{p: p, admin: admin}
}

// count returns how many rows named name exist.
func (f *retryFixture) count(t *testing.T, name string) int {
	t.Helper()
	var n int
	if err := f.admin.QueryRow(context.Background(), "SELECT count(*) FROM items WHERE name = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// terminate ends the backend of c from the admin connection and waits
// until it is gone, as an administrator or a crash-restart would.
func (f *retryFixture) terminate(ctx context.Context, c *pgx.Conn) error {
	pid := c.PgConn().PID()
	var gone bool
	if err := f.admin.QueryRow(ctx, "SELECT pg_terminate_backend($1, 5000)", int32(pid)).Scan(&gone); err != nil {
		return err
	}
	if !gone {
		return errors.New("backend still running 5 s after pg_terminate_backend")
	}
	return nil
}

func insert(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, name string) error {
	_, err := q.Exec(ctx, "INSERT INTO items (name) VALUES ($1)", name)
	return err
}

// raiseSerializationFailure makes the server report SQLSTATE 40001, as a
// conflicting serializable transaction would.
const raiseSerializationFailure = `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`

// TestDo_NeverRepeatsAnAppliedStatement makes the connection fail after an
// INSERT inside Do has committed, in every way that could tempt a retry.
// Do must return the error and leave exactly one row.
func TestDo_NeverRepeatsAnAppliedStatement(t *testing.T) {
	tests := []struct {
		name string
		// fail runs after the INSERT committed and returns the error Do sees.
		fail func(ctx context.Context, f *retryFixture, c *pgxpool.Conn) error
	}{
		{"SessionTerminated", func(ctx context.Context, f *retryFixture, c *pgxpool.Conn) error {
			if err := f.terminate(ctx, c.Conn()); err != nil {
				t.Fatal(err)
			}
			_, err := c.Exec(ctx, "SELECT 1")
			return err
		}},
		{"ConnectionClosed", func(ctx context.Context, f *retryFixture, c *pgxpool.Conn) error {
			// The next statement fails before sending anything: SafeToRetry
			// is true for it, but not for the INSERT before it.
			c.Conn().Close(ctx)
			_, err := c.Exec(ctx, "SELECT 1")
			if !pgconn.SafeToRetry(err) {
				t.Errorf("statement on a closed connection: %v, want a SafeToRetry error", err)
			}
			return err
		}},
		{"StepDeadlinePassed", func(ctx context.Context, f *retryFixture, c *pgxpool.Conn) error {
			// A per-step deadline that passed while the caller's context is fine.
			sctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := c.Exec(sctx, "SELECT 1")
			return err
		}},
		{"SerializationFailure", func(ctx context.Context, f *retryFixture, c *pgxpool.Conn) error {
			_, err := c.Exec(ctx, raiseSerializationFailure)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRetryFixture(t)
			ctx := context.Background()
			attempts := 0
			err := f.p.Do(ctx, "insert_then_fail", func(ctx context.Context, c *pgxpool.Conn) error {
				attempts++
				if err := insert(ctx, c, "x"); err != nil {
					return err
				}
				return tc.fail(ctx, f, c)
			})
			if err == nil {
				t.Fatal("Do returned nil, want the failure")
			}
			if attempts != 1 {
				t.Errorf("callback ran %d times, want 1 (err %v)", attempts, err)
			}
			if n := f.count(t, "x"); n != 1 {
				t.Fatalf("%d rows after one INSERT, want 1 (err %v)", n, err)
			}
		})
	}
}

// TestDo_RetriesAnUnsentStatement checks that a statement that failed
// before anything was sent is retried on a new connection and applied once.
func TestDo_RetriesAnUnsentStatement(t *testing.T) {
	f := newRetryFixture(t)
	ctx := context.Background()
	attempts := 0
	err := f.p.Do(ctx, "insert", func(ctx context.Context, c *pgxpool.Conn) error {
		attempts++
		if attempts == 1 {
			c.Conn().Close(ctx) // the INSERT below cannot be sent
		}
		return insert(ctx, c, "x")
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if attempts != 2 {
		t.Errorf("callback ran %d times, want 2", attempts)
	}
	if n := f.count(t, "x"); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
}

// TestTx_RetriesTheWholeTransaction checks that a transaction that failed
// before its commit (the server rolled it back) is run again from the
// start, and that its effect appears once.
func TestTx_RetriesTheWholeTransaction(t *testing.T) {
	tests := []struct {
		name string
		fail func(ctx context.Context, f *retryFixture, tx pgx.Tx) error
	}{
		{"SessionTerminated", func(ctx context.Context, f *retryFixture, tx pgx.Tx) error {
			if err := f.terminate(ctx, tx.Conn()); err != nil {
				t.Fatal(err)
			}
			return insert(ctx, tx, "y")
		}},
		{"SerializationFailure", func(ctx context.Context, f *retryFixture, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, raiseSerializationFailure)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRetryFixture(t)
			ctx := context.Background()
			attempts := 0
			err := f.p.Tx(ctx, "insert_two", func(ctx context.Context, tx pgx.Tx) error {
				attempts++
				if err := insert(ctx, tx, "x"); err != nil {
					return err
				}
				if attempts == 1 {
					return tc.fail(ctx, f, tx)
				}
				return insert(ctx, tx, "y")
			})
			if err != nil {
				t.Fatalf("Tx: %v", err)
			}
			if attempts != 2 {
				t.Errorf("transaction ran %d times, want 2", attempts)
			}
			if x, y := f.count(t, "x"), f.count(t, "y"); x != 1 || y != 1 {
				t.Fatalf("rows x=%d y=%d, want one each", x, y)
			}
		})
	}
}

// TestTx_FailedCommitIsNotRetried checks that a COMMIT that reached the
// server and failed is returned, not retried: in general a failed COMMIT
// may have committed. A deferred unique constraint makes COMMIT itself fail.
func TestTx_FailedCommitIsNotRetried(t *testing.T) {
	f := newRetryFixture(t)
	ctx := context.Background()
	if _, err := f.admin.Exec(ctx, "ALTER TABLE items ADD UNIQUE (name) DEFERRABLE INITIALLY DEFERRED"); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	err := f.p.Tx(ctx, "insert_duplicates", func(ctx context.Context, tx pgx.Tx) error {
		attempts++
		if err := insert(ctx, tx, "x"); err != nil {
			return err
		}
		return insert(ctx, tx, "x") // accepted until COMMIT checks the constraint
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("err = %v, want the unique violation from COMMIT", err)
	}
	if attempts != 1 {
		t.Errorf("transaction ran %d times, want 1", attempts)
	}
	if n := f.count(t, "x"); n != 0 {
		t.Errorf("%d rows after the failed commit, want 0", n)
	}
}
