package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/internal/workflow/api"
)

// mcpTools are the definitions served as MCP tools.
func mcpTools() []tool.Tool {
	var out []tool.Tool
	for _, t := range api.Tools(nil) {
		if !t.Meta().RESTOnly {
			out = append(out, t)
		}
	}
	return out
}

func TestTools_Snapshots(t *testing.T) {
	toolsnap.Check(t, "testdata/toolsnaps", mcpTools())
}

// The contract's tool list, each with correct hints and a short description.
func TestTools_ContractAndHints(t *testing.T) {
	want := []string{"create_project", "list_projects", "switch_project", "get_active_project",
		"create_work_item", "get_work_item", "update_work_item", "query_work_items",
		"get_work_item_hierarchy", "delete_work_item", "add_work_item_dependency",
		"list_blocked_work_items", "register_entity_type", "create_entity", "query_entities",
		"update_entity", "delete_entity", "record_deployment", "list_deployments"}
	got := map[string]tool.Meta{}
	for _, tl := range mcpTools() {
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
		readOnly := strings.HasPrefix(name, "get_") || strings.HasPrefix(name, "list_") || strings.HasPrefix(name, "query_")
		if m.Annotations.ReadOnly != readOnly {
			t.Errorf("%s: readOnly = %v, want %v", name, m.Annotations.ReadOnly, readOnly)
		}
		if m.Annotations.Destructive != strings.HasPrefix(name, "delete_") {
			t.Errorf("%s: destructive = %v", name, m.Annotations.Destructive)
		}
		if m.Annotations.OpenWorld {
			t.Errorf("%s: openWorld set; workflow-mcp only talks to its database and codebase-mcp", name)
		}
	}
}

// The REST routes of docs/api.md are all served.
func TestTools_ContractRoutes(t *testing.T) {
	want := []string{"POST /mcp/projects", "GET /mcp/projects", "POST /mcp/projects/{project_id}/activate",
		"GET /mcp/projects/active", "POST /mcp/work_items", "GET /mcp/work_items/{work_item_id}",
		"PATCH /mcp/work_items/{work_item_id}", "GET /mcp/work_items", "POST /mcp/entity_types",
		"POST /mcp/entities", "GET /mcp/entities", "PATCH /mcp/entities/{entity_id}"}
	have := map[string]bool{}
	for _, tl := range api.Tools(nil) {
		for _, r := range tl.Meta().Routes {
			have[r.Method+" "+r.Path] = true
		}
	}
	for _, r := range want {
		if !have[r] {
			t.Errorf("route %s not served", r)
		}
	}
}

// tools/list must stay affordable for a model's context (issue 11: under
// 6,000 tokens at 4 characters per token).
func TestTools_ListSize(t *testing.T) {
	var all []any
	for _, tl := range mcpTools() {
		mt, err := mcpserver.Describe(tl)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, mt)
	}
	b, err := json.Marshal(map[string]any{"tools": all})
	if err != nil {
		t.Fatal(err)
	}
	tokens := len(b) / 4
	t.Logf("tools/list: %d bytes, about %d tokens", len(b), tokens)
	if tokens >= 6000 {
		t.Errorf("tools/list is about %d tokens, want under 6000", tokens)
	}
}
