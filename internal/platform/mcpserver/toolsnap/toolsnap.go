// Package toolsnap keeps each MCP tool's published contract (name,
// annotations, input and output schema) in a golden file, so that a change
// to a tool's interface shows up in review instead of surprising clients.
// Tests call [Check]; UPDATE_TOOLSNAPS=1 go test ./... rewrites the files.
// (An environment variable rather than an -update flag, because `go test
// ./... -update` fails in every package that does not define the flag.)
//
// It also checks that the README's generated tool list is current.
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

// Check compares every tool's MCP definition with dir/<name>.json. A
// missing or different file fails the test, unless UPDATE_TOOLSNAPS=1,
// which writes the files. Files for tools that no longer exist fail too.
func Check(tb testing.TB, dir string, tools []tool.Tool) {
	tb.Helper()
	update := os.Getenv("UPDATE_TOOLSNAPS") == "1"
	want := map[string]bool{}
	for _, t := range tools {
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

// CheckReadme checks that the part of the README at readmePath between
// the lines "<!-- tools:NAME -->" and "<!-- /tools:NAME -->" is the
// generated tool list; UPDATE_TOOLSNAPS=1 rewrites it.
func CheckReadme(tb testing.TB, readmePath, name string, tools []tool.Tool) {
	tb.Helper()
	begin, end := "<!-- tools:"+name+" -->\n", "<!-- /tools:"+name+" -->"
	b, err := os.ReadFile(readmePath)
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		tb.Fatalf("%s has no %q ... %q section for the tool list", readmePath, strings.TrimSpace(begin), end)
	}
	got := mcpserver.ToolsMarkdown(tools)
	if s[i+len(begin):j] == got {
		return
	}
	if os.Getenv("UPDATE_TOOLSNAPS") == "1" {
		if err := os.WriteFile(readmePath, []byte(s[:i+len(begin)]+got+s[j:]), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	tb.Errorf("the %s tool list in %s is out of date: run UPDATE_TOOLSNAPS=1 go test ./... \nwant:\n%s", name, readmePath, got)
}
