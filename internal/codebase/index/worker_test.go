package index_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// runWorker starts svc.Run and returns a function that stops it and
// waits for it to return.
func runWorker(tb testing.TB, svc *index.Service) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(ctx) //nolint:errcheck // returns ctx.Err() when stopped
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	tb.Cleanup(stop)
	return stop
}

// cleanRunIDs re-indexes root with Force, which rewrites every file from
// scratch, and returns the chunk ids: what a clean run produces for this
// repository.
func cleanRunIDs(tb testing.TB, e *env, svc *index.Service, root string) []string {
	tb.Helper()
	mustIndex(tb, svc, index.Request{RepoPath: root, Force: true})
	return ids(e.chunks(tb, "default"))
}

func TestWorker_Cancel(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8, delay: 150 * time.Millisecond}, index.Config{BatchFiles: 2})
	root := sampleRepo(t, 30)
	runWorker(t, svc)
	st, err := svc.Start(context.Background(), index.Request{RepoPath: root})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, svc, st.Job.ID, 20*time.Second, "job makes progress", func(j index.Job) bool {
		return j.Status == codebase.JobRunning && j.FilesDone > 0
	})
	start := time.Now()
	job, err := svc.Cancel(context.Background(), st.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cancelled after %s at %d of %d files", time.Since(start), job.FilesDone, job.FilesTotal)
	if job.Status != codebase.JobCancelled || job.CompletedAt == nil {
		t.Fatalf("after Cancel (which waits up to 5 s) status = %s", job.Status)
	}
	if job.FilesDone >= job.FilesTotal {
		t.Errorf("job finished all %d files before the cancel took effect; slow the embedder", job.FilesTotal)
	}
	e.checkConsistent(t, "default")
	files := e.count(t, "SELECT count(*) FROM files")
	if files == 0 || files >= 30 {
		t.Errorf("%d files committed, want some but not all", files)
	}
	if n := e.count(t, "SELECT file_count FROM repositories"); n != files {
		t.Errorf("repository file_count %d, rows %d", n, files)
	}
	// Cancelling again answers the final job.
	again, err := svc.Cancel(context.Background(), st.Job.ID)
	if err != nil || again.Status != codebase.JobCancelled {
		t.Errorf("second cancel = %s, %v", again.Status, err)
	}
	// The next job completes the index.
	mustIndex(t, svc, index.Request{RepoPath: root})
	if n := e.count(t, "SELECT count(*) FROM files"); n != 30 {
		t.Errorf("%d files after the next job", n)
	}
	e.checkConsistent(t, "default")
}

func TestWorker_CancelPending(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	st, err := svc.Start(context.Background(), index.Request{RepoPath: sampleRepo(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	job, err := svc.Cancel(context.Background(), st.Job.ID)
	if err != nil || job.Status != codebase.JobCancelled {
		t.Fatalf("cancel pending: %s, %v", job.Status, err)
	}
}

func TestWorker_ResumesAfterServerRestart(t *testing.T) {
	e := newEnv(t)
	emb := &testEmbedder{name: "test", dim: 8, delay: 100 * time.Millisecond}
	root := sampleRepo(t, 30)
	first := e.service(emb, index.Config{BatchFiles: 2})
	stop := runWorker(t, first)
	st, err := first.Start(context.Background(), index.Request{RepoPath: root})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, first, st.Job.ID, 20*time.Second, "job makes progress", func(j index.Job) bool { return j.FilesDone >= 6 })
	stop() // the server goes away mid-run
	j, err := first.Status(context.Background(), st.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != codebase.JobRunning || j.FilesDone >= j.FilesTotal {
		t.Fatalf("after the stop the job is %s at %d/%d; want running, unfinished", j.Status, j.FilesDone, j.FilesTotal)
	}
	if n := len(e.logs.Events(t, "indexing_interrupted")); n != 1 {
		t.Errorf("%d indexing_interrupted events", n)
	}

	second := e.service(emb, index.Config{BatchFiles: 2}) // a new process: new lease owner
	runWorker(t, second)
	done := waitJob(t, second, st.Job.ID, 30*time.Second, "resumed job completes", func(j index.Job) bool { return !j.Active() })
	if done.Status != codebase.JobCompleted || done.Attempts != 2 {
		t.Fatalf("resumed job: %s after %d attempts, %q", done.Status, done.Attempts, done.ErrorMessage)
	}
	resumed := e.chunks(t, "default")
	e.checkConsistent(t, "default")
	clean := cleanRunIDs(t, e, second, root)
	if fmt.Sprint(ids(resumed)) != fmt.Sprint(clean) {
		t.Errorf("resumed index (%d chunks) differs from a clean run (%d chunks)", len(resumed), len(clean))
	}
}

func TestWorker_DatabaseRestart(t *testing.T) {
	cluster := dbtest.NewCluster(t)
	dsn := cluster.CreateDatabase(t, "codebase")
	dbtest.Migrate(t, dsn, migrations.Codebase())
	e := openEnv(t, dsn)
	svc := e.service(&testEmbedder{name: "test", dim: 8, delay: 100 * time.Millisecond}, index.Config{BatchFiles: 2})
	root := sampleRepo(t, 30)
	runWorker(t, svc)
	st, err := svc.Start(context.Background(), index.Request{RepoPath: root})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, svc, st.Job.ID, 20*time.Second, "job makes progress", func(j index.Job) bool { return j.FilesDone >= 4 })
	cluster.Stop(t, "immediate")
	time.Sleep(2 * time.Second) // longer than the lease
	cluster.Start(t)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	e.conn = conn
	done := waitJob(t, svc, st.Job.ID, 60*time.Second, "job completes after the restart", func(j index.Job) bool { return !j.Active() })
	if done.Status != codebase.JobCompleted {
		t.Fatalf("job %s: %q", done.Status, done.ErrorMessage)
	}
	if len(e.logs.Events(t, "indexing_paused")) == 0 {
		t.Error("no indexing_paused event: did the outage hit the job?")
	}
	t.Logf("repair passes after the outage: %d", len(e.logs.Events(t, "indexing_repair")))
	after := e.chunks(t, "default")
	e.checkConsistent(t, "default")
	clean := cleanRunIDs(t, e, svc, root)
	if fmt.Sprint(ids(after)) != fmt.Sprint(clean) {
		t.Errorf("index after the outage (%d chunks) differs from a clean run (%d chunks)", len(after), len(clean))
	}
}
