package pgstore_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

var testSettings = pgstore.Settings{Embedder: "test", Dimension: 8}

// Many requests to index the same new repository at once create one
// project, one repository and one job: one caller gets created, the
// others the same job.
func TestStore_CreateJobConcurrent(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const callers = 8
	var wg sync.WaitGroup
	jobs := make([]pgstore.Job, callers)
	created := make([]bool, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jobs[i], created[i], errs[i] = s.CreateJob(ctx, pgstore.NewJob{ProjectID: "p1", RepoPath: "/r/same", Settings: testSettings})
		}()
	}
	wg.Wait()
	n := 0
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if created[i] {
			n++
		}
		if jobs[i].ID != jobs[0].ID || jobs[i].Status != "pending" {
			t.Errorf("caller %d got job %s (%s), caller 0 %s", i, jobs[i].ID, jobs[i].Status, jobs[0].ID)
		}
	}
	if n != 1 {
		t.Errorf("%d callers created the job, want 1", n)
	}
	page, err := s.Repositories(ctx, "p1", 0, "")
	if err != nil || len(page.Repositories) != 1 {
		t.Errorf("repositories %+v %v, want one", page, err)
	}
}

// A project indexed with one embedder refuses a job for another one
// unless forced, with a message naming both; forcing records the new one.
func TestStore_CreateJobEmbedderMismatch(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	finishNew(t, s, "/r/a")
	other := pgstore.Settings{Embedder: "ollama:nomic", Dimension: 768}
	_, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/a", Settings: other})
	var mismatch *pgstore.EmbedderMismatchError
	if !errors.As(err, &mismatch) || mismatch.Stored != testSettings || mismatch.Requested != other {
		t.Fatalf("err = %v, want *EmbedderMismatchError", err)
	}
	if want := "project default was indexed with embedder test (8 dimensions), not ollama:nomic (768)"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if st, ok, err := s.Settings(ctx, "default"); err != nil || !ok || st != testSettings {
		t.Errorf("settings after the refusal: %+v %v %v", st, ok, err)
	}
	if _, created, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/a", Settings: other, Force: true}); err != nil || !created {
		t.Fatalf("forced: %v %v", created, err)
	}
	if st, ok, err := s.Settings(ctx, "default"); err != nil || !ok || st != other {
		t.Errorf("settings after the forced job: %+v %v %v", st, ok, err)
	}
}

// finishNew creates, claims and completes a job for path in the default
// project, and returns it.
func finishNew(t *testing.T, s *pgstore.Store, path string) pgstore.Job {
	t.Helper()
	ctx := context.Background()
	j, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: path, Settings: testSettings})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w1", time.Minute, j.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	done, err := s.FinishJob(ctx, pgstore.Outcome{ProjectID: j.ProjectID, JobID: j.ID, Owner: "w1", Status: "completed", Phase: "done"})
	if err != nil || done.Status != "completed" || done.ProgressPercent != 100 {
		t.Fatalf("finish: %+v %v", done, err)
	}
	return done
}

// A worker whose job was taken over cannot finish it: FinishJob says the
// lease is lost and the job stays with its new owner.
func TestStore_FinishJobLeaseLost(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	j, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/a", Settings: testSettings})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w1", time.Minute, j.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w2", 0, j.ID); err != nil || !ok {
		t.Fatalf("take-over: %v %v", ok, err)
	}
	if _, err := s.FinishJob(ctx, pgstore.Outcome{ProjectID: j.ProjectID, JobID: j.ID, Owner: "w1", Status: "failed"}); !errors.Is(err, pgstore.ErrLeaseLost) {
		t.Fatalf("finish by the old owner: %v, want ErrLeaseLost", err)
	}
	if got, err := s.Job(ctx, j.ID); err != nil || got.Status != "running" || got.Attempts != 2 {
		t.Errorf("job after the refused finish: %s attempts %d, %v", got.Status, got.Attempts, err)
	}
	// A running job with a live worker is only asked to stop.
	c, err := s.CancelJob(ctx, j.ID, time.Minute)
	if err != nil || c.Status != "running" || !c.CancelRequested {
		t.Errorf("cancel of a live job: %s requested %v, %v", c.Status, c.CancelRequested, err)
	}
	if requested, err := s.Heartbeat(ctx, j.ProjectID, j.ID, "w2"); err != nil || !requested {
		t.Errorf("the worker's heartbeat does not see the cancel: %v %v", requested, err)
	}
}

