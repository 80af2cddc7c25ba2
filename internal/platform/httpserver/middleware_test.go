package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		given    string
		wantEcho bool // the given ID is kept; otherwise a UUID is made
	}{
		{"given", "abc-123", true},
		{"given uuid", "3f2b1c9e-0000-4000-8000-000000000001", true},
		{"none", "", false},
		{"with a space", "abc 123", false},
		{"with a newline escape", "abc\x01", false},
		{"non-ASCII", "réq", false},
		{"too long", strings.Repeat("a", 129), false},
		{"longest kept", strings.Repeat("a", 128), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var hdr []string
			if tc.given != "" {
				hdr = []string{"X-Request-ID", tc.given}
			}
			rec := f.do(t, http.MethodGet, "/mcp/things/3", "", hdr...)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d", rec.Code)
			}
			got := rec.Header().Get("X-Request-ID")
			if tc.wantEcho && got != tc.given {
				t.Errorf("X-Request-ID = %q, want the given %q", got, tc.given)
			}
			if !tc.wantEcho && !uuidRE.MatchString(got) {
				t.Errorf("X-Request-ID = %q, want a generated UUID", got)
			}
			line := f.requestLine(t)
			if line["request_id"] != got {
				t.Errorf("log request_id = %v, want %q", line["request_id"], got)
			}
		})
	}
}

func TestRequestID_UniquePerRequest(t *testing.T) {
	f := newFixture(t)
	a := f.do(t, http.MethodGet, "/health", "").Header().Get("X-Request-ID")
	b := f.do(t, http.MethodGet, "/health", "").Header().Get("X-Request-ID")
	if a == "" || a == b {
		t.Errorf("request IDs %q and %q, want two different IDs", a, b)
	}
}

func TestRequestLog(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		wantOp      string
		wantOutcome string
		wantLevel   string
		wantStatus  float64
		wantCode    string
	}{
		{"success", http.MethodPost, "/mcp/things", `{"name":"a"}`, "create_thing", "success", "INFO", 201, ""},
		{"client error", http.MethodGet, "/mcp/things/404", "", "get_thing", "failure", "INFO", 404, "NOT_FOUND"},
		{"validation", http.MethodGet, "/mcp/things/x", "", "get_thing", "failure", "INFO", 400, "VALIDATION_ERROR"},
		{"server error", http.MethodPost, "/mcp/things", `{"name":"boom"}`, "create_thing", "failure", "WARNING", 500, "INTERNAL_ERROR"},
		{"unavailable", http.MethodPost, "/mcp/things", `{"name":"down"}`, "create_thing", "failure", "WARNING", 503, "SERVICE_UNAVAILABLE"},
		{"unknown route", http.MethodGet, "/nope", "", "not_found", "failure", "INFO", 404, "NOT_FOUND"},
		{"health", http.MethodGet, "/health", "", "health", "success", "DEBUG", 200, ""},
		{"metrics", http.MethodGet, "/metrics", "", "metrics", "success", "DEBUG", 200, ""},
		{"mcp", http.MethodPost, "/mcp", "", "mcp_streamable_http", "success", "INFO", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(t, tc.method, tc.target, tc.body, "X-Request-ID", "req-log")
			line := f.requestLine(t)
			checks := map[string]any{
				"request_id":     "req-log",
				"operation_name": tc.wantOp,
				"outcome":        tc.wantOutcome,
				"level":          tc.wantLevel,
				"server_id":      "codebase-mcp",
			}
			for k, want := range checks {
				if line[k] != want {
					t.Errorf("%s = %v, want %v", k, line[k], want)
				}
			}
			if ms, ok := line["latency_ms"].(float64); !ok || ms < 0 {
				t.Errorf("latency_ms = %v, want a non-negative number", line["latency_ms"])
			}
			ctx, _ := line["context"].(map[string]any)
			if ctx["method"] != tc.method || ctx["path"] != strings.SplitN(tc.target, "?", 2)[0] || ctx["status"] != tc.wantStatus {
				t.Errorf("context = %v, want method %s, path %s, status %v", ctx, tc.method, tc.target, tc.wantStatus)
			}
			if float64(rec.Code) != tc.wantStatus {
				t.Errorf("response status %d, logged %v", rec.Code, tc.wantStatus)
			}
			details, hasDetails := line["error_details"].(map[string]any)
			if tc.wantCode == "" && hasDetails {
				t.Errorf("success logged error_details %v", details)
			}
			if tc.wantCode != "" && details["code"] != tc.wantCode {
				t.Errorf("error_details = %v, want code %s", line["error_details"], tc.wantCode)
			}
		})
	}
}

