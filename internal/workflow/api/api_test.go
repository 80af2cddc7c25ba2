package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/internal/workflow/api"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// handlers are the bound operations by name.
func handlers(t *testing.T, opts workflowtest.Options) map[string]tool.Tool {
	env := workflowtest.New(t, opts)
	out := map[string]tool.Tool{}
	for _, tl := range api.Tools(env.Service) {
		out[tl.Meta().Name] = tl
	}
	return out
}

// call runs an operation as both transports do and returns its JSON answer.
func call(t *testing.T, tools map[string]tool.Tool, name, args string) (map[string]any, error) {
	t.Helper()
	out, err := tools[name].Call(context.Background(), json.RawMessage(args))
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil
}

func mustCall(t *testing.T, tools map[string]tool.Tool, name, args string) map[string]any {
	t.Helper()
	m, err := call(t, tools, name, args)
	if err != nil {
		t.Fatalf("%s %s: %v", name, args, err)
	}
	return m
}

func TestAPI_ProjectsAndWorkItems(t *testing.T) {
	tools := handlers(t, workflowtest.Options{CodebaseURL: workflowtest.RefusedURL(t)})

	t.Run("NoActiveProject", func(t *testing.T) {
		m := mustCall(t, tools, "get_active_project", `{}`)
		if m["active"] != false || !strings.Contains(m["hint"].(string), "create_project") {
			t.Errorf("tool answer %v", m)
		}
		_, err := call(t, tools, "rest_get_active_project", ``)
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("REST answer: %v, want NOT_FOUND (404)", err)
		}
	})
	p := mustCall(t, tools, "create_project", `{"name":"Demo","description":"d"}`)
	id := p["id"].(string)
	sw := mustCall(t, tools, "switch_project", `{"project_id":"demo"}`)
	if sw["project_id"] != id || sw["switched_at"] == "" {
		t.Fatalf("switch %v", sw)
	}
	if m := mustCall(t, tools, "rest_get_active_project", ``); m["id"] != id || m["name"] != "Demo" {
		t.Errorf("active %v", m)
	}

	w := mustCall(t, tools, "create_work_item", `{"title":"Fix auth","entity_references":["chunk-1"],"metadata":{"k":"v"}}`)
	if w["version"] != 1.0 || w["project_id"] != id || w["item_type"] != "task" {
		t.Fatalf("created %v", w)
	}
	if refs := w["entity_references"].([]any); len(refs) != 1 || refs[0] != "chunk-1" {
		t.Errorf("entity_references %v", refs)
	}
	if ws := w["warnings"].([]any); len(ws) != 1 || ws[0] != "code_search_unavailable" {
		t.Errorf("warnings %v while codebase-mcp is down", ws)
	}
	wid := w["id"].(string)
	got := mustCall(t, tools, "get_work_item", `{"work_item_id":"`+wid+`"}`)
	if got["title"] != "Fix auth" || got["stale_references"] == nil {
		t.Errorf("get %v", got)
	}
	up := mustCall(t, tools, "update_work_item", `{"work_item_id":"`+wid+`","version":1,"status":"completed"}`)
	if up["version"] != 2.0 || up["completed_at"] == nil {
		t.Errorf("update %v", up)
	}
	_, err := call(t, tools, "update_work_item", `{"work_item_id":"`+wid+`","version":1,"title":"x"}`)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.VersionConflict || e.Details["current_version"] != 2 {
		t.Errorf("stale update: %v", err)
	}
	_, err = call(t, tools, "update_work_item", `{"work_item_id":"`+wid+`","title":"x"}`)
	if apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("update without version: %v", err)
	}
	_, err = call(t, tools, "create_work_item", `{"title":"x","colour":"red"}`)
	if apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("unknown field: %v", err)
	}
	l := mustCall(t, tools, "query_work_items", `{"limit":1,"chunk_ids":["chunk-1"]}`)
	if l["count"] != 1.0 || l["next_cursor"] != nil {
		t.Errorf("query %v", l)
	}
	if _, err := call(t, tools, "delete_work_item", `{"work_item_id":"`+wid+`","confirmed":false}`); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("unconfirmed delete: %v", err)
	}
	if d := mustCall(t, tools, "delete_work_item", `{"work_item_id":"`+wid+`","confirmed":true}`); d["deleted_count"] != 1.0 {
		t.Errorf("delete %v", d)
	}
}

func TestAPI_EntitiesAndDeployments(t *testing.T) {
	tools := handlers(t, workflowtest.Options{})
	mustCall(t, tools, "create_project", `{"name":"p"}`)
	mustCall(t, tools, "switch_project", `{"project_id":"p"}`)
	et := mustCall(t, tools, "register_entity_type", `{"type_name":"vendor","schema":{"type":"object","required":["status"],
		"properties":{"status":{"type":"string"}}}}`)
	if et["created"] != true || et["schema_version"] != 1.0 {
		t.Fatalf("register %v", et)
	}
	_, err := call(t, tools, "create_entity", `{"entity_type":"vendor","name":"a","data":{"status":3}}`)
	if e, ok := apperr.As(err); !ok || e.Details["field"] != "data.status" {
		t.Errorf("invalid data: %v", err)
	}
	for _, n := range []string{"a", "b", "c"} {
		mustCall(t, tools, "create_entity", `{"entity_type":"vendor","name":"`+n+`","data":{"status":"ok"},"tags":["x"]}`)
	}
	l := mustCall(t, tools, "query_entities", `{"filter":{"status":"ok"},"tags":["x"],"order":"-name","limit":2}`)
	if l["count"] != 2.0 || l["next_cursor"] == nil || l["more"] == nil {
		t.Fatalf("page 1 %v", l)
	}
	l2 := mustCall(t, tools, "query_entities", `{"filter":{"status":"ok"},"tags":["x"],"order":"-name","limit":2,"cursor":"`+l["next_cursor"].(string)+`"}`)
	ents := l2["entities"].([]any)
	if l2["count"] != 1.0 || ents[0].(map[string]any)["name"] != "a" || l2["next_cursor"] != nil || l2["more"] != nil {
		t.Fatalf("page 2 %v", l2)
	}
	d := mustCall(t, tools, "record_deployment", `{"commit_sha":"abcdef1","environment":"staging","deployed_at":"2026-11-27T10:00:00Z"}`)
	if d["status"] != "deployed" || d["deployed_at"] != "2026-11-27T10:00:00Z" {
		t.Errorf("deployment %v", d)
	}
	if _, err := call(t, tools, "record_deployment", `{"commit_sha":"abcdef1","environment":"staging","deployed_at":"yesterday"}`); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("bad time: %v", err)
	}
	if dl := mustCall(t, tools, "list_deployments", `{"environment":"staging"}`); dl["count"] != 1.0 {
		t.Errorf("list %v", dl)
	}
}