// Values PostgreSQL rejects are the caller's fault (VALIDATION_ERROR, or
// NOT_FOUND for an id that names nothing), and a refused write leaves
// nothing behind.
func TestStore_BadValues(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	_, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "bad id!", RepoPath: "/r/a", Settings: testSettings})
	if apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("project id the schema refuses: %v, want %s", err, apperr.Validation)
	}
	_, _, err = s.CreateJob(ctx, pgstore.NewJob{ProjectID: "p2", RepoPath: "/r/a", Settings: pgstore.Settings{Embedder: "x"}})
	if apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("dimension 0: %v, want %s", err, apperr.Validation)
	}
	if ok, err := s.ProjectExists(ctx, "p2"); err != nil || ok {
		t.Errorf("the refused job left project p2 behind: %v %v", ok, err)
	}
	if _, err := s.Repository(ctx, "default", "not-a-uuid"); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("repository id not a UUID: %v", err)
	}
	if _, err := s.Repository(ctx, "default", "9f2b7c1e-0000-4000-8000-000000000000"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown repository: %v", err)
	}
	if _, _, err := s.ClaimJob(ctx, "w1", time.Minute, "not-a-uuid"); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("claim of a job id that is not a UUID: %v", err)
	}
	for _, id := range []string{"", "42"} {
		if _, err := s.Job(ctx, id); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("Job(%q): %v", id, err)
		}
		if _, err := s.CancelJob(ctx, id, time.Minute); apperr.CodeOf(err) != apperr.Validation {
			t.Errorf("CancelJob(%q): %v", id, err)
		}
	}
	if _, err := s.CancelJob(ctx, "9f2b7c1e-0000-4000-8000-000000000000", time.Minute); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("cancel of an unknown job: %v", err)
	}

	j, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/a", Settings: testSettings})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w1", time.Minute, j.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, err := s.FinishJob(ctx, pgstore.Outcome{ProjectID: j.ProjectID, JobID: j.ID, Owner: "w1", Status: "done"}); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("finish with an unknown status: %v", err)
	}
	if got, err := s.Job(ctx, j.ID); err != nil || got.Status != "running" {
		t.Errorf("job after the refused finish: %s %v", got.Status, err)
	}
	r, err := s.Repository(ctx, "default", j.RepositoryID)
	if err != nil || r.Path != "/r/a" || r.IndexedAt != nil {
		t.Errorf("repository %+v %v", r, err)
	}
}

