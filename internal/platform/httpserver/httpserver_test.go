package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/platform/httpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
	"github.com/mcp-memory/servers/internal/platform/tool"
)

const prefix = "codebase_mcp"

// secret is the text of internal errors; it must only reach the log.
const secret = "pq: password authentication failed for user hunter2 at 10.9.8.7"

type createIn struct {
	Name string `json:"name"`
	Size int    `json:"size,omitempty"`
}

type thing struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Size int    `json:"size"`
}

type getIn struct {
	ID      int64          `json:"id"`
	Verbose bool           `json:"verbose,omitempty"`
	Limit   int            `json:"limit,omitempty"`
	Ratio   float64        `json:"ratio,omitempty"`
	Tags    []string       `json:"tags,omitempty"`
	Sizes   []int          `json:"sizes,omitempty"`
	Filter  map[string]any `json:"filter,omitempty"`
	Q       string         `json:"q,omitempty"`
}

// fixture is an httpserver with sample tools and the things tests observe.
type fixture struct {
	srv     *httpserver.Server
	h       http.Handler
	reg     *prometheus.Registry
	logs    *obstest.LogCapture
	health  atomic.Pointer[httpserver.HealthReport]
	gotGet  atomic.Pointer[getIn]
	release chan struct{} // closed to let the "wait" tool finish
	started chan struct{} // receives when the "wait" tool starts
}

type option func(*httpserver.Config, *httpserver.Deps)

func withAuth(token string) option {
	return func(c *httpserver.Config, _ *httpserver.Deps) { c.AuthToken = token }
}

func withMaxBody(n int64) option {
	return func(c *httpserver.Config, _ *httpserver.Deps) { c.MaxBodyBytes = n }
}

func withLogger(l *slog.Logger) option {
	return func(_ *httpserver.Config, d *httpserver.Deps) { d.Logger = l }
}

func withMCP(mcp http.Handler) option {
	return func(_ *httpserver.Config, d *httpserver.Deps) { d.MCP = mcp }
}

func withConfig(f func(*httpserver.Config)) option {
	return func(c *httpserver.Config, _ *httpserver.Deps) { f(c) }
}

// mcpStub stands in for the MCP transports: it answers 200 "mcp ok".
var mcpStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "mcp ok "+r.Method)
})

func healthy() *httpserver.HealthReport {
	return &httpserver.HealthReport{
		Status:         "healthy",
		Timestamp:      "2026-11-26T20:27:52.123Z",
		DatabaseStatus: "connected",
		ConnectionPool: httpserver.PoolReport{Size: 8, MinSize: 5, MaxSize: 20, Free: 6, UtilizationPercent: 25},
		UptimeSeconds:  3600.5,
	}
}

func (f *fixture) tools() []tool.Tool {
	create := tool.Def[createIn, thing]{
		Name:  "create_thing",
		Route: &tool.Route{Method: http.MethodPost, Path: "/mcp/things", Status: http.StatusCreated},
		Handle: func(ctx context.Context, in createIn) (thing, error) {
			switch in.Name {
			case "":
				return thing{}, apperr.Invalid("name", "must not be empty")
			case "dup":
				return thing{}, apperr.New(apperr.AlreadyExists, "thing dup already exists")
			case "stale":
				return thing{}, apperr.New(apperr.VersionConflict, "thing changed").WithDetails(map[string]any{"current_version": 4})
			case "down":
				return thing{}, &apperr.Error{Code: apperr.Unavailable, Message: "database unavailable", RetryAfter: 7 * time.Second}
			case "down-frac":
				return thing{}, &apperr.Error{Code: apperr.Unavailable, Message: "database unavailable", RetryAfter: 1500 * time.Millisecond}
			case "down-plain":
				return thing{}, apperr.New(apperr.Unavailable, "database unavailable")
			case "boom":
				return thing{}, errors.New(secret)
			case "boom-coded":
				return thing{}, apperr.Wrap(errors.New(secret), apperr.Internal, "insert failed: "+secret)
			case "panic":
				panic(secret)
			case "deadline":
				dl, ok := ctx.Deadline()
				if !ok {
					return thing{}, errors.New("no deadline")
				}
				return thing{Name: "deadline", Size: int(time.Until(dl).Milliseconds())}, nil
			}
			return thing{ID: 1, Name: in.Name, Size: in.Size}, nil
		},
	}
	get := tool.Def[getIn, getIn]{
		Name:  "get_thing",
		Route: &tool.Route{Method: http.MethodGet, Path: "/mcp/things/{id}"},
		Handle: func(_ context.Context, in getIn) (getIn, error) {
			f.gotGet.Store(&in)
			if in.ID == 404 {
				return getIn{}, apperr.New(apperr.NotFound, "thing 404 not found")
			}
			return in, nil
		},
	}
	wait := tool.Def[struct{}, thing]{
		Name:  "wait",
		Route: &tool.Route{Method: http.MethodPost, Path: "/mcp/wait"},
		Handle: func(ctx context.Context, _ struct{}) (thing, error) {
			f.started <- struct{}{}
			select {
			case <-f.release:
				return thing{Name: "done"}, nil
			case <-ctx.Done():
				return thing{}, ctx.Err()
			}
		},
	}
	mcpOnly := tool.Def[struct{}, thing]{
		Name:   "mcp_only",
		Handle: func(context.Context, struct{}) (thing, error) { return thing{}, nil },
	}
	return []tool.Tool{create, get, wait, mcpOnly}
}

