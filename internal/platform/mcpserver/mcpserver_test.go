package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

const prefix = "codebase_mcp"

type echoIn struct {
	Text  string `json:"text" jsonschema:"the text to echo back"`
	Times int    `json:"times,omitempty" jsonschema:"how many times to repeat it"`
}

type echoOut struct {
	Echo  string `json:"echo" jsonschema:"the repeated text"`
	Count int    `json:"count"`
}

type failIn struct {
	Mode string `json:"mode" jsonschema:"which failure to produce"`
}

type failOut struct {
	OK bool `json:"ok"`
}

// secret is the text of an internal error; clients must never see it.
const secret = "dial tcp 10.1.2.3:5432: password authentication failed for hunter2"

// fixture is a running MCP server with what the tests observe of it.
type fixture struct {
	srv     *mcpserver.Server
	reg     *prometheus.Registry
	logs    *obstest.LogCapture
	calls   atomic.Int64 // handler invocations of any tool
	lastReq atomic.Value // request ID seen by the last handler
}

func (f *fixture) tools() []tool.Tool {
	echo := tool.Def[echoIn, echoOut]{
		Name:        "echo",
		Title:       "Echo text",
		Description: "Repeats the text.",
		Annotations: tool.Annotations{ReadOnly: true, Idempotent: true},
		Handle: func(ctx context.Context, in echoIn) (echoOut, error) {
			f.calls.Add(1)
			f.lastReq.Store(obs.RequestIDFromContext(ctx))
			n := in.Times
			if n == 0 {
				n = 1
			}
			return echoOut{Echo: strings.Repeat(in.Text, n), Count: n}, nil
		},
	}
	fail := tool.Def[failIn, failOut]{
		Name:        "fail",
		Title:       "Fail on purpose",
		Description: "Returns the error named by mode.",
		Annotations: tool.Annotations{Destructive: true, OpenWorld: true},
		Handle: func(ctx context.Context, in failIn) (failOut, error) {
			f.calls.Add(1)
			f.lastReq.Store(obs.RequestIDFromContext(ctx))
			switch in.Mode {
			case "validation":
				return failOut{}, apperr.Invalid("mode", "must be polite")
			case "not_found":
				return failOut{}, apperr.New(apperr.NotFound, "work item 9 not found")
			case "unavailable":
				return failOut{}, &apperr.Error{Code: apperr.Unavailable, Message: "database unavailable", RetryAfter: 3 * time.Second}
			case "internal":
				return failOut{}, errors.New(secret)
			}
			return failOut{OK: true}, nil
		},
	}
	return []tool.Tool{echo, fail}
}

func newFixture(tb testing.TB, extra ...tool.Tool) *fixture {
	tb.Helper()
	logger, logs := obstest.NewLogger(tb, "codebase-mcp", slog.LevelDebug)
	f := &fixture{reg: prometheus.NewRegistry(), logs: logs}
	metrics := obs.NewRequestMetrics(f.reg, prefix)
	srv, err := mcpserver.New(mcpserver.Config{Name: "codebase-mcp", Version: "test", Instructions: "Search code."}, logger, metrics, append(f.tools(), extra...))
	if err != nil {
		tb.Fatalf("mcpserver.New: %v", err)
	}
	f.srv = srv
	return f
}

// httpClient serves f over Streamable HTTP and returns an initialized client.
func (f *fixture) httpClient(tb testing.TB) *client.Client {
	tb.Helper()
	mux := http.NewServeMux()
	mux.Handle("/mcp", f.srv.StreamableHTTP())
	ts := httptest.NewServer(mux)
	tb.Cleanup(ts.Close)

	c, err := client.NewStreamableHttpClient(ts.URL + "/mcp")
	if err != nil {
		tb.Fatalf("NewStreamableHttpClient: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	initialize(tb, c)
	return c
}

func initialize(tb testing.TB, c *client.Client) *mcp.InitializeResult {
	tb.Helper()
	// The SSE transport keeps its stream open for as long as the Start
	// context lives, so that must outlive this helper.
	if err := c.Start(tb.Context()); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "mcpserver-test", Version: "1"}
	res, err := c.Initialize(ctx, req)
	if err != nil {
		tb.Fatalf("Initialize: %v", err)
	}
	return res
}

func callTool(tb testing.TB, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		tb.Fatalf("CallTool(%s): protocol error %v; tool failures must be isError results", name, err)
	}
	return res
}

