package api_test

import (
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/api"
)

// render is the compact text an MCP client gets for tool name's output o.
func render(t *testing.T, name string, o any) string {
	t.Helper()
	for _, tl := range api.Tools(nil) {
		if tl.Meta().Name != name {
			continue
		}
		r, ok := tl.(interface{ Render(any) (string, bool) })
		if !ok {
			t.Fatalf("%s has no text form", name)
		}
		s, ok := r.Render(o)
		if !ok {
			t.Fatalf("%s did not render %T", name, o)
		}
		return s
	}
	t.Fatalf("no tool %s", name)
	return ""
}

// The text answers tell a model what it needs to act: a repository never
// indexed or changed since, its commit; an empty project and how to fill
// it; a job still stopping; a failure's error; trimmed or stale content.
func TestText_WhatToDoNext(t *testing.T) {
	when := "2026-11-27T10:00:00Z"
	list := render(t, "list_repositories", api.ListRepositoriesOut{ProjectID: "p1", Count: 2, Repositories: []api.RepositoryOut{
		{RepositoryID: "r1", Path: "/src/a", FileCount: 3, ChunkCount: 9, IndexedAt: &when,
			Commit: "0123456789abcdef0123", ChangedSinceIndex: true},
		{RepositoryID: "r2", Path: "/src/b"},
	}})
	for _, want := range []string{
		"2 repositories in project p1:",
		"- /src/a  id r1  3 files, 9 chunks, indexed " + when + " at 0123456789ab, CHANGED since (re-index to refresh)",
		"- /src/b  id r2  0 files, 0 chunks, never indexed",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("list text lacks %q:\n%s", want, list)
		}
	}
	if s := render(t, "list_repositories", api.ListRepositoriesOut{ProjectID: "p1"}); s != "No repositories in project p1: index one with start_indexing_background." {
		t.Errorf("empty project: %q", s)
	}
	// An empty page that is not the last one does not say the project is empty.
	if s := render(t, "list_repositories", api.ListRepositoriesOut{ProjectID: "p1", NextCursor: "c"}); strings.Contains(s, "index one") || !strings.Contains(s, `cursor "c"`) {
		t.Errorf("empty page with a cursor: %q", s)
	}

	if s := render(t, "cancel_indexing", api.CancelOut{JobID: "j1", Status: "running", FilesDone: 3, FilesTotal: 10}); !strings.HasSuffix(s, "It is still stopping: check get_indexing_status.") {
		t.Errorf("cancel of a running job: %q", s)
	}
	if s := render(t, "cancel_indexing", api.CancelOut{JobID: "j1", Status: "cancelled", Message: "cancelled before it started"}); strings.Contains(s, "still stopping") {
		t.Errorf("cancel of a pending job: %q", s)
	}

	job := render(t, "get_indexing_status", api.JobOut{JobID: "j1", Status: "failed", Message: "failed after 2 of 9 files",
		ErrorMessage: "permission denied for table chunks", Commit: "abc"})
	if !strings.Contains(job, "\nfailed after 2 of 9 files\nError: permission denied for table chunks\nCommit: abc") || strings.Contains(job, "Still working") {
		t.Errorf("failed job text:\n%s", job)
	}

	hits := render(t, "search_code", api.SearchOut{ProjectID: "p1", IndexStatus: "ready", TotalCount: 1, Matched: 1,
		Results: []api.HitOut{{FilePath: "a.go", StartLine: 1, EndLine: 2, ChunkType: "function", ChunkID: "c1",
			Content: "func A() {}", ContentTruncated: true, Stale: true}}})
	if !strings.Contains(hits, "chunk c1 [STALE: file changed since indexed] [content trimmed]") {
		t.Errorf("search text:\n%s", hits)
	}

	chunks := render(t, "get_chunks", api.GetChunksOut{Found: []api.ChunkOut{{ChunkID: "c1", FilePath: "a.go", StartLine: 1, EndLine: 2,
		ChunkType: "function", RepositoryID: "r1", Content: "func A() {}\n", Stale: true}}, Missing: []string{"c2"}})
	if !strings.Contains(chunks, "--- c1 a.go:1-2 (function, repository r1) [STALE: file changed since indexed]\nfunc A() {}") ||
		!strings.Contains(chunks, "Missing (no longer indexed, or never were): c2") {
		t.Errorf("get_chunks text:\n%s", chunks)
	}
}
