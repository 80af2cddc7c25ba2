//go:build e2e

package e2e_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
)

// keys returns the sorted keys of m.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameKeys(m map[string]any, want ...string) bool {
	sort.Strings(want)
	return strings.Join(keys(m), ",") == strings.Join(want, ",")
}

// checkHealthy checks a /health document against docs/api.md for a
// healthy server with the given pool bounds.
func checkHealthy(t *testing.T, name string, h map[string]any, minSize, maxSize float64) {
	t.Helper()
	want := []string{"status", "timestamp", "database_status", "connection_pool", "uptime_seconds", "details"}
	if name == workflow {
		want = append(want, "dependencies")
	}
	if !sameKeys(h, want...) {
		t.Errorf("/health fields = %v, want exactly %v", keys(h), want)
	}
	if h["status"] != "healthy" {
		t.Errorf("status = %v, want healthy", h["status"])
	}
	ts, _ := h["timestamp"].(string)
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Errorf("timestamp %q is not RFC 3339: %v", ts, err)
	}
	if h["database_status"] != "connected" {
		t.Errorf("database_status = %v, want connected", h["database_status"])
	}
	if up, ok := h["uptime_seconds"].(float64); !ok || up < 0 {
		t.Errorf("uptime_seconds = %#v, want a non-negative number", h["uptime_seconds"])
	}
	if v, ok := h["details"]; !ok || v != nil {
		t.Errorf("details = %#v, want null", v)
	}
	pool, ok := h["connection_pool"].(map[string]any)
	if !ok {
		t.Fatalf("connection_pool = %#v, want an object", h["connection_pool"])
	}
	if !sameKeys(pool, "size", "min_size", "max_size", "free", "utilization_percent") {
		t.Errorf("connection_pool fields = %v", keys(pool))
	}
	for _, k := range keys(pool) {
		if _, ok := pool[k].(float64); !ok {
			t.Errorf("connection_pool.%s = %#v, want a number", k, pool[k])
		}
	}
	if pool["min_size"] != minSize || pool["max_size"] != maxSize {
		t.Errorf("connection_pool min_size/max_size = %v/%v, want %v/%v", pool["min_size"], pool["max_size"], minSize, maxSize)
	}
	size, _ := pool["size"].(float64)
	free, _ := pool["free"].(float64)
	if size > maxSize || free > size {
		t.Errorf("connection_pool size %v, free %v: want free <= size <= max_size", size, free)
	}
	if u, _ := pool["utilization_percent"].(float64); u < 0 || u > 100 {
		t.Errorf("utilization_percent = %v, want 0..100", u)
	}
}

// TestHealth: /health answers 200 with exactly the docs/api.md fields and
// the default pool bounds of each server.
func TestHealth(t *testing.T) {
	t.Parallel()
	bounds := map[string][2]float64{codebase: {5, 20}, workflow: {2, 10}}
	eachBinary(t, func(t *testing.T, name string) {
		s := serveDB(t, name)
		resp, body := get(t, s.URL+"/health")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/health = %d, want 200\n%s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		var h map[string]any
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatalf("/health body is not JSON: %v\n%s", err, body)
		}
		checkHealthy(t, name, h, bounds[name][0], bounds[name][1])
		s.stop(t, syscall.SIGTERM)
	})
}

// TestHealthPoolFlags: --db-pool-min/--db-pool-max show up in /health.
func TestHealthPoolFlags(t *testing.T) {
	t.Parallel()
	s := serveDB(t, workflow, "--db-pool-min", "1", "--db-pool-max", "3")
	_, h := getObject(t, s.URL+"/health")
	checkHealthy(t, workflow, h, 1, 3)
}

// waitDependency polls workflow-mcp's /health until
// dependencies.codebase_mcp is want (the prober runs every 5 s).
func waitDependency(t *testing.T, s *server, want string) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		code, h := getObject(t, s.URL+"/health")
		deps, _ := h["dependencies"].(map[string]any)
		if code == http.StatusOK && deps["codebase_mcp"] == want && len(deps) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health after 8 s: %d dependencies=%v, want 200 with {codebase_mcp: %s}", code, h["dependencies"], want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHealthDependencies: workflow-mcp reports codebase-mcp as unreachable
