package index_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

// TestIndex_FollowsAnotherWorkersJob runs the CLI's Index while a server's
// worker (another Service on the same database) already runs the
// repository's job: Index reports that job's progress and returns it
// when it ends, without running a second one.
func TestIndex_FollowsAnotherWorkersJob(t *testing.T) {
	e := newEnv(t)
	root := sampleRepo(t, 6)
	server := e.service(&testEmbedder{name: "test", dim: 8, delay: 150 * time.Millisecond}, index.Config{})
	cli := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{Lease: 30 * time.Second})
	ctx := context.Background()
	st, err := server.Start(ctx, index.Request{RepoPath: root})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, server)
	waitJob(t, server, st.Job.ID, 10*time.Second, "claimed by the server's worker", func(j index.Job) bool {
		return j.Status == codebase.JobRunning
	})
	var reports atomic.Int32
	job, err := cli.Index(ctx, index.Request{RepoPath: root}, func(index.Job) { reports.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != st.Job.ID || job.Status != codebase.JobCompleted {
		t.Errorf("Index returned job %s %s, want the server's job %s completed", job.ID, job.Status, st.Job.ID)
	}
	if reports.Load() == 0 {
		t.Error("no progress reported while following")
	}
	if n := e.count(t, `SELECT count(*) FROM index_jobs`); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
}

// TestIndex_CancelWhileFollowing cancels the CLI's context while it
// follows a job another worker runs: the job is cancelled, not left
// running on behalf of a CLI that gave up.
func TestIndex_CancelWhileFollowing(t *testing.T) {
	e := newEnv(t)
	root := sampleRepo(t, 30)
	server := e.service(&testEmbedder{name: "test", dim: 8, delay: 300 * time.Millisecond}, index.Config{})
	cli := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{Lease: 30 * time.Second})
	st, err := server.Start(context.Background(), index.Request{RepoPath: root})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, server)
	waitJob(t, server, st.Job.ID, 10*time.Second, "claimed by the server's worker", func(j index.Job) bool {
		return j.Status == codebase.JobRunning
	})
	ctx, cancel := context.WithCancel(context.Background())
	_, err = cli.Index(ctx, index.Request{RepoPath: root}, func(index.Job) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	job := waitJob(t, server, st.Job.ID, 10*time.Second, "cancelled", func(j index.Job) bool { return !j.Active() })
	if job.Status != codebase.JobCancelled {
		t.Errorf("job %s after the CLI gave up, want cancelled", job.Status)
	}
}

// TestRepositories_Freshness lists repositories: one whose directory is
// gone counts as changed since its index; an unknown project id format is
// a Validation error.
func TestRepositories_Freshness(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := sampleRepo(t, 2)
	mustIndex(t, svc, index.Request{RepoPath: root})
	ctx := context.Background()
	page, err := svc.Repositories(ctx, "", 0, "")
	if err != nil || len(page.Repositories) != 1 || page.Repositories[0].ChangedSinceIndex {
		t.Fatalf("fresh index: %+v %v", page, err)
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	page, err = svc.Repositories(ctx, "", 0, "")
	if err != nil || len(page.Repositories) != 1 || !page.Repositories[0].ChangedSinceIndex {
		t.Errorf("directory removed: %+v %v, want changed since index", page, err)
	}
	if _, err := svc.Repositories(ctx, "Not A Project!", 0, ""); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("bad project id: err = %v, want Validation", err)
	}
}
