package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/obs"
)

// timestampRE is RFC 3339 in UTC with millisecond precision, as docs/api.md
// shows it ("2026-11-26T20:27:52.123Z").
var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

var contractLevels = map[string]bool{"DEBUG": true, "INFO": true, "WARNING": true, "ERROR": true, "CRITICAL": true}

// newJSONLogger returns a JSON logger at level writing into the returned buffer.
func newJSONLogger(tb testing.TB, level slog.Level) (*slog.Logger, *bytes.Buffer) {
	tb.Helper()
	var buf bytes.Buffer
	l := obs.NewLogger(obs.LogConfig{ServerID: "codebase-mcp", Level: level, Format: obs.FormatJSON, Writer: &buf})
	return l, &buf
}

// logLines parses every line of buf as a JSON object.
func logLines(tb testing.TB, buf *bytes.Buffer) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Fatalf("log line is not one JSON object: %v\n%s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// oneLine parses buf, which must hold exactly one log line.
func oneLine(tb testing.TB, buf *bytes.Buffer) map[string]any {
	tb.Helper()
	lines := logLines(tb, buf)
	if len(lines) != 1 {
		tb.Fatalf("got %d log lines, want 1:\n%s", len(lines), buf)
	}
	return lines[0]
}

func TestNewLogger_JSONContractFields(t *testing.T) {
	l, buf := newJSONLogger(t, slog.LevelDebug)
	before := time.Now().UTC().Truncate(time.Millisecond)
	l.Info("server_started", "port", 8020)
	after := time.Now().UTC()

	line := oneLine(t, buf)
	ts, ok := line["timestamp"].(string)
	if !ok {
		t.Fatalf("timestamp missing or not a string: %v", line)
	}
	if !timestampRE.MatchString(ts) {
		t.Errorf("timestamp %q is not RFC 3339 UTC with millisecond precision ending in Z", ts)
	}
	parsed, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatalf("timestamp %q does not parse as RFC 3339: %v", ts, err)
	}
	if parsed.Before(before) || parsed.After(after) {
		t.Errorf("timestamp %s is outside the logging call [%s, %s]", parsed, before, after)
	}
	if got := line["level"]; got != "INFO" {
		t.Errorf("level = %v, want INFO", got)
	}
	if got := line["event"]; got != "server_started" {
		t.Errorf("event = %v, want server_started", got)
	}
	if got := line["server_id"]; got != "codebase-mcp" {
		t.Errorf("server_id = %v, want codebase-mcp", got)
	}
	if got := line["port"]; got != float64(8020) {
		t.Errorf("port = %v, want 8020", got)
	}
	for _, slogKey := range []string{"time", "msg"} {
		if _, ok := line[slogKey]; ok {
			t.Errorf("line has slog's own key %q; docs/api.md names it differently: %v", slogKey, line)
		}
	}
	if _, ok := line["request_id"]; ok {
		t.Errorf("request_id present without a request context: %v", line)
	}
}

func TestNewLogger_TimestampIsUTC(t *testing.T) {
	// A non-UTC local zone must not leak into the timestamp.
	orig := time.Local
	time.Local = time.FixedZone("UTC+5", 5*3600)
	t.Cleanup(func() { time.Local = orig })

	l, buf := newJSONLogger(t, slog.LevelInfo)
	l.Info("tick")
	ts := oneLine(t, buf)["timestamp"].(string)
	if !timestampRE.MatchString(ts) {
		t.Errorf("timestamp %q is not UTC with a Z suffix", ts)
	}
}

