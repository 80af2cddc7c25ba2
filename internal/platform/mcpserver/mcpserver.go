// Package mcpserver serves a set of [tool.Tool]s over the Model Context
// Protocol (mcp-go): Streamable HTTP, legacy HTTP+SSE and stdio. It builds
// every tool's input and output JSON schema from the Go types, validates
// input against it, maps application errors to tool results the model can
// act on, and logs and counts every call like a request.
package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// Config configures [New].
type Config struct {
	// Name and Version are announced to clients in initialize.
	Name    string
	Version string
	// Instructions tell the model what the server is for.
	Instructions string
	// SessionIdleTTL ends Streamable HTTP sessions idle this long (default 30 min).
	SessionIdleTTL time.Duration
}

// Server is an MCP server over a fixed set of tools.
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *obs.RequestMetrics
	mcp     *server.MCPServer

	mu         sync.Mutex
	streamable *server.StreamableHTTPServer
	sse        *server.SSEServer
}

// New builds the server and registers tools. It fails when a tool's types
// cannot be described as JSON Schema, so a bad definition stops start-up.
func New(cfg Config, logger *slog.Logger, metrics *obs.RequestMetrics, tools []tool.Tool) (*Server, error) {
	if cfg.SessionIdleTTL == 0 {
		cfg.SessionIdleTTL = 30 * time.Minute
	}
	s := &Server{cfg: cfg, log: logger, metrics: metrics}
	opts := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithRecovery(),
	}
	if cfg.Instructions != "" {
		opts = append(opts, server.WithInstructions(cfg.Instructions))
	}
	s.mcp = server.NewMCPServer(cfg.Name, cfg.Version, opts...)
	for _, t := range tools {
		mt, err := Describe(t)
		if err != nil {
			return nil, err
		}
		in, err := resolveSchema(mt.RawInputSchema)
		if err != nil {
			return nil, fmt.Errorf("tool %s input schema: %w", mt.Name, err)
		}
		metrics.Init(mt.Name)
		s.mcp.AddTool(mt, s.handler(t, in))
	}
	return s, nil
}

// Describe returns the MCP tool definition of t: name, title, description,
// all four annotations set explicitly (mcp-go would otherwise send
// destructive and open-world as true) and schemas derived from the types.
func Describe(t tool.Tool) (mcp.Tool, error) {
	m := t.Meta()
	in, err := Schema(t.InputType())
	if err != nil {
		return mcp.Tool{}, fmt.Errorf("tool %s input schema: %w", m.Name, err)
	}
	out, err := Schema(t.OutputType())
	if err != nil {
		return mcp.Tool{}, fmt.Errorf("tool %s output schema: %w", m.Name, err)
	}
	mt := mcp.NewTool(m.Name,
		mcp.WithDescription(m.Description),
		mcp.WithTitleAnnotation(m.Title),
		mcp.WithReadOnlyHintAnnotation(m.Annotations.ReadOnly),
		mcp.WithDestructiveHintAnnotation(m.Annotations.Destructive),
		mcp.WithIdempotentHintAnnotation(m.Annotations.Idempotent),
		mcp.WithOpenWorldHintAnnotation(m.Annotations.OpenWorld),
		mcp.WithRawInputSchema(in),
		mcp.WithRawOutputSchema(out),
	)
	// NewTool presets an empty structured input schema; mcp-go refuses to
	// marshal a tool that has both it and RawInputSchema (tools/list fails).
	mt.InputSchema = mcp.ToolInputSchema{}
	return mt, nil
}

// Schema returns the JSON Schema of a struct type. Structs get
// additionalProperties false, so unknown arguments are rejected.
func Schema(t reflect.Type) (json.RawMessage, error) {
	s, err := jsonschema.ForType(t, &jsonschema.ForOptions{})
	if err != nil {
		return nil, err
	}
	if s.Type != "object" {
		return nil, fmt.Errorf("%s: tool inputs and outputs must be structs (JSON objects)", t)
	}
	return json.Marshal(s)
}

// resolveSchema prepares a schema made by [Schema] for validation.
func resolveSchema(raw json.RawMessage) (*jsonschema.Resolved, error) {
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}

// validateArgs checks args against the input schema. It runs inside the
// handler rather than as mcp-go's WithInputSchemaValidation, which answers
// before the handler, so rejected calls were neither logged nor counted.
func validateArgs(schema *jsonschema.Resolved, args json.RawMessage) error {
	var v any = map[string]any{}
	if len(args) > 0 && string(args) != "null" {
		if err := json.Unmarshal(args, &v); err != nil {
			return apperr.New(apperr.Validation, "arguments are not JSON: %v", err)
		}
	}
	if err := schema.Validate(v); err != nil {
		return apperr.New(apperr.Validation, "arguments do not match the input schema: %v", err)
	}
	return nil
}