// callToolProtocolError calls a tool that must fail with a JSON-RPC error
// (an internal failure) and returns the error's text.
func callToolProtocolError(tb testing.TB, c *client.Client, name string, args map[string]any) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err == nil {
		tb.Fatalf("CallTool(%s) = %+v, want a JSON-RPC error for an internal failure", name, res)
	}
	return err.Error()
}

func resultText(tb testing.TB, res *mcp.CallToolResult) string {
	tb.Helper()
	if len(res.Content) != 1 {
		tb.Fatalf("result has %d content items, want 1: %+v", len(res.Content), res.Content)
	}
	tc, ok := mcp.AsTextContent(res.Content[0])
	if !ok {
		tb.Fatalf("content is %T, want text", res.Content[0])
	}
	return tc.Text
}

// --- Describe and Schema ---

func TestDescribe(t *testing.T) {
	f := &fixture{}
	tests := []struct {
		tool            tool.Tool
		wantTitle       string
		wantAnnotations map[string]bool
		wantRequired    []string
		wantDescs       map[string]string
	}{
		{
			tool:            f.tools()[0],
			wantTitle:       "Echo text",
			wantAnnotations: map[string]bool{"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false},
			wantRequired:    []string{"text"},
			wantDescs:       map[string]string{"text": "the text to echo back", "times": "how many times to repeat it"},
		},
		{
			tool:            f.tools()[1],
			wantTitle:       "Fail on purpose",
			wantAnnotations: map[string]bool{"readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": true},
			wantRequired:    []string{"mode"},
			wantDescs:       map[string]string{"mode": "which failure to produce"},
		},
	}
	for _, tc := range tests {
		m := tc.tool.Meta()
		t.Run(m.Name, func(t *testing.T) {
			mt, err := mcpserver.Describe(tc.tool)
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			data, err := json.Marshal(mt)
			if err != nil {
				t.Fatalf("marshal tool: %v", err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if doc["name"] != m.Name || doc["description"] != m.Description {
				t.Errorf("name/description = %v/%v, want %s/%s", doc["name"], doc["description"], m.Name, m.Description)
			}
			ann, ok := doc["annotations"].(map[string]any)
			if !ok {
				t.Fatalf("no annotations object in %s", data)
			}
			if ann["title"] != tc.wantTitle {
				t.Errorf("annotations.title = %v, want %q", ann["title"], tc.wantTitle)
			}
			for key, want := range tc.wantAnnotations {
				got, present := ann[key]
				if !present {
					t.Errorf("annotation %s is not sent explicitly: %s", key, data)
					continue
				}
				if got != want {
					t.Errorf("annotation %s = %v, want %v", key, got, want)
				}
			}

			in, ok := doc["inputSchema"].(map[string]any)
			if !ok {
				t.Fatalf("no inputSchema in %s", data)
			}
			if in["type"] != "object" {
				t.Errorf("inputSchema.type = %v, want object", in["type"])
			}
			if ap, present := in["additionalProperties"]; !present || ap != false {
				t.Errorf("inputSchema.additionalProperties = %v (present %v), want false", ap, present)
			}
			props, _ := in["properties"].(map[string]any)
			for field, want := range tc.wantDescs {
				p, _ := props[field].(map[string]any)
				if p["description"] != want {
					t.Errorf("inputSchema.properties.%s.description = %v, want %q", field, p["description"], want)
				}
			}
			var required []string
			for _, r := range in["required"].([]any) {
				required = append(required, r.(string))
			}
			slices.Sort(required)
			if !slices.Equal(required, tc.wantRequired) {
				t.Errorf("required = %v, want %v", required, tc.wantRequired)
			}

			out, ok := doc["outputSchema"].(map[string]any)
			if !ok {
				t.Fatalf("no outputSchema in %s", data)
			}
			if out["type"] != "object" {
				t.Errorf("outputSchema.type = %v, want object", out["type"])
			}
			if props, _ := out["properties"].(map[string]any); len(props) == 0 {
				t.Errorf("outputSchema has no properties: %v", out)
			}
		})
	}
}

func TestDescribe_OutputSchemaDescriptions(t *testing.T) {
	mt, err := mcpserver.Describe((&fixture{}).tools()[0])
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(mt)
	var doc struct {
		OutputSchema struct {
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"outputSchema"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.OutputSchema.Properties["echo"].Description; got != "the repeated text" {
		t.Errorf("outputSchema echo description = %q", got)
	}
}

func noop[In, Out any](context.Context, In) (Out, error) {
	var o Out
	return o, nil
}

func TestDescribe_RejectsNonStructs(t *testing.T) {
	tests := []struct {
		name string
		tool tool.Tool
		want string
	}{
		{"string input", tool.Def[string, echoOut]{Name: "a", Handle: noop[string, echoOut]}, "input"},
		{"slice input", tool.Def[[]int, echoOut]{Name: "b", Handle: noop[[]int, echoOut]}, "input"},
		{"int output", tool.Def[echoIn, int]{Name: "c", Handle: noop[echoIn, int]}, "output"},
		{"slice output", tool.Def[echoIn, []echoOut]{Name: "d", Handle: noop[echoIn, []echoOut]}, "output"},
		{"channel input", tool.Def[chan int, echoOut]{Name: "e", Handle: noop[chan int, echoOut]}, "input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mcpserver.Describe(tc.tool)
			if err == nil {
				t.Fatal("Describe accepted a non-struct type")
			}
			name := tc.tool.Meta().Name
			if !strings.Contains(err.Error(), "tool "+name) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name tool %s and its %s", err, name, tc.want)
			}

			reg := prometheus.NewRegistry()
			_, err = mcpserver.New(mcpserver.Config{Name: "x"}, obs.NewLogger(obs.LogConfig{Writer: io.Discard}),
				obs.NewRequestMetrics(reg, prefix), []tool.Tool{tc.tool})
			if err == nil {
				t.Error("New accepted a tool with a non-struct type")
			}
		})
	}
}

func TestSchema(t *testing.T) {
	raw, err := mcpserver.Schema(reflect.TypeFor[echoIn]())
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if s["type"] != "object" || s["additionalProperties"] != false {
		t.Errorf("schema = %s, want an object with additionalProperties false", raw)
	}
	if _, err := mcpserver.Schema(reflect.TypeFor[float64]()); err == nil {
		t.Error("Schema(float64) = nil error, want rejection")
	}
}

// --- ErrorResult ---

func TestErrorResult(t *testing.T) {
	ctx := obs.NewContextWithRequestID(context.Background(), "req-77")
	tests := []struct {
		name        string
		err         error
		wantPrefix  string
		wantHas     []string
		wantHasNot  []string
		wantDetails bool
	}{
		{"validation", apperr.Invalid("limit", "must be at most 50"), "VALIDATION_ERROR: limit: must be at most 50", nil, nil, true},
		{"not found", apperr.New(apperr.NotFound, "chunk c1 not found"), "NOT_FOUND: chunk c1 not found", nil, nil, false},
		{"conflict with details", apperr.New(apperr.VersionConflict, "stale").WithDetails(map[string]any{"current_version": 4}),
			"VERSION_CONFLICT: stale", nil, nil, true},
		{"unavailable retry", &apperr.Error{Code: apperr.Unavailable, Message: "database unavailable", RetryAfter: 2 * time.Second},
			"SERVICE_UNAVAILABLE: database unavailable", []string{"retry after 2s"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := mcpserver.ErrorResult(ctx, tc.err)
			if err != nil || res == nil {
				t.Fatalf("ErrorResult = %v, %v; want an isError result for a caller-fixable error", res, err)
			}
			if !res.IsError {
				t.Error("IsError = false")
			}
			text := resultText(t, res)
			if !strings.HasPrefix(text, tc.wantPrefix) {
				t.Errorf("text %q does not start with %q", text, tc.wantPrefix)
			}
			for _, w := range tc.wantHas {
				if !strings.Contains(text, w) {
					t.Errorf("text %q lacks %q", text, w)
				}
			}
			// Clients on the official TypeScript SDK validate structured
			// content against the output schema even for errors.
			if res.StructuredContent != nil {
				t.Errorf("StructuredContent = %#v, want none on an error result", res.StructuredContent)
			}
			if tc.wantDetails != strings.Contains(text, "{") {
				t.Errorf("text %q: details present = %v, want %v", text, !tc.wantDetails, tc.wantDetails)
			}
		})
	}
}

// Internal errors are the server's fault, not the call's: a JSON-RPC
// error whose message hides the cause and names the request ID.
func TestErrorResult_InternalIsProtocolError(t *testing.T) {
	ctx := obs.NewContextWithRequestID(context.Background(), "req-77")
	for _, err := range []error{errors.New(secret), apperr.Wrap(errors.New(secret), apperr.Internal, "query failed: "+secret)} {
		res, perr := mcpserver.ErrorResult(ctx, err)
		if res != nil || perr == nil {
			t.Fatalf("ErrorResult(%v) = %v, %v; want a protocol error", err, res, perr)
		}
		if !strings.Contains(perr.Error(), "request_id req-77") || strings.Contains(perr.Error(), "hunter2") || strings.Contains(perr.Error(), "10.1.2.3") {
			t.Errorf("protocol error %q must name the request ID and hide the cause", perr)
		}
	}
}

// --- over Streamable HTTP ---

func TestStreamableHTTP_InitializeAndList(t *testing.T) {
	f := newFixture(t)
	mux := http.NewServeMux()
	mux.Handle("/mcp", f.srv.StreamableHTTP())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c, err := client.NewStreamableHttpClient(ts.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })

	init := initialize(t, c)
	if init.ServerInfo.Name != "codebase-mcp" || init.ServerInfo.Version != "test" {
		t.Errorf("serverInfo = %+v, want codebase-mcp/test", init.ServerInfo)
	}
	if init.Capabilities.Tools == nil {
		t.Error("server does not announce the tools capability")
	}
	if init.Instructions != "Search code." {
		t.Errorf("instructions = %q", init.Instructions)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	byName := map[string]mcp.Tool{}
	for _, tl := range list.Tools {
		byName[tl.Name] = tl
	}
	if len(byName) != 2 {
		t.Fatalf("tools = %v, want echo and fail", list.Tools)
	}
	echo, fail := byName["echo"], byName["fail"]
	checks := []struct {
		name string
		got  *bool
		want bool
	}{
		{"echo readOnly", echo.Annotations.ReadOnlyHint, true},
		{"echo destructive", echo.Annotations.DestructiveHint, false},
		{"echo idempotent", echo.Annotations.IdempotentHint, true},
		{"echo openWorld", echo.Annotations.OpenWorldHint, false},
		{"fail readOnly", fail.Annotations.ReadOnlyHint, false},
		{"fail destructive", fail.Annotations.DestructiveHint, true},
		{"fail idempotent", fail.Annotations.IdempotentHint, false},
		{"fail openWorld", fail.Annotations.OpenWorldHint, true},
	}
	for _, ck := range checks {
		if ck.got == nil {
			t.Errorf("%s hint missing from tools/list", ck.name)
		} else if *ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, *ck.got, ck.want)
		}
	}
	if echo.Annotations.Title != "Echo text" {
		t.Errorf("echo title = %q", echo.Annotations.Title)
	}
	if len(echo.RawOutputSchema) == 0 && echo.OutputSchema.Type == "" {
		t.Error("echo has no output schema in tools/list")
	}
}

func TestStreamableHTTP_CallSuccess(t *testing.T) {
	f := newFixture(t)
	c := f.httpClient(t)

	res := callTool(t, c, "echo", map[string]any{"text": "ab", "times": 3})
	if res.IsError {
		t.Fatalf("IsError = true: %s", resultText(t, res))
	}
	want := echoOut{Echo: "ababab", Count: 3}

	var fromText echoOut
	text := resultText(t, res)
	if err := json.Unmarshal([]byte(text), &fromText); err != nil {
		t.Fatalf("text content is not JSON: %v: %q", err, text)
	}
	if fromText != want {
		t.Errorf("text JSON = %+v, want %+v", fromText, want)
	}

	if res.StructuredContent == nil {
		t.Fatal("no structuredContent")
	}
	sc, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var fromStructured echoOut
	if err := json.Unmarshal(sc, &fromStructured); err != nil {
		t.Fatal(err)
	}
	if fromStructured != want {
		t.Errorf("structuredContent = %s, want %+v", sc, want)
	}
	if !jsonEqual(t, sc, []byte(text)) {
		t.Errorf("structuredContent %s and text %s differ", sc, text)
	}
}

func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		tb.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func TestStreamableHTTP_ToolErrors(t *testing.T) {
	f := newFixture(t)
	c := f.httpClient(t)

	tests := []struct {
		name        string
		tool        string
		args        map[string]any
		wantHandler bool
		wantPrefix  string
		wantHas     []string
		wantHasNot  []string
	}{
		{"validation", "fail", map[string]any{"mode": "validation"}, true,
			"VALIDATION_ERROR: mode: must be polite", nil, nil},
		{"not found", "fail", map[string]any{"mode": "not_found"}, true,
			"NOT_FOUND: work item 9 not found", nil, nil},
		{"unavailable", "fail", map[string]any{"mode": "unavailable"}, true,
			"SERVICE_UNAVAILABLE: database unavailable", []string{"retry after 3s"}, nil},
		{"unknown argument", "echo", map[string]any{"text": "a", "colour": "red"}, false,
			"", []string{"colour"}, nil},
		{"missing required argument", "echo", map[string]any{"times": 2}, false,
			"", []string{"text"}, nil},
		{"wrong argument type", "echo", map[string]any{"text": "a", "times": "many"}, false,
			"", []string{"times"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.calls.Load()
			res := callTool(t, c, tc.tool, tc.args)
			if !res.IsError {
				t.Fatalf("IsError = false for %v", tc.args)
			}
			if ran := f.calls.Load() > before; ran != tc.wantHandler {
				t.Errorf("handler ran = %v, want %v", ran, tc.wantHandler)
			}
			text := resultText(t, res)
			if !strings.HasPrefix(text, tc.wantPrefix) {
				t.Errorf("text %q does not start with %q", text, tc.wantPrefix)
			}
			for _, w := range tc.wantHas {
				if !strings.Contains(text, w) {
					t.Errorf("text %q lacks %q", text, w)
				}
			}
			for _, w := range tc.wantHasNot {
				if strings.Contains(text, w) {
					t.Errorf("text %q leaks %q", text, w)
				}
			}
		})
	}
}

func TestStreamableHTTP_InternalErrorLoggedWithRequestID(t *testing.T) {
	f := newFixture(t)
	c := f.httpClient(t)

	text := callToolProtocolError(t, c, "fail", map[string]any{"mode": "internal"})
	for _, leak := range []string{"hunter2", "10.1.2.3", "password"} {
		if strings.Contains(text, leak) {
			t.Errorf("protocol error %q leaks %q", text, leak)
		}
	}
	id, _ := f.lastReq.Load().(string)
	if id == "" {
		t.Fatal("the handler's context had no request ID")
	}
	if !strings.Contains(text, id) {
		t.Errorf("client text %q does not give the request_id %s", text, id)
	}
	lines := f.logs.Events(t, "tool_call")
	if len(lines) != 1 {
		t.Fatalf("tool_call lines = %d, want 1", len(lines))
	}
	line := lines[0]
	if line["request_id"] != id || line["level"] != "ERROR" || line["outcome"] != "failure" {
		t.Errorf("log line = %v, want request_id %s, level ERROR, outcome failure", line, id)
	}
	details, _ := line["error_details"].(map[string]any)
	if msg, _ := details["message"].(string); !strings.Contains(msg, secret) {
		t.Errorf("error_details = %v, want the full internal error text in the log", details)
	}
	if details["code"] != "INTERNAL_ERROR" {
		t.Errorf("error_details.code = %v", details["code"])
	}
}

func TestStreamableHTTP_CallsAreLoggedAndCounted(t *testing.T) {
	f := newFixture(t)
	c := f.httpClient(t)

	callTool(t, c, "echo", map[string]any{"text": "x"})
	callTool(t, c, "echo", map[string]any{"text": "y"})
	callTool(t, c, "fail", map[string]any{"mode": "validation"})
	callTool(t, c, "fail", map[string]any{"mode": "ok"})

	counts := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{prefix + "_requests_total", map[string]string{"operation": "echo", "outcome": "success"}, 2},
		{prefix + "_requests_total", map[string]string{"operation": "fail", "outcome": "failure"}, 1},
		{prefix + "_requests_total", map[string]string{"operation": "fail", "outcome": "success"}, 1},
		{prefix + "_errors_total", map[string]string{"operation": "fail", "code": "VALIDATION_ERROR"}, 1},
	}
	for _, ck := range counts {
		if got := obstest.Counter(t, f.reg, ck.name, ck.labels); got != ck.want {
			t.Errorf("%s%v = %v, want %v", ck.name, ck.labels, got, ck.want)
		}
	}

	lines := f.logs.Events(t, "tool_call")
	if len(lines) != 4 {
		t.Fatalf("tool_call lines = %d, want 4:\n%s", len(lines), f.logs.String())
	}
	wantOps := []string{"echo", "echo", "fail", "fail"}
	wantOutcomes := []string{"success", "success", "failure", "success"}
	wantLevels := []string{"INFO", "INFO", "WARNING", "INFO"}
	ids := map[string]bool{}
	for i, line := range lines {
		if line["operation_name"] != wantOps[i] || line["outcome"] != wantOutcomes[i] || line["level"] != wantLevels[i] {
			t.Errorf("line %d = %v, want operation %s, outcome %s, level %s", i, line, wantOps[i], wantOutcomes[i], wantLevels[i])
		}
		id, _ := line["request_id"].(string)
		if id == "" {
			t.Errorf("line %d has no request_id: %v", i, line)
		}
		ids[id] = true
		if ms, ok := line["latency_ms"].(float64); !ok || ms < 0 {
			t.Errorf("line %d latency_ms = %v, want a non-negative number", i, line["latency_ms"])
		}
		if line["server_id"] != "codebase-mcp" {
			t.Errorf("line %d server_id = %v", i, line["server_id"])
		}
	}
	if len(ids) != 4 {
		t.Errorf("request IDs %v are not unique per call", ids)
	}
}

