package dbpool_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
)

// Reads go to a streaming replica while it is reachable and fall back to
// the primary, with one warning, when it is lost; writes always go to the
// primary; the replica's monitor measures its replication lag.
func TestPools_ReadsUseTheReplicaAndFallBack(t *testing.T) {
	primary := dbtest.NewCluster(t)
	replica := primary.NewReplica(t)
	log, logs := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	ctx := context.Background()
	fast := dbpool.Config{MaxConns: 4, ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond, StartupWait: 10 * time.Second}
	pcfg := fast
	pcfg.DSN = primary.URL("postgres")
	p, err := dbpool.Open(ctx, pcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rcfg := fast
	rcfg.DSN, rcfg.Replica = replica.URL("postgres"), true
	r, err := dbpool.Open(ctx, rcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pools := dbpool.NewPools(p, r, log)

	if _, err := p.Pgx().Exec(ctx, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if pools.Write() != p {
		t.Fatal("writes must use the primary")
	}
	if pools.Read() != r {
		t.Fatal("reads must use the reachable replica")
	}
	// The row replicates; reading through Read() sees it on the replica,
	// which is in recovery.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v int
		var inRecovery bool
		err := pools.Read().Pgx().QueryRow(ctx, "SELECT v, pg_is_in_recovery() FROM t").Scan(&v, &inRecovery)
		if err == nil && v == 42 {
			if !inRecovery {
				t.Fatal("Read() answered from a server that is not the standby")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica never saw the row: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if lag := r.ReplicationLag(); lag < 0 || lag > 10*time.Second {
		t.Errorf("replication lag = %s, want a small non-negative value", lag)
	}

	replica.Stop(t, "immediate")
	deadline = time.Now().Add(10 * time.Second)
	for pools.Read() != p {
		if time.Now().After(deadline) {
			t.Fatal("reads did not fall back to the primary after the replica was lost")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		pools.Read()
	}
	if n := len(logs.Events(t, "read_replica_unavailable")); n != 1 {
		t.Errorf("read_replica_unavailable logged %d times, want once per outage", n)
	}
	var v int
	if err := pools.Read().Pgx().QueryRow(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != 42 {
		t.Fatalf("read after fallback = %d, %v", v, err)
	}
	if h := r.Health(); h.Status != dbpool.StatusUnhealthy || !strings.Contains(h.Problem, "unreachable") {
		t.Errorf("replica health = %+v, want unhealthy", h)
	}

	replica.Start(t)
	deadline = time.Now().Add(15 * time.Second)
	for pools.Read() != r {
		if time.Now().After(deadline) {
			t.Fatal("reads did not return to the replica after it came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
