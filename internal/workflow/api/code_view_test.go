package api_test

import (
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// TestAPI_SuggestedReplacementsAndActiveProject checks two answers the
// other API tests do not reach: get_active_project once a project is
// active, and a work item whose referenced chunk moved, which carries
// suggested_replacements (stale id -> current chunk id).
func TestAPI_SuggestedReplacementsAndActiveProject(t *testing.T) {
	cb := workflowtest.NewCodebase(t)
	old := workflowtest.Chunk{ChunkID: "c-old", RepositoryID: "repo1", FilePath: "src/auth.go", Symbol: "Refresh",
		StartLine: 10, EndLine: 30, ContentHash: "h1"}
	cb.Put(old)
	tools := handlers(t, workflowtest.Options{CodebaseURL: cb.URL})
	p := mustCall(t, tools, "create_project", `{"name":"Demo","description":"d"}`)
	mustCall(t, tools, "switch_project", `{"project_id":"demo"}`)
	a := mustCall(t, tools, "get_active_project", `{}`)
	if a["active"] != true || a["project_id"] != p["id"] || a["name"] != "Demo" || a["switched_at"] == "" {
		t.Errorf("get_active_project = %v", a)
	}

	w := mustCall(t, tools, "create_work_item", `{"title":"Fix auth","entity_references":["c-old"]}`)
	if m, _ := w["metadata"].(map[string]any); m == nil {
		t.Errorf("metadata %v, want an empty object rather than null", w["metadata"])
	}
	cb.Delete("c-old")
	moved := old
	moved.ChunkID, moved.StartLine, moved.EndLine = "c-new", 40, 60
	cb.Put(moved)
	got := mustCall(t, tools, "get_work_item", `{"work_item_id":"`+w["id"].(string)+`"}`)
	repl, _ := got["suggested_replacements"].(map[string]any)
	if repl["c-old"] != "c-new" {
		t.Errorf("suggested_replacements = %v, want c-old -> c-new (answer %v)", got["suggested_replacements"], keys(got))
	}
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(ks, ",")
}
