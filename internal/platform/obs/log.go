// Package obs builds the observability primitives every server shares: the
// structured logger (JSON per docs/api.md, or tint for humans), the
// Prometheus registry and request metrics, and the request-ID context.
package obs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/lmittmann/tint"
)

// LevelCritical is the level above ERROR used for failures that need an
// operator now. slog has no such level; docs/api.md names it.
const LevelCritical = slog.LevelError + 4

// Log formats accepted by [LogConfig.Format].
const (
	FormatJSON = "json"
	FormatText = "text"
)

// timestampLayout is RFC 3339 in UTC with millisecond precision; docs/api.md
// allows at most microseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// LogConfig configures [NewLogger].
type LogConfig struct {
	// ServerID is added to every line as server_id ("codebase-mcp" or "workflow-mcp").
	ServerID string
	// Level is the minimum level written.
	Level slog.Level
	// Format is FormatJSON (default) or FormatText (tint, colored on a terminal).
	Format string
	// Writer receives the log lines. It must never be stdout in stdio mode.
	Writer io.Writer
}

// ParseLevel parses a --log-level value: debug, info, warning (or warn),
// error, critical; case-insensitive.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warning", "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "critical":
		return LevelCritical, nil
	}
	return 0, fmt.Errorf("unknown log level %q", s)
}

// LevelName returns the docs/api.md name of a level.
func LevelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// NewLogger returns a logger writing to cfg.Writer in the configured format.
// Every line carries server_id, and request_id when the call passes a
// context made by [NewContextWithRequestID].
func NewLogger(cfg LogConfig) *slog.Logger {
	var h slog.Handler
	if cfg.Format == FormatText {
		h = tint.NewTextHandler(cfg.Writer, &tint.Options{
			Level:      cfg.Level,
			TimeFormat: time.TimeOnly,
			NoColor:    !isTerminal(cfg.Writer),
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.LevelKey && a.Value.Any() == LevelCritical {
					return tint.Attr(9, slog.String(a.Key, "CRT"))
				}
				if m, ok := a.Value.Any().(map[string]any); ok {
					// Show context.address=... rather than Go's map[...] syntax.
					return slog.Attr{Key: a.Key, Value: mapGroup(m)}
				}
				return a
			},
		})
	} else {
		h = slog.NewJSONHandler(cfg.Writer, &slog.HandlerOptions{Level: cfg.Level, ReplaceAttr: contractAttr})
	}
	return slog.New(contextHandler{h}).With("server_id", cfg.ServerID)
}

// contractAttr renames slog's built-in keys to the docs/api.md fields.
func contractAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		return slog.String("timestamp", a.Value.Time().UTC().Format(timestampLayout))
	case slog.LevelKey:
		l, _ := a.Value.Any().(slog.Level)
		return slog.String("level", LevelName(l))
	case slog.MessageKey:
		return slog.String("event", a.Value.String())
	}
	return a
}

// contextHandler adds the request ID carried by the context to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFromContext(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// isTerminal reports whether w is a character device (a TTY), so colors are
// only sent where a human reads them.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Critical logs at [LevelCritical].
func Critical(ctx context.Context, l *slog.Logger, event string, args ...any) {
	l.Log(ctx, LevelCritical, event, args...)
}

// mapGroup turns a map field into a group value with sorted keys.
func mapGroup(m map[string]any) slog.Value {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, m[k]))
	}
	return slog.GroupValue(attrs...)
}

// SlowOperation is the duration above which an operation logs slow_operation.
const SlowOperation = time.Second

// LogIfSlow logs slow_operation (WARNING) when elapsed exceeds [SlowOperation].
func LogIfSlow(ctx context.Context, l *slog.Logger, operation string, elapsed time.Duration) {
	if elapsed <= SlowOperation {
		return
	}
	l.WarnContext(ctx, "slow_operation", "operation_name", operation, "context", map[string]any{
		"duration_ms": elapsed.Milliseconds(), "threshold_ms": SlowOperation.Milliseconds()})
}
