package pgstore_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/workflow"
	"github.com/mcp-memory/servers/internal/workflow/pgstore"
	"github.com/mcp-memory/servers/migrations"
)

// routed is a workflow service on a real primary and its streaming replica.
type routed struct {
	svc      *workflow.Service
	primary  *dbtest.Cluster
	replica  *dbtest.Cluster
	replicaP *dbpool.Pool
}

func newRouted(t *testing.T) *routed {
	t.Helper()
	start := time.Now()
	primary := dbtest.NewCluster(t)
	dsn := primary.CreateDatabase(t, "workflow")
	dbtest.Migrate(t, dsn, migrations.Workflow())
	t.Logf("primary ready in %s", time.Since(start))
	replica := primary.NewReplica(t)
	t.Logf("replica ready in %s", time.Since(start))
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	fast := dbpool.Config{MaxConns: 4, ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 500 * time.Millisecond,
		StartupWait: 10 * time.Second, RetryBackoff: 20 * time.Millisecond}
	pcfg := fast
	pcfg.DSN = dsn
	p, err := dbpool.Open(ctx, pcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	rcfg := fast
	rcfg.DSN, rcfg.Replica = replica.URL("workflow"), true
	r, err := dbpool.Open(ctx, rcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	svc, err := workflow.NewService(workflow.Config{Store: pgstore.NewRouted(dbpool.NewPools(p, r, log))})
	if err != nil {
		t.Fatal(err)
	}
	return &routed{svc: svc, primary: primary, replica: replica, replicaP: r}
}

// exec runs sql on the replica directly (outside the pools under test).
func (rt *routed) exec(t *testing.T, sql string) {
	t.Helper()
	if _, err := rt.replicaP.Pgx().Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// caughtUp waits until the replica has replayed the primary's current WAL.
func (rt *routed) caughtUp(t *testing.T, primaryDSN string) {
	t.Helper()
	dbtest.WaitReplayed(t, primaryDSN, rt.replica.URL("workflow"))
}

// The replica's replay is paused, so it holds an older state than the
// primary: what a marked (read-only) request reads shows where it read.
// Writes and their reads must see the primary; read-only requests read
// the replica, except the active project and rows the replica lacks.
func TestStore_ReadRouting(t *testing.T) {
	rt := newRouted(t)
	ctx := context.Background()
	ro := dbpool.WithReplicaReads(ctx)
	svc := rt.svc

	p, err := svc.CreateProject(ctx, "routing", "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateProject(ctx, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SwitchProject(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	w, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{ProjectID: p.ID, Title: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	rt.caughtUp(t, rt.primary.URL("workflow"))
	rt.exec(t, "SELECT pg_wal_replay_pause()")
	t.Cleanup(func() { rt.replicaP.Pgx().Exec(context.Background(), "SELECT pg_wal_replay_resume()") }) //nolint:errcheck // the cluster may be gone

	title := func(s string) *string { return &s }
	up, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ProjectID: p.ID, ID: w.ID, Version: 1, Title: title("v2")})
	if err != nil || up.Version != 2 {
		t.Fatalf("first update: %v (version %d)", err, up.Version)
	}

	t.Run("WriteReadsItsOwnWrites", func(t *testing.T) {
		// The update's version check reads the item: on the replica it
		// would still be version 1 and this would be VERSION_CONFLICT.
		up, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ProjectID: p.ID, ID: w.ID, Version: 2, Title: title("v3")})
		if err != nil || up.Version != 3 || up.Title != "v3" {
			t.Fatalf("update after update: %v (version %d, title %q)", err, up.Version, up.Title)
		}
		got, err := svc.GetWorkItem(ctx, p.ID, w.ID)
		if err != nil || got.Version != 3 {
			t.Fatalf("unmarked get reads the primary: %v (version %d)", err, got.Version)
		}
	})
	t.Run("ReadOnlyRequestsReadTheReplica", func(t *testing.T) {
		got, err := svc.GetWorkItem(ro, p.ID, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Title != "v1" {
			t.Errorf("marked get answered version %d %q; the paused replica holds version 1", got.Version, got.Title)
		}
		list, err := svc.QueryWorkItems(ro, workflow.WorkItemFilter{ProjectID: p.ID}, workflow.Page{})
		if err != nil || len(list.Items) != 1 || list.Items[0].Title != "v1" {
			t.Errorf("marked list: %v %+v, want the replica's v1", err, list.Items)
		}
	})
	t.Run("ActiveProjectReadsThePrimary", func(t *testing.T) {
		if _, err := svc.SwitchProject(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		_, a, err := svc.GetActiveProject(ro)
		if err != nil || a.ProjectID != other.ID {
			t.Errorf("active project after the switch: %v %q, want %q", err, a.ProjectID, other.ID)
		}
		// A project-less query acts on the project just switched to.
		list, err := svc.QueryWorkItems(ro, workflow.WorkItemFilter{}, workflow.Page{})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("project-less query after the switch: %v, %d items, want the new project's 0", err, len(list.Items))
		}
	})
	t.Run("RowMissingOnTheReplicaIsReadOnThePrimary", func(t *testing.T) {
		fresh, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{ProjectID: p.ID, Title: "fresh"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetWorkItem(ro, p.ID, fresh.ID)
		if err != nil || got.Title != "fresh" {
			t.Fatalf("marked get of a row the replica lacks: %v %q", err, got.Title)
		}
		pr, err := svc.GetProject(ro, "brand-new-"+p.ID[:4])
		if err == nil {
			t.Fatalf("unknown project found: %+v", pr)
		}
		np, err := svc.CreateProject(ctx, "brand-new", "")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := svc.GetProject(ro, "brand-new"); err != nil || got.ID != np.ID {
			t.Fatalf("marked get of a project the replica lacks: %v %q", err, got.ID)
		}
	})
	t.Run("ReplicaStatisticsCountTheReads", func(t *testing.T) {
		scans := func() int64 {
			var n int64
			err := rt.replicaP.Pgx().QueryRow(ctx, `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0)
				FROM pg_stat_user_tables WHERE relname = 'work_items'`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		rt.exec(t, "SELECT pg_stat_clear_snapshot()")
		before := scans()
		for range 5 {
			if _, err := svc.QueryWorkItems(ro, workflow.WorkItemFilter{ProjectID: p.ID}, workflow.Page{}); err != nil {
				t.Fatal(err)
			}
		}
		// Statistics reach the shared counters when a backend goes idle
		// (at most about a second later).
		deadline := time.Now().Add(10 * time.Second)
		for scans() < before+5 {
			if time.Now().After(deadline) {
				t.Fatalf("the replica's work_items scans went from %d to %d after 5 marked queries", before, scans())
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// A lost replica costs read-only requests nothing: the first reads after
// the loss are retried on the primary, later ones go there directly, and
// they see the primary's current data.
func TestStore_ReplicaLossFallsBack(t *testing.T) {
	rt := newRouted(t)
	ctx := context.Background()
	ro := dbpool.WithReplicaReads(ctx)
	svc := rt.svc
	p, err := svc.CreateProject(ctx, "loss", "")
	if err != nil {
		t.Fatal(err)
	}
	w, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{ProjectID: p.ID, Title: "before"})
	if err != nil {
		t.Fatal(err)
	}
	rt.caughtUp(t, rt.primary.URL("workflow"))
	if _, err := svc.GetWorkItem(ro, p.ID, w.ID); err != nil {
		t.Fatal(err)
	}

	rt.replica.Stop(t, "immediate")
	// No wait for the monitor: the first reads meet the dead replica.
	for i := range 20 {
		title := "after"
		if _, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ProjectID: p.ID, ID: w.ID, Version: i + 1, Title: &title}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		got, err := svc.GetWorkItem(ro, p.ID, w.ID)
		if err != nil {
			t.Fatalf("read %d after the replica was lost: %v", i, err)
		}
		if got.Version != i+2 {
			t.Fatalf("read %d: version %d, want the primary's %d", i, got.Version, i+2)
		}
		if _, err := svc.QueryWorkItems(ro, workflow.WorkItemFilter{ProjectID: p.ID}, workflow.Page{}); err != nil {
			t.Fatalf("list %d after the replica was lost: %v", i, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rt.replicaP.Connected() {
		t.Error("the replica pool still reports connected after 20 rounds")
	}
}
