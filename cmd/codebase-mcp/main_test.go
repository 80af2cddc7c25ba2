package main

import (
	"testing"

	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
)

// TestReadmeToolList keeps the README's tool list equal to the tools this
// binary serves. The static definitions need no database.
func TestReadmeToolList(t *testing.T) {
	s := spec()
	toolsnap.CheckReadme(t, "../../README.md", s.ServerID, s.Tools())
}