// or reachable, and stays healthy either way.
func TestHealthDependencies(t *testing.T) {
	t.Parallel()
	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		s := serveDB(t, workflow, "--codebase-url", fmt.Sprintf("http://127.0.0.1:%d", dbtest.FreePort(t)))
		waitDependency(t, s, "unreachable")
		_, h := getObject(t, s.URL+"/health")
		checkHealthy(t, workflow, h, 2, 10)
	})
	t.Run("reachable", func(t *testing.T) {
		t.Parallel()
		cb := serveDB(t, codebase)
		s := serveDB(t, workflow, "--codebase-url", cb.URL+"/")
		waitDependency(t, s, "reachable")
	})
	t.Run("codebase has none", func(t *testing.T) {
		t.Parallel()
		s := serveDB(t, codebase)
		if _, h := getObject(t, s.URL+"/health"); h["dependencies"] != nil {
			t.Errorf("codebase-mcp /health has dependencies %v, want none", h["dependencies"])
		}
	})
}

// metricsJSON is the JSON form of /metrics, decoded loosely so that field
// names and types are checked by the test rather than by encoding/json.
type metricsJSON struct {
	Counters   []map[string]any `json:"counters"`
	Histograms []map[string]any `json:"histograms"`
}

func findMetric(ms []map[string]any, name string) map[string]any {
	for _, m := range ms {
		if m["name"] == name {
			return m
		}
	}
	return nil
}

// TestMetrics: Prometheus text by default, the docs/api.md JSON with
// Accept: application/json; request, error, duration, pool, Go runtime and
// process metrics are present.
func TestMetrics(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serveDB(t, name)
		p := metricPrefix(name)
		// One success and one failure, so every request family has a series.
		get(t, s.URL+"/health")
		get(t, s.URL+"/no-such-route")

		resp, body := get(t, s.URL+"/metrics")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/metrics = %d\n%s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type = %q, want text/plain (Prometheus text)", ct)
		}
		text := string(body)
		for _, m := range []string{
			p + "_requests_total", p + "_errors_total", p + "_request_duration_seconds_bucket",
			p + "_db_pool_", "go_goroutines", "process_cpu_seconds_total",
		} {
			if !strings.Contains(text, "\n"+m) {
				t.Errorf("Prometheus text lacks %s", m)
			}
		}
		if !strings.Contains(text, "# HELP "+p+"_requests_total ") || !strings.Contains(text, "# TYPE "+p+"_request_duration_seconds histogram") {
			t.Errorf("Prometheus text lacks HELP/TYPE lines for the request metrics")
		}

		resp, body = get(t, s.URL+"/metrics", "Accept", "application/json")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("/metrics as JSON = %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var mj metricsJSON
		if err := json.Unmarshal(body, &mj); err != nil {
			t.Fatalf("/metrics JSON: %v\n%s", err, body)
		}
		for _, c := range mj.Counters {
			if !sameKeys(c, "name", "help_text", "value") {
				t.Errorf("counter fields = %v, want name, help_text, value", keys(c))
				break
			}
		}
		for _, n := range []string{p + "_requests_total", p + "_errors_total"} {
			c := findMetric(mj.Counters, n)
			if c == nil {
				t.Errorf("JSON counters lack %s", n)
				continue
			}
			if v, ok := c["value"].(float64); !ok || v < 1 {
				t.Errorf("%s value = %#v, want >= 1", n, c["value"])
			}
			if h, _ := c["help_text"].(string); h == "" {
				t.Errorf("%s has no help_text", n)
			}
		}
		h := findMetric(mj.Histograms, p+"_request_duration_seconds")
		if h == nil {
			t.Fatalf("JSON histograms lack %s_request_duration_seconds", p)
		}
		if !sameKeys(h, "name", "help_text", "buckets", "count", "sum") {
			t.Errorf("histogram fields = %v, want name, help_text, buckets, count, sum", keys(h))
		}
		if c, _ := h["count"].(float64); c < 2 {
			t.Errorf("histogram count = %v, want >= 2", h["count"])
		}
		if sum, ok := h["sum"].(float64); !ok || sum <= 0 {
			t.Errorf("histogram sum = %#v, want > 0", h["sum"])
		}
		buckets, _ := h["buckets"].([]any)
		if len(buckets) == 0 {
			t.Fatalf("histogram has no buckets")
		}
		prev := -1.0
		for _, b := range buckets {
			bm, _ := b.(map[string]any)
			le, ok1 := bm["bucket_le"].(float64)
			_, ok2 := bm["count"].(float64)
			if !sameKeys(bm, "bucket_le", "count") || !ok1 || !ok2 {
				t.Errorf("bucket = %v, want {bucket_le: number, count: number}", bm)
				break
			}
			if le <= prev {
				t.Errorf("bucket_le not increasing: %v after %v", le, prev)
			}
			prev = le
		}
	})
}