func TestStreamableHTTP_KeepsHTTPRequestID(t *testing.T) {
	// A request ID put in the HTTP request context by middleware (httpserver
	// does this) must reach the tool handler and its log line.
	f := newFixture(t)
	h := f.srv.StreamableHTTP()
	withID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := obs.NewContextWithRequestID(r.Context(), "http-req-"+r.Method)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
	mux := http.NewServeMux()
	mux.Handle("/mcp", withID)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c, err := client.NewStreamableHttpClient(ts.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	initialize(t, c)

	callTool(t, c, "echo", map[string]any{"text": "x"})
	if got, _ := f.lastReq.Load().(string); got != "http-req-POST" {
		t.Errorf("handler request ID = %q, want http-req-POST", got)
	}
	lines := f.logs.Events(t, "tool_call")
	if len(lines) != 1 || lines[0]["request_id"] != "http-req-POST" {
		t.Errorf("tool_call lines = %v, want one with request_id http-req-POST", lines)
	}
}

// --- over stdio ---

func TestServeStdio(t *testing.T) {
	f := newFixture(t)

	serverIn, clientOut := io.Pipe()
	clientIn, serverPipeOut := io.Pipe()
	var written obstest.LogCapture // everything the server writes to "stdout"
	serverOut := io.MultiWriter(serverPipeOut, &written)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- f.srv.ServeStdio(ctx, serverIn, serverOut)
		_ = serverPipeOut.Close()
	}()

	tr := transport.NewIO(clientIn, clientOut, io.NopCloser(strings.NewReader("")))
	c := client.NewClient(tr)
	init := initialize(t, c)
	if init.ServerInfo.Name != "codebase-mcp" {
		t.Errorf("serverInfo = %+v", init.ServerInfo)
	}

	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer lcancel()
	list, err := c.ListTools(lctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	if len(list.Tools) != 2 {
		t.Errorf("tools = %d, want 2", len(list.Tools))
	}

	res := callTool(t, c, "echo", map[string]any{"text": "hi", "times": 2})
	if res.IsError || !strings.Contains(resultText(t, res), `"echo":"hihi"`) {
		t.Errorf("echo result = %+v", res)
	}
	if text := callToolProtocolError(t, c, "fail", map[string]any{"mode": "internal"}); strings.Contains(text, "hunter2") {
		t.Errorf("internal failure = %q, want a protocol error without the secret", text)
	}

	cancel()
	_ = c.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after its context was cancelled and input closed")
	}

	// Nothing but JSON-RPC 2.0 messages may reach stdout.
	out := written.String()
	if out == "" {
		t.Fatal("server wrote nothing")
	}
	n := 0
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		var msg map[string]any
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Errorf("non-JSON on stdout: %q", line)
			continue
		}
		if msg["jsonrpc"] != "2.0" {
			t.Errorf("stdout line is not JSON-RPC 2.0: %q", line)
		}
		n++
	}
	if n < 4 {
		t.Errorf("stdout carried %d messages, want at least 4 responses", n)
	}
	if strings.Contains(out, "tool_call") || strings.Contains(out, "hunter2") {
		t.Error("log output leaked to stdout")
	}
	// The logs went to the logger instead.
	if got := len(f.logs.Events(t, "tool_call")); got != 2 {
		t.Errorf("tool_call log lines = %d, want 2", got)
	}
}

