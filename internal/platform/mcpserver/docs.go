package mcpserver

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mcp-memory/servers/internal/platform/tool"
)

// ToolsMarkdown renders the tool list of a server as a Markdown table for
// the README: name, title and description, hints, and the REST route.
// The README's copy is checked against it in tests, so the list the README
// shows is always the list the server serves.
func ToolsMarkdown(tools []tool.Tool) string {
	metas := make([]tool.Meta, 0, len(tools))
	for _, t := range tools {
		if !t.Meta().RESTOnly {
			metas = append(metas, t.Meta())
		}
	}
	sort.Slice(metas, func(i, j int) bool { return metas[i].Name < metas[j].Name })
	var b strings.Builder
	b.WriteString("| tool | what it does | hints | REST |\n|---|---|---|---|\n")
	if len(metas) == 0 {
		b.WriteString("| (none yet) | | | |\n")
	}
	for _, m := range metas {
		var hints []string
		if m.Annotations.ReadOnly {
			hints = append(hints, "read-only")
		}
		if m.Annotations.Destructive {
			hints = append(hints, "destructive")
		}
		if m.Annotations.Idempotent {
			hints = append(hints, "idempotent")
		}
		if m.Annotations.OpenWorld {
			hints = append(hints, "open-world")
		}
		var routes []string
		for _, r := range m.Routes {
			routes = append(routes, fmt.Sprintf("`%s %s`", r.Method, r.Path))
		}
		route := strings.Join(routes, ", ")
		desc := m.Description
		if m.Title != "" {
			desc = "**" + m.Title + ".** " + desc
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Name, cell(desc), strings.Join(hints, ", "), route)
	}
	return b.String()
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "|", `\|`), "\n", " ")
}

// RoutesMarkdown renders the REST routes of a server as a Markdown table
// for docs/api.md: method and path, success status, the operation (the
// MCP tool it shares its implementation with) and what it does.
func RoutesMarkdown(tools []tool.Tool) string {
	type row struct {
		route tool.Route
		meta  tool.Meta
	}
	var rows []row
	for _, t := range tools {
		for _, r := range t.Meta().Routes {
			rows = append(rows, row{r, t.Meta()})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].route.Path != rows[j].route.Path {
			return rows[i].route.Path < rows[j].route.Path
		}
		return rows[i].route.Method < rows[j].route.Method
	})
	var b strings.Builder
	b.WriteString("| route | success | operation | what it does |\n|---|---|---|---|\n")
	if len(rows) == 0 {
		b.WriteString("| (none yet) | | | |\n")
	}
	for _, r := range rows {
		status := r.route.Status
		if status == 0 {
			status = 200
		}
		op := "`" + r.meta.Name + "`"
		if r.meta.RESTOnly {
			op += " (REST only)"
		}
		fmt.Fprintf(&b, "| `%s %s` | %d | %s | %s |\n", r.route.Method, r.route.Path, status, op, cell(r.meta.Description))
	}
	return b.String()
}