func newFixture(tb testing.TB, opts ...option) *fixture {
	tb.Helper()
	logger, logs := obstest.NewLogger(tb, "codebase-mcp", slog.LevelDebug)
	f := &fixture{
		reg:     prometheus.NewRegistry(),
		logs:    logs,
		release: make(chan struct{}),
		started: make(chan struct{}, 1),
	}
	f.health.Store(healthy())
	cfg := httpserver.Config{}
	deps := httpserver.Deps{
		Logger:   logger,
		Metrics:  obs.NewRequestMetrics(f.reg, prefix),
		Gatherer: f.reg,
		Health:   func(context.Context) httpserver.HealthReport { return *f.health.Load() },
		MCP:      mcpStub,
		SSE:      mcpStub,
		Message:  mcpStub,
		Tools:    f.tools(),
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	srv, err := httpserver.New(cfg, deps)
	if err != nil {
		tb.Fatalf("httpserver.New: %v", err)
	}
	f.srv = srv
	f.h = srv.Handler()
	return f
}

// do serves one request through the complete handler.
func (f *fixture) do(tb testing.TB, method, target, body string, header ...string) *httptest.ResponseRecorder {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// errorBody decodes a REST error document, failing unless it has exactly
// the fields of docs/api.md.
func errorBody(tb testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	tb.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type = %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		tb.Fatalf("error body is not JSON: %v: %s", err, rec.Body)
	}
	for _, k := range []string{"error", "message", "details"} {
		if _, ok := m[k]; !ok {
			tb.Errorf("error body lacks %q: %s", k, rec.Body)
		}
	}
	if len(m) != 3 {
		tb.Errorf("error body has fields beyond error, message, details: %s", rec.Body)
	}
	if _, ok := m["message"].(string); !ok {
		tb.Errorf("message is not a string: %s", rec.Body)
	}
	if _, ok := m["details"].(map[string]any); !ok {
		tb.Errorf("details is not an object: %s", rec.Body)
	}
	return m
}

// requestLine returns the only http_request log line, failing otherwise.
func (f *fixture) requestLine(tb testing.TB) map[string]any {
	tb.Helper()
	lines := f.logs.Events(tb, "http_request")
	if len(lines) != 1 {
		tb.Fatalf("http_request lines = %d, want 1:\n%s", len(lines), f.logs.String())
	}
	return lines[0]
}

func TestNew_RouteConflict(t *testing.T) {
	noop := func(context.Context, struct{}) (thing, error) { return thing{}, nil }
	a := tool.Def[struct{}, thing]{Name: "a", Route: &tool.Route{Method: "GET", Path: "/mcp/x"}, Handle: noop}
	b := tool.Def[struct{}, thing]{Name: "b", Route: &tool.Route{Method: "GET", Path: "/mcp/x"}, Handle: noop}
	reg := prometheus.NewRegistry()
	_, err := httpserver.New(httpserver.Config{}, httpserver.Deps{
		Logger:   obs.NewLogger(obs.LogConfig{Writer: io.Discard}),
		Metrics:  obs.NewRequestMetrics(reg, prefix),
		Gatherer: reg,
		Health:   func(context.Context) httpserver.HealthReport { return *healthy() },
		Tools:    []tool.Tool{a, b},
	})
	if err == nil {
		t.Fatal("New accepted two tools on the same route")
	}
	if !strings.Contains(err.Error(), "GET /mcp/x") || !strings.Contains(err.Error(), "tool b") {
		t.Errorf("error %q does not name the route and the tool", err)
	}
}

func TestNew_MCPOnlyToolHasNoRoute(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/mcp/mcp_only", "/mcp_only"} {
		rec := f.do(t, http.MethodPost, target, "{}")
		if rec.Code != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", target, rec.Code)
		}
	}
}

