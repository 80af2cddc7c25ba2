package dbpool_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/obs"
)

// logCapture is a goroutine-safe sink for JSON log lines.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

// events returns the decoded lines whose event is name.
func (c *logCapture) events(tb testing.TB, name string) []map[string]any {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(c.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if m["event"] == name {
			out = append(out, m)
		}
	}
	return out
}

func newLogger(c *logCapture) *slog.Logger {
	return obs.NewLogger(obs.LogConfig{ServerID: "codebase-mcp", Level: slog.LevelDebug, Format: obs.FormatJSON, Writer: c})
}
