//go:build interop

package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// token is the bearer token the HTTP servers run with.
const token = "interop-test-token-0123456789abcdef"

// plan is what client.mjs does (see its header comment).
type plan struct {
	Transport string            `json:"transport"`
	URL       string            `json:"url,omitempty"`
	Token     string            `json:"token,omitempty"`
	Command   string            `json:"command,omitempty"`
	Args      []string          `json:"args,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Calls     []call            `json:"calls,omitempty"`
	Versions  []string          `json:"versions,omitempty"`
}

// call is a tool call the client makes when the server lists the tool.
// Expect holds fields its structured content must have; ExpectError, the
// error code a tool error result must start its text with (both checked
// here, ignored by the client).
type call struct {
	Name        string         `json:"name"`
	Arguments   map[string]any `json:"arguments"`
	Until       *until         `json:"until,omitempty"`
	Expect      map[string]any `json:"expect,omitempty"`
	ExpectError string         `json:"expectError,omitempty"`
	// Check inspects the structured content further (not sent).
	Check func(sc map[string]any) error `json:"-"`
}

// until makes the client repeat a call until structuredContent[Field] is
// one of Values (or TimeoutMs passes).
type until struct {
	Field     string   `json:"field"`
	Values    []string `json:"values"`
	TimeoutMs int      `json:"timeoutMs"`
}

// listLen checks that structured content field key is a list of n or more items.
func listLen(key string, n int) func(map[string]any) error {
	return func(sc map[string]any) error {
		l, _ := sc[key].([]any)
		if len(l) < n {
			return fmt.Errorf("%s has %d items, want at least %d: %v", key, len(l), n, sc)
		}
		return nil
	}
}

// report is what client.mjs saw.
type report struct {
	SDKVersion            string   `json:"sdkVersion"`
	SDKLatestProtocol     string   `json:"sdkLatestProtocolVersion"`
	SDKSupportedProtocols []string `json:"sdkSupportedProtocolVersions"`
	Fatal                 string   `json:"fatal"`
	ConnectError          string   `json:"connectError"`
	ConnectErrorCode      *int     `json:"connectErrorCode"`
	ConnectMs             float64  `json:"connectMs"`
	Server                struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"server"`
	Capabilities map[string]any `json:"capabilities"`
	Instructions string         `json:"instructions"`
	Negotiated   *string        `json:"negotiated"`
	SessionID    *string        `json:"sessionId"`
	Ping         map[string]any `json:"ping"`
	PingError    string         `json:"pingError"`
	Tools        []tool         `json:"tools"`
	Calls        []struct {
		Name              string         `json:"name"`
		Listed            bool           `json:"listed"`
		IsError           bool           `json:"isError"`
		StructuredContent map[string]any `json:"structuredContent"`
		Content           []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		Error string `json:"error"`
	} `json:"calls"`
	Negotiation []struct {
		Requested  string `json:"requested"`
		Negotiated string `json:"negotiated"`
		ToolCount  int    `json:"toolCount"`
		Error      string `json:"error"`
	} `json:"negotiation"`
	ServerStderr string `json:"serverStderr"`
}

type tool struct {
	Name         string         `json:"name"`
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	InputSchema  map[string]any `json:"inputSchema"`
	OutputSchema map[string]any `json:"outputSchema"`
	Annotations  map[string]any `json:"annotations"`
}

// runClient runs client.mjs with p and decodes its report.
func runClient(t *testing.T, p plan) report {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", clientPath, string(b))
	cmd.Dir = jsDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node client.mjs (%s): %v\nstderr:\n%s", p.Transport, err, stderr.String())
	}
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("client.mjs printed no report: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("%s: SDK %s, node run %.0f ms, connect+initialize %.0f ms", p.Transport, r.SDKVersion, float64(time.Since(start).Microseconds())/1000, r.ConnectMs)
	if r.Fatal != "" {
		t.Fatalf("client.mjs failed: %s\nserver stderr:\n%s", r.Fatal, r.ServerStderr)
	}
	return r
}

