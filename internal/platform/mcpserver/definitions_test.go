package mcpserver_test

import (
	"io"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// TestNew_RefusesBadDefinitions stops start-up on a static definition
// without a handler and on annotations that contradict the tool's name.
func TestNew_RefusesBadDefinitions(t *testing.T) {
	tests := map[string]struct {
		tool tool.Tool
		want string
	}{
		"unbound":                   {tool.Def[echoIn, echoOut]{Name: "echo"}, "has no handler"},
		"delete without hint":       {tool.Def[echoIn, echoOut]{Name: "delete_thing", Handle: noop[echoIn, echoOut]}, "destructiveHint"},
		"get that is not read-only": {tool.Def[echoIn, echoOut]{Name: "get_thing", Handle: noop[echoIn, echoOut]}, "readOnlyHint"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := mcpserver.New(mcpserver.Config{Name: "x"}, obs.NewLogger(obs.LogConfig{Writer: io.Discard}),
				obs.NewRequestMetrics(prometheus.NewRegistry(), prefix), []tool.Tool{tc.tool})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestDocs_EmptyAndOpenWorld checks the generated tables: a placeholder
// row without tools, and the open-world hint.
func TestDocs_EmptyAndOpenWorld(t *testing.T) {
	if got := mcpserver.ToolsMarkdown(nil); !strings.Contains(got, "(none yet)") {
		t.Errorf("ToolsMarkdown(nil) =\n%s", got)
	}
	if got := mcpserver.RoutesMarkdown(nil); !strings.Contains(got, "(none yet)") {
		t.Errorf("RoutesMarkdown(nil) =\n%s", got)
	}
	fetch := tool.Def[echoIn, echoOut]{Name: "fetch_url", Description: "Fetches a URL.", Handle: noop[echoIn, echoOut],
		Annotations: tool.Annotations{OpenWorld: true}}
	if got := mcpserver.ToolsMarkdown([]tool.Tool{fetch}); !strings.Contains(got, "open-world") || strings.Contains(got, "(none yet)") {
		t.Errorf("ToolsMarkdown =\n%s", got)
	}
}
