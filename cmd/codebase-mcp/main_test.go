package main

import (
	"context"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/internal/platform/mcpserver/toolsnap"
)

// TestReadmeToolList keeps the README's tool list equal to the tools this
// binary serves. Building the definitions needs no database.
func TestReadmeToolList(t *testing.T) {
	w, err := wire(context.Background(), launch.Deps{Values: launch.Values{}})
	if err != nil {
		t.Fatal(err)
	}
	toolsnap.CheckReadme(t, "../../README.md", spec().ServerID, w.Tools)
}
