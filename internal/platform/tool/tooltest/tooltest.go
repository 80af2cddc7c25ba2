// Package tooltest checks that the two transports of an operation agree:
// [Parity] sends one table of inputs through the REST route and through
// the MCP tool of the same tool.Def and fails when their outcomes or
// error codes differ. Domain api packages run it over their real tools.
package tooltest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// Case is one input sent through both transports.
type Case struct {
	Name string
	// Tool is the operation's name; its first route serves the REST side.
	Tool string
	// Args is the JSON object of arguments. For REST, {name} path segments
	// are taken from it, GET and DELETE send the rest as the query string,
	// other methods as the JSON body.
	Args string
	// WantCode is the expected error code, "" for success.
	WantCode string
}

// Outcome is what one transport answered: the error code ("" on success)
// and the result or error document.
type Outcome struct {
	Code string
	Body map[string]any
}

var wildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Parity serves tools over HTTP (REST routes and Streamable HTTP MCP) and
// runs every case through both; each case passes when REST and MCP give
// the same code and that code is WantCode.
func Parity(t *testing.T, tools []tool.Tool, cases []Case) {
	t.Helper()
	rest, mcpc := Serve(t, tools)
	byName := map[string]tool.Tool{}
	for _, tl := range tools {
		byName[tl.Meta().Name] = tl
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			tl, ok := byName[tc.Tool]
			if !ok {
				t.Fatalf("no tool %q", tc.Tool)
			}
			r := CallREST(t, rest, tl.Meta().Routes[0], tc.Args)
			m := CallMCP(t, mcpc, tc.Tool, tc.Args)
			if r.Code != m.Code {
				t.Errorf("REST answered %q, MCP %q: the transports disagree\nREST: %v\nMCP:  %v", r.Code, m.Code, r.Body, m.Body)
			}
			if r.Code != tc.WantCode {
				t.Errorf("code = %q, want %q\nREST: %v", r.Code, tc.WantCode, r.Body)
			}
		})
	}
}

// Serve starts the HTTP server with the tools' REST routes and MCP over
// Streamable HTTP, and returns its base URL and an initialized MCP client.
func Serve(t testing.TB, tools []tool.Tool) (string, *client.Client) {
	t.Helper()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	metrics := obs.NewRequestMetrics(reg, "tooltest")
	ms, err := mcpserver.New(mcpserver.Config{Name: "tooltest", Version: "test"}, log, metrics, tools)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := httpserver.New(httpserver.Config{}, httpserver.Deps{
		Logger: log, Metrics: metrics, Gatherer: reg,
		Health: func(context.Context) httpserver.HealthReport { return httpserver.HealthReport{Status: "healthy"} },
		MCP:    ms.StreamableHTTP(), Tools: tools,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(hs.Handler())
	t.Cleanup(ts.Close)
	c, err := client.NewStreamableHttpClient(ts.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "tooltest", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return ts.URL, c
}

// CallREST sends args to route on the server at base.
func CallREST(t testing.TB, base string, route tool.Route, args string) Outcome {
	t.Helper()
	obj := map[string]any{}
	if strings.TrimSpace(args) != "" {
		if err := json.Unmarshal([]byte(args), &obj); err != nil {
			t.Fatalf("case args %q: %v", args, err)
		}
	}
	path := wildcard.ReplaceAllStringFunc(route.Path, func(m string) string {
		name := m[1 : len(m)-1]
		v := fmt.Sprint(obj[name])
		delete(obj, name)
		return url.PathEscape(v)
	})
	var body io.Reader
	if route.Method == http.MethodGet || route.Method == http.MethodDelete {
		q := url.Values{}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				q.Set(k, v)
			default:
				b, _ := json.Marshal(v)
				q.Set(k, string(b))
			}
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
	} else {
		b, _ := json.Marshal(obj)
		body = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(route.Method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := Outcome{Body: map[string]any{}}
	_ = json.NewDecoder(resp.Body).Decode(&out.Body)
	if resp.StatusCode >= 400 {
		out.Code = fmt.Sprint(out.Body["error"])
	}
	return out
}

// CallMCP calls the tool over MCP.
func CallMCP(t testing.TB, c *client.Client, name, args string) Outcome {
	t.Helper()
	var a map[string]any
	if strings.TrimSpace(args) != "" {
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			t.Fatalf("case args %q: %v", args, err)
		}
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = a
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return Outcome{Code: "INTERNAL_ERROR", Body: map[string]any{"protocol_error": err.Error()}}
	}
	body, _ := res.StructuredContent.(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	if res.IsError {
		// An error result is the text "CODE: message [details]".
		var text string
		if len(res.Content) > 0 {
			if tc, ok := mcp.AsTextContent(res.Content[0]); ok {
				text = tc.Text
			}
		}
		code, msg, _ := strings.Cut(text, ": ")
		return Outcome{Code: code, Body: map[string]any{"message": msg}}
	}
	return Outcome{Body: body}
}
