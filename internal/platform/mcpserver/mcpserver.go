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
	// SessionIdleTTL ends Streamable HTTP sessions idle this long
	// (default [DefaultSessionIdleTTL]).
	SessionIdleTTL time.Duration
	// MaxSessions caps live Streamable HTTP sessions (default
	// [DefaultMaxSessions]); a new session beyond it ends the least
	// recently used one, whose client gets 404 and initializes again.
	MaxSessions int
	// Stateless serves Streamable HTTP without sessions, so that any
	// replica behind a load balancer answers any request (no affinity).
	// Legacy SSE keeps its sessions and needs affinity.
	Stateless bool
}

// Server is an MCP server over a fixed set of tools.
type Server struct {
	cfg     Config
	tools   int
	log     *slog.Logger
	metrics *obs.RequestMetrics
	mcp     *server.MCPServer

	mu         sync.Mutex
	streamable *server.StreamableHTTPServer
	sessions   *sessionLimiter
	sse        *server.SSEServer
}

// New builds the server and registers tools. It fails when a tool's types
// cannot be described as JSON Schema, when a tool is a static definition
// without a handler, or when its annotations contradict its name, so a bad
// definition stops start-up. REST-only operations are not registered.
func New(cfg Config, logger *slog.Logger, metrics *obs.RequestMetrics, tools []tool.Tool) (*Server, error) {
	if cfg.SessionIdleTTL == 0 {
		cfg.SessionIdleTTL = DefaultSessionIdleTTL
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
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
		m := t.Meta()
		if m.RESTOnly {
			continue
		}
		if !m.Bound {
			return nil, fmt.Errorf("tool %s has no handler: bind the static definition with Def.With", m.Name)
		}
		if err := tool.CheckAnnotations(m); err != nil {
			return nil, err
		}
		mt, err := Describe(t)
		if err != nil {
			return nil, err
		}
		metrics.Init(mt.Name)
		s.mcp.AddTool(mt, s.handler(t))
		s.tools++
	}
	return s, nil
}

// ToolCount is the number of MCP tools served (REST-only operations are not tools).
func (s *Server) ToolCount() int { return s.tools }

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

// handler adapts t to mcp-go. Arguments are validated by t.Call, the same
// path REST uses, so both transports answer the same input alike. A call
// carried by an HTTP request is logged and counted once, by the HTTP
// layer (see obs.Op); over stdio, or when the HTTP request has already
// ended (legacy SSE answers 202 first), the call logs and counts itself.
// Caller-fixable failures become isError results the model can act on;
// an internal failure is a JSON-RPC error (see [ErrorResult]).
func (s *Server) handler(t tool.Tool) server.ToolHandlerFunc {
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
		out, err := t.Call(ctx, args)
		// The text content: the operation's compact rendering, else the
		// JSON of the result (encoded only then, once).
		var text string
		if err == nil {
			var ok bool
			if text, ok = t.Render(out); !ok {
				var b []byte
				if b, err = json.Marshal(out); err != nil {
					err = fmt.Errorf("encode %s result: %w", name, err)
				}
				text = string(b)
			}
		}
		if !obs.OpFromContext(ctx).Claim(name, err) {
			s.logCall(ctx, name, time.Since(start), err)
		} else if err != nil && apperr.CodeOf(err) == apperr.Internal {
			// The HTTP line has the code only; the cause is logged here, once.
			s.logInternal(ctx, name, err)
		}
		if err != nil {
			return ErrorResult(ctx, err)
		}
		return mcp.NewToolResultStructured(out, text), nil
	}
}

// logCall writes the one log line, count and slow warning of a tool call
// that no outer layer records.
func (s *Server) logCall(ctx context.Context, name string, elapsed time.Duration, err error) {
	obs.LogIfSlow(ctx, s.log, name, elapsed)
	code := apperr.CodeOf(err)
	if err == nil {
		code = ""
	}
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
		return
	}
	s.log.InfoContext(ctx, "tool_call", attrs...)
}

// logInternal logs the full text of an internal error, once, under the
// request ID the client is shown.
func (s *Server) logInternal(ctx context.Context, name string, err error) {
	s.log.ErrorContext(ctx, "internal_error", "operation_name", name, "error_details", map[string]any{"message": err.Error()})
}

// ErrorResult maps a failed call to MCP. Errors the caller can act on
// (validation, not found, conflict, already exists, unavailable, ...)
// are tool results with isError, whose text "CODE: message {details}"
// says what went wrong and what to do, so the model can correct itself. An internal error means the server is broken, not
// the call: it is a JSON-RPC error whose message hides the cause and
// points at the request ID in the server log.
func ErrorResult(ctx context.Context, err error) (*mcp.CallToolResult, error) {
	code := apperr.CodeOf(err)
	if code == apperr.Internal {
		return nil, fmt.Errorf("internal error; the server log has details under request_id %s", obs.RequestIDFromContext(ctx))
	}
	msg := apperr.MessageOf(err)
	if code == apperr.Unavailable {
		if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
			msg = fmt.Sprintf("%s (retry after %s)", msg, e.RetryAfter)
		}
	}
	text := fmt.Sprintf("%s: %s", code, msg)
	if e, ok := apperr.As(err); ok && len(e.Details) > 0 {
		if d, err := json.Marshal(e.Details); err == nil {
			text += " " + string(d)
		}
	}
	// No structured content: clients built on the official TypeScript SDK
	// check it against the tool's output schema even when isError is set,
	// and would turn the error into a protocol error. The details ride in
	// the text as JSON instead.
	return mcp.NewToolResultError(text), nil
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
		s.sessions = newSessionLimiter(s.cfg.MaxSessions, s.log)
		session := server.WithSessionIdManager(s.sessions)
		if s.cfg.Stateless {
			session = server.WithStateLess(true)
		}
		s.streamable = server.NewStreamableHTTPServer(s.mcp,
			server.WithEndpointPath("/mcp"),
			session,
			// httpserver checks Host and Origin on every route, in JSON.
			server.WithDisableLocalhostProtection(true),
			server.WithSessionIdleTTL(s.cfg.SessionIdleTTL),
			server.WithStreamableHTTPLogger(s.log),
			server.WithHTTPContextFunc(keepRequestID),
		)
		s.sessions.evict = endSession(s.streamable)
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
