package api_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/codebase/search"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

func searchQuery(text string) search.Query { return search.Query{Text: text} }

// call runs a bound tool with JSON args, the path both transports share.
func call[Out any](tb testing.TB, tools []tool.Tool, name, args string) (Out, string, error) {
	tb.Helper()
	for _, tl := range tools {
		if tl.Meta().Name != name {
			continue
		}
		out, err := tl.Call(context.Background(), json.RawMessage(args))
		if err != nil {
			return *new(Out), "", err
		}
		text, _ := tl.Render(out)
		return out.(Out), text, nil
	}
	tb.Fatalf("no tool %s", name)
	return *new(Out), "", nil
}

func TestSearchCode(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	writeTree(t, root, repo)
	job := e.indexRepo(t, root, "default")

	t.Run("finds the function, with freshness and a compact text form", func(t *testing.T) {
		out, text, err := call[api.SearchOut](t, e.tools, "search_code", `{"query": "parse cookie header"}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) == 0 || out.Results[0].Symbol != "parseCookieHeader" || out.Results[0].FilePath != "web/cookie.go" {
			t.Fatalf("first result %+v, want parseCookieHeader in web/cookie.go", out.Results)
		}
		h := out.Results[0]
		if h.RepositoryID != job.RepositoryID || h.IndexedAt == "" || h.Stale || h.StartLine < 1 || h.EndLine < h.StartLine ||
			h.SimilarityScore <= 0 || h.SimilarityScore > 1 || out.IndexStatus != search.IndexReady || out.ProjectID != "default" {
			t.Errorf("result fields: %+v, status %s", h, out.IndexStatus)
		}
		if !strings.Contains(text, "1. web/cookie.go:") || !strings.Contains(text, "parseCookieHeader") || !strings.Contains(text, "score ") {
			t.Errorf("text form:\n%s", text)
		}
	})
	t.Run("limit 1 says more exist", func(t *testing.T) {
		out, text, err := call[api.SearchOut](t, e.tools, "search_code", `{"query": "parse", "limit": 1}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) != 1 || out.Matched < 2 || !strings.Contains(text, "more matched: raise limit") {
			t.Errorf("matched %d, text:\n%s", out.Matched, text)
		}
	})
	t.Run("max_tokens trims and says so", func(t *testing.T) {
		out, text, err := call[api.SearchOut](t, e.tools, "search_code", `{"query": "token refresh parse config cookie", "max_tokens": 60}`)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(out.Results)
		if !out.Truncated || out.Notice == "" || !strings.Contains(text, "max_tokens") || len(b)/4 > 60+60 {
			t.Errorf("truncated %v, notice %q, %d bytes of results, text:\n%s", out.Truncated, out.Notice, len(b), text)
		}
	})
	t.Run("a changed file is stale", func(t *testing.T) {
		p := filepath.Join(root, "web", "cookie.go")
		if err := os.WriteFile(p, []byte(repo["web/cookie.go"]+"\n// changed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, text, err := call[api.SearchOut](t, e.tools, "search_code", `{"query": "parseCookieHeader"}`)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) == 0 || !out.Results[0].Stale || !strings.Contains(text, "STALE") {
			t.Errorf("results %+v\n%s", out.Results, text)
		}
	})
	t.Run("an empty index says so", func(t *testing.T) {
		// A repository of binary files only: the job fails, the project exists, nothing is indexed.
		empty := t.TempDir()
		writeTree(t, empty, map[string]string{"a.dat": "\x00\x01\x02binary"})
		j, err := e.svc.Index.Index(context.Background(), indexRequest(empty, "empty"), nil)
		if err != nil || j.Status != codebase.JobFailed {
			t.Fatalf("index of binaries only: %v %+v", err, j)
		}
		out, text, err := call[api.SearchOut](t, e.tools, "search_code", `{"query": "anything", "project_id": "empty"}`)
		if err != nil {
			t.Fatal(err)
		}
		if out.IndexStatus != search.IndexEmpty || out.Notice == "" || len(out.Results) != 0 || !strings.Contains(text, "index empty") {
			t.Errorf("status %q notice %q text:\n%s", out.IndexStatus, out.Notice, text)
		}
	})
}
