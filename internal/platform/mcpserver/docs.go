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
		metas = append(metas, t.Meta())
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
