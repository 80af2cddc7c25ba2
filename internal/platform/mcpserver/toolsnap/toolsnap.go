// Package toolsnap keeps each MCP tool's published contract (name,
// annotations, input and output schema) in a golden file, so that a change
// to a tool's interface shows up in review instead of surprising clients.
// Tests call [Check]; UPDATE_TOOLSNAPS=1 go test ./... rewrites the files.
// (An environment variable rather than an -update flag, because `go test
// ./... -update` fails in every package that does not define the flag.)
//
// It also checks that generated sections of the docs (the README's tool
// list, docs/api.md's routes) are current, and that every tool's hints
// agree with its name (tool.CheckAnnotations).
package toolsnap

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// MaxDescription bounds a tool description (exclusive), so tools/list
// stays affordable for a model's context.
const MaxDescription = 300

// Check compares every tool's MCP definition with dir/<name>.json. A
// missing or different file fails the test, unless UPDATE_TOOLSNAPS=1,
// which writes the files. Files for tools that no longer exist fail too.
func Check(tb testing.TB, dir string, tools []tool.Tool) {
	tb.Helper()
	update := os.Getenv("UPDATE_TOOLSNAPS") == "1"
	want := map[string]bool{}
	for _, t := range tools {
		if t.Meta().RESTOnly {
			continue
		}
		if err := tool.CheckAnnotations(t.Meta()); err != nil {
			tb.Errorf("%v", err)
		}
		// Every tools/list costs the model its descriptions: keep them
		// short and precise, and put the details on the parameters.
		if n := len(t.Meta().Description); n == 0 || n >= MaxDescription {
			tb.Errorf("tool %s: description has %d characters, want 1 to %d", t.Meta().Name, n, MaxDescription-1)
		}
		mt, err := mcpserver.Describe(t)
		if err != nil {
			tb.Fatal(err)
		}
		got, err := json.MarshalIndent(mt, "", "  ")
		if err != nil {
			tb.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join(dir, mt.Name+".json")
		want[filepath.Base(path)] = true
		if update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			tb.Errorf("tool %s has no snapshot %s: run UPDATE_TOOLSNAPS=1 go test ./... and review the new file", mt.Name, path)
			continue
		}
		if !bytes.Equal(old, got) {
			tb.Errorf("tool %s no longer matches %s: if the change is intended, run UPDATE_TOOLSNAPS=1 go test ./... and review the diff\ngot:\n%s", mt.Name, path, got)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !want[e.Name()] {
			if update {
				os.Remove(filepath.Join(dir, e.Name()))
				continue
			}
			tb.Errorf("snapshot %s belongs to no tool: remove it, or run UPDATE_TOOLSNAPS=1 go test ./...", filepath.Join(dir, e.Name()))
		}
	}
}

// CheckSection checks that the part of the document at path between the
// lines "<!-- SECTION -->" and "<!-- /SECTION -->" is content, a text
// generated from the definitions (the README's tool list, docs/api.md's
// route tables); UPDATE_TOOLSNAPS=1 rewrites it.
func CheckSection(tb testing.TB, path, section, content string) {
	tb.Helper()
	begin, end := "<!-- "+section+" -->\n", "<!-- /"+section+" -->"
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		tb.Fatalf("%s has no %q ... %q section", path, strings.TrimSpace(begin), end)
	}
	if s[i+len(begin):j] == content {
		return
	}
	if os.Getenv("UPDATE_TOOLSNAPS") == "1" {
		if err := os.WriteFile(path, []byte(s[:i+len(begin)]+content+s[j:]), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	tb.Errorf("the %s section of %s is out of date: run UPDATE_TOOLSNAPS=1 go test ./... \nwant:\n%s", section, path, content)
}