func TestStreamableHTTP_RejectedArgumentsAreLoggedAndCounted(t *testing.T) {
	// Calls rejected for their arguments are calls too: they must show up in
	// the metrics and the log like any failed call, with the same
	// "VALIDATION_ERROR: ..." text as a validation error from the handler.
	tests := []struct {
		name    string
		args    map[string]any
		wantHas string
	}{
		{"unknown argument", map[string]any{"text": "a", "colour": "red"}, "colour"},
		{"missing required argument", map[string]any{"times": 2}, "text"},
		{"wrong type", map[string]any{"text": "a", "times": "many"}, "times"},
		{"null for a string", map[string]any{"text": nil}, "text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.httpClient(t)
			res := callTool(t, c, "echo", tc.args)
			if !res.IsError {
				t.Fatal("IsError = false")
			}
			if f.calls.Load() != 0 {
				t.Error("the handler ran with invalid arguments")
			}
			text := resultText(t, res)
			if !strings.HasPrefix(text, "VALIDATION_ERROR: ") || !strings.Contains(text, tc.wantHas) {
				t.Errorf("text %q, want VALIDATION_ERROR naming %q", text, tc.wantHas)
			}
			if got := obstest.Counter(t, f.reg, prefix+"_requests_total", map[string]string{"operation": "echo", "outcome": "failure"}); got != 1 {
				t.Errorf("requests_total{echo,failure} = %v, want 1", got)
			}
			if got := obstest.Counter(t, f.reg, prefix+"_errors_total", map[string]string{"operation": "echo", "code": "VALIDATION_ERROR"}); got != 1 {
				t.Errorf("errors_total{echo,VALIDATION_ERROR} = %v, want 1", got)
			}
			lines := f.logs.Events(t, "tool_call")
			if len(lines) != 1 {
				t.Fatalf("tool_call lines = %d, want 1:\n%s", len(lines), f.logs.String())
			}
			if lines[0]["outcome"] != "failure" || lines[0]["operation_name"] != "echo" || lines[0]["request_id"] == nil {
				t.Errorf("tool_call line = %v", lines[0])
			}
		})
	}
}

