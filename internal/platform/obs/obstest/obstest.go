// Package obstest captures what an [obs] logger writes so tests can assert
// on the JSON log lines of docs/api.md. It is for tests only.
package obstest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/platform/obs"
)

// LogCapture is an [io.Writer] that keeps everything written to it. It is
// safe for concurrent use, so servers may log from their own goroutines
// while a test reads. The zero value is ready to use.
type LogCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

var _ io.Writer = (*LogCapture)(nil)

// NewLogger returns a JSON [obs.NewLogger] logger for serverID at level and
// the [LogCapture] it writes to.
func NewLogger(tb testing.TB, serverID string, level slog.Level) (*slog.Logger, *LogCapture) {
	tb.Helper()
	c := &LogCapture{}
	return obs.NewLogger(obs.LogConfig{ServerID: serverID, Level: level, Format: obs.FormatJSON, Writer: c}), c
}

// Write appends p to the capture.
func (c *LogCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

// String returns everything written so far.
func (c *LogCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// Lines decodes every line written so far, in order. A line that is not a
// JSON object fails the test.
func (c *LogCapture) Lines(tb testing.TB) []map[string]any {
	tb.Helper()
	s := strings.TrimSuffix(c.String(), "\n")
	if s == "" {
		return nil
	}
	var out []map[string]any
	for _, line := range strings.Split(s, "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// Events returns the decoded lines whose event is name, as [LogCapture.Lines]
// does, failing the test on a line that is not JSON.
func (c *LogCapture) Events(tb testing.TB, name string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, m := range c.Lines(tb) {
		if m["event"] == name {
			out = append(out, m)
		}
	}
	return out
}
