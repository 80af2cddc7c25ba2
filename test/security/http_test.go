//go:build e2e

package security_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// token is the bearer token of the servers that need one.
const token = "sec-test-token-6b0f7d2c9e1a4f3b"

// eachBinary runs f for both binaries in parallel.
func eachBinary(t *testing.T, f func(t *testing.T, name string)) {
	t.Helper()
	for _, name := range []string{codebase, workflow} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, name)
		})
	}
}

// bodyFor is a JSON body for methods that take one.
func bodyFor(method string) any {
	if method == http.MethodPost || method == http.MethodPatch {
		return map[string]any{}
	}
	return nil
}

// TestBearerTokenOnEveryRoute: with --auth-token, every route but /health
// answers 401 with the JSON error envelope and WWW-Authenticate to a
// missing, wrong, truncated, extended or wrongly-schemed token, and lets
// the right one through (the scheme name in any case).
func TestBearerTokenOnEveryRoute(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serve(t, name, nil, "--database-url", migratedDB(t, name), "--auth-token", token)
		bad := map[string][]string{
			"none":      nil,
			"wrong":     {"Authorization", "Bearer wrong"},
			"no scheme": {"Authorization", token},
			"basic":     {"Authorization", "Basic " + token},
			"truncated": {"Authorization", "Bearer " + token[:len(token)-1]},
			"extended":  {"Authorization", "Bearer " + token + "0"},
			"empty":     {"Authorization", "Bearer "},
		}
		for _, rt := range routes(t, name) {
			for what, hdr := range bad {
				r := do(t, rt.method, s.url+rt.path, bodyFor(rt.method), hdr...)
				if r.status != http.StatusUnauthorized || r.json["error"] != "UNAUTHORIZED" || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s with token %s: %d %s (WWW-Authenticate %q), want 401 UNAUTHORIZED JSON",
						rt, what, r.status, r.body, r.header.Get("WWW-Authenticate"))
				}
			}
			for _, scheme := range []string{"Bearer ", "bearer "} {
				if r := do(t, rt.method, s.url+rt.path, bodyFor(rt.method), "Authorization", scheme+token); r.status == http.StatusUnauthorized {
					t.Errorf("%s with %q and the right token: 401 %s", rt, scheme, r.body)
				}
			}
		}
		if r := do(t, "GET", s.url+"/health", nil); r.status != http.StatusOK {
			t.Errorf("/health without a token: %d %s, want 200 (probes send none)", r.status, r.body)
		}
		s.stop(t)
		if strings.Contains(s.output(), token) {
			t.Errorf("the token appears in the output:\n%s", s.output())
		}
	})
}

// TestBrowserGuardsOnEveryRoute: a request naming a foreign Host on a
// loopback-bound server (DNS rebinding) is refused with a JSON 403 on
// every route; a foreign or opaque ("null") Origin is refused on every
// route but /health and /metrics (which browsers cannot read cross-site
// without CORS headers, and probes call); loopback origins pass.
func TestBrowserGuardsOnEveryRoute(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serve(t, name, nil, "--database-url", migratedDB(t, name), "--auth-token", token)
		auth := []string{"Authorization", "Bearer " + token}
		all := append(routes(t, name), route{"GET", "/health"})
		_, port, _ := net.SplitHostPort(s.addr)
		for _, rt := range all {
			for _, host := range []string{"evil.example", "evil.example:" + port, "192.168.1.10:" + port} {
				r := do(t, rt.method, s.url+rt.path, bodyFor(rt.method), append([]string{"Host", host}, auth...)...)
				if r.status != http.StatusForbidden || r.json["error"] != "FORBIDDEN" || r.json["message"] == "" {
					t.Errorf("%s with Host %s: %d %s, want a JSON 403 FORBIDDEN", rt, host, r.status, r.body)
				}
			}
			for _, host := range []string{"localhost:" + port, "[::1]:" + port} {
				if r := do(t, rt.method, s.url+rt.path, bodyFor(rt.method), append([]string{"Host", host}, auth...)...); r.status == http.StatusForbidden {
					t.Errorf("%s with Host %s: 403 %s, want it allowed", rt, host, r.body)
				}
			}
			skipsOrigin := rt.path == "/health" || rt.path == "/metrics"
			for _, origin := range []string{"https://evil.example", "http://evil.example:" + port, "null"} {
				r := do(t, rt.method, s.url+rt.path, bodyFor(rt.method), append([]string{"Origin", origin}, auth...)...)
				forbidden := r.status == http.StatusForbidden && r.json["error"] == "FORBIDDEN"
				if forbidden == skipsOrigin {
					t.Errorf("%s with Origin %s: %d %s (403 wanted: %v)", rt, origin, r.status, r.body, !skipsOrigin)
				}
				if acao := r.header.Get("Access-Control-Allow-Origin"); acao != "" {
					t.Errorf("%s with Origin %s: Access-Control-Allow-Origin %q, want none", rt, origin, acao)
				}
			}
			for _, origin := range []string{"http://localhost:3000", "http://127.0.0.1:" + port} {
				if r := do(t, rt.method, s.url+rt.path, bodyFor(rt.method), append([]string{"Origin", origin}, auth...)...); r.status == http.StatusForbidden {
					t.Errorf("%s with Origin %s: 403 %s, want it allowed", rt, origin, r.body)
				}
			}
		}
	})
}

// chunked hides a reader's length so the client sends it chunked.
type chunked struct{ io.Reader }

