package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/workflow/api"
	"github.com/mcp-memory/servers/internal/workflow/workflowtest"
)

// The REST routes of CONTRACT.md answer with the contract's statuses,
// with path, query and body merged into the operation's input.
func TestAPI_REST(t *testing.T) {
	env := workflowtest.New(t, workflowtest.Options{CodebaseURL: workflowtest.RefusedURL(t)})
	reg := prometheus.NewRegistry()
	srv, err := httpserver.New(httpserver.Config{}, httpserver.Deps{
		Logger: slog.New(slog.DiscardHandler), Metrics: obs.NewRequestMetrics(reg, "workflow_mcp"), Gatherer: reg,
		Health: func(context.Context) httpserver.HealthReport { return httpserver.HealthReport{Status: "healthy"} },
		Tools:  api.Tools(env.Service)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	do := func(method, path, body string, wantStatus int) map[string]any {
		t.Helper()
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, ts.URL+path, r)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s %s = %d %v, want %d", method, path, resp.StatusCode, m, wantStatus)
		}
		return m
	}

	do("GET", "/mcp/projects/active", "", 404)
	p := do("POST", "/mcp/projects", `{"name":"web"}`, 201)
	do("POST", "/mcp/projects", `{"name":"WEB"}`, 409)
	do("POST", "/mcp/projects/"+p["id"].(string)+"/activate", "", 200)
	if a := do("GET", "/mcp/projects/active", "", 200); a["name"] != "web" {
		t.Errorf("active %v", a)
	}
	if l := do("GET", "/mcp/projects", "", 200); len(l["projects"].([]any)) != 1 {
		t.Errorf("projects %v", l)
	}

	w := do("POST", "/mcp/work_items", `{"title":"New task"}`, 201)
	if ws := w["warnings"].([]any); len(ws) != 1 || ws[0] != "code_search_unavailable" {
		t.Errorf("warnings %v", ws)
	}
	id := w["id"].(string)
	do("GET", "/mcp/work_items/"+id, "", 200)
	do("PATCH", "/mcp/work_items/"+id, `{"version":1,"status":"blocked"}`, 200)
	if e := do("PATCH", "/mcp/work_items/"+id, `{"version":1,"status":"active"}`, 409); e["error"] != "VERSION_CONFLICT" {
		t.Errorf("conflict body %v", e)
	}
	if b := do("GET", "/mcp/work_items/blocked", "", 200); b["count"] != 1.0 {
		t.Errorf("blocked %v", b)
	}
	child := do("POST", "/mcp/work_items", `{"title":"child","parent_id":"`+id+`"}`, 201)
	if h := do("GET", "/mcp/work_items/"+id+"/hierarchy", "", 200); len(h["children"].([]any)) != 1 {
		t.Errorf("hierarchy %v", h)
	}
	do("POST", "/mcp/work_items/"+child["id"].(string)+"/dependencies", `{"depends_on_id":"`+id+`"}`, 201)
	if l := do("GET", "/mcp/work_items?status=planned&limit=1", "", 200); l["count"] != 1.0 {
		t.Errorf("query %v", l)
	}
	do("GET", "/mcp/work_items/not-a-uuid", "", 400)

	do("POST", "/mcp/entity_types", `{"type_name":"svc","schema":{"type":"object","properties":{"tier":{"type":"integer"}}}}`, 201)
	e := do("POST", "/mcp/entities", `{"entity_type":"svc","name":"api","data":{"tier":1},"tags":["a","b"]}`, 201)
	do("POST", "/mcp/entities", `{"entity_type":"svc","name":"db","data":{"tier":2},"tags":["a"]}`, 201)
	do("POST", "/mcp/entities", `{"entity_type":"svc","name":"x","data":{"tier":"high"}}`, 400)
	q := "/mcp/entities?entity_type=svc&filter=" + url.QueryEscape(`{"tier":1}`) + "&tags=a,b"
	if l := do("GET", q, "", 200); l["count"] != 1.0 {
		t.Errorf("entities %v", l)
	}
	do("PATCH", "/mcp/entities/"+e["id"].(string), `{"version":1,"data":{"tier":3}}`, 200)
	do("PATCH", "/mcp/entities/"+e["id"].(string), `{"version":1,"data":{"tier":4}}`, 409)
	do("DELETE", "/mcp/entities/"+e["id"].(string)+"?confirmed=true", "", 200)
	do("DELETE", "/mcp/work_items/"+id+"?confirmed=true", "", 200)
	do("POST", "/mcp/deployments", `{"commit_sha":"abc1234","environment":"dev","work_item_ids":["`+id+`"]}`, 404)
	do("POST", "/mcp/deployments", `{"commit_sha":"abc1234","environment":"dev"}`, 201)
	if l := do("GET", "/mcp/deployments?environment=dev", "", 200); l["count"] != 1.0 {
		t.Errorf("deployments %v", l)
	}
}