func TestNewLogger_Levels(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		want  string
	}{
		{"debug", slog.LevelDebug, "DEBUG"},
		{"info", slog.LevelInfo, "INFO"},
		{"warn", slog.LevelWarn, "WARNING"},
		{"error", slog.LevelError, "ERROR"},
		{"critical", obs.LevelCritical, "CRITICAL"},
		{"above critical", obs.LevelCritical + 2, "CRITICAL"},
		{"between warn and error", slog.LevelWarn + 1, "WARNING"},
		{"below debug", slog.LevelDebug - 4, "DEBUG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, buf := newJSONLogger(t, slog.LevelDebug-8)
			l.Log(context.Background(), tc.level, "e")
			line := oneLine(t, buf)
			if got := line["level"]; got != tc.want {
				t.Errorf("level = %v, want %s", got, tc.want)
			}
			if !contractLevels[line["level"].(string)] {
				t.Errorf("level %v is not one of DEBUG|INFO|WARNING|ERROR|CRITICAL", line["level"])
			}
		})
	}
}

func TestNewLogger_MinimumLevel(t *testing.T) {
	l, buf := newJSONLogger(t, slog.LevelWarn)
	l.Debug("dropped_debug")
	l.Info("dropped_info")
	l.Warn("kept_warning")
	obs.Critical(context.Background(), l, "kept_critical")

	lines := logLines(t, buf)
	var events []string
	for _, line := range lines {
		events = append(events, line["event"].(string))
	}
	if got, want := strings.Join(events, ","), "kept_warning,kept_critical"; got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
}

func TestCritical(t *testing.T) {
	l, buf := newJSONLogger(t, slog.LevelInfo)
	ctx := obs.NewContextWithRequestID(context.Background(), "req-crit")
	obs.Critical(ctx, l, "database_connection_lost", "error", "database_connection_lost")
	line := oneLine(t, buf)
	if line["level"] != "CRITICAL" || line["event"] != "database_connection_lost" ||
		line["error"] != "database_connection_lost" || line["request_id"] != "req-crit" {
		t.Errorf("line = %v, want CRITICAL database_connection_lost with error and request_id", line)
	}
}

func TestNewLogger_RequestIDFromContext(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger, ctx context.Context)
	}{
		{"InfoContext", func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "e") }},
		{"Log", func(l *slog.Logger, ctx context.Context) { l.Log(ctx, slog.LevelError, "e") }},
		{"after With", func(l *slog.Logger, ctx context.Context) { l.With("tool", "search_code").WarnContext(ctx, "e") }},
		{"LogAttrs", func(l *slog.Logger, ctx context.Context) {
			l.LogAttrs(ctx, slog.LevelInfo, "e", slog.Int("n", 1))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, buf := newJSONLogger(t, slog.LevelDebug)
			ctx := obs.NewContextWithRequestID(context.Background(), "req-42")
			tc.log(l, ctx)
			line := oneLine(t, buf)
			if got := line["request_id"]; got != "req-42" {
				t.Errorf("request_id = %v, want req-42 (line %v)", got, line)
			}
			if got := line["server_id"]; got != "codebase-mcp" {
				t.Errorf("server_id = %v, want codebase-mcp", got)
			}
		})
	}
}

func TestNewLogger_NoRequestIDForEmptyContextValue(t *testing.T) {
	l, buf := newJSONLogger(t, slog.LevelInfo)
	l.InfoContext(obs.NewContextWithRequestID(context.Background(), ""), "e")
	if _, ok := oneLine(t, buf)["request_id"]; ok {
		t.Error("an empty request ID was logged")
	}
}

func TestNewLogger_GroupedAttributesKeepTheirNames(t *testing.T) {
	// Keys inside groups are user data: they must not be renamed as if they
	// were slog's built-in time/level/msg.
	l, buf := newJSONLogger(t, slog.LevelInfo)
	l.Info("e", slog.Group("context", slog.String("msg", "m"), slog.String("level", "l"), slog.Int("time", 3)))
	ctx, ok := oneLine(t, buf)["context"].(map[string]any)
	if !ok {
		t.Fatalf("context group missing")
	}
	if ctx["msg"] != "m" || ctx["level"] != "l" || ctx["time"] != float64(3) {
		t.Errorf("context = %v, want msg, level and time untouched", ctx)
	}
}

