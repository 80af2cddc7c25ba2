//go:build interop

package interop_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// requiredVersions are the protocol versions issue 10 names; the Go SDK's
// newest (mcp.SupportedProtocolVersions()[0]) and every older one it still
// offers are tried as well.
var requiredVersions = []string{"2025-06-18", "2025-11-25"}

// goSDKVersions are the versions the Go SDK client is asked to speak:
// all it supports, newest first, which must include requiredVersions.
func goSDKVersions(t *testing.T) []string {
	t.Helper()
	vs := mcp.SupportedProtocolVersions()
	for _, v := range requiredVersions {
		if !slices.Contains(vs, v) {
			t.Fatalf("the Go SDK does not offer protocol %s (it offers %v)", v, vs)
		}
	}
	return vs
}

// bearer adds the servers' token to every request of the Go SDK client.
type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return b.next.RoundTrip(r)
}

// TestGoSDK drives both servers with the official Go SDK client
// (github.com/modelcontextprotocol/go-sdk) over Streamable HTTP and stdio,
// once per protocol version the SDK offers: initialize (the newest
// through the SDK's server/discover probe), ping, tools/list with schemas
// and annotations, the tool calls of goSDKScenario with their structured
// content, and a NOT_FOUND tool error.
func TestGoSDK(t *testing.T) {
	repo := writeRepo(t)
	versions := goSDKVersions(t)
	t.Logf("Go SDK protocol versions: %v", versions)
	for _, name := range []string{codebase, workflow} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := migrations.Codebase()
			if name == workflow {
				fsys = migrations.Workflow()
			}
			db := dbtest.New(t, fsys)
			srv := startServer(t, name, db)
			want := readmeTools(t, name)
			transports := map[string]func() mcp.Transport{
				"streamable-http": func() mcp.Transport {
					return &mcp.StreamableClientTransport{Endpoint: srv.url + "/mcp", MaxRetries: -1,
						HTTPClient: &http.Client{Transport: bearer{http.DefaultTransport}}}
				},
				"stdio": func() mcp.Transport {
					cmd := exec.Command(filepath.Join(binDir, name), "stdio", "--database-url", db)
					cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LOG_LEVEL=warning"}
					return &mcp.CommandTransport{Command: cmd}
				},
			}
			for _, tr := range []string{"streamable-http", "stdio"} {
				for _, v := range versions {
					t.Run(tr+"/"+v, func(t *testing.T) {
						ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
						defer cancel()
						client := mcp.NewClient(&mcp.Implementation{Name: "interop-go-sdk", Version: "1"}, nil)
						start := time.Now()
						cs, err := client.Connect(ctx, transports[tr](), &mcp.ClientSessionOptions{ProtocolVersion: v})
						if err != nil {
							t.Fatalf("connect asking for %s: %v", v, err)
						}
						defer cs.Close()
						t.Logf("connect+initialize %s", time.Since(start).Round(time.Millisecond))
						checkGoInit(t, name, v, cs.InitializeResult())
						// The SDK's Ping sends no _meta protocol version, which
						// 2026-07-28 requires of every request over HTTP (mcp-go
						// answers 400), so ping is checked on the older versions.
						if v < "2026-07-28" {
							if err := cs.Ping(ctx, nil); err != nil {
								t.Errorf("ping: %v", err)
							}
						}
						checkGoTools(t, ctx, cs, want)
						tag := strings.ReplaceAll(tr+"-"+v, "-", "")
						for _, step := range goSDKScenario(name, tag, repo) {
							if !t.Run(step.name, func(t *testing.T) { step.run(t, ctx, cs) }) {
								break
							}
						}
					})
				}
			}
		})
	}
}

func checkGoInit(t *testing.T, name, version string, r *mcp.InitializeResult) {
	t.Helper()
	if r == nil {
		t.Fatal("no initialize (or discover) result")
	}
	if r.ProtocolVersion != version {
		t.Errorf("asked for protocol %s, the server answered %s", version, r.ProtocolVersion)
	}
	if r.ServerInfo == nil || r.ServerInfo.Name != name || r.ServerInfo.Version == "" {
		t.Errorf("serverInfo = %+v, want name %s and a version", r.ServerInfo, name)
	}
	if r.Capabilities == nil || r.Capabilities.Tools == nil {
		t.Errorf("capabilities %+v do not announce tools", r.Capabilities)
	}
	if r.Instructions == "" {
		t.Error("no instructions")
	}
}

func checkGoTools(t *testing.T, ctx context.Context, cs *mcp.ClientSession, want []string) {
	t.Helper()
	var got []string
	for tl, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		got = append(got, tl.Name)
		if tl.Description == "" {
			t.Errorf("%s: no description", tl.Name)
		}
		if tl.Title == "" && (tl.Annotations == nil || tl.Annotations.Title == "") {
			t.Errorf("%s: no title", tl.Name)
		}
		for kind, s := range map[string]any{"inputSchema": tl.InputSchema, "outputSchema": tl.OutputSchema} {
			m, _ := s.(map[string]any)
			if m["type"] != "object" {
				t.Errorf("%s: %s = %v, want an object schema", tl.Name, kind, s)
			}
		}
		a := tl.Annotations
		if a == nil || a.DestructiveHint == nil || a.OpenWorldHint == nil {
			t.Errorf("%s: annotations %+v, want destructiveHint and openWorldHint set explicitly", tl.Name, a)
			continue
		}
		if hasPrefix(tl.Name, readOnlyPrefixes) && !a.ReadOnlyHint {
			t.Errorf("%s: readOnlyHint false, want true", tl.Name)
		}
		if hasPrefix(tl.Name, destructivePrefixes) && !*a.DestructiveHint {
			t.Errorf("%s: destructiveHint false, want true", tl.Name)
		}
		if a.ReadOnlyHint && *a.DestructiveHint {
			t.Errorf("%s: both readOnlyHint and destructiveHint", tl.Name)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("tools/list = %v, README.md lists %v", got, want)
	}
}

