package launch

import (
	"context"
	"encoding/json"

	"github.com/mcp-memory/servers/internal/platform/dbpool"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// replicaReads marks the calls of read-only tools (readOnlyHint) with
// [dbpool.WithReplicaReads], so that the stores may answer them from the
// --database-read-url replica; the other tools' reads stay on the
// primary, where their writes go. MCP and REST call the same Tool, so
// both are marked.
func replicaReads(tools []tool.Tool) []tool.Tool {
	out := make([]tool.Tool, len(tools))
	for i, t := range tools {
		out[i] = t
		if t.Meta().Annotations.ReadOnly {
			out[i] = readOnlyTool{t}
		}
	}
	return out
}

// readOnlyTool is a read-only tool whose calls may read from the replica.
type readOnlyTool struct{ tool.Tool }

// Call implements [tool.Tool].
func (t readOnlyTool) Call(ctx context.Context, args json.RawMessage) (any, error) {
	return t.Tool.Call(dbpool.WithReplicaReads(ctx), args)
}
