// Package httpserver is the HTTP front of a server: /health, /metrics, the
// MCP transports and the REST routes of docs/api.md, behind request IDs,
// logging, metrics, a body size limit, bearer-token auth and Origin checks,
// with graceful shutdown. It maps application errors to HTTP statuses in
// one table.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

// Config configures [New].
type Config struct {
	// AuthToken, when set, is required as "Authorization: Bearer <token>" on
	// every route except /health.
	AuthToken string
	// MaxBodyBytes caps request bodies; larger ones get 413 (default 4 MiB).
	MaxBodyBytes int64
	// ReadHeaderTimeout, ReadTimeout and IdleTimeout bound slow clients
	// (defaults 10 s, 60 s, 120 s). There is no write timeout because MCP
	// SSE streams stay open; REST handlers get RequestTimeout instead.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// RequestTimeout bounds a REST handler's context (default 60 s).
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests (default 20 s).
	ShutdownTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 4 << 20
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, 10*time.Second)
	def(&c.ReadTimeout, 60*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	def(&c.RequestTimeout, 60*time.Second)
	def(&c.ShutdownTimeout, 20*time.Second)
}

// Deps are what the routes serve.
type Deps struct {
	Logger   *slog.Logger
	Metrics  *obs.RequestMetrics
	Gatherer prometheus.Gatherer
	// Health computes the /health document; it must not block on the database.
	Health func(ctx context.Context) HealthReport
	// MCP is the Streamable HTTP handler (/mcp); SSE and Message the legacy
	// transport (/sse, /message). Nil handlers are not mounted.
	MCP, SSE, Message http.Handler
	// Tools with a REST route are mounted under their route.
	Tools []tool.Tool
	// OnShutdown runs when shutdown begins, to end long-lived streams
	// (MCP sessions) that would otherwise hold the drain until its timeout.
	OnShutdown func()
}

// Server is the HTTP server.
type Server struct {
	cfg  Config
	deps Deps
	srv  *http.Server
}

// New builds the server and its routes.
func New(cfg Config, deps Deps) (*Server, error) {
	cfg.setDefaults()
	s := &Server{cfg: cfg, deps: deps}
	mux := http.NewServeMux()
	// /health and /metrics are for probes and scrapers, which send no
	// Origin; they keep the Host check so a rebinding page cannot read them.
	mux.Handle("GET /health", s.observe("health", slog.LevelDebug, checkHost(http.HandlerFunc(s.health))))
	mux.Handle("GET /metrics", s.observe("metrics", slog.LevelDebug, checkHost(s.metricsHandler())))
	if deps.MCP != nil {
		// One pattern per method, so other methods get the JSON 405 with Allow.
		h := s.observe("mcp_streamable_http", slog.LevelInfo, guard(deps.MCP))
		for _, m := range []string{"GET", "POST", "DELETE"} {
			mux.Handle(m+" /mcp", h)
		}
	}
	if deps.SSE != nil && deps.Message != nil {
		mux.Handle("GET /sse", s.observe("mcp_sse", slog.LevelInfo, guard(deps.SSE)))
		mux.Handle("POST /message", s.observe("mcp_sse_message", slog.LevelInfo, guard(deps.Message)))
	}
	for _, t := range deps.Tools {
		m := t.Meta()
		for _, route := range m.Routes {
			pattern := route.Method + " " + route.Path
			h := s.observe(m.Name, slog.LevelInfo, guard(requireJSON(s.rest(t, route))))
			if err := safeHandle(mux, pattern, h); err != nil {
				return nil, fmt.Errorf("route %s for tool %s: %w", pattern, m.Name, err)
			}
		}
	}
	var h http.Handler = s.unmatched(mux)
	h = s.limitBody(h)
	h = s.authenticate(h)
	// Recovery sits inside requestID so a recovered panic's 500 and log line
	// carry the request ID; observe also recovers, so it is logged and counted.
	h = s.recoverPanics(h)
	h = s.requestID(h)
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(deps.Logger.Handler(), slog.LevelWarn),
	}
	if deps.OnShutdown != nil {
		s.srv.RegisterOnShutdown(deps.OnShutdown)
	}
	return s, nil
}

// safeHandle registers a pattern, turning ServeMux's panic on a conflicting
// pattern into an error.
func safeHandle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// Handler returns the complete handler, for tests.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Serve serves on ln until ctx is done, then drains in-flight requests for
// up to ShutdownTimeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Long-lived SSE streams never finish on their own.
		err = s.srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