func TestRequestMetrics(t *testing.T) {
	f := newFixture(t)
	f.do(t, http.MethodPost, "/mcp/things", `{"name":"a"}`)
	f.do(t, http.MethodPost, "/mcp/things", `{"name":"a","x":1}`)
	f.do(t, http.MethodPost, "/mcp/things", `{"name":"dup"}`)
	f.do(t, http.MethodPost, "/mcp/things", `{"name":"stale"}`)
	f.do(t, http.MethodGet, "/mcp/things/404", "")
	f.do(t, http.MethodGet, "/nope", "")
	f.do(t, http.MethodPost, "/mcp", "", "Origin", "http://evil.example")

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"requests_total", map[string]string{"operation": "create_thing", "outcome": "success"}, 1},
		{"requests_total", map[string]string{"operation": "create_thing", "outcome": "failure"}, 3},
		{"errors_total", map[string]string{"operation": "create_thing", "code": "VALIDATION_ERROR"}, 1},
		{"errors_total", map[string]string{"operation": "create_thing", "code": "ALREADY_EXISTS"}, 1},
		{"errors_total", map[string]string{"operation": "create_thing", "code": "VERSION_CONFLICT"}, 1},
		{"errors_total", map[string]string{"operation": "get_thing", "code": "NOT_FOUND"}, 1},
		{"errors_total", map[string]string{"operation": "not_found", "code": "NOT_FOUND"}, 1},
		{"errors_total", map[string]string{"operation": "mcp_streamable_http", "code": "FORBIDDEN"}, 1},
	}
	for _, tc := range tests {
		if got := obstest.Counter(t, f.reg, prefix+"_"+tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

func TestAuth(t *testing.T) {
	const token = "s3cret-token"
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		auth       string
		wantStatus int
	}{
		{"health needs no token", http.MethodGet, "/health", "", "", 200},
		{"health with a wrong token still answers", http.MethodGet, "/health", "", "Bearer nope", 200},
		{"metrics without token", http.MethodGet, "/metrics", "", "", 401},
		{"metrics wrong token", http.MethodGet, "/metrics", "", "Bearer nope", 401},
		{"metrics token without scheme", http.MethodGet, "/metrics", "", token, 401},
		{"metrics token prefix", http.MethodGet, "/metrics", "", "Bearer s3cret", 401},
		{"metrics basic auth", http.MethodGet, "/metrics", "", "Basic czNjcmV0LXRva2Vu", 401},
		{"metrics right token", http.MethodGet, "/metrics", "", "Bearer " + token, 200},
		{"metrics lower-case scheme", http.MethodGet, "/metrics", "", "bearer " + token, 200},
		{"metrics other scheme", http.MethodGet, "/metrics", "", "Basic " + token, 401},
		{"REST without token", http.MethodPost, "/mcp/things", `{"name":"a"}`, "", 401},
		{"REST wrong token", http.MethodPost, "/mcp/things", `{"name":"a"}`, "Bearer x", 401},
		{"REST right token", http.MethodPost, "/mcp/things", `{"name":"a"}`, "Bearer " + token, 201},
		{"MCP without token", http.MethodPost, "/mcp", "", "", 401},
		{"MCP right token", http.MethodPost, "/mcp", "", "Bearer " + token, 200},
		{"SSE without token", http.MethodGet, "/sse", "", "", 401},
		{"unknown route without token", http.MethodGet, "/nope", "", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withAuth(token))
			var hdr []string
			if tc.auth != "" {
				hdr = []string{"Authorization", tc.auth}
			}
			rec := f.do(t, tc.method, tc.target, tc.body, hdr...)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus != http.StatusUnauthorized {
				return
			}
			if got := errorBody(t, rec)["error"]; got != "UNAUTHORIZED" {
				t.Errorf("error = %v, want UNAUTHORIZED", got)
			}
			if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", rec.Header().Get("WWW-Authenticate"))
			}
			if strings.Contains(rec.Body.String(), token) {
				t.Error("the 401 body reveals the token")
			}
			if got := obstest.Counter(t, f.reg, prefix+"_errors_total", map[string]string{"operation": "unauthorized", "code": "UNAUTHORIZED"}); got != 1 {
				t.Errorf("errors_total{unauthorized,UNAUTHORIZED} = %v, want 1", got)
			}
			if line := f.requestLine(t); line["outcome"] != "failure" || line["request_id"] == nil {
				t.Errorf("401 log line = %v", line)
			}
		})
	}
}

func TestAuth_OffWithoutToken(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/metrics", "/health"} {
		if rec := f.do(t, http.MethodGet, target, ""); rec.Code != http.StatusOK {
			t.Errorf("GET %s without auth configured = %d, want 200", target, rec.Code)
		}
	}
}

