package mcpserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mcp-memory/servers/internal/platform/mcpserver"
	"github.com/mcp-memory/servers/internal/platform/obs"
	"github.com/mcp-memory/servers/internal/platform/obs/obstest"
)

// initSession opens a session the way a 2025-era client does (sessions
// were removed from the protocol in 2026-07-28) and returns its id.
func initSession(tb testing.TB, url string) string {
	tb.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || id == "" {
		tb.Fatalf("initialize: status %d, session %q", resp.StatusCode, id)
	}
	return id
}

// ping sends a request in session id and returns the HTTP status.
func ping(tb testing.TB, url, id string) int {
	tb.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", id)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Clients that never DELETE their sessions must not grow the server
// without bound: beyond MaxSessions the least recently used session ends,
// and its client gets 404 (its cue to initialize again).
func TestSessions_CappedLeastRecentlyUsedEnds(t *testing.T) {
	logger, _ := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	srv, err := mcpserver.New(mcpserver.Config{Name: "codebase-mcp", Version: "t", MaxSessions: 3}, logger,
		obs.NewRequestMetrics(prometheus.NewRegistry(), prefix), nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", srv.StreamableHTTP())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	url := ts.URL + "/mcp"

	a, b, c := initSession(t, url), initSession(t, url), initSession(t, url)
	if st := ping(t, url, a); st != 200 { // a is now the most recently used
		t.Fatalf("ping a = %d", st)
	}
	d := initSession(t, url) // over the cap: b, the least recently used, ends
	if got := srv.LiveSessions(); got != 3 {
		t.Errorf("live sessions = %d, want 3", got)
	}
	for id, want := range map[string]int{a: 200, b: 404, c: 200, d: 200} {
		if st := ping(t, url, id); st != want {
			t.Errorf("ping %s = %d, want %d", id, st, want)
		}
	}
	for i := 0; i < 50; i++ {
		initSession(t, url)
	}
	if got := srv.LiveSessions(); got != 3 {
		t.Errorf("after 50 more sessions: live = %d, want 3", got)
	}
	if st := ping(t, url, "not-a-session"); st == 200 {
		t.Errorf("a malformed session id was accepted")
	}
}

// In stateless mode no session is kept: every request stands alone, so any
// replica behind a load balancer can answer it.
func TestStateless_NoSessions(t *testing.T) {
	logger, _ := obstest.NewLogger(t, "codebase-mcp", slog.LevelDebug)
	f := &fixture{}
	srv, err := mcpserver.New(mcpserver.Config{Name: "codebase-mcp", Version: "t", Stateless: true}, logger,
		obs.NewRequestMetrics(prometheus.NewRegistry(), prefix), f.tools())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", srv.StreamableHTTP())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	// A tools/call with no session and no initialize succeeds.
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`
	req, _ := http.NewRequest("POST", ts.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(data), `hi`) {
		t.Fatalf("session-less tools/call = %d %s", resp.StatusCode, data)
	}
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
		t.Errorf("stateless server handed out session %q", id)
	}
	if n := srv.LiveSessions(); n != 0 {
		t.Errorf("live sessions = %d, want 0", n)
	}
}
