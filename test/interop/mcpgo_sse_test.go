//go:build interop

package interop_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// TestMCPGoSSE drives both servers' legacy HTTP+SSE transport (GET /sse,
// POST /message) with mcp-go's own SSE client: initialize at the SDK's
// newest version, tools/list, one successful call with structured content
// and one NOT_FOUND tool error.
func TestMCPGoSSE(t *testing.T) {
	for _, name := range []string{codebase, workflow} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := migrations.Codebase()
			if name == workflow {
				fsys = migrations.Workflow()
			}
			srv := startServer(t, name, dbtest.New(t, fsys))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := mcpclient.NewSSEMCPClient(srv.url+"/sse", transport.WithHeaders(map[string]string{"Authorization": "Bearer " + token}))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Start(ctx); err != nil {
				t.Fatalf("open the SSE stream: %v", err)
			}
			start := time.Now()
			init, err := c.Initialize(ctx, mcpgo.InitializeRequest{Params: mcpgo.InitializeParams{
				ProtocolVersion: mcpgo.LATEST_PROTOCOL_VERSION,
				ClientInfo:      mcpgo.Implementation{Name: "interop-mcp-go-sse", Version: "1"},
			}})
			if err != nil {
				t.Fatalf("initialize: %v", err)
			}
			t.Logf("initialize over SSE %s, protocol %s", time.Since(start).Round(time.Millisecond), init.ProtocolVersion)
			if init.ServerInfo.Name != name || init.Capabilities.Tools == nil {
				t.Errorf("initialize result %+v, want server %s with tools", init, name)
			}
			if !slices.Contains(mcpgo.ValidProtocolVersions, init.ProtocolVersion) {
				t.Errorf("negotiated %q, not a version mcp-go knows (%v)", init.ProtocolVersion, mcpgo.ValidProtocolVersions)
			}
			tools, err := c.ListTools(ctx, mcpgo.ListToolsRequest{})
			if err != nil {
				t.Fatalf("tools/list: %v", err)
			}
			var got []string
			for _, tl := range tools.Tools {
				got = append(got, tl.Name)
				if tl.OutputSchema.Type != "object" || tl.InputSchema.Type != "object" {
					t.Errorf("%s: input/output schema types %q/%q, want object", tl.Name, tl.InputSchema.Type, tl.OutputSchema.Type)
				}
				if tl.Annotations.DestructiveHint == nil || tl.Annotations.OpenWorldHint == nil ||
					tl.Annotations.ReadOnlyHint == nil || tl.Annotations.IdempotentHint == nil {
					t.Errorf("%s: annotations %+v, want all four hints set", tl.Name, tl.Annotations)
				}
			}
			slices.Sort(got)
			if want := readmeTools(t, name); !slices.Equal(got, want) {
				t.Errorf("tools/list = %v, README.md lists %v", got, want)
			}

			okCall, okArgs, wantKey := "start_indexing_background", map[string]any{"repo_path": writeRepo(t), "project_id": "sse"}, "job_id"
			badCall, badArgs := "get_indexing_status", map[string]any{"job_id": "00000000-0000-0000-0000-000000000000"}
			if name == workflow {
				okCall, okArgs, wantKey = "create_project", map[string]any{"name": "over sse"}, "id"
				badCall = "get_work_item"
			}
			res, err := c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: okCall, Arguments: okArgs}})
			if err != nil || res.IsError {
				t.Fatalf("%s: err %v, result %+v", okCall, err, res)
			}
			sc, _ := res.StructuredContent.(map[string]any)
			if _, ok := sc[wantKey]; !ok {
				t.Errorf("%s: structuredContent %v lacks %s", okCall, res.StructuredContent, wantKey)
			}
			if name == workflow {
				badArgs = map[string]any{"work_item_id": "00000000-0000-0000-0000-000000000000", "project_id": sc["id"]}
			}
			res, err = c.CallTool(ctx, mcpgo.CallToolRequest{Params: mcpgo.CallToolParams{Name: badCall, Arguments: badArgs}})
			if err != nil {
				t.Fatalf("%s with an unknown id: protocol error %v, want a tool error result", badCall, err)
			}
			txt := ""
			if len(res.Content) > 0 {
				if tc, ok := mcpgo.AsTextContent(res.Content[0]); ok {
					txt = tc.Text
				}
			}
			if !res.IsError || !strings.HasPrefix(txt, "NOT_FOUND: ") {
				t.Errorf("%s with an unknown id: isError %v, text %q; want NOT_FOUND: ...", badCall, res.IsError, txt)
			}
		})
	}
}
