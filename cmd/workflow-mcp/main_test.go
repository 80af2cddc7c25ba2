package main

import (
	"testing"

	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
)

// TestDocs keeps the README's tool list and flag table and docs/api.md's
// route table equal to what this binary serves. The static definitions need no
// database.
func TestDocs(t *testing.T) {
	s := spec()
	toolsnap.CheckSection(t, "../../README.md", "tools:"+s.ServerID, mcpserver.ToolsMarkdown(s.Tools()))
	toolsnap.CheckSection(t, "../../docs/api.md", "routes:"+s.ServerID, mcpserver.RoutesMarkdown(s.Tools()))
	toolsnap.CheckSection(t, "../../README.md", "flags:"+s.ServerID, launch.OptionsMarkdown(s))
}