func TestNew_UnsetMCPHandlersAreNotMounted(t *testing.T) {
	f := newFixture(t, func(_ *httpserver.Config, d *httpserver.Deps) { d.MCP, d.SSE, d.Message = nil, nil, nil })
	for _, rt := range [][2]string{{"POST", "/mcp"}, {"GET", "/sse"}, {"POST", "/message"}} {
		rec := f.do(t, rt[0], rt[1], "")
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s %s = %d, want 404", rt[0], rt[1], rec.Code)
			continue
		}
		if got := errorBody(t, rec)["error"]; got != "NOT_FOUND" {
			t.Errorf("%s %s error = %v", rt[0], rt[1], got)
		}
	}
}

func TestNew_MountsMCPTransports(t *testing.T) {
	f := newFixture(t)
	for _, rt := range [][2]string{{"POST", "/mcp"}, {"GET", "/mcp"}, {"DELETE", "/mcp"}, {"GET", "/sse"}, {"POST", "/message"}} {
		rec := f.do(t, rt[0], rt[1], "")
		if rec.Code != http.StatusOK || rec.Body.String() != "mcp ok "+rt[0] {
			t.Errorf("%s %s = %d %q, want the MCP handler", rt[0], rt[1], rec.Code, rec.Body)
		}
	}
}

// notifyListener reports when it is closed, which is the first thing
// http.Server.Shutdown does.
type notifyListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func (l *notifyListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func TestServe_DrainsInFlightRequests(t *testing.T) {
	f := newFixture(t)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &notifyListener{Listener: raw, closed: make(chan struct{})}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, ln) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+raw.Addr().String()+"/mcp/wait", "application/json", strings.NewReader("{}"))
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, body: string(b)}
	}()

	waitFor(t, f.started, "the in-flight request to start")
	cancel()
	waitFor(t, ln.closed, "Serve to stop accepting")
	close(f.release)

	r := <-got
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, `"name":"done"`) {
		t.Errorf("in-flight request = %d %q (err %v), want it to complete during shutdown", r.status, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil after a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
}

func TestServe_ShutdownTimeoutClosesStuckConnections(t *testing.T) {
	f := newFixture(t, withConfig(func(c *httpserver.Config) { c.ShutdownTimeout = 20 * time.Millisecond }))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, ln) }()

	reqDone := make(chan struct{})
	go func() {
		defer close(reqDone)
		resp, err := http.Post("http://"+ln.Addr().String()+"/mcp/wait", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, f.started, "the stuck request to start")
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve waited past ShutdownTimeout for a stuck request")
	}
	close(f.release)
	<-reqDone
}

func TestServe_ListenerError(t *testing.T) {
	f := newFixture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	errc := make(chan error, 1)
	go func() { errc <- f.srv.Serve(context.Background(), ln) }()
	select {
	case err := <-errc:
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve on a closed listener = %v, want the accept error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve on a closed listener did not return")
	}
}

func waitFor(tb testing.TB, ch <-chan struct{}, what string) {
	tb.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		tb.Fatalf("timed out waiting for %s", what)
	}
}
