package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

func indexRequest(root, project string) index.Request {
	return index.Request{RepoPath: root, ProjectID: project}
}

// A dry run writes nothing; a started job runs in the background worker
// to completion and get_indexing_status reports it honestly; the
// repository list then shows it.
func TestIndexingTools(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	writeTree(t, root, repo)
	writeTree(t, root, map[string]string{"logo.png": "\x89PNG\r\n\x1a\n\x00\x00", ".gitignore": "build/\n", "build/out.go": "package build\n"})

	dry, text, err := call[api.StartIndexingOut](t, e.tools, "start_indexing_background", fmt.Sprintf(`{"repo_path": %q, "project_id": "p1", "dry_run": true}`, root))
	if err != nil {
		t.Fatal(err)
	}
	if dry.Status != api.StatusDryRun || dry.JobID != "" || dry.DryRun == nil || dry.DryRun.Files != 4 ||
		dry.DryRun.FilesByLanguage["go"] != 3 || dry.DryRun.Skipped[codebase.SkipIgnored] == 0 || dry.DryRun.EstimatedChunks < 3 {
		t.Fatalf("dry run %+v %+v", dry, dry.DryRun)
	}
	if !strings.Contains(text, "nothing written") || !strings.Contains(text, "Skipped ignored") {
		t.Errorf("dry run text:\n%s", text)
	}
	if _, _, err := call[api.ListRepositoriesOut](t, e.tools, "list_repositories", `{"project_id": "p1"}`); err == nil {
		t.Errorf("the dry run created project p1")
	}

	st, text, err := call[api.StartIndexingOut](t, e.tools, "start_indexing_background", fmt.Sprintf(`{"repo_path": %q, "project_id": "p1"}`, root))
	if err != nil {
		t.Fatal(err)
	}
	if st.JobID == "" || st.RepositoryID == "" || st.ProjectID != "p1" || !st.Created || st.Status != codebase.JobPending ||
		!strings.Contains(text, "get_indexing_status") {
		t.Fatalf("start %+v\n%s", st, text)
	}
	var job api.JobOut
	deadline := time.Now().Add(60 * time.Second)
	for {
		job, text, err = call[api.JobOut](t, e.tools, "get_indexing_status", fmt.Sprintf(`{"job_id": %q}`, st.JobID))
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != codebase.JobPending && job.Status != codebase.JobRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s after 60 s", job.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if job.Status != codebase.JobCompleted || job.FilesDone != 4 || job.ChunksWritten == 0 || job.ProgressPercent != 100 ||
		job.ChunksByLanguage["go"] == 0 || job.Skipped[codebase.SkipIgnored] == 0 || job.StartedAt == nil || job.CompletedAt == nil {
		t.Errorf("job %+v", job)
	}
	if !strings.Contains(text, "completed") || !strings.Contains(text, "Skipped:") {
		t.Errorf("job text:\n%s", text)
	}

	// A second repository, then pages of one.
	other := t.TempDir()
	writeTree(t, other, map[string]string{"x.go": "package x\n\n// Hello says hello.\nfunc Hello() string { return \"hi\" }\n"})
	e.indexRepo(t, other, "p1")
	page, text, err := call[api.ListRepositoriesOut](t, e.tools, "list_repositories", `{"project_id": "p1", "limit": 1}`)
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != 1 || page.NextCursor == "" || !strings.Contains(text, "More exist: call again with cursor") {
		t.Fatalf("page 1 %+v\n%s", page, text)
	}
	page2, text, err := call[api.ListRepositoriesOut](t, e.tools, "list_repositories", fmt.Sprintf(`{"project_id": "p1", "limit": 1, "cursor": %q}`, page.NextCursor))
	if err != nil {
		t.Fatal(err)
	}
	if page2.Count != 1 || page2.NextCursor != "" || page2.Repositories[0].RepositoryID == page.Repositories[0].RepositoryID || strings.Contains(text, "More exist") {
		t.Errorf("page 2 %+v\n%s", page2, text)
	}
	for _, r := range append(page.Repositories, page2.Repositories...) {
		if r.IndexedAt == nil || r.FileCount == 0 || r.ChunkCount == 0 || r.ChangedSinceIndex {
			t.Errorf("repository %+v", r)
		}
	}

	// Cancelling a finished job leaves it as it was.
	c, text, err := call[api.CancelOut](t, e.tools, "cancel_indexing", fmt.Sprintf(`{"job_id": %q}`, st.JobID))
	if err != nil || c.Status != codebase.JobCompleted || !strings.Contains(text, "completed") {
		t.Errorf("cancel a finished job: %+v %v\n%s", c, err, text)
	}
}
