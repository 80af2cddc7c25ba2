package index_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestIndex_StepRefusedMidJob refuses the reads of one step of an index
// job at a time, after the job was created (comparing the stored files,
// reusing embeddings, filling missing ones, counting chunks per language
// at the end): the job ends failed with PostgreSQL's "permission denied"
// in its error message, the stored index stays consistent, and with the
// privilege back the next run completes.
func TestIndex_StepRefusedMidJob(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewRestricted(t, "codebase", migrations.Codebase())
	admin := db.Admin
	exec := func(q string) { t.Helper(); db.Exec(t, q) }
	// revokeChunkColumn leaves the role SELECT on every column of chunks
	// but column.
	revokeChunkColumn := func(column string) string {
		rows, err := admin.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_name = 'chunks' AND column_name <> $1`, column)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return "REVOKE SELECT ON chunks FROM app; GRANT SELECT (" + strings.Join(cols, ", ") + ") ON chunks TO app"
	}
	e := openEnv(t, db.AppDSN)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := sampleRepo(t, 4)
	mustIndex(t, svc, index.Request{RepoPath: root})
	n := 0
	addFile := func(t *testing.T) {
		n++
		writeTree(t, root, map[string]string{fmt.Sprintf("extra/new%d.py", n): pyFile(fmt.Sprintf("new%d", n), 2)})
	}
	for _, tc := range []struct {
		name, revoke, grant string
		change              func(t *testing.T)
	}{
		{"stored files", "REVOKE SELECT ON files FROM app", "GRANT SELECT ON files TO app", addFile},
		{"embedding reuse", revokeChunkColumn("embedding"), "GRANT SELECT ON chunks TO app", addFile},
		{"missing embeddings", revokeChunkColumn("embedding"), "GRANT SELECT ON chunks TO app", func(*testing.T) {}},
		{"chunks per language", revokeChunkColumn("language"), "GRANT SELECT ON chunks TO app", addFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.change(t)
			exec(tc.revoke)
			job, err := svc.Index(ctx, index.Request{RepoPath: root}, nil)
			exec(tc.grant)
			if err != nil {
				t.Fatalf("Index: %v; want the job to start and then fail", err)
			}
			if job.Status != codebase.JobFailed || !strings.Contains(job.ErrorMessage, "permission denied") {
				t.Fatalf("job %s, error %q; want failed with the database's error", job.Status, job.ErrorMessage)
			}
			e.checkConsistent(t, "default")
			if job := mustIndex(t, svc, index.Request{RepoPath: root}); job.Status != codebase.JobCompleted {
				t.Errorf("the run after the privilege came back: %s %q", job.Status, job.ErrorMessage)
			}
		})
	}
	// A job the caller cannot claim: Index returns the database's error
	// and the job waits; the next Index runs it to the end.
	t.Run("claim", func(t *testing.T) {
		addFile(t)
		exec("REVOKE UPDATE ON index_jobs FROM app")
		_, err := svc.Index(ctx, index.Request{RepoPath: root}, nil)
		exec("GRANT UPDATE ON index_jobs TO app")
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("Index without UPDATE on index_jobs: %v, want the database's error", err)
		}
		e.checkConsistent(t, "default")
		if job := mustIndex(t, svc, index.Request{RepoPath: root}); job.Status != codebase.JobCompleted || job.FilesDone == 0 {
			t.Errorf("the run after the privilege came back: %s %q, %d files", job.Status, job.ErrorMessage, job.FilesDone)
		}
		var active int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM index_jobs WHERE status IN ('pending', 'running')`).Scan(&active); err != nil || active != 0 {
			t.Errorf("%d jobs still active (%v)", active, err)
		}
	})
}