// TestMetricsErrorsTotalBeforeFirstError: *_errors_total is one of the
// metrics docs/api.md lists, so it must be exposed (at 0) before the first
// failed request, or dashboards and alerts on it see no data.
func TestMetricsErrorsTotalBeforeFirstError(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serveDB(t, name)
		get(t, s.URL+"/health") // a successful request only
		_, body := get(t, s.URL+"/metrics")
		if !strings.Contains(string(body), "\n"+metricPrefix(name)+"_errors_total") {
			t.Errorf("/metrics after only successful requests lacks %s_errors_total", metricPrefix(name))
		}
		if name != codebase {
			return
		}
		// The contract's indexing and search series exist before the first
		// job or search, for the same reason.
		for _, m := range []string{"codebase_mcp_indexing_duration_seconds_bucket", "codebase_mcp_indexing_operations_total", "codebase_mcp_search_latency_seconds"} {
			if !strings.Contains(string(body), "\n"+m) {
				t.Errorf("/metrics before any job or search lacks %s", m)
			}
		}
	})
}

// TestAuth: with --auth-token every route but /health needs the bearer token.
func TestAuth(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		s := serveDB(t, name, "--auth-token", "s3cret")
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "s3cret"}} {
			code, body := getObject(t, s.URL+"/metrics", hdr...)
			if code != http.StatusUnauthorized || body["error"] != "UNAUTHORIZED" {
				t.Errorf("/metrics with %v = %d %v, want 401 UNAUTHORIZED", hdr, code, body)
			}
			if msg, _ := body["message"].(string); msg == "" {
				t.Errorf("401 body has no message: %v", body)
			}
		}
		resp, _ := get(t, s.URL+"/metrics", "Authorization", "Bearer s3cret")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/metrics with the token = %d, want 200", resp.StatusCode)
		}
		resp, _ = get(t, s.URL+"/mcp")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/mcp without the token = %d, want 401", resp.StatusCode)
		}
		code, h := getObject(t, s.URL+"/health")
		if code != http.StatusOK || h["status"] != "healthy" {
			t.Errorf("/health without a token = %d %v, want 200 healthy", code, h)
		}
		// The token never appears in the logs.
		s.stop(t, syscall.SIGTERM)
		if strings.Contains(s.stderr.String(), "s3cret") {
			t.Errorf("the auth token appears in the log:\n%s", s.stderr.String())
		}
	})
}

var timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$`)

// checkLogLines checks every line against the docs/api.md log fields.
func checkLogLines(t *testing.T, name string, lines []logLine) {
	t.Helper()
	levels := map[string]bool{"DEBUG": true, "INFO": true, "WARNING": true, "ERROR": true, "CRITICAL": true}
	for _, l := range lines {
		if !timestampRE.MatchString(l.str("timestamp")) {
			t.Errorf("timestamp %q is not RFC 3339 UTC with at most microseconds: %v", l["timestamp"], l)
		}
		if !levels[l.str("level")] {
			t.Errorf("level %q not in DEBUG|INFO|WARNING|ERROR|CRITICAL: %v", l["level"], l)
		}
		if l.str("event") == "" {
			t.Errorf("no event: %v", l)
		}
		if l.str("server_id") != name {
			t.Errorf("server_id = %q, want %s: %v", l["server_id"], name, l)
		}
	}
}

// checkRequestLine checks the per-request fields of a log line.
func checkRequestLine(t *testing.T, l logLine, operation, outcome string) {
	t.Helper()
	if l.str("operation_name") != operation || l.str("outcome") != outcome {
		t.Errorf("request line operation_name/outcome = %v/%v, want %s/%s: %v", l["operation_name"], l["outcome"], operation, outcome, l)
	}
	if ms, ok := l["latency_ms"].(float64); !ok || ms < 0 {
		t.Errorf("latency_ms = %#v, want a number: %v", l["latency_ms"], l)
	}
}

// TestLogs: every stderr line is a docs/api.md JSON log line, and a
// request's line carries the client's X-Request-ID.
func TestLogs(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		t.Run("info", func(t *testing.T) {
			t.Parallel()
			s := serveDB(t, name)
			resp, _ := get(t, s.URL+"/no-such-route", "X-Request-ID", "e2e-123")
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Request-ID") != "e2e-123" {
				t.Errorf("GET /no-such-route = %d, X-Request-ID %q; want 404 echoing e2e-123", resp.StatusCode, resp.Header.Get("X-Request-ID"))
			}
			l := s.waitEvent(t, 5*time.Second, "http_request", func(l logLine) bool { return l.str("request_id") == "e2e-123" })
			checkRequestLine(t, l, "not_found", "failure")
			if ed, _ := l["error_details"].(map[string]any); ed["code"] != "NOT_FOUND" {
				t.Errorf("error_details = %v, want code NOT_FOUND", l["error_details"])
			}
			s.stop(t, syscall.SIGTERM)
			lines := jsonLines(t, s.stderr.Lines())
			checkLogLines(t, name, lines)
			if s.stdout.String() != "" {
				t.Errorf("serve wrote to stdout: %q", s.stdout.String())
			}
		})
		t.Run("debug", func(t *testing.T) {
			t.Parallel()
			s := serveDB(t, name, "--log-level", "debug")
			get(t, s.URL+"/health", "X-Request-ID", "e2e-123")
			l := s.waitEvent(t, 5*time.Second, "http_request", func(l logLine) bool { return l.str("request_id") == "e2e-123" })
			checkRequestLine(t, l, "health", "success")
			s.stop(t, syscall.SIGTERM)
			checkLogLines(t, name, jsonLines(t, s.stderr.Lines()))
		})
	})
}

// fileLines reads the complete lines of a file (nil while it is missing).
func fileLines(path string) func() []string {
	return func() []string {
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		defer f.Close()
		var out []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		return out
	}
}

// TestLogFile: --log-file sends every line to the file and none to stderr.
func TestLogFile(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		path := filepath.Join(t.TempDir(), "server.log")
		p := startProc(t, name, nil, "serve", "--port", "0", "--database-url", migratedDB(t, name), "--log-file", path)
		line := waitLine(t, p, 20*time.Second, "server_started in the log file", fileLines(path),
			func(s string) bool { return strings.Contains(s, `"event":"server_started"`) })
		var l logLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		addr, _ := l.context()["address"].(string)
		get(t, "http://"+addr+"/no-such-route", "X-Request-ID", "e2e-file")
		p.stop(t, syscall.SIGTERM)

		lines := jsonLines(t, fileLines(path)())
		checkLogLines(t, name, lines)
		var seen []string
		for _, l := range lines {
			seen = append(seen, l.str("event")+"/"+l.str("request_id"))
		}
		got := strings.Join(seen, " ")
		for _, want := range []string{"server_started/", "http_request/e2e-file", "server_stopped/"} {
			if !strings.Contains(got, want) {
				t.Errorf("log file events %q lack %s", got, want)
			}
		}
		if s := p.stderr.String(); s != "" {
			t.Errorf("stderr = %q, want nothing with --log-file", s)
		}
	})
}

var textAddrRE = regexp.MustCompile(`address[:=](127\.0\.0\.1:\d+)`)

// TestLogFormatText: --log-format text writes human lines, not JSON.
func TestLogFormatText(t *testing.T) {
	t.Parallel()
	eachBinary(t, func(t *testing.T, name string) {
		p := startProc(t, name, nil, "serve", "--port", "0", "--database-url", migratedDB(t, name), "--log-format", "text")
		line := waitLine(t, p, 20*time.Second, "server_started", p.stderr.Lines,
			func(s string) bool { return strings.Contains(s, "server_started") })
		m := textAddrRE.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("server_started line has no address: %q", line)
		}
		get(t, "http://"+m[1]+"/no-such-route")
		p.stop(t, syscall.SIGTERM)
		lines := p.stderr.Lines()
		if len(lines) < 3 {
			t.Errorf("want at least 3 lines (started, request, stopped), got %q", lines)
		}
		for _, s := range lines {
			var v any
			if json.Unmarshal([]byte(s), &v) == nil {
				t.Errorf("text format line is JSON: %q", s)
			}
			if !strings.Contains(s, "server_id="+name) {
				t.Errorf("text line lacks server_id=%s: %q", name, s)
			}
		}
		if !strings.Contains(lines[0], "INF") || strings.ContainsRune(lines[0], '\x1b') {
			t.Errorf("first line %q: want a level abbreviation and no colors on a pipe", lines[0])
		}
	})
}