// TestRequestBodies: REST bodies must be declared JSON (415: an HTML form
// cannot send application/json cross-site without a preflight) and every
// body, REST or MCP, is capped at 4 MiB (413), also when it arrives
// chunked without a Content-Length.
func TestRequestBodies(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serve(t, name, nil, "--database-url", migratedDB(t, name))
		rest := "/mcp/search"
		if name == workflow {
			rest = "/mcp/projects"
		}
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
			r := do(t, "POST", s.url+rest, `{"query":"x","name":"x"}`, "Content-Type", ct)
			if r.status != http.StatusUnsupportedMediaType || r.json["error"] != "UNSUPPORTED_MEDIA_TYPE" {
				t.Errorf("POST %s with Content-Type %q: %d %s, want 415 UNSUPPORTED_MEDIA_TYPE", rest, ct, r.status, r.body)
			}
		}
		big := `{"query":"` + strings.Repeat("a", 5<<20) + `"}`
		for _, path := range []string{rest, "/mcp"} {
			hdr := []string{"Content-Type", "application/json", "Accept", "application/json, text/event-stream"}
			for kind, body := range map[string]any{"sized": big, "chunked": chunked{strings.NewReader(big)}} {
				r := do(t, "POST", s.url+path, body, hdr...)
				if r.status != http.StatusRequestEntityTooLarge || r.json["error"] != "PAYLOAD_TOO_LARGE" {
					t.Errorf("POST %s with a 5 MiB %s body: %d %.200s, want 413 PAYLOAD_TOO_LARGE", path, kind, r.status, r.body)
				}
			}
		}
	})
}

// TestLoopbackByDefault: without --host the servers listen on 127.0.0.1
// only; a non-loopback host without a token is a configuration error
// (exit 2) that names the fix, before anything listens.
func TestLoopbackByDefault(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serve(t, name, nil, "--database-url", migratedDB(t, name))
		host, port, _ := net.SplitHostPort(s.addr)
		if host != "127.0.0.1" {
			t.Errorf("default bind address %s, want 127.0.0.1", s.addr)
		}
		// Where the machine has another address, nothing answers on it.
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			if c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), time.Second); err == nil {
				c.Close()
				t.Errorf("the server answers on %s:%s, want loopback only", ipn.IP, port)
			}
		}
		for _, env := range [][]string{nil, {"HOST=0.0.0.0"}, {"HOST=::"}} {
			// A database nobody listens on: the refusal comes before any use of it.
			args := []string{"serve", "--port", "0", "--database-url", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=1"}
			if env == nil {
				args = append(args, "--host", "192.0.2.1")
			}
			code, out := run(t, name, cleanEnv(env...), args...)
			if code != 2 || !strings.Contains(out, "--auth-token") || !strings.Contains(out, "MCP_AUTH_TOKEN") {
				t.Errorf("serve on a non-loopback host (env %v) without a token: exit %d, want 2 naming --auth-token and MCP_AUTH_TOKEN:\n%s", env, code, out)
			}
			if strings.Contains(out, "server_started") {
				t.Errorf("serve started anyway:\n%s", out)
			}
		}
	})
}

// initialize opens a Streamable HTTP session and returns its id.
func initialize(t *testing.T, url string) string {
	t.Helper()
	r := do(t, "POST", url+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"security-test","version":"1"}}}`,
		"Content-Type", "application/json", "Accept", "application/json, text/event-stream")
	id := r.header.Get("Mcp-Session-Id")
	if r.status != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d %s (session %q)", r.status, r.body, id)
	}
	return id
}

// listTools sends tools/list in a session and returns the HTTP status.
func listTools(t *testing.T, url, session string) int {
	t.Helper()
	r := do(t, "POST", url+"/mcp", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		"Content-Type", "application/json", "Accept", "application/json, text/event-stream",
		"Mcp-Session-Id", session, "Mcp-Protocol-Version", "2025-06-18")
	return r.status
}

// TestSessionLimits: the number of live MCP sessions is capped (a new one
// beyond --max-sessions ends the least recently used) and idle sessions
// end after --session-idle-timeout; an ended session answers 404, the
// client's cue to initialize again.
func TestSessionLimits(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	eachBinary(t, func(t *testing.T, name string) {
		s := serve(t, name, nil, "--database-url", migratedDB(t, name), "--max-sessions", "2", "--session-idle-timeout", ttl.String())
		a := initialize(t, s.url)
		b := initialize(t, s.url)
		if got := listTools(t, s.url, a); got != http.StatusOK {
			t.Fatalf("tools/list in a live session: %d", got)
		}
		// a was used last: the third session ends b, the least recently used.
		c := initialize(t, s.url)
		if got := listTools(t, s.url, b); got != http.StatusNotFound {
			t.Errorf("tools/list in the session evicted by the cap: %d, want 404", got)
		}
		for _, id := range []string{a, c} {
			if got := listTools(t, s.url, id); got != http.StatusOK {
				t.Errorf("tools/list in a session within the cap: %d, want 200", got)
			}
		}
		// The sweeper runs every ttl/2; after 2.5 ttl without a request
		// both sessions have ended.
		time.Sleep(ttl*2 + ttl/2)
		for _, id := range []string{a, c} {
			if got := listTools(t, s.url, id); got != http.StatusNotFound {
				t.Errorf("tools/list in a session idle for %s (timeout %s): %d, want 404", ttl*2+ttl/2, ttl, got)
			}
		}
		if got := listTools(t, s.url, "mcp-session-"+fmt.Sprint("00000000-0000-0000-0000-000000000000")); got != http.StatusNotFound {
			t.Errorf("tools/list in a session that never existed: %d, want 404", got)
		}
	})
}