type richIn struct {
	Title     string            `json:"title"`
	ParentID  *int64            `json:"parent_id,omitempty"`
	Refs      []string          `json:"entity_references,omitempty"`
	Metadata  map[string]any    `json:"metadata,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Window    *window           `json:"window,omitempty"`
	Ratio     float64           `json:"ratio,omitempty"`
	Force     bool              `json:"force,omitempty"`
	StartedAt time.Time         `json:"started_at,omitzero"`
}

type window struct {
	From int `json:"from"`
	To   int `json:"to"`
}

func TestStreamableHTTP_SchemaValidationOfRicherInputs(t *testing.T) {
	var got richIn
	rich := tool.Def[richIn, failOut]{
		Name: "rich",
		Handle: func(_ context.Context, in richIn) (failOut, error) {
			got = in
			return failOut{OK: true}, nil
		},
	}
	f := newFixture(t, rich)
	c := f.httpClient(t)

	tests := []struct {
		name    string
		args    map[string]any
		wantErr string // "" for success
	}{
		{"minimal", map[string]any{"title": "t"}, ""},
		{"everything", map[string]any{
			"title": "t", "parent_id": 42, "entity_references": []any{"c1", "c2"},
			"metadata": map[string]any{"k": []any{1, "x", nil}}, "labels": map[string]any{"a": "b"},
			"window": map[string]any{"from": 1, "to": 2}, "ratio": 0.5, "force": true,
			"started_at": "2026-01-02T03:04:05Z",
		}, ""},
		{"null optional pointer", map[string]any{"title": "t", "parent_id": nil}, ""},
		{"integer as float", map[string]any{"title": "t", "parent_id": 3.0}, ""},
		{"fraction for integer", map[string]any{"title": "t", "parent_id": 3.5}, "parent_id"},
		{"nested unknown field", map[string]any{"title": "t", "window": map[string]any{"from": 1, "to": 2, "step": 1}}, "step"},
		{"nested missing required", map[string]any{"title": "t", "window": map[string]any{"from": 1}}, "to"},
		{"wrong map value type", map[string]any{"title": "t", "labels": map[string]any{"a": 1}}, "labels"},
		{"wrong array element type", map[string]any{"title": "t", "entity_references": []any{1}}, "entity_references"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got = richIn{}
			res := callTool(t, c, "rich", tc.args)
			text := resultText(t, res)
			if tc.wantErr == "" {
				if res.IsError {
					t.Fatalf("valid arguments rejected: %s", text)
				}
				if got.Title != "t" {
					t.Errorf("handler got %+v", got)
				}
				return
			}
			if !res.IsError || !strings.HasPrefix(text, "VALIDATION_ERROR: ") || !strings.Contains(text, tc.wantErr) {
				t.Errorf("result %q (isError %v), want VALIDATION_ERROR naming %q", text, res.IsError, tc.wantErr)
			}
			if got.Title != "" {
				t.Errorf("a rejected call reached the handler: %+v", got)
			}
		})
	}
}

func TestStreamableHTTP_NoArguments(t *testing.T) {
	ping := tool.Def[struct{}, failOut]{
		Name:   "ping",
		Handle: func(context.Context, struct{}) (failOut, error) { return failOut{OK: true}, nil },
	}
	f := newFixture(t, ping)
	c := f.httpClient(t)
	for _, args := range []map[string]any{nil, {}} {
		res := callTool(t, c, "ping", args)
		if res.IsError || resultText(t, res) != `{"ok":true}` {
			t.Errorf("ping(%v) = %q (isError %v), want {\"ok\":true}", args, resultText(t, res), res.IsError)
		}
	}
	res := callTool(t, c, "ping", map[string]any{"x": 1})
	if !res.IsError || !strings.Contains(resultText(t, res), "x") {
		t.Errorf("ping with an argument = %q, want a VALIDATION_ERROR naming x", resultText(t, res))
	}
}

func TestSSE(t *testing.T) {
	f := newFixture(t)
	sse, msg := f.srv.SSE()
	mux := http.NewServeMux()
	mux.Handle("GET /sse", sse)
	mux.Handle("POST /message", msg)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)

	c, err := client.NewSSEMCPClient(ts.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	initialize(t, c)
	res := callTool(t, c, "echo", map[string]any{"text": "s"})
	if res.IsError || !strings.Contains(resultText(t, res), `"echo":"s"`) {
		t.Errorf("echo over SSE = %+v", res)
	}
	res = callTool(t, c, "fail", map[string]any{"mode": "validation"})
	if !res.IsError || !strings.HasPrefix(resultText(t, res), "VALIDATION_ERROR: ") {
		t.Errorf("fail over SSE = %q", resultText(t, res))
	}
	if got := obstest.Counter(t, f.reg, prefix+"_requests_total", map[string]string{"operation": "echo", "outcome": "success"}); got != 1 {
		t.Errorf("requests_total{echo,success} = %v, want 1", got)
	}
}