func TestOriginCheck(t *testing.T) {
	tests := []struct {
		origin string
		host   string
		want   int
	}{
		{"", "127.0.0.1:8020", 200},
		{"http://localhost:3000", "127.0.0.1:8020", 200},
		{"http://LOCALHOST", "127.0.0.1:8020", 200},
		{"https://localhost", "127.0.0.1:8020", 200},
		{"http://127.0.0.1:8080", "127.0.0.1:8020", 200},
		{"http://127.8.9.10", "127.0.0.1:8020", 200},
		{"http://[::1]:5173", "127.0.0.1:8020", 200},
		{"http://mcp.internal:8020", "mcp.internal:8020", 200},
		{"http://mcp.internal", "MCP.internal:8020", 200},
		{"http://evil.example", "127.0.0.1:8020", 403},
		{"https://evil.example:443", "127.0.0.1:8020", 403},
		{"http://localhost.evil.example", "127.0.0.1:8020", 403},
		{"http://127.0.0.1.evil.example", "127.0.0.1:8020", 403},
		{"http://10.0.0.5", "127.0.0.1:8020", 403},
		{"null", "127.0.0.1:8020", 403},
		{"file://", "127.0.0.1:8020", 403},
		{"not a url", "127.0.0.1:8020", 403},
	}
	for _, tc := range tests {
		for _, rt := range [][2]string{{"POST", "/mcp"}, {"GET", "/sse"}, {"POST", "/message"}} {
			t.Run(rt[1]+" "+tc.origin, func(t *testing.T) {
				f := newFixture(t)
				req := httptest.NewRequest(rt[0], rt[1], nil)
				req.Host = tc.host
				if tc.origin != "" {
					req.Header.Set("Origin", tc.origin)
				}
				rec := httptest.NewRecorder()
				f.h.ServeHTTP(rec, req)
				if rec.Code != tc.want {
					t.Fatalf("Origin %q, Host %q: status = %d, want %d; body %s", tc.origin, tc.host, rec.Code, tc.want, rec.Body)
				}
				if tc.want == http.StatusForbidden {
					body := errorBody(t, rec)
					if body["error"] != "FORBIDDEN" {
						t.Errorf("error = %v, want FORBIDDEN", body["error"])
					}
					if strings.Contains(rec.Body.String(), "mcp ok") {
						t.Error("the MCP handler ran for a forbidden origin")
					}
				}
			})
		}
	}
}

func TestOriginCheck_NotOnREST(t *testing.T) {
	// REST and /health are not MCP endpoints; the origin rule is for those.
	f := newFixture(t)
	rec := f.do(t, http.MethodGet, "/health", "", "Origin", "http://evil.example")
	if rec.Code != http.StatusOK {
		t.Errorf("/health with a foreign Origin = %d, want 200", rec.Code)
	}
}

// unsizedReader hides its length, so the client sends the body chunked.
type unsizedReader struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	const limit = 64
	fits := `{"name":"a"}` + strings.Repeat(" ", limit-len(`{"name":"a"}`))
	tooBig := `{"name":"` + strings.Repeat("x", limit) + `"}`
	tests := []struct {
		name        string
		body        string
		chunked     bool
		wantStatus  int
		wantOp      string
		wantHandled bool
	}{
		{"at the limit", fits, false, http.StatusCreated, "create_thing", true},
		{"at the limit chunked", fits, true, http.StatusCreated, "create_thing", true},
		{"over with Content-Length", tooBig, false, http.StatusRequestEntityTooLarge, "body_too_large", false},
		// A body of unknown length is read up to the limit before routing.
		{"over chunked", tooBig, true, http.StatusRequestEntityTooLarge, "body_too_large", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withMaxBody(limit))
			var sentChunked atomic.Bool
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sentChunked.Store(r.ContentLength == -1 && len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked")
				f.h.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)

			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = unsizedReader{body}
			}
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/mcp/things", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if sentChunked.Load() != tc.chunked {
				t.Fatalf("server saw a chunked body = %v, want %v", sentChunked.Load(), tc.chunked)
			}
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.wantStatus, data)
			}
			if tc.wantStatus == http.StatusRequestEntityTooLarge {
				var eb map[string]any
				if err := json.Unmarshal(data, &eb); err != nil {
					t.Fatalf("413 body is not JSON: %s", data)
				}
				if eb["error"] != "PAYLOAD_TOO_LARGE" || !strings.Contains(eb["message"].(string), "64") {
					t.Errorf("413 body = %s, want PAYLOAD_TOO_LARGE naming the 64-byte limit", data)
				}
				if got := obstest.Counter(t, f.reg, prefix+"_errors_total", map[string]string{"operation": tc.wantOp, "code": "PAYLOAD_TOO_LARGE"}); got != 1 {
					t.Errorf("errors_total{%s,PAYLOAD_TOO_LARGE} = %v, want 1", tc.wantOp, got)
				}
			}
		})
	}
}

