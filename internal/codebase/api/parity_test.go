package api_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/internal/platform/tool/tooltest"
)

// Every operation answers the same input alike over REST and MCP: good
// inputs succeed, bad ones get the same clear code.
func TestTools_Parity(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	writeTree(t, root, repo)
	job := e.indexRepo(t, root, "default")
	found, err := e.svc.Search.Search(t.Context(), searchQuery("parseConfig"))
	if err != nil || len(found.Results) == 0 {
		t.Fatalf("search parseConfig: %v %+v", err, found)
	}
	chunkID := found.Results[0].ChunkID
	other := t.TempDir()
	writeTree(t, other, map[string]string{"x.go": "package x\n\n// Hello says hello.\nfunc Hello() string { return \"hi\" }\n"})
	file := filepath.Join(root, "auth", "token.go")
	const unknownUUID = "00000000-0000-4000-8000-000000000000"
	manyIDs := `["` + strings.TrimSuffix(strings.Repeat(unknownUUID+`","`, 501), `","`) + `"]`

	cases := []tooltest.Case{
		{Name: "index/ok", Tool: "start_indexing_background", Args: fmt.Sprintf(`{"repo_path": %q, "project_id": "p2"}`, other)},
		{Name: "index/dry run", Tool: "start_indexing_background", Args: fmt.Sprintf(`{"repo_path": %q, "dry_run": true}`, root)},
		{Name: "index/relative path", Tool: "start_indexing_background", Args: `{"repo_path": "src/project"}`, WantCode: "VALIDATION_ERROR"},
		{Name: "index/missing path", Tool: "start_indexing_background", Args: `{}`, WantCode: "VALIDATION_ERROR"},
		{Name: "index/empty path", Tool: "start_indexing_background", Args: `{"repo_path": ""}`, WantCode: "VALIDATION_ERROR"},
		{Name: "index/no such dir", Tool: "start_indexing_background", Args: fmt.Sprintf(`{"repo_path": %q}`, filepath.Join(root, "nope")), WantCode: "VALIDATION_ERROR"},
		{Name: "index/a file", Tool: "start_indexing_background", Args: fmt.Sprintf(`{"repo_path": %q}`, file), WantCode: "VALIDATION_ERROR"},
		{Name: "index/bad project", Tool: "start_indexing_background", Args: fmt.Sprintf(`{"repo_path": %q, "project_id": "no spaces!"}`, root), WantCode: "VALIDATION_ERROR"},
		{Name: "index/unknown field", Tool: "start_indexing_background", Args: fmt.Sprintf(`{"repo_path": %q, "force": true}`, root), WantCode: "VALIDATION_ERROR"},
		{Name: "index/wrong type", Tool: "start_indexing_background", Args: `{"repo_path": 42}`, WantCode: "VALIDATION_ERROR"},

		{Name: "status/ok", Tool: "get_indexing_status", Args: fmt.Sprintf(`{"job_id": %q}`, job.ID)},
		{Name: "status/bad id", Tool: "get_indexing_status", Args: `{"job_id": "not-a-job"}`, WantCode: "VALIDATION_ERROR"},
		{Name: "status/unknown", Tool: "get_indexing_status", Args: fmt.Sprintf(`{"job_id": %q}`, unknownUUID), WantCode: "NOT_FOUND"},
		{Name: "cancel/finished job unchanged", Tool: "cancel_indexing", Args: fmt.Sprintf(`{"job_id": %q}`, job.ID)},
		{Name: "cancel/bad id", Tool: "cancel_indexing", Args: `{"job_id": "x"}`, WantCode: "VALIDATION_ERROR"},
		{Name: "cancel/unknown", Tool: "cancel_indexing", Args: fmt.Sprintf(`{"job_id": %q}`, unknownUUID), WantCode: "NOT_FOUND"},

		{Name: "repositories/default", Tool: "list_repositories", Args: `{}`},
		{Name: "repositories/page", Tool: "list_repositories", Args: `{"project_id": "default", "limit": 1}`},
		{Name: "repositories/unknown project", Tool: "list_repositories", Args: `{"project_id": "nobody"}`, WantCode: "NOT_FOUND"},
		{Name: "repositories/limit 0", Tool: "list_repositories", Args: `{"limit": 0}`, WantCode: "VALIDATION_ERROR"},
		{Name: "repositories/limit 501", Tool: "list_repositories", Args: `{"limit": 501}`, WantCode: "VALIDATION_ERROR"},
		{Name: "repositories/bad cursor", Tool: "list_repositories", Args: `{"cursor": "garbage"}`, WantCode: "VALIDATION_ERROR"},

		{Name: "search/ok", Tool: "search_code", Args: `{"query": "parse cookie header"}`},
		{Name: "search/filters", Tool: "search_code", Args: `{"query": "parse", "limit": 3, "file_type": ".GO", "directory": "config", "language": "go", "min_similarity": 0.1, "max_tokens": 200}`},
		{Name: "search/filters match nothing", Tool: "search_code", Args: `{"query": "parse", "directory": "nowhere"}`},
		{Name: "search/empty query", Tool: "search_code", Args: `{"query": ""}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/blank query", Tool: "search_code", Args: `{"query": "   "}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/no query", Tool: "search_code", Args: `{"limit": 5}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/limit 0", Tool: "search_code", Args: `{"query": "parse", "limit": 0}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/limit 51", Tool: "search_code", Args: `{"query": "parse", "limit": 51}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/unknown project", Tool: "search_code", Args: `{"query": "parse", "project_id": "nobody"}`, WantCode: "NOT_FOUND"},
		{Name: "search/bad repository", Tool: "search_code", Args: `{"query": "parse", "repository_id": "r1"}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/unknown repository", Tool: "search_code", Args: fmt.Sprintf(`{"query": "parse", "repository_id": %q}`, unknownUUID), WantCode: "NOT_FOUND"},
		{Name: "search/min_similarity 2", Tool: "search_code", Args: `{"query": "parse", "min_similarity": 2}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/max_tokens 10", Tool: "search_code", Args: `{"query": "parse", "max_tokens": 10}`, WantCode: "VALIDATION_ERROR"},
		{Name: "search/directory escapes", Tool: "search_code", Args: `{"query": "parse", "directory": "../etc"}`, WantCode: "VALIDATION_ERROR"},

		{Name: "chunks/found and missing", Tool: "get_chunks", Args: fmt.Sprintf(`{"chunk_ids": [%q, %q, "free text"]}`, chunkID, unknownUUID)},
		{Name: "chunks/locations", Tool: "get_chunks", Args: fmt.Sprintf(`{"chunk_ids": [], "locations": [{"repository_id": %q, "file_path": "config/parse.go", "symbol": "parseConfig"}]}`, job.RepositoryID)},
		{Name: "chunks/empty", Tool: "get_chunks", Args: `{"chunk_ids": []}`},
		{Name: "chunks/no ids", Tool: "get_chunks", Args: `{}`, WantCode: "VALIDATION_ERROR"},
		{Name: "chunks/too many", Tool: "get_chunks", Args: `{"chunk_ids": ` + manyIDs + `}`, WantCode: "VALIDATION_ERROR"},
		{Name: "chunks/location missing symbol", Tool: "get_chunks", Args: `{"chunk_ids": [], "locations": [{"repository_id": "x", "file_path": "a.go"}]}`, WantCode: "VALIDATION_ERROR"},
	}
	var mcp []tool.Tool
	for _, tl := range e.tools {
		if !tl.Meta().RESTOnly {
			mcp = append(mcp, tl)
		}
	}
	tooltest.Parity(t, mcp, cases)
}

// GET /mcp/chunks/{chunk_id} is REST only: one chunk, 404 for an unknown
// id, 400 for a malformed one.
func TestGetChunkREST(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	writeTree(t, root, repo)
	e.indexRepo(t, root, "default")
	res, err := e.svc.Search.Search(t.Context(), searchQuery("RefreshToken"))
	if err != nil || len(res.Results) == 0 {
		t.Fatalf("search: %v %+v", err, res)
	}
	hit := res.Results[0]
	base, _ := tooltest.Serve(t, e.tools)
	route := tool.Route{Method: "GET", Path: "/mcp/chunks/{chunk_id}"}

	ok := tooltest.CallREST(t, base, route, fmt.Sprintf(`{"chunk_id": %q}`, hit.ChunkID))
	if ok.Code != "" || ok.Body["chunk_id"] != hit.ChunkID || ok.Body["file_path"] != hit.FilePath || ok.Body["content_hash"] == "" {
		t.Errorf("GET chunk: %+v", ok)
	}
	if got := tooltest.CallREST(t, base, route, `{"chunk_id": "00000000-0000-4000-8000-000000000000"}`); got.Code != "NOT_FOUND" {
		t.Errorf("unknown chunk: %+v", got)
	}
	if got := tooltest.CallREST(t, base, route, `{"chunk_id": "nope"}`); got.Code != "VALIDATION_ERROR" {
		t.Errorf("malformed chunk id: %+v", got)
	}
}
