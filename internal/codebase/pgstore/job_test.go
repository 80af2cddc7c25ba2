package pgstore_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

func newStore(tb testing.TB) *pgstore.Store {
	tb.Helper()
	dsn := dbtest.New(tb, migrations.Codebase())
	pool, err := dbpool.Open(context.Background(), dbpool.Config{DSN: dsn, MaxConns: 8}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pgstore.New(pool)
}

// TestStore_ClaimJob checks that concurrent workers never claim the same
// job, that a lease is checked on every write, and that an expired lease
// lets another worker take the job over.
func TestStore_ClaimJob(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	st := pgstore.Settings{Embedder: "test", Dimension: 8}
	for _, p := range []string{"/r/a", "/r/b", "/r/c"} {
		if _, created, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: p, Settings: st}); err != nil || !created {
			t.Fatalf("create %s: %v %v", p, created, err)
		}
	}
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for _, owner := range []string{"w1", "w2", "w3", "w4"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, ok, err := s.ClaimJob(ctx, owner, time.Minute, "")
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				if prev, dup := claimed[j.ID]; dup {
					t.Errorf("job %s claimed by %s and %s", j.ID, prev, owner)
				}
				claimed[j.ID] = owner
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != 3 {
		t.Fatalf("claimed %d jobs, want 3", len(claimed))
	}
	for id, owner := range claimed {
		j, err := s.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Heartbeat(ctx, j.ProjectID, id, "intruder"); !errors.Is(err, pgstore.ErrLeaseLost) {
			t.Errorf("heartbeat by a non-owner: %v", err)
		}
		if _, err := s.Heartbeat(ctx, j.ProjectID, id, owner); err != nil {
			t.Errorf("heartbeat by the owner: %v", err)
		}
		// A lease of 0 has expired: another owner takes it over, the old one loses it.
		j2, ok, err := s.ClaimJob(ctx, "w9", 0, id)
		if err != nil || !ok || j2.Attempts != 2 {
			t.Fatalf("take-over: %v %v attempts %d", ok, err, j2.Attempts)
		}
		if _, err := s.UpdateProgress(ctx, pgstore.Progress{ProjectID: j.ProjectID, JobID: id, Owner: owner, Phase: "x"}); !errors.Is(err, pgstore.ErrLeaseLost) {
			t.Errorf("progress by the old owner: %v", err)
		}
	}
}
