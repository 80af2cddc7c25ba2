package dbtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// WaitReplayed waits (up to 30 s) until the standby at standbyDSN has
// replayed everything the primary at primaryDSN had written when it was
// called, so that what the test wrote before is visible on the standby.
func WaitReplayed(tb testing.TB, primaryDSN, standbyDSN string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lsn string
	p, err := pgx.Connect(ctx, primaryDSN)
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		tb.Fatal(err)
	}
	s, err := pgx.Connect(ctx, standbyDSN)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close(context.Background())
	for {
		var done bool
		err := s.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done)
		if err == nil && done {
			return
		}
		if ctx.Err() != nil {
			tb.Fatalf("the standby did not replay up to %s in 30 s: %v", lsn, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
