package dbpool_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
)

// TestLagCollector_ReportsPausedReplay pauses WAL replay on a streaming
// replica while the primary writes: the exported
// <prefix>_db_replica_lag_seconds rises above zero, and falls back to
// zero once replay resumes and catches up.
func TestLagCollector_ReportsPausedReplay(t *testing.T) {
	primary := dbtest.NewCluster(t)
	replica := primary.NewReplica(t)
	log, _ := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	ctx := context.Background()
	cfg := dbpool.Config{MaxConns: 2, ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond,
		StartupWait: 10 * time.Second, DSN: replica.URL("postgres"), Replica: true}
	r, err := dbpool.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := pgxpool.New(ctx, primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(dbpool.NewLagCollector(r, "codebase_mcp"))
	lag := func() float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil || len(mfs) != 1 || mfs[0].GetName() != "codebase_mcp_db_replica_lag_seconds" || len(mfs[0].GetMetric()) != 1 {
			t.Fatalf("gathered %v, %v; want one codebase_mcp_db_replica_lag_seconds series", mfs, err)
		}
		return mfs[0].GetMetric()[0].GetGauge().GetValue()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (lag %v)", what, lag())
			}
		}
	}
	if _, err := p.Exec(ctx, "CREATE TABLE t (v int)"); err != nil {
		t.Fatal(err)
	}
	// The lag is the age of the last replayed transaction: wait until the
	// replica has replayed one (the table exists there).
	waitFor("the replica to replay CREATE TABLE", func() bool {
		var ok bool
		return r.Pgx().QueryRow(ctx, "SELECT to_regclass('t') IS NOT NULL").Scan(&ok) == nil && ok
	})
	waitFor("the replica to catch up", func() bool { return lag() == 0 })
	if _, err := r.Pgx().Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	// Writes keep arriving while replay is paused: the replayed position
	// falls behind the received one and ages.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			p.Exec(ctx, "INSERT INTO t VALUES ($1)", i) //nolint:errcheck // load only
		}
	}()
	waitFor("a positive lag while replay is paused", func() bool { return lag() > 0 })
	close(stop)
	<-done
	if _, err := r.Pgx().Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitFor("the lag to return to zero after replay resumed", func() bool { return lag() == 0 })
}

// TestLagCollector_PausedBeforeAnyReplay pauses replay on a standby that
// has replayed no transaction since it started (no replay timestamp yet):
// writes on the primary still show as lag, not as zero.
func TestLagCollector_PausedBeforeAnyReplay(t *testing.T) {
	primary := dbtest.NewCluster(t)
	replica := primary.NewReplica(t)
	log, _ := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	ctx := context.Background()
	cfg := dbpool.Config{MaxConns: 2, ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond,
		StartupWait: 10 * time.Second, DSN: replica.URL("postgres"), Replica: true}
	r, err := dbpool.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Pgx().Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	var replayed *time.Time
	if err := r.Pgx().QueryRow(ctx, "SELECT pg_last_xact_replay_timestamp()").Scan(&replayed); err != nil || replayed != nil {
		t.Fatalf("the new standby already replayed a transaction (%v, %v): the case under test needs none", replayed, err)
	}
	p, err := pgxpool.New(ctx, primary.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Exec(ctx, "CREATE TABLE t (v int)"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); r.ReplicationLag() <= 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the lag stayed 0 while the paused standby had WAL to replay")
		}
	}
}

// TestHealth_PoolAboveEightyPercentIsDegraded holds 17 of 20 connections
// (85 %): the pool is degraded with a problem saying why; at 19 (95 %) it
// is still degraded, at 20 unhealthy.
func TestHealth_PoolAboveEightyPercentIsDegraded(t *testing.T) {
	p, _ := openPool(t, dbpool.Config{DSN: dbtest.NewEmpty(t), MaxConns: 20})
	ctx := context.Background()
	var held []*pgxpool.Conn
	defer func() {
		for _, c := range held {
			c.Release()
		}
	}()
	hold := func(n int) {
		for len(held) < n {
			c, err := p.Pgx().Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
	}
	hold(17)
	h := p.Health()
	if h.Status != dbpool.StatusDegraded || h.DatabaseStatus != dbpool.DBConnected || !strings.Contains(h.Problem, "80%") || h.UtilizationPercent != 85 {
		t.Errorf("17/20 in use: %+v, want degraded above 80%%", h)
	}
	hold(19)
	if h := p.Health(); h.Status != dbpool.StatusDegraded {
		t.Errorf("19/20 in use: %s, want degraded (unhealthy only above 95%%)", h.Status)
	}
	hold(20)
	if h := p.Health(); h.Status != dbpool.StatusUnhealthy || !strings.Contains(h.Problem, "exhausted") {
		t.Errorf("20/20 in use: %+v, want unhealthy, exhausted", h)
	}
}

// TestConfig_Validate rejects impossible pool sizes and malformed URLs,
// and Target never prints credentials, even of a URL pgx cannot parse.
func TestConfig_Validate(t *testing.T) {
	for name, cfg := range map[string]dbpool.Config{
		"min above max": {DSN: "postgres://u@h/db", MinConns: 5, MaxConns: 2},
		"negative min":  {DSN: "postgres://u@h/db", MinConns: -1, MaxConns: 2},
		"malformed url": {DSN: "postgres://u@h:notaport/db", MaxConns: 2},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, cfg)
		}
		if _, err := dbpool.Open(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("%s: Open accepted %+v", name, cfg)
		}
	}
	if got := dbpool.Target("postgres://user:secret@db.example/app?sslmode=bogus"); strings.Contains(got, "secret") || !strings.Contains(got, "db.example") {
		t.Errorf("Target of an unparsable URL = %q", got)
	}
	if got := dbpool.Target("postgres://user:secret@%zz/app"); got != "(unparsable database url)" {
		t.Errorf("Target of a URL with a bad escape = %q", got)
	}
}
