package httpserver_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
)

func TestREST_Success(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"POST uses the route status", http.MethodPost, "/mcp/things", `{"name":"a","size":3}`, http.StatusCreated, `{"id":1,"name":"a","size":3}`},
		{"query fills a body field", http.MethodPost, "/mcp/things?size=9", `{"name":"a"}`, http.StatusCreated, `{"id":1,"name":"a","size":9}`},
		{"GET defaults to 200", http.MethodGet, "/mcp/things/5", "", http.StatusOK, `{"id":5}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, tc.method, tc.target, tc.body)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tc.wantBody {
				t.Errorf("body = %s, want %s", got, tc.wantBody)
			}
		})
	}
}

func TestREST_PathAndQueryReachTheInput(t *testing.T) {
	seven := getIn{ID: 7}
	tests := []struct {
		name   string
		target string
		want   getIn
	}{
		{"path int", "/mcp/things/7", seven},
		{"negative path int", "/mcp/things/-3", getIn{ID: -3}},
		{"bool true", "/mcp/things/7?verbose=true", getIn{ID: 7, Verbose: true}},
		{"bool 1", "/mcp/things/7?verbose=1", getIn{ID: 7, Verbose: true}},
		{"bool false", "/mcp/things/7?verbose=false", seven},
		{"int", "/mcp/things/7?limit=25", getIn{ID: 7, Limit: 25}},
		{"float", "/mcp/things/7?ratio=0.25", getIn{ID: 7, Ratio: 0.25}},
		{"string stays a string", "/mcp/things/7?q=123", getIn{ID: 7, Q: "123"}},
		{"string with spaces", "/mcp/things/7?q=hello+world", getIn{ID: 7, Q: "hello world"}},
		{"empty string", "/mcp/things/7?q=", seven},
		{"list comma separated and repeated", "/mcp/things/7?tags=a,b&tags=c", getIn{ID: 7, Tags: []string{"a", "b", "c"}}},
		{"int list", "/mcp/things/7?sizes=1,2", getIn{ID: 7, Sizes: []int{1, 2}}},
		{"object from JSON text", `/mcp/things/7?filter={"lang":"go"}`, getIn{ID: 7, Filter: map[string]any{"lang": "go"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(t, http.MethodGet, tc.target, "")
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			got := f.gotGet.Load()
			if got == nil {
				t.Fatal("handler not called")
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("input = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestREST_Errors(t *testing.T) {
	tests := []struct {
		name           string
		method         string
		target         string
		body           string
		wantStatus     int
		wantCode       string
		wantMsg        []string
		wantField      string // details.field
		wantRetryAfter string
	}{
		{"unknown JSON field", http.MethodPost, "/mcp/things", `{"name":"a","colour":"red"}`, 400, "VALIDATION_ERROR", []string{"colour"}, "colour", ""},
		{"malformed JSON", http.MethodPost, "/mcp/things", `{"name":`, 400, "VALIDATION_ERROR", []string{"JSON"}, "", ""},
		{"body not an object", http.MethodPost, "/mcp/things", `["a"]`, 400, "VALIDATION_ERROR", []string{"JSON object"}, "", ""},
		{"wrong JSON type", http.MethodPost, "/mcp/things", `{"name":"a","size":"big"}`, 400, "VALIDATION_ERROR", []string{"size", "integer"}, "size", ""},
		{"trailing data", http.MethodPost, "/mcp/things", `{"name":"a"} {"name":"b"}`, 400, "VALIDATION_ERROR", nil, "", ""},
		{"handler validation", http.MethodPost, "/mcp/things", `{"name":""}`, 400, "VALIDATION_ERROR", []string{"name: must not be empty"}, "name", ""},
		{"bad path int", http.MethodGet, "/mcp/things/abc", "", 400, "VALIDATION_ERROR", []string{"id", "integer", "abc"}, "id", ""},
		{"path int overflow", http.MethodGet, "/mcp/things/99999999999999999999", "", 400, "VALIDATION_ERROR", []string{"id"}, "id", ""},
		{"bad query int", http.MethodGet, "/mcp/things/1?limit=ten", "", 400, "VALIDATION_ERROR", []string{"limit", "ten"}, "limit", ""},
		{"bad query bool", http.MethodGet, "/mcp/things/1?verbose=maybe", "", 400, "VALIDATION_ERROR", []string{"verbose"}, "verbose", ""},
		{"bad query float", http.MethodGet, "/mcp/things/1?ratio=half", "", 400, "VALIDATION_ERROR", []string{"ratio"}, "ratio", ""},
		{"bad list element", http.MethodGet, "/mcp/things/1?sizes=1,x", "", 400, "VALIDATION_ERROR", []string{"sizes"}, "sizes", ""},
		{"bad object", http.MethodGet, "/mcp/things/1?filter=lang", "", 400, "VALIDATION_ERROR", []string{"filter"}, "filter", ""},
		{"repeated scalar", http.MethodGet, "/mcp/things/1?limit=1&limit=2", "", 400, "VALIDATION_ERROR", []string{"limit", "once"}, "limit", ""},
		{"unknown query param", http.MethodGet, "/mcp/things/1?colour=red", "", 400, "VALIDATION_ERROR", []string{"colour"}, "colour", ""},
		{"query and body both", http.MethodPost, "/mcp/things?name=b", `{"name":"a"}`, 400, "VALIDATION_ERROR", []string{"name"}, "name", ""},
		{"unknown route", http.MethodGet, "/mcp/nothing", "", 404, "NOT_FOUND", []string{"/mcp/nothing"}, "", ""},
		{"unknown top-level route", http.MethodGet, "/index.html", "", 404, "NOT_FOUND", nil, "", ""},
		{"wrong method", http.MethodDelete, "/mcp/things", "", 405, "METHOD_NOT_ALLOWED", []string{"DELETE", "allowed: POST"}, "", ""},
		{"not found from the handler", http.MethodGet, "/mcp/things/404", "", 404, "NOT_FOUND", []string{"thing 404 not found"}, "", ""},
		{"already exists", http.MethodPost, "/mcp/things", `{"name":"dup"}`, 409, "ALREADY_EXISTS", []string{"already exists"}, "", ""},
		{"version conflict", http.MethodPost, "/mcp/things", `{"name":"stale"}`, 409, "VERSION_CONFLICT", []string{"changed"}, "", ""},
		{"unavailable with retry", http.MethodPost, "/mcp/things", `{"name":"down"}`, 503, "SERVICE_UNAVAILABLE", []string{"database unavailable"}, "", "7"},
		{"unavailable rounds retry up", http.MethodPost, "/mcp/things", `{"name":"down-frac"}`, 503, "SERVICE_UNAVAILABLE", nil, "", "2"},
		{"unavailable default retry", http.MethodPost, "/mcp/things", `{"name":"down-plain"}`, 503, "SERVICE_UNAVAILABLE", nil, "", "5"},
		{"internal", http.MethodPost, "/mcp/things", `{"name":"boom"}`, 500, "INTERNAL_ERROR", []string{"internal error", "request_id"}, "", ""},
		{"internal coded", http.MethodPost, "/mcp/things", `{"name":"boom-coded"}`, 500, "INTERNAL_ERROR", []string{"internal error", "request_id"}, "", ""},
		{"panic", http.MethodPost, "/mcp/things", `{"name":"panic"}`, 500, "INTERNAL_ERROR", []string{"internal error"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(t, tc.method, tc.target, tc.body)
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			body := errorBody(t, rec)
			if body["error"] != tc.wantCode {
				t.Errorf("error = %v, want %s", body["error"], tc.wantCode)
			}
			msg, _ := body["message"].(string)
			for _, w := range tc.wantMsg {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "10.9.8.7") {
				t.Errorf("message leaks the internal error: %q", msg)
			}
			if tc.wantField != "" {
				details, _ := body["details"].(map[string]any)
				if details["field"] != tc.wantField {
					t.Errorf("details = %v, want field %q", body["details"], tc.wantField)
				}
			}
			if got := rec.Header().Get("Retry-After"); got != tc.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRetryAfter)
			}
		})
	}
}

func TestREST_ConflictDetails(t *testing.T) {
	f := newFixture(t)
	rec := f.do(t, http.MethodPost, "/mcp/things", `{"name":"stale"}`)
	var body struct {
		Details struct {
			CurrentVersion int `json:"current_version"`
		} `json:"details"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Details.CurrentVersion != 4 {
		t.Errorf("details.current_version = %d, want 4; body %s", body.Details.CurrentVersion, rec.Body)
	}
}

func TestREST_InternalErrorIsLoggedOnceWithItsText(t *testing.T) {
	for _, name := range []string{"boom", "panic"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(t, http.MethodPost, "/mcp/things", `{"name":"`+name+`"}`, "X-Request-ID", "req-500")
			if !strings.Contains(errorBody(t, rec)["message"].(string), "req-500") {
				t.Errorf("message does not give the request ID: %s", rec.Body)
			}
			lines := f.logs.Events(t, "internal_error")
			if len(lines) != 1 {
				t.Fatalf("internal_error lines = %d, want 1:\n%s", len(lines), f.logs.String())
			}
			details, _ := lines[0]["error_details"].(map[string]any)
			if msg, _ := details["message"].(string); !strings.Contains(msg, secret) {
				t.Errorf("logged error_details = %v, want the full error text", details)
			}
			if lines[0]["request_id"] != "req-500" || lines[0]["level"] != "ERROR" {
				t.Errorf("internal_error line = %v, want request_id req-500 at ERROR", lines[0])
			}

			// The failed request is logged and counted like any other.
			req := f.requestLine(t)
			if req["request_id"] != "req-500" || req["outcome"] != "failure" || req["operation_name"] != "create_thing" {
				t.Errorf("http_request line = %v", req)
			}
			if got := obstest.Counter(t, f.reg, prefix+"_errors_total", map[string]string{"operation": "create_thing", "code": "INTERNAL_ERROR"}); got != 1 {
				t.Errorf("errors_total{create_thing,INTERNAL_ERROR} = %v, want 1", got)
			}
		})
	}
}

func TestREST_RequestTimeoutBoundsTheHandler(t *testing.T) {
	f := newFixture(t, withConfig(func(c *httpserver.Config) { c.RequestTimeout = 42 * time.Second }))
	rec := f.do(t, http.MethodPost, "/mcp/things", `{"name":"deadline"}`)
	var got thing
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %s: %v", rec.Body, err)
	}
	// Only the bound matters: above 30 s rules out a short default, at most
	// 42 s rules out the 60 s default.
	if got.Size <= 30_000 || got.Size > 42_000 {
		t.Errorf("handler deadline is %d ms away, want the configured 42 s", got.Size)
	}
}
