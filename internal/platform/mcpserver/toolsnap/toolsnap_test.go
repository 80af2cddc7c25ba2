package toolsnap_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// recorder is a testing.TB that collects failures instead of failing the
// real test, so the failure paths of Check can be asserted.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, a ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(f, a...))
}
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); runtime.Goexit() }
func (r *recorder) Fatal(a ...any)            { r.Errorf("%s", fmt.Sprint(a...)); runtime.Goexit() }

// run calls f with a recorder and returns what failed.
func run(f func(tb testing.TB)) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r.errs
}

type in struct {
	Query string `json:"query" jsonschema:"what to look for"`
}
type out struct {
	Hits int `json:"hits"`
}

func def(desc string) tool.Tool {
	return tool.Def[in, out]{
		Name: "search_code", Title: "Search code", Description: desc,
		Annotations: tool.Annotations{ReadOnly: true, Idempotent: true},
		Route:       &tool.Route{Method: "POST", Path: "/mcp/search"},
		Handle:      func(context.Context, in) (out, error) { return out{}, nil },
	}
}

func TestCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "toolsnaps")
	tools := []tool.Tool{def("Find code by meaning.")}

	if errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, tools) }); len(errs) != 1 || !strings.Contains(errs[0], "has no snapshot") {
		t.Fatalf("missing snapshot: errors %q", errs)
	}
	t.Setenv("UPDATE_TOOLSNAPS", "1")
	if errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, tools) }); len(errs) != 0 {
		t.Fatalf("update: %q", errs)
	}
	snap, err := os.ReadFile(filepath.Join(dir, "search_code.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"readOnlyHint": true`, `"destructiveHint": false`, `"what to look for"`, `"outputSchema"`} {
		if !strings.Contains(string(snap), want) {
			t.Errorf("snapshot lacks %s:\n%s", want, snap)
		}
	}
	t.Setenv("UPDATE_TOOLSNAPS", "")
	if errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, tools) }); len(errs) != 0 {
		t.Fatalf("unchanged tool: %q", errs)
	}
	changed := []tool.Tool{def("Find code by meaning or symbol.")}
	if errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, changed) }); len(errs) != 1 || !strings.Contains(errs[0], "no longer matches") {
		t.Fatalf("changed tool: errors %q", errs)
	}
	if errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, nil) }); len(errs) != 1 || !strings.Contains(errs[0], "belongs to no tool") {
		t.Fatalf("removed tool: errors %q", errs)
	}
}

func TestCheckSection(t *testing.T) {
	readme := filepath.Join(t.TempDir(), "README.md")
	stale := "# x\n<!-- tools:codebase-mcp -->\nold\n<!-- /tools:codebase-mcp -->\ntail\n"
	if err := os.WriteFile(readme, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	tools := []tool.Tool{def("Find code | by meaning.")}
	if errs := run(func(tb testing.TB) {
		toolsnap.CheckSection(tb, readme, "tools:codebase-mcp", mcpserver.ToolsMarkdown(tools))
	}); len(errs) != 1 || !strings.Contains(errs[0], "out of date") {
		t.Fatalf("stale README: errors %q", errs)
	}
	t.Setenv("UPDATE_TOOLSNAPS", "1")
	if errs := run(func(tb testing.TB) {
		toolsnap.CheckSection(tb, readme, "tools:codebase-mcp", mcpserver.ToolsMarkdown(tools))
	}); len(errs) != 0 {
		t.Fatalf("update: %q", errs)
	}
	b, _ := os.ReadFile(readme)
	for _, want := range []string{"| `search_code` | **Search code.** Find code \\| by meaning. | read-only, idempotent | `POST /mcp/search` |", "tail\n", "# x\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("README lacks %q:\n%s", want, b)
		}
	}
	t.Setenv("UPDATE_TOOLSNAPS", "")
	if errs := run(func(tb testing.TB) {
		toolsnap.CheckSection(tb, readme, "tools:codebase-mcp", mcpserver.ToolsMarkdown(tools))
	}); len(errs) != 0 {
		t.Fatalf("current README: %q", errs)
	}
	if errs := run(func(tb testing.TB) {
		toolsnap.CheckSection(tb, readme, "tools:workflow-mcp", mcpserver.ToolsMarkdown(tools))
	}); len(errs) != 1 || !strings.Contains(errs[0], "section") {
		t.Fatalf("missing section: errors %q", errs)
	}
}

// A tool whose hints contradict its name fails the snapshot test, so no
// api package can ship a delete_ tool without destructiveHint.
func TestCheck_Annotations(t *testing.T) {
	dir := t.TempDir()
	bad := tool.Def[in, out]{Name: "delete_thing", Description: "Deletes a thing.", Annotations: tool.Annotations{Idempotent: true},
		Handle: func(context.Context, in) (out, error) { return out{}, nil }}
	t.Setenv("UPDATE_TOOLSNAPS", "1")
	errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, []tool.Tool{bad}) })
	if len(errs) != 1 || !strings.Contains(errs[0], "destructiveHint") {
		t.Fatalf("errors = %q, want one about destructiveHint", errs)
	}
	restOnly := tool.Def[in, out]{Name: "rest_only", Description: "REST only.", RESTOnly: true, Route: &tool.Route{Method: "GET", Path: "/mcp/x"}}
	if errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, []tool.Tool{restOnly}) }); len(errs) != 0 {
		t.Fatalf("REST-only definitions have no MCP snapshot; errors = %q", errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "rest_only.json")); err == nil {
		t.Error("a snapshot was written for a REST-only operation")
	}
}

func TestCheck_DescriptionLength(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("UPDATE_TOOLSNAPS", "1")
	long := def(strings.Repeat("x", toolsnap.MaxDescription))
	errs := run(func(tb testing.TB) { toolsnap.Check(tb, dir, []tool.Tool{long}) })
	if len(errs) != 1 || !strings.Contains(errs[0], "description has 300 characters") {
		t.Fatalf("errors = %q, want one about the description length", errs)
	}
}
