package api

import (
	"context"
	"net/http"

	"github.com/mcp-memory/servers/internal/platform/tool"
)

// Tools returns codebase-mcp's operations: the MCP tools of docs/api.md
// with their REST routes, and the REST-only GET /mcp/chunks/{chunk_id}.
// With a nil s the definitions are static (no handlers): enough to list,
// document and snapshot them without a database.
func Tools(s *Services) []tool.Tool {
	ro := tool.Annotations{ReadOnly: true, Idempotent: true}
	route := func(method, path string, status int) *tool.Route {
		return &tool.Route{Method: method, Path: path, Status: status}
	}
	return []tool.Tool{
		bind(s, startIndexing, tool.Def[StartIndexingIn, StartIndexingOut]{
			Name: "start_indexing_background", Title: "Index a repository",
			// Idempotent: while a job runs, asking again returns that job.
			Annotations: tool.Annotations{Idempotent: true},
			Description: "Index a repository in the background; returns job_id at once. Re-index reads only changed files. dry_run previews files, skips and chunks without writing.",
			Route:       route(http.MethodPost, "/mcp/index", http.StatusAccepted),
			Text:        startIndexingText}),
		bind(s, jobStatus, tool.Def[JobIn, JobOut]{
			Name: "get_indexing_status", Title: "Get indexing status", Annotations: ro,
			Description: "Index job status: phase, files done/total, chunks, counts by language, skipped files by reason, commit, failure reason.",
			Route:       route(http.MethodGet, "/mcp/jobs/{job_id}", 0),
			Text:        JobText}),
		bind(s, cancelJob, tool.Def[JobIn, CancelOut]{
			Name: "cancel_indexing", Title: "Cancel indexing",
			Annotations: tool.Annotations{Destructive: true, Idempotent: true},
			Description: "Cancel an index job (within seconds). Files committed before stay indexed; the index stays consistent.",
			Route:       route(http.MethodDelete, "/mcp/jobs/{job_id}", 0),
			Text:        cancelText}),
		bind(s, listRepositories, tool.Def[ListRepositoriesIn, ListRepositoriesOut]{
			Name: "list_repositories", Title: "List repositories", Annotations: ro,
			Description: "Indexed repositories of a project with file and chunk counts, last index time, commit, and whether files changed since.",
			Route:       route(http.MethodGet, "/mcp/repositories", 0),
			Text:        listRepositoriesText}),
		bind(s, searchCode, tool.Def[SearchIn, SearchOut]{
			Name: "search_code", Title: "Search code", Annotations: ro,
			Description: "Find functions, types and files by words or identifiers: ranked chunks with path, lines, symbol, content, context; stale marks files changed since indexing.",
			Route:       route(http.MethodPost, "/mcp/search", 0),
			Text:        SearchText}),
		bind(s, getChunks, tool.Def[GetChunksIn, GetChunksOut]{
			Name: "get_chunks", Title: "Get chunks", Annotations: ro,
			Description: "Fetch chunks by id (found, missing) and, for locations, the chunk now at each place (located).",
			Route:       route(http.MethodPost, "/mcp/chunks/lookup", 0),
			Text:        getChunksText}),
		bind(s, getChunk, tool.Def[GetChunkIn, ChunkOut]{
			Name: "rest_get_chunk", Title: "Get chunk (REST)", Annotations: ro, RESTOnly: true,
			Description: "One chunk by id; 404 NOT_FOUND when it does not exist.",
			Route:       route(http.MethodGet, "/mcp/chunks/{chunk_id}", 0)}),
	}
}

// bind returns d bound to the handler made from s, or d unbound when s is nil.
func bind[In, Out any](s *Services, h func(*Services) func(context.Context, In) (Out, error), d tool.Def[In, Out]) tool.Tool {
	if s == nil {
		return d
	}
	return d.With(h(s))
}