// TestStore_ReadAndWriteRefused runs each store call as a role that lacks
// one privilege it needs: the call fails with PostgreSQL's "permission
// denied", never with an answer that looks valid (no job to claim, no
// files, no settings, not found, lease lost), and a refused write leaves
// nothing behind.
func TestStore_ReadAndWriteRefused(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewRestricted(t, "codebase", migrations.Codebase())
	admin := db.Admin
	exec := func(q string) { t.Helper(); db.Exec(t, q) }
	pool, err := dbpool.Open(ctx, dbpool.Config{DSN: db.AppDSN, MaxConns: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	s := pgstore.New(pool)
	done := finishNew(t, s, "/r/a")
	running, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/b", Settings: testSettings})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimJob(ctx, "w1", time.Minute, running.ID); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	pending := func(project, path string) func() error {
		return func() error {
			_, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: project, RepoPath: path, Settings: testSettings})
			return err
		}
	}
	counts := func() string {
		var c string
		if err := admin.QueryRow(ctx, `SELECT concat_ws(' ', (SELECT count(*) FROM projects), (SELECT count(*) FROM repositories),
			(SELECT count(*) FROM index_jobs), (SELECT count(*) FROM index_settings),
			(SELECT string_agg(status || cancel_requested::text, ',' ORDER BY repo_path) FROM index_jobs),
			(SELECT string_agg(embedder, ',') FROM index_settings))`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name, revoke string
		call         func() error
	}{
		{"CreateJob new project", "INSERT ON projects", pending("p2", "/r/c1")},
		{"CreateJob new repository", "INSERT ON repositories", pending("default", "/r/c2")},
		{"CreateJob active job check", "SELECT ON index_jobs", pending("default", "/r/c3")},
		{"CreateJob settings check", "SELECT ON index_settings", pending("default", "/r/c4")},
		{"CreateJob first settings", "INSERT ON index_settings", pending("p3", "/r/c5")},
		{"CreateJob new job", "INSERT ON index_jobs", pending("default", "/r/c6")},
		{"CreateJob forced embedder change", "UPDATE ON index_settings", func() error {
			_, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/x1", Force: true,
				Settings: pgstore.Settings{Embedder: "other1", Dimension: 4}})
			return err
		}},
		{"CreateJob forced embedding reset", "UPDATE ON chunks", func() error {
			_, _, err := s.CreateJob(ctx, pgstore.NewJob{ProjectID: "default", RepoPath: "/r/x2", Force: true,
				Settings: pgstore.Settings{Embedder: "other2", Dimension: 4}})
			return err
		}},
		{"Job", "SELECT ON index_jobs", func() error { _, err := s.Job(ctx, done.ID); return err }},
		{"FinishJob", "UPDATE ON index_jobs", func() error {
			_, err := s.FinishJob(ctx, pgstore.Outcome{ProjectID: running.ProjectID, JobID: running.ID, Owner: "w1", Status: "completed"})
			return err
		}},
		{"CancelJob", "UPDATE ON index_jobs", func() error { _, err := s.CancelJob(ctx, running.ID, time.Minute); return err }},
		{"ClaimJob", "UPDATE ON index_jobs", func() error {
			_, ok, err := s.ClaimJob(ctx, "w2", 0, "")
			if err == nil && !ok {
				return errors.New("nothing to claim: a wrong answer")
			}
			return err
		}},
		{"Settings", "SELECT ON index_settings", func() error {
			_, ok, err := s.Settings(ctx, "default")
			if err == nil && !ok {
				return errors.New("no settings: a wrong answer")
			}
			return err
		}},
		{"Repositories", "SELECT ON repositories", func() error { _, err := s.Repositories(ctx, "default", 0, ""); return err }},
		{"Repository", "SELECT ON repositories", func() error { _, err := s.Repository(ctx, "default", done.RepositoryID); return err }},
		{"RepositoryDone", "UPDATE ON repositories", func() error {
			_, err := s.RepositoryDone(ctx, "default", done.RepositoryID, "abc", testSettings)
			return err
		}},
		{"RecountRepository", "UPDATE ON repositories", func() error { return s.RecountRepository(ctx, "default", done.RepositoryID) }},
		{"FileStates", "SELECT ON files", func() error { _, err := s.FileStates(ctx, "default", done.RepositoryID); return err }},
		{"SampleFiles", "SELECT ON files", func() error { _, err := s.SampleFiles(ctx, "default", done.RepositoryID, 10); return err }},
		{"LocateChunks", "SELECT ON chunks", func() error {
			_, err := s.LocateChunks(ctx, []search.Location{{RepositoryID: done.RepositoryID, FilePath: "a.go", Symbol: "A"}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := counts()
			exec("REVOKE " + tc.revoke + " FROM app")
			err := tc.call()
			exec("GRANT " + tc.revoke + " TO app")
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Fatalf("err = %v, want the database's permission denied", err)
			}
			if code := apperr.CodeOf(err); code == apperr.NotFound || code == apperr.Validation || errors.Is(err, pgstore.ErrLeaseLost) {
				t.Errorf("error blames the caller (%s): %v", code, err)
			}
			if after := counts(); after != before {
				t.Errorf("the refused call changed rows: %s -> %s", before, after)
			}
			// The privilege alone made the difference.
			if err := tc.call(); err != nil {
				t.Errorf("with the privilege back: %v", err)
			}
		})
	}
}
