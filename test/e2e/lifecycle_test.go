//go:build e2e

package e2e_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

// TestGracefulShutdown: SIGTERM and SIGINT stop serve with exit 0 after
// logging server_stopped.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		db := migratedDB(t, name)
		for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(sig.String(), func(t *testing.T) {
				s := startServer(t, name, nil, "--port", "0", "--database-url", db)
				get(t, s.URL+"/health") // leaves an idle keep-alive connection open
				start := time.Now()
				s.stop(t, sig)
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("shutdown took %s, want well under 3 s for an idle server", d)
				}
				stopped := s.events(t, "server_stopped")
				if len(stopped) != 1 {
					t.Fatalf("%d server_stopped lines, want 1\nstderr:\n%s", len(stopped), s.stderr.String())
				}
				if _, ok := stopped[0].context()["uptime_seconds"].(float64); !ok {
					t.Errorf("server_stopped has no context.uptime_seconds: %v", stopped[0])
				}
				if _, err := http.Get(s.URL + "/health"); err == nil {
					t.Errorf("the port still answers after exit")
				}
			})
		}
	})
}

// TestShutdownWithOpenStreams: an MCP client that keeps a server-to-client
// stream open (legacy SSE, or the Streamable HTTP GET stream) must not hold
// the process after SIGTERM for the whole drain timeout. Such streams never
// end on their own, and process managers do not wait long (docker stop
// kills after 10 s), so they must be closed at once on shutdown.
func TestShutdownWithOpenStreams(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		t.Run("sse", func(t *testing.T) {
			t.Parallel()
			s := serveDB(t, name)
			body := openStream(t, s.URL+"/sse", nil)
			sc := bufio.NewScanner(body)
			for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: endpoint") {
			}
			checkPromptExit(t, s)
		})
		t.Run("streamable http GET", func(t *testing.T) {
			t.Parallel()
			s := serveDB(t, name)
			init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/mcp", strings.NewReader(init))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the session header matters
			resp.Body.Close()
			sid := resp.Header.Get("Mcp-Session-Id")
			if resp.StatusCode != http.StatusOK || sid == "" {
				t.Fatalf("initialize = %d, session %q", resp.StatusCode, sid)
			}
			openStream(t, s.URL+"/mcp", http.Header{"Mcp-Session-Id": {sid}, "Accept": {"text/event-stream"}})
			checkPromptExit(t, s)
		})
	})
}

// openStream GETs a long-lived event stream and returns its body once the
// response headers arrived.
func openStream(t *testing.T, url string, h http.Header) io.Reader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if h != nil {
		req.Header = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200 (a stream)", url, resp.StatusCode)
	}
	return resp.Body
}

// checkPromptExit sends SIGTERM and wants exit 0 within 5 s.
func checkPromptExit(t *testing.T, s *server) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, ok := s.wait(5 * time.Second)
	if !ok {
		t.Fatalf("%s still running 5 s after SIGTERM with one stream open: the stream blocks http.Server.Shutdown until its 20 s drain timeout", s.name)
	}
	if code != 0 {
		t.Errorf("exit %d, want 0\nstderr:\n%s", code, s.stderr.String())
	}
}

// healthState is one /health answer.
type healthState struct {
	code           int
	status, dbStat string
	took           time.Duration
}

func pollHealth(t *testing.T, url string) healthState {
	t.Helper()
	start := time.Now()
	code, h := getObject(t, url+"/health")
	st, _ := h["status"].(string)
	db, _ := h["database_status"].(string)
	return healthState{code: code, status: st, dbStat: db, took: time.Since(start)}
}

// TestDatabaseLoss: when PostgreSQL goes away under a running codebase-mcp,
// /health turns 503 unhealthy/disconnected within 5 s and the log says
// database_connection_lost; when it comes back, /health is 200 healthy
// within 30 s and the log says database_reconnected.
func TestDatabaseLoss(t *testing.T) {
	t.Parallel()
	c := dbtest.NewCluster(t)
	db := c.CreateDatabase(t, "codebase_e2e")
	if r := runCmd(t, codebase, nil, "migrate", "--database-url", db); r.Code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.Code, r.Stderr)
	}
	s := startServer(t, codebase, nil, "--port", "0", "--database-url", db)
	if h := pollHealth(t, s.URL); h.code != http.StatusOK || h.status != "healthy" {
		t.Fatalf("/health before the outage = %+v, want 200 healthy", h)
	}

	c.Stop(t, "immediate")
	lost := time.Now()
	var h healthState
	for {
		h = pollHealth(t, s.URL)
		if h.took > time.Second {
			t.Errorf("/health took %s during the outage; it must not wait on the database", h.took)
		}
		if h.code == http.StatusServiceUnavailable && h.status == "unhealthy" && h.dbStat == "disconnected" {
			break
		}
		if time.Since(lost) > 5*time.Second {
			t.Fatalf("/health 5 s after the database stopped = %+v, want 503 unhealthy/disconnected", h)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("outage seen by /health after %s", time.Since(lost).Round(time.Millisecond))
	l := s.waitEvent(t, 2*time.Second, "database_connection_lost", nil)
	if l.str("error") != "database_connection_lost" {
		t.Errorf("database_connection_lost line has error %q, want database_connection_lost: %v", l["error"], l)
	}
	if lv := l.str("level"); lv != "ERROR" && lv != "CRITICAL" {
		t.Errorf("database_connection_lost level = %s, want ERROR or CRITICAL", lv)
	}
	if d, ok := l.context()["detection_time_seconds"].(float64); !ok || d < 0 || d > 5 {
		t.Errorf("context.detection_time_seconds = %#v, want a number within 0..5: %v", l.context()["detection_time_seconds"], l)
	}

	c.Start(t)
	back := time.Now()
	for {
		h = pollHealth(t, s.URL)
		if h.code == http.StatusOK && h.status == "healthy" && h.dbStat == "connected" {
			break
		}
		if time.Since(back) > 30*time.Second {
			t.Fatalf("/health 30 s after the database came back = %+v, want 200 healthy", h)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("recovery seen by /health after %s", time.Since(back).Round(time.Millisecond))
	l = s.waitEvent(t, 2*time.Second, "database_reconnected", nil)
	if d, ok := l.context()["downtime_seconds"].(float64); !ok || d <= 0 {
		t.Errorf("context.downtime_seconds = %#v, want a positive number: %v", l.context()["downtime_seconds"], l)
	}
	if n := len(s.events(t, "database_connection_lost")); n != 1 {
		t.Errorf("%d database_connection_lost lines for one outage, want 1", n)
	}
	s.stop(t, syscall.SIGTERM)
}
