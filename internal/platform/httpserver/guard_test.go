package httpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// send serves one request through a real loopback listener, so that the
// server sees the local address the Host check compares with.
func send(tb testing.TB, h http.Handler, method, path, host, body string, header ...string) (int, http.Header, map[string]any) {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, resp.Header, m
}

// Every route but /health and /metrics is protected from web pages the
// same way: a foreign Host (DNS rebinding) and a foreign Origin get a JSON
// 403; /health and /metrics keep the Host check only.
func TestGuard_HostAndOriginOnEveryRoute(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path, host, origin, body string
		want                                   int
	}{
		{"REST foreign host", "POST", "/mcp/things", "evil.example", "", `{"name":"a"}`, http.StatusForbidden},
		{"REST foreign origin", "POST", "/mcp/things", "", "https://evil.example", `{"name":"a"}`, http.StatusForbidden},
		{"REST GET foreign origin", "GET", "/mcp/things/1", "", "https://evil.example", "", http.StatusForbidden},
		{"REST loopback origin", "POST", "/mcp/things", "", "http://localhost:3000", `{"name":"a"}`, http.StatusCreated},
		{"REST localhost host", "POST", "/mcp/things", "localhost:8020", "", `{"name":"a"}`, http.StatusCreated},
		{"MCP foreign host", "POST", "/mcp", "evil.example:8020", "", `{}`, http.StatusForbidden},
		{"SSE foreign origin", "GET", "/sse", "", "https://evil.example", "", http.StatusForbidden},
		{"health foreign host", "GET", "/health", "evil.example", "", "", http.StatusForbidden},
		{"metrics foreign host", "GET", "/metrics", "evil.example", "", "", http.StatusForbidden},
		{"health with any origin", "GET", "/health", "", "https://evil.example", "", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Content-Type", "application/json"}
			if tc.origin != "" {
				hdr = append(hdr, "Origin", tc.origin)
			}
			status, h, body := send(t, f.h, tc.method, tc.path, tc.host, tc.body, hdr...)
			if status != tc.want {
				t.Fatalf("status = %d, want %d (body %v)", status, tc.want, body)
			}
			if tc.want == http.StatusForbidden {
				if body["error"] != "FORBIDDEN" || body["message"] == "" || body["details"] == nil {
					t.Errorf("403 body = %v, want the JSON error envelope with FORBIDDEN", body)
				}
				if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
					t.Errorf("Content-Type = %q", h.Get("Content-Type"))
				}
			}
		})
	}
}

func TestRequireJSON(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, contentType string
		want              int
	}{
		{"json", "application/json", http.StatusCreated},
		{"json with charset", "application/json; charset=utf-8", http.StatusCreated},
		{"vendor json", "application/vnd.api+json", http.StatusCreated},
		{"form", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"text plain (a cross-site form can send it)", "text/plain", http.StatusUnsupportedMediaType},
		{"none", "", http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/mcp/things", `{"name":"a"}`, "Content-Type", tc.contentType)
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.want == http.StatusUnsupportedMediaType {
				if b := errorBody(t, rec); b["error"] != "UNSUPPORTED_MEDIA_TYPE" {
					t.Errorf("body = %v", b)
				}
			}
		})
	}
	// A request without a body needs no Content-Type.
	if rec := f.do(t, "GET", "/mcp/things/7", ""); rec.Code != http.StatusOK {
		t.Errorf("GET without body: status %d: %s", rec.Code, rec.Body)
	}
}

func TestMCP_WrongMethodIsJSON405(t *testing.T) {
	f := newFixture(t)
	rec := f.do(t, "PUT", "/mcp", `{}`)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT /mcp status = %d, want 405: %s", rec.Code, rec.Body)
	}
	allow := rec.Header().Get("Allow")
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if !strings.Contains(allow, m) {
			t.Errorf("Allow = %q, lacks %s", allow, m)
		}
	}
	if b := errorBody(t, rec); b["error"] != "METHOD_NOT_ALLOWED" {
		t.Errorf("body = %v", b)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8020": true, "127.0.0.1": true, "127.0.0.1:80": true, "[::1]:8010": true, "::1": true,
		"127.1.2.3": true, "evil.example": false, "10.0.0.1:8020": false, "": false, "localhost.evil.example": false,
	} {
		if got := httpserver.IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// One operation may be served at several routes, and a REST-only
// operation is mounted like any other.
func TestNew_SeveralRoutesAndRESTOnly(t *testing.T) {
	type lookupIn struct {
		ID  string   `json:"id,omitempty"`
		IDs []string `json:"ids,omitempty"`
	}
	type lookupOut struct {
		Found []string `json:"found"`
	}
	get := tool.Def[lookupIn, lookupOut]{
		Name:   "get_items",
		Route:  &tool.Route{Method: "GET", Path: "/mcp/items/{id}"},
		Routes: []tool.Route{{Method: "POST", Path: "/mcp/items/lookup"}},
		Handle: func(_ context.Context, in lookupIn) (lookupOut, error) {
			return lookupOut{Found: append(in.IDs, in.ID)}, nil
		},
	}
	active := tool.Def[struct{}, lookupOut]{
		Name: "rest_active_item", RESTOnly: true,
		Route:  &tool.Route{Method: "GET", Path: "/mcp/items/active"},
		Handle: func(context.Context, struct{}) (lookupOut, error) { return lookupOut{Found: []string{"active"}}, nil },
	}
	logger, _ := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	reg := prometheus.NewRegistry()
	srv, err := httpserver.New(httpserver.Config{}, httpserver.Deps{Logger: logger, Metrics: obs.NewRequestMetrics(reg, prefix),
		Gatherer: reg, Health: func(context.Context) httpserver.HealthReport { return *healthy() }, Tools: []tool.Tool{get, active}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", "/mcp/items/a1", "", `{"found":["a1"]}`},
		{"POST", "/mcp/items/lookup", `{"ids":["b","c"]}`, `{"found":["b","c",""]}`},
		{"GET", "/mcp/items/active", "", `{"found":["active"]}`},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		req := httptest.NewRequest(tc.method, tc.path, body)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != tc.want {
			t.Errorf("%s %s = %d %s, want 200 %s", tc.method, tc.path, rec.Code, rec.Body, tc.want)
		}
	}
	if got := obstest.Counter(t, reg, prefix+"_requests_total", map[string]string{"operation": "get_items", "outcome": "success"}); got != 2 {
		t.Errorf("requests_total{get_items} = %v, want 2 (both routes count as the one operation)", got)
	}
}
