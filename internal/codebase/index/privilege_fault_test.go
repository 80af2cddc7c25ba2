package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestIndex_WriteRefusedMidJob runs index jobs as a role that may not
// write one table at a time (a real "permission denied" from PostgreSQL
// part-way through a job): the job ends failed with the database's error
// in its error message, and what is stored stays consistent; with the
// privilege back, the next run completes.
func TestIndex_WriteRefusedMidJob(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewRestricted(t, "codebase", migrations.Codebase())
	exec := func(q string) { t.Helper(); db.Exec(t, q) }
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
		table, privilege string
		change           func(t *testing.T) // what makes the run write there
	}{
		{"chunks", "INSERT", addFile},
		{"files", "INSERT", addFile},
		{"files", "DELETE", func(t *testing.T) {
			if err := removeAll(root, "extra"); err != nil {
				t.Fatal(err)
			}
		}},
		{"index_jobs", "UPDATE", addFile},
	} {
		t.Run(tc.privilege+" "+tc.table, func(t *testing.T) {
			tc.change(t)
			exec("REVOKE " + tc.privilege + " ON " + tc.table + " FROM app")
			job, err := svc.Index(ctx, index.Request{RepoPath: root}, nil)
			exec("GRANT " + tc.privilege + " ON " + tc.table + " TO app")
			if err != nil {
				if !strings.Contains(err.Error(), "permission denied") {
					t.Fatalf("Index: %v, want the job's failure or the database's error", err)
				}
			} else if job.Status != codebase.JobFailed || !strings.Contains(job.ErrorMessage, "permission denied") {
				t.Fatalf("job %s, error %q; want failed with the database's error", job.Status, job.ErrorMessage)
			}
			e.checkConsistent(t, "default")
			if job := mustIndex(t, svc, index.Request{RepoPath: root}); job.FilesDone == 0 {
				t.Errorf("the run after the privilege came back wrote nothing: %+v", job)
			}
		})
	}
}

// removeAll deletes dir (relative to root).
func removeAll(root, dir string) error { return os.RemoveAll(filepath.Join(root, dir)) }

// TestService_ReadRefused revokes SELECT on one table at a time from the
// service's role: Start, Status, Cancel and Repositories each answer, or
// fail with the database's error rather than a wrong answer such as "not
// found"; each table fails at least one of them.
func TestService_ReadRefused(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewRestricted(t, "codebase", migrations.Codebase())
	exec := func(q string) { t.Helper(); db.Exec(t, q) }
	e := openEnv(t, db.AppDSN)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := sampleRepo(t, 2)
	job := mustIndex(t, svc, index.Request{RepoPath: root})
	calls := map[string]func() error{
		"Start":        func() error { _, err := svc.Start(ctx, index.Request{RepoPath: root, DryRun: true}); return err },
		"Status":       func() error { _, err := svc.Status(ctx, job.ID); return err },
		"Cancel":       func() error { _, err := svc.Cancel(ctx, job.ID); return err },
		"Repositories": func() error { _, err := svc.Repositories(ctx, "", 0, ""); return err },
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s with all privileges: %v", name, err)
		}
	}
	for _, table := range []string{"index_jobs", "repositories", "files", "projects"} {
		t.Run(table, func(t *testing.T) {
			exec("REVOKE SELECT ON " + table + " FROM app")
			defer exec("GRANT SELECT ON " + table + " TO app")
			failed := 0
			for name, call := range calls {
				if err := call(); err != nil {
					failed++
					if !strings.Contains(err.Error(), "permission denied") {
						t.Errorf("%s: %v, not the database's error", name, err)
					}
				}
			}
			if failed == 0 {
				t.Errorf("no call read %s", table)
			}
		})
	}
}