// handler adapts t to mcp-go: it validates the arguments against the input
// schema, runs the call, logs it, counts it and maps errors to isError results.
func (s *Server) handler(t tool.Tool, schema *jsonschema.Resolved) server.ToolHandlerFunc {
	name := t.Meta().Name
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if obs.RequestIDFromContext(ctx) == "" {
			ctx = obs.NewContextWithRequestID(ctx, obs.NewRequestID())
		}
		start := time.Now()
		args, err := json.Marshal(req.GetRawArguments())
		if err != nil {
			args = nil
		}
		var out any
		err = validateArgs(schema, args)
		if err == nil {
			out, err = t.Call(ctx, args)
		}
		elapsed := time.Since(start)
		obs.LogIfSlow(ctx, s.log, name, elapsed)
		code := apperr.CodeOf(err)
		s.metrics.Observe(name, elapsed.Seconds(), string(code))
		attrs := []any{
			"operation_name", name,
			"latency_ms", float64(elapsed.Microseconds()) / 1000,
			"outcome", outcome(err),
			"transport", "mcp",
		}
		if err != nil {
			attrs = append(attrs, "error_details", map[string]any{"code": code, "message": err.Error()})
			level := slog.LevelWarn
			if code == apperr.Internal {
				level = slog.LevelError
			}
			s.log.Log(ctx, level, "tool_call", attrs...)
			return ErrorResult(ctx, err), nil
		}
		s.log.InfoContext(ctx, "tool_call", attrs...)
		text, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("encode %s result: %w", name, err)
		}
		return mcp.NewToolResultStructured(out, string(text)), nil
	}
}

// ErrorResult is the tool result for err: isError with a message that says
// what went wrong and what to do. Internal errors hide their text and point
// at the request ID in the server log.
func ErrorResult(ctx context.Context, err error) *mcp.CallToolResult {
	code := apperr.CodeOf(err)
	msg := apperr.MessageOf(err)
	switch code {
	case apperr.Internal:
		msg = fmt.Sprintf("internal error; the server log has details under request_id %s", obs.RequestIDFromContext(ctx))
	case apperr.Unavailable:
		if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
			msg = fmt.Sprintf("%s (retry after %s)", msg, e.RetryAfter)
		}
	}
	res := mcp.NewToolResultError(fmt.Sprintf("%s: %s", code, msg))
	if e, ok := apperr.As(err); ok && len(e.Details) > 0 {
		res.StructuredContent = map[string]any{"error": code, "message": msg, "details": e.Details}
	}
	return res
}

func outcome(err error) string {
	if err != nil {
		return obs.OutcomeFailure
	}
	return obs.OutcomeSuccess
}

// StreamableHTTP returns the Streamable HTTP handler to mount at /mcp. It
// is made once; [Server.CloseSessions] ends its sessions.
func (s *Server) StreamableHTTP() http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streamable == nil {
		s.streamable = server.NewStreamableHTTPServer(s.mcp,
			server.WithEndpointPath("/mcp"),
			server.WithSessionIdleTTL(s.cfg.SessionIdleTTL),
			server.WithStreamableHTTPLogger(s.log),
			server.WithHTTPContextFunc(keepRequestID),
		)
	}
	return s.streamable
}

// SSE returns the legacy HTTP+SSE handlers to mount at /sse and /message.
// They are made once; [Server.CloseSessions] ends their sessions.
func (s *Server) SSE() (sse, message http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sse == nil {
		s.sse = server.NewSSEServer(s.mcp,
			server.WithSSEEndpoint("/sse"),
			server.WithMessageEndpoint("/message"),
			server.WithSSEContextFunc(keepRequestID),
		)
	}
	return s.sse.SSEHandler(), s.sse.MessageHandler()
}

// CloseSessions ends every open Streamable HTTP and SSE session, so that
// long-lived streams do not hold up a graceful shutdown, and stops the
// idle-session sweeper.
func (s *Server) CloseSessions(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streamable != nil {
		_ = s.streamable.Shutdown(ctx) // mounted as a handler: this only closes sessions
	}
	if s.sse != nil {
		s.sse.CloseSessions()
	}
}

// keepRequestID carries the HTTP request ID into the tool call context.
func keepRequestID(ctx context.Context, r *http.Request) context.Context {
	if id := obs.RequestIDFromContext(r.Context()); id != "" {
		return obs.NewContextWithRequestID(ctx, id)
	}
	return ctx
}

// ServeStdio serves MCP over in and out until ctx is done or in ends.
// Nothing but protocol messages is ever written to out.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	ss := server.NewStdioServer(s.mcp)
	ss.SetErrorLogger(log.New(slogWriter{s.log}, "", 0))
	return ss.Listen(ctx, in, out)
}

// slogWriter sends mcp-go's stdio error log lines to the structured logger.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Warn("mcp_stdio_error", "error_details", map[string]any{"message": string(p)})
	return len(p), nil
}