// goStep is one tool call of the scenario; steps share state through the
// scenario's closure.
type goStep struct {
	name string
	run  func(t *testing.T, ctx context.Context, cs *mcp.ClientSession)
}

// goSDKScenario: codebase-mcp indexes the small repository into a
// project of its own, waits for the job, searches it and fetches the hit;
// workflow-mcp creates a project and a work item and reads it back. Both
// end with a caller-fixable error.
func goSDKScenario(name, tag, repo string) []goStep {
	if name == codebase {
		project := "gosdk-" + tag
		var jobID, chunkID string
		return []goStep{
			{"start_indexing_background", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
				sc := callOK(t, ctx, cs, "start_indexing_background", map[string]any{"repo_path": repo, "project_id": project})
				jobID, _ = sc["job_id"].(string)
				if jobID == "" || sc["project_id"] != project {
					t.Fatalf("structured content %v, want a job_id and project_id %s", sc, project)
				}
			}},
			{"get_indexing_status", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
				deadline := time.Now().Add(60 * time.Second)
				for {
					sc := callOK(t, ctx, cs, "get_indexing_status", map[string]any{"job_id": jobID})
					switch sc["status"] {
					case "completed":
						return
					case "failed", "cancelled":
						t.Fatalf("index job ended %v: %v", sc["status"], sc)
					}
					if time.Now().After(deadline) {
						t.Fatalf("index job not done within 60 s: %v", sc)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}},
			{"search_code", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
				sc := callOK(t, ctx, cs, "search_code", map[string]any{"query": "parseInteropConfig", "project_id": project})
				results, _ := sc["results"].([]any)
				if len(results) == 0 {
					t.Fatalf("no results: %v", sc)
				}
				first, _ := results[0].(map[string]any)
				chunkID, _ = first["chunk_id"].(string)
				if first["file_path"] != "config.go" || chunkID == "" || !strings.Contains(fmt.Sprint(first["content"]), "func parseInteropConfig") {
					t.Errorf("first result %v, want config.go's parseInteropConfig with a chunk_id", first)
				}
			}},
			{"get_chunks", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
				sc := callOK(t, ctx, cs, "get_chunks", map[string]any{"chunk_ids": []string{chunkID}})
				found, _ := sc["found"].([]any)
				if len(found) != 1 {
					t.Errorf("found %v, want the one chunk %s", sc["found"], chunkID)
				}
			}},
			{"unknown job", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
				callNotFound(t, ctx, cs, "get_indexing_status", map[string]any{"job_id": "00000000-0000-0000-0000-000000000000"})
			}},
		}
	}
	var projectID, itemID string
	const title = "written by the Go SDK"
	return []goStep{
		{"create_project", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
			sc := callOK(t, ctx, cs, "create_project", map[string]any{"name": "gosdk " + tag})
			projectID, _ = sc["id"].(string)
			if projectID == "" || sc["name"] != "gosdk "+tag {
				t.Fatalf("structured content %v, want an id and the name", sc)
			}
		}},
		{"create_work_item", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
			sc := callOK(t, ctx, cs, "create_work_item", map[string]any{"title": title, "project_id": projectID})
			itemID, _ = sc["id"].(string)
			if itemID == "" || sc["title"] != title || sc["version"] != float64(1) {
				t.Fatalf("structured content %v, want an id, the title and version 1", sc)
			}
		}},
		{"get_work_item", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
			sc := callOK(t, ctx, cs, "get_work_item", map[string]any{"work_item_id": itemID, "project_id": projectID})
			if sc["id"] != itemID || sc["title"] != title {
				t.Errorf("structured content %v, want id %s and title %q", sc, itemID, title)
			}
		}},
		{"unknown work item", func(t *testing.T, ctx context.Context, cs *mcp.ClientSession) {
			callNotFound(t, ctx, cs, "get_work_item", map[string]any{"work_item_id": "00000000-0000-0000-0000-000000000000", "project_id": projectID})
		}},
	}
}

// callOK calls a tool that must succeed and returns its structured
// content. The text content is either that content's JSON or, for tools
// with a rendering for the model (search_code), a non-empty text.
func callOK(t *testing.T, ctx context.Context, cs *mcp.ClientSession, name string, args map[string]any) map[string]any {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s: tool error %s", name, text(res))
	}
	sc, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("%s: structuredContent %T %v, want an object", name, res.StructuredContent, res.StructuredContent)
	}
	var fromText map[string]any
	switch txt := text(res); {
	case txt == "":
		t.Errorf("%s: no text content beside the structured content", name)
	case json.Unmarshal([]byte(txt), &fromText) == nil:
		if a, b := mustJSON(t, fromText), mustJSON(t, sc); a != b {
			t.Errorf("%s: text content %s differs from structured content %s", name, a, b)
		}
	}
	return sc
}

// callNotFound calls a tool with an unknown id: the SDK must hand back a
// tool result with isError and the text "NOT_FOUND: ...", not a protocol error.
func callNotFound(t *testing.T, ctx context.Context, cs *mcp.ClientSession, name string, args map[string]any) {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s with an unknown id: protocol error %v, want a tool result with isError", name, err)
	}
	if !res.IsError || !strings.HasPrefix(text(res), "NOT_FOUND: ") {
		t.Errorf("%s with an unknown id: isError %v, text %q; want isError and NOT_FOUND: ...", name, res.IsError, text(res))
	}
}

func text(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