// readmeTools returns the tool names README.md's generated table lists for a server.
func readmeTools(t *testing.T, server string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- tools:"+server+" -->")
	section, _, ok2 := strings.Cut(rest, "<!-- /tools:"+server+" -->")
	if !ok || !ok2 {
		t.Fatalf("README.md has no generated tools section for %s", server)
	}
	var names []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// server is a running `serve`.
type server struct {
	name, db, url string
}

// startServer runs name serve with the token and args on a free port over
// db and waits until /health answers.
func startServer(t *testing.T, name, db string, args ...string) server {
	t.Helper()
	port := strconv.Itoa(dbtest.FreePort(t))
	cmd := exec.Command(filepath.Join(binDir, name), append([]string{"serve", "--port", port, "--database-url", db, "--auth-token", token}, args...)...)
	cmd.Env = serverEnv()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // it may have exited
		cmd.Wait()         //nolint:errcheck // killed
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return server{name: name, db: db, url: base}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within 20 s: %v\n%s", name, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverEnv is the environment without anything the servers read.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOST" || k == "PORT" || k == "DATABASE_URL" || k == "MCP_AUTH_TOKEN" ||
			strings.HasPrefix(k, "CODEBASE_MCP_") || strings.HasPrefix(k, "WORKFLOW_MCP_") || strings.HasPrefix(k, "LOG_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// callsFor are the tool calls made on each transport (each only when the
// server lists the tool). codebase-mcp: index a small repository in a
// project of its own, wait for the job, search it, list it, fetch the hit
// by id. workflow-mcp: create a project and a work item, read it back,
// list. Both: a caller-fixable error. tag keeps names unique per run.
func callsFor(name, tag, repo string) []call {
	if name == codebase {
		project := "interop-" + tag
		return []call{
			{Name: "start_indexing_background", Arguments: map[string]any{"repo_path": repo, "project_id": project},
				Expect: map[string]any{"project_id": project}},
			{Name: "get_indexing_status", Arguments: map[string]any{"job_id": "$0.job_id"},
				Until:  &until{Field: "status", Values: []string{"completed", "failed", "cancelled"}, TimeoutMs: 60000},
				Expect: map[string]any{"status": "completed"}},
			{Name: "search_code", Arguments: map[string]any{"query": "parseInteropConfig", "project_id": project},
				Check: listLen("results", 1)},
			{Name: "list_repositories", Arguments: map[string]any{"project_id": project}, Check: listLen("repositories", 1)},
			{Name: "get_chunks", Arguments: map[string]any{"chunk_ids": []any{"$2.results.0.chunk_id"}}, Check: listLen("found", 1)},
			{Name: "get_indexing_status", Arguments: map[string]any{"job_id": "00000000-0000-0000-0000-000000000000"},
				ExpectError: "NOT_FOUND"},
		}
	}
	project := "interop " + tag
	return []call{
		{Name: "create_project", Arguments: map[string]any{"name": project}, Expect: map[string]any{"name": project}},
		{Name: "create_work_item", Arguments: map[string]any{"title": "written by the TypeScript SDK", "project_id": "$0.id"},
			Expect: map[string]any{"title": "written by the TypeScript SDK"}},
		{Name: "get_work_item", Arguments: map[string]any{"work_item_id": "$1.id", "project_id": "$0.id"},
			Expect: map[string]any{"title": "written by the TypeScript SDK"}},
		{Name: "list_projects", Arguments: map[string]any{}, Check: listLen("projects", 1)},
		// A caller-fixable error must reach the SDK's caller as a tool
		// error it can read, not as a protocol failure.
		{Name: "get_work_item", Arguments: map[string]any{"work_item_id": "00000000-0000-0000-0000-000000000000", "project_id": "$0.id"},
			ExpectError: "NOT_FOUND"},
	}
}

// writeRepo makes a small Go repository for codebase-mcp to index.
func writeRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := `package config

// parseInteropConfig reads the interoperability test's settings from text.
func parseInteropConfig(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
`
	if err := os.WriteFile(filepath.Join(dir, "config.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// versions are the protocol versions that must negotiate (issue 10 names
// 2025-06-18 and 2025-11-25; the older two are what the SDK still offers).
// The SDK's newest is added from its report when it is not among them.
var versions = []string{"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}

func TestTypeScriptSDK(t *testing.T) {
	t.Logf("npm ci (or reuse of the cached install): %s", npmSetup.Round(time.Millisecond))
	repo := writeRepo(t)
	for _, name := range []string{codebase, workflow} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := migrations.Codebase()
			if name == workflow {
				fsys = migrations.Workflow()
			}
			db := dbtest.New(t, fsys)
			srv := startServer(t, name, db)
			stateless := startServer(t, name, db, "--stateless")
			want := readmeTools(t, name)
			plans := map[string]plan{
				"streamable-http":           {Transport: "http", URL: srv.url + "/mcp", Token: token},
				"streamable-http-stateless": {Transport: "http", URL: stateless.url + "/mcp", Token: token},
				"sse":                       {Transport: "sse", URL: srv.url + "/sse", Token: token},
				"stdio": {Transport: "stdio", Command: filepath.Join(binDir, name),
					Args: []string{"stdio", "--database-url", db},
					Env:  map[string]string{"PATH": os.Getenv("PATH"), "LOG_LEVEL": "info"}},
			}
			for _, tr := range []string{"streamable-http", "streamable-http-stateless", "sse", "stdio"} {
				t.Run(tr, func(t *testing.T) {
					p := plans[tr]
					p.Calls = callsFor(name, tr, repo)
					p.Versions = versions
					r := runClient(t, p)
					// Add the SDK's newest version when it is not one of ours.
					if !slices.Contains(versions, r.SDKLatestProtocol) {
						p.Calls = nil
						p.Versions = []string{r.SDKLatestProtocol}
						extra := runClient(t, p)
						r.Negotiation = append(r.Negotiation, extra.Negotiation...)
					}
					checkReport(t, name, tr, r, want, callsFor(name, tr, repo))
				})
			}
			t.Run("streamable-http without token", func(t *testing.T) {
				r := runClient(t, plan{Transport: "http", URL: srv.url + "/mcp"})
				if r.ConnectErrorCode == nil || *r.ConnectErrorCode != http.StatusUnauthorized || !strings.Contains(r.ConnectError, "UNAUTHORIZED") {
					t.Errorf("connect without the bearer token: error %q (code %v), want HTTP 401 UNAUTHORIZED", r.ConnectError, r.ConnectErrorCode)
				}
			})
		})
	}
}

// readOnlyPrefixes and destructivePrefixes are the naming rules the tool
// snapshots enforce; the SDK must see the same hints.
var (
	readOnlyPrefixes    = []string{"get_", "list_", "search_", "query_"}
	destructivePrefixes = []string{"delete_", "cancel_"}
)

func hasPrefix(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}

func checkReport(t *testing.T, name, transport string, r report, wantTools []string, calls []call) {
	t.Helper()
	if r.ConnectError != "" {
		t.Fatalf("the SDK client could not connect: %s\nserver stderr:\n%s", r.ConnectError, r.ServerStderr)
	}
	if r.Server.Name != name || r.Server.Version == "" {
		t.Errorf("serverInfo = %+v, want name %s and a version", r.Server, name)
	}
	if _, ok := r.Capabilities["tools"]; !ok {
		t.Errorf("capabilities %v do not announce tools", r.Capabilities)
	}
	if r.Instructions == "" {
		t.Error("no instructions in the initialize result")
	}
	if r.PingError != "" || r.Ping == nil {
		t.Errorf("ping: %q", r.PingError)
	}
	// Client.connect offers the SDK's newest version; the server must accept it.
	if strings.HasPrefix(transport, "streamable-http") {
		if r.Negotiated == nil || *r.Negotiated != r.SDKLatestProtocol {
			t.Errorf("negotiated %v, want the SDK's newest %s", r.Negotiated, r.SDKLatestProtocol)
		}
		stateful := transport == "streamable-http"
		if hasSession := r.SessionID != nil && *r.SessionID != ""; hasSession != stateful {
			t.Errorf("Mcp-Session-Id %v from a server with --stateless=%v", r.SessionID, !stateful)
		}
	}
	for _, n := range r.Negotiation {
		if n.Error != "" || n.Negotiated != n.Requested || n.ToolCount != len(r.Tools) {
			t.Errorf("protocol %s: negotiated %q, %d tools, error %q; want %s, %d tools", n.Requested, n.Negotiated, n.ToolCount, n.Error, n.Requested, len(r.Tools))
		}
	}
	if len(r.Negotiation) < len(versions) {
		t.Errorf("negotiated %d versions, want at least %d", len(r.Negotiation), len(versions))
	}

	var got []string
	for _, tl := range r.Tools {
		got = append(got, tl.Name)
		if tl.Description == "" {
			t.Errorf("%s: no description", tl.Name)
		}
		if tl.Title == "" && tl.Annotations["title"] == nil {
			t.Errorf("%s: no title", tl.Name)
		}
		if tl.InputSchema["type"] != "object" {
			t.Errorf("%s: inputSchema type %v, want object", tl.Name, tl.InputSchema["type"])
		}
		if tl.OutputSchema["type"] != "object" {
			t.Errorf("%s: outputSchema %v, want an object schema (structured content)", tl.Name, tl.OutputSchema)
		}
		for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := tl.Annotations[hint].(bool); !ok {
				t.Errorf("%s: annotation %s = %v, want it set explicitly", tl.Name, hint, tl.Annotations[hint])
			}
		}
		if hasPrefix(tl.Name, readOnlyPrefixes) && tl.Annotations["readOnlyHint"] != true {
			t.Errorf("%s: readOnlyHint %v, want true", tl.Name, tl.Annotations["readOnlyHint"])
		}
		if hasPrefix(tl.Name, destructivePrefixes) && tl.Annotations["destructiveHint"] != true {
			t.Errorf("%s: destructiveHint %v, want true", tl.Name, tl.Annotations["destructiveHint"])
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, wantTools) {
		t.Errorf("tools/list = %v, README.md lists %v", got, wantTools)
	}

	if len(r.Calls) != len(calls) {
		t.Fatalf("the client made %d calls, want %d", len(r.Calls), len(calls))
	}
	for i, c := range r.Calls {
		if !c.Listed {
			t.Logf("%s is not served yet: not called", c.Name)
			continue
		}
		if want := calls[i].ExpectError; want != "" {
			text := ""
			if len(c.Content) > 0 {
				text = c.Content[0].Text
			}
			if c.Error != "" || !c.IsError || !strings.HasPrefix(text, want) {
				t.Errorf("%s with bad input: the SDK's callTool gave error %q, isError %v, text %q; want a tool result with isError and text %s: ...",
					c.Name, c.Error, c.IsError, text, want)
			}
			continue
		}
		if c.Error != "" || c.IsError {
			t.Errorf("%s: error %q, isError %v, structured %v", c.Name, c.Error, c.IsError, c.StructuredContent)
			continue
		}
		if c.StructuredContent == nil {
			t.Errorf("%s: no structuredContent", c.Name)
		}
		for k, v := range calls[i].Expect {
			if c.StructuredContent[k] != v {
				t.Errorf("%s: structuredContent.%s = %v, want %v (%v)", c.Name, k, c.StructuredContent[k], v, c.StructuredContent)
			}
		}
		if calls[i].Check != nil {
			if err := calls[i].Check(c.StructuredContent); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
		}
	}
}