func TestNewLogger_DefaultFormatIsJSON(t *testing.T) {
	var buf bytes.Buffer
	l := obs.NewLogger(obs.LogConfig{ServerID: "workflow-mcp", Writer: &buf})
	l.Info("e")
	line := oneLine(t, &buf)
	if line["server_id"] != "workflow-mcp" || line["event"] != "e" {
		t.Errorf("line = %v", line)
	}
}

func TestNewLogger_TextFormat(t *testing.T) {
	var buf bytes.Buffer
	l := obs.NewLogger(obs.LogConfig{ServerID: "workflow-mcp", Level: slog.LevelDebug, Format: obs.FormatText, Writer: &buf})
	ctx := obs.NewContextWithRequestID(context.Background(), "req-text")
	l.InfoContext(ctx, "server_started", "port", 8010)
	obs.Critical(ctx, l, "pool_gone")
	l.Debug("details")

	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("ANSI color codes written to a non-terminal:\n%q", out)
	}
	if json.Valid([]byte(lines[0])) {
		t.Errorf("text format wrote JSON: %s", lines[0])
	}
	for i, want := range [][]string{
		{"INF", "server_started", "port=8010", "server_id=workflow-mcp", "request_id=req-text"},
		{"CRT", "pool_gone", "server_id=workflow-mcp"},
		{"DBG", "details"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q does not contain %q", i, lines[i], w)
			}
		}
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"debug", slog.LevelDebug, false},
		{"info", slog.LevelInfo, false},
		{"", slog.LevelInfo, false},
		{"INFO", slog.LevelInfo, false},
		{"warning", slog.LevelWarn, false},
		{"warn", slog.LevelWarn, false},
		{"Warning", slog.LevelWarn, false},
		{"error", slog.LevelError, false},
		{"critical", obs.LevelCritical, false},
		{"  CRITICAL\n", obs.LevelCritical, false},
		{"verbose", 0, true},
		{"fatal", 0, true},
		{"1", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := obs.ParseLevel(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseLevel(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.in) {
					t.Errorf("error %q does not quote the bad value %q", err, tc.in)
				}
				return
			}
			if got != tc.want {
				t.Errorf("ParseLevel(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseLevel_RoundTripsLevelName(t *testing.T) {
	for _, name := range []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} {
		l, err := obs.ParseLevel(name)
		if err != nil {
			t.Fatalf("ParseLevel(%q): %v", name, err)
		}
		if got := obs.LevelName(l); got != name {
			t.Errorf("LevelName(ParseLevel(%q)) = %q", name, got)
		}
	}
}

func TestLevelCritical_AboveError(t *testing.T) {
	if obs.LevelCritical <= slog.LevelError {
		t.Errorf("LevelCritical = %v, want above ERROR", obs.LevelCritical)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestNewLogger_WriterErrorDoesNotPanic(t *testing.T) {
	l := obs.NewLogger(obs.LogConfig{ServerID: "codebase-mcp", Writer: failingWriter{}})
	if err := l.Handler().Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "e", 0)); err == nil {
		t.Error("Handle returned nil although the writer failed")
	}
}

func TestLogIfSlow(t *testing.T) {
	l, buf := newJSONLogger(t, slog.LevelDebug)
	obs.LogIfSlow(context.Background(), l, "fast_op", obs.SlowOperation)
	if buf.Len() != 0 {
		t.Fatalf("an operation at the threshold logged: %s", buf)
	}
	obs.LogIfSlow(context.Background(), l, "search_code", obs.SlowOperation+500*time.Millisecond)
	lines := logLines(t, buf)
	if len(lines) != 1 || lines[0]["event"] != "slow_operation" || lines[0]["level"] != "WARNING" || lines[0]["operation_name"] != "search_code" {
		t.Fatalf("slow_operation lines = %v", lines)
	}
	ctx, _ := lines[0]["context"].(map[string]any)
	if ctx["duration_ms"] != float64(1500) {
		t.Fatalf("context.duration_ms = %v, want 1500", ctx["duration_ms"])
	}
}
