package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// mcpTools are the definitions served as MCP tools.
func mcpTools(tools []tool.Tool) []tool.Tool {
	var out []tool.Tool
	for _, t := range tools {
		if !t.Meta().RESTOnly {
			out = append(out, t)
		}
	}
	return out
}

func TestTools_Snapshots(t *testing.T) {
	toolsnap.Check(t, "testdata/toolsnaps", mcpTools(api.Tools(nil)))
}

// The contract's tool list, each with correct hints and a short description.
func TestTools_ContractAndHints(t *testing.T) {
	want := []string{"start_indexing_background", "get_indexing_status", "cancel_indexing",
		"list_repositories", "search_code", "get_chunks"}
	got := map[string]tool.Meta{}
	for _, tl := range mcpTools(api.Tools(nil)) {
		got[tl.Meta().Name] = tl.Meta()
	}
	if len(got) != len(want) {
		t.Errorf("%d MCP tools, want %d", len(got), len(want))
	}
	for _, name := range want {
		m, ok := got[name]
		if !ok {
			t.Errorf("tool %s missing", name)
			continue
		}
		if err := tool.CheckAnnotations(m); err != nil {
			t.Error(err)
		}
		readOnly := strings.HasPrefix(name, "get_") || strings.HasPrefix(name, "list_") || strings.HasPrefix(name, "search_")
		if m.Annotations.ReadOnly != readOnly {
			t.Errorf("%s: readOnly = %v, want %v", name, m.Annotations.ReadOnly, readOnly)
		}
		if m.Annotations.Destructive != (name == "cancel_indexing") {
			t.Errorf("%s: destructive = %v", name, m.Annotations.Destructive)
		}
		if m.Bound {
			t.Errorf("%s: Tools(nil) must give static definitions", name)
		}
	}
}

// The REST routes of docs/api.md are all served, with their statuses.
func TestTools_ContractRoutes(t *testing.T) {
	want := map[string]int{"POST /mcp/search": 0, "POST /mcp/index": 202, "GET /mcp/jobs/{job_id}": 0,
		"DELETE /mcp/jobs/{job_id}": 0, "GET /mcp/repositories": 0, "GET /mcp/chunks/{chunk_id}": 0,
		"POST /mcp/chunks/lookup": 0}
	have := map[string]int{}
	for _, tl := range api.Tools(nil) {
		for _, r := range tl.Meta().Routes {
			have[r.Method+" "+r.Path] = r.Status
		}
	}
	for r, status := range want {
		got, ok := have[r]
		if !ok {
			t.Errorf("route %s not served", r)
		} else if got != status {
			t.Errorf("route %s: status %d, want %d", r, got, status)
		}
	}
}

// tools/list must stay affordable for a model's context (issue 11: under
// 2,500 tokens at 4 characters per token).
func TestTools_ListSize(t *testing.T) {
	var all []any
	for _, tl := range mcpTools(api.Tools(nil)) {
		mt, err := mcpserver.Describe(tl)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(mt)
		t.Logf("%s: %d bytes", tl.Meta().Name, len(b))
		all = append(all, mt)
	}
	b, err := json.Marshal(map[string]any{"tools": all})
	if err != nil {
		t.Fatal(err)
	}
	tokens := len(b) / 4
	t.Logf("tools/list: %d bytes, about %d tokens", len(b), tokens)
	if tokens >= 2500 {
		t.Errorf("tools/list is about %d tokens, want under 2500", tokens)
	}
}