func TestBodyLimit_Default(t *testing.T) {
	f := newFixture(t)
	req := httptest.NewRequest(http.MethodPost, "/mcp/things", strings.NewReader(`{"name":"a"}`))
	req.ContentLength = 4<<20 + 1 // only the header: the check must not read the body
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("Content-Length over 4 MiB = %d, want 413", rec.Code)
	}
	req = httptest.NewRequest(http.MethodPost, "/mcp/things", strings.NewReader(`{"name":"a"}`))
	req.ContentLength = 4 << 20
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code == http.StatusRequestEntityTooLarge {
		t.Error("Content-Length of exactly 4 MiB rejected")
	}
}

// TestMCP_RequestIDReachesToolCall runs the real MCP server behind the HTTP
// server: the X-Request-ID of the HTTP request must be the request_id of
// the tool_call log line, and both lines must be written.
func TestMCP_RequestIDReachesToolCall(t *testing.T) {
	logger, logs := obstest.NewLogger(t, "codebase-mcp", slog.LevelInfo)
	echo := tool.Def[createIn, thing]{
		Name: "echo",
		Handle: func(_ context.Context, in createIn) (thing, error) {
			return thing{Name: in.Name}, nil
		},
	}
	reg := prometheus.NewRegistry()
	metrics := obs.NewRequestMetrics(reg, prefix)
	ms, err := mcpserver.New(mcpserver.Config{Name: "codebase-mcp", Version: "t"}, logger, metrics, []tool.Tool{echo})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, withLogger(logger), withMCP(ms.StreamableHTTP()), withAuth("tok"),
		func(_ *httpserver.Config, d *httpserver.Deps) { d.Metrics, d.Gatherer = metrics, reg })
	ts := httptest.NewServer(f.h)
	t.Cleanup(ts.Close)

	var n atomic.Int64
	c, err := client.NewStreamableHttpClient(ts.URL+"/mcp", transport.WithHTTPHeaderFunc(func(context.Context) map[string]string {
		return map[string]string{"X-Request-ID": fmt.Sprintf("mcp-req-%d", n.Add(1)), "Authorization": "Bearer tok"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ireq := mcp.InitializeRequest{}
	ireq.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "1"}
	if _, err := c.Initialize(ctx, ireq); err != nil {
		t.Fatalf("Initialize through the HTTP server: %v", err)
	}
	creq := mcp.CallToolRequest{}
	creq.Params.Name = "echo"
	creq.Params.Arguments = map[string]any{"name": "hi"}
	res, err := c.CallTool(ctx, creq)
	if err != nil || res.IsError {
		t.Fatalf("CallTool = %+v, %v", res, err)
	}

	// One request, one line: the tool call's HTTP request is logged once,
	// under the tool's name, with its own request ID; the tool layer does
	// not log it again.
	if calls := logs.Events(t, "tool_call"); len(calls) != 0 {
		t.Errorf("tool_call lines = %d, want 0 (the HTTP line covers the call):\n%s", len(calls), logs.String())
	}
	var lines []map[string]any
	for _, l := range logs.Events(t, "http_request") {
		if l["operation_name"] == "echo" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("http_request lines for echo = %d, want 1:\n%s", len(lines), logs.String())
	}
	id, _ := lines[0]["request_id"].(string)
	if !strings.HasPrefix(id, "mcp-req-") {
		t.Errorf("request_id = %q, want the X-Request-ID of its HTTP request", id)
	}
	if ctx, _ := lines[0]["context"].(map[string]any); ctx["transport"] != "mcp_streamable_http" {
		t.Errorf("context = %v, want transport mcp_streamable_http", lines[0]["context"])
	}
	// ... and counted once: under the tool, not again under the transport.
	if got := obstest.Counter(t, reg, prefix+"_requests_total", map[string]string{"operation": "echo", "outcome": "success"}); got != 1 {
		t.Errorf("requests_total{echo} = %v, want 1", got)
	}
	transport := obstest.Counter(t, reg, prefix+"_requests_total", map[string]string{"operation": "mcp_streamable_http", "outcome": "success"})
	if want := float64(len(logs.Events(t, "http_request")) - 1); transport != want {
		t.Errorf("requests_total{mcp_streamable_http} = %v, want %v (every HTTP request but the tool call)", transport, want)
	}
}
