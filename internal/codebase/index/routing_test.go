package index_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// replicated is codebase-mcp's index and search services on a real
// primary and its streaming replica, routed as the server routes them.
type replicated struct {
	reg      *prometheus.Registry
	ix       *index.Service
	srch     *search.Service
	store    *pgstore.Store
	primary  *dbpool.Pool
	replica  *dbpool.Pool
	standby  *dbtest.Cluster
	primaryD string
}

func newReplicated(t *testing.T) *replicated {
	t.Helper()
	cluster := dbtest.NewCluster(t)
	dsn := cluster.CreateDatabase(t, "codebase")
	dbtest.Migrate(t, dsn, migrations.Codebase())
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
	standby := cluster.NewReplica(t)
	rcfg := fast
	rcfg.DSN, rcfg.Replica = standby.URL("codebase"), true
	r, err := dbpool.Open(ctx, rcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	store := pgstore.NewRouted(dbpool.NewPools(p, r, log))
	emb := &testEmbedder{name: "hash-test", dim: 8}
	reg := prometheus.NewRegistry()
	srch := search.New(search.DefaultConfig(), store, emb, log, reg)
	t.Cleanup(srch.Close)
	ix := index.New(index.Config{BatchFiles: 3, Lease: time.Second, PollInterval: 50 * time.Millisecond, AfterIndex: srch.Train},
		store, blockChunker{}, emb, log, nil)
	return &replicated{reg: reg, ix: ix, srch: srch, store: store, primary: p, replica: r, standby: standby, primaryD: dsn}
}

// replay pauses or resumes the standby's WAL replay.
func (rp *replicated) replay(t *testing.T, on bool) {
	t.Helper()
	q := "SELECT pg_wal_replay_pause()"
	if on {
		q = "SELECT pg_wal_replay_resume()"
	}
	if _, err := rp.replica.Pgx().Exec(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// caughtUp waits until the standby has replayed everything the primary
// wrote so far.
func (rp *replicated) caughtUp(t *testing.T) {
	t.Helper()
	dbtest.WaitReplayed(t, rp.primaryD, rp.standby.URL("codebase"))
}

// cacheHits is how many searches the in-memory lexicon answered.
func (rp *replicated) cacheHits(t *testing.T) float64 {
	t.Helper()
	mfs, err := rp.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "codebase_mcp_search_cache_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == "hit" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// paths returns the file paths of a search's hits.
func (rp *replicated) paths(t *testing.T, ctx context.Context, project, text string) map[string]bool {
	t.Helper()
	res, err := rp.srch.Search(ctx, search.Query{Text: text, ProjectID: project, Limit: 50})
	if err != nil {
		t.Fatalf("search %q in %s: %v", text, project, err)
	}
	out := map[string]bool{}
	for _, h := range res.Results {
		out[h.FilePath] = true
	}
	return out
}

// The standby's replay is paused while a second repository is indexed, so
// the standby holds an older state than the primary: what a read-only
// (marked) request reads shows where it read. Read-only requests read the
// standby, except rows it lacks (new project, new job), which they find on
// the primary; unmarked requests (the writers') always read the primary.
// A job that get_indexing_status reports completed from the standby has
// its chunks there too. A stopped standby makes reads fall back.
func TestIndex_ReadRouting(t *testing.T) {
	rp := newReplicated(t)
	ctx := context.Background()
	ro := dbpool.WithReplicaReads(ctx)

	root := t.TempDir()
	first, second := filepath.Join(root, "first"), filepath.Join(root, "second")
	writeTree(t, first, map[string]string{"auth.go": "package auth\n\nfunc refreshToken() {\n\treturn\n}\n"})
	writeTree(t, second, map[string]string{"billing.go": "package billing\n\nfunc chargeInvoice() {\n\treturn\n}\n"})
	if _, err := rp.ix.Index(ctx, index.Request{RepoPath: first, ProjectID: "alpha"}, nil); err != nil {
		t.Fatal(err)
	}
	rp.caughtUp(t)
	rp.replay(t, false)

	// A write (unmarked) while the standby is frozen: a new project with
	// a second repository.
	job, err := rp.ix.Index(ctx, index.Request{RepoPath: second, ProjectID: "beta"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != codebase.JobCompleted {
		t.Fatalf("index of beta: %s (%s)", job.Status, job.ErrorMessage)
	}
	// The new job and project are not on the standby: found on the primary.
	got, err := rp.ix.Status(ro, job.ID)
	if err != nil || got.Status != codebase.JobCompleted {
		t.Fatalf("read-only status of a job the standby lacks: %+v, %v", got, err)
	}
	if ok, err := rp.store.ProjectExists(ro, "beta"); err != nil || !ok {
		t.Fatalf("read-only ProjectExists(beta) = %v, %v; want true from the primary", ok, err)
	}
	// Rows the standby has come from the standby: a chunk re-written on the
	// primary only is still the old one there.
	writeTree(t, first, map[string]string{"auth.go": "package auth\n\nfunc rotateSigningKey() {\n\treturn\n}\n"})
	if _, err := rp.ix.Index(ctx, index.Request{RepoPath: first, ProjectID: "alpha"}, nil); err != nil {
		t.Fatal(err)
	}
	if p := rp.paths(t, ro, "alpha", "refreshToken"); !p["auth.go"] {
		t.Errorf("a read-only search did not read the standby (which still has refreshToken): %v", p)
	}
	// The search's lexicon is built from where the search reads: read-only
	// searches soon hit a lexicon of the standby's generation (one built
	// from the primary's newer generation would never serve them).
	hits := rp.cacheHits(t)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if p := rp.paths(t, ro, "alpha", "refreshToken"); !p["auth.go"] {
			t.Fatalf("a read-only search stopped reading the standby: %v", p)
		}
		if rp.cacheHits(t) > hits {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no read-only search was answered by the in-memory lexicon while the standby lagged")
		}
	}
	if p := rp.paths(t, ctx, "alpha", "refreshToken"); p["auth.go"] {
		t.Errorf("an unmarked search read the standby (refreshToken is gone on the primary): %v", p)
	}
	if p := rp.paths(t, ctx, "alpha", "rotateSigningKey"); !p["auth.go"] {
		t.Errorf("an unmarked search misses the primary's new chunk: %v", p)
	}
	page, err := rp.ix.Repositories(ro, "alpha", 0, "")
	if err != nil || len(page.Repositories) != 1 {
		t.Fatalf("read-only list of alpha: %+v, %v", page, err)
	}

	// Once the standby replays, a job it reports completed has its chunks.
	rp.replay(t, true)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var onStandby bool
		err := rp.replica.Pgx().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM index_jobs WHERE job_id = $1 AND status = 'completed')`, job.ID).Scan(&onStandby)
		if err != nil {
			t.Fatal(err)
		}
		if onStandby {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby never replayed the completed job")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p := rp.paths(t, ro, "beta", "chargeInvoice"); !p["billing.go"] {
		t.Errorf("the job is completed on the standby but a read-only search there misses its chunk: %v", p)
	}

	// A lost standby: reads fall back to the primary instead of failing.
	rp.caughtUp(t)
	rp.standby.Stop(t, "immediate")
	deadline = time.Now().Add(10 * time.Second)
	for rp.replica.Connected() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if p := rp.paths(t, ro, "alpha", "rotateSigningKey"); !p["auth.go"] {
		t.Errorf("with the standby stopped a read-only search found %v; want the primary's auth.go", p)
	}
	if got, err := rp.ix.Status(ro, job.ID); err != nil || got.Status != codebase.JobCompleted {
		t.Errorf("with the standby stopped, read-only status = %+v, %v", got, err)
	}
}
