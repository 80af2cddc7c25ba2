//go:build scenarios

package scenarios_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// TestScenario6_Observability: /health is fast and complete, /metrics is
// valid Prometheus text and JSON whose counters move with the requests
// just made, every log line is JSON with the contract fields, and slow
// operations and a busy pool produce their warnings.
func TestScenario6_Observability(t *testing.T) {
	st := newStack(t, nil, nil)
	for _, s := range []*server{st.cb, st.wf} {
		t.Run("Health/"+s.name, func(t *testing.T) { testHealth(t, s) })
	}
	for _, s := range []*server{st.cb, st.wf} {
		t.Run("Metrics/"+s.name, func(t *testing.T) { testMetrics(t, s) })
	}
	t.Run("ContractMetrics", func(t *testing.T) {
		// The domain metrics of CONTRACT.md move with an index job and a search.
		before, _ := scrapeErr(st.cb.URL)
		indexRepo(t, st.cb.URL, fixtureRepo(t, env.profile.WorkRepoFiles, 6), "observability", false)
		search(t, st.cb.URL, map[string]any{"query": "parse config", "limit": 5, "project_id": "observability"})
		fams := scrape(t, st.cb.URL)
		for _, n := range []string{"codebase_mcp_search_latency_seconds", "codebase_mcp_indexing_duration_seconds",
			"codebase_mcp_indexing_operations_total"} {
			was, _ := total(before, n)
			now, ok := total(fams, n)
			switch {
			case !ok:
				t.Errorf("codebase-mcp /metrics lacks %s (CONTRACT.md) after an index job and a search", n)
			case now <= was:
				t.Errorf("%s did not move with an index job and a search: %v before, %v after", n, was, now)
			}
			if _, ok := before[n]; !ok {
				t.Logf("note: %s is absent from /metrics until its first observation", n)
			}
		}
	})
	t.Run("SlowOperationAndPoolUtilization", func(t *testing.T) { testSlowAndBusy(t) })
	t.Run("Logs", func(t *testing.T) {
		for _, s := range []*server{st.cb, st.wf} {
			checkLogs(t, s)
		}
	})
}

func testHealth(t *testing.T, s *server) {
	lat := make([]time.Duration, 0, env.profile.HealthCalls)
	for i := 0; i < env.profile.HealthCalls; i++ {
		r := do("GET", s.URL+"/health", nil)
		if r.Err != nil || r.Status != http.StatusOK {
			t.Fatalf("call %d: %s", i, r.describe("GET", s.URL+"/health"))
		}
		lat = append(lat, r.Took)
	}
	rec := perf.NewRecord(s.name, "health", lat, env.profile.target(targetHealth), 0, map[string]any{"calls": len(lat), "sequential": true})
	emit(t, rec)
	if !rec.Pass {
		t.Errorf("/health p95 %.2f ms over %.0f ms", rec.P95, rec.TargetP95)
	}
	_, m := getHealth(t, s.URL)
	for _, k := range []string{"status", "timestamp", "database_status", "connection_pool", "uptime_seconds", "details"} {
		if _, ok := m[k]; !ok {
			t.Errorf("/health lacks %q: %v", k, m)
		}
	}
	if _, err := time.Parse(time.RFC3339, str(m, "timestamp")); err != nil {
		t.Errorf("/health timestamp %q is not RFC 3339", m["timestamp"])
	}
	if st := str(m, "status"); st != "healthy" {
		t.Errorf("/health status %q on an idle server, want healthy", st)
	}
	pool := obj(m["connection_pool"])
	for _, k := range []string{"size", "min_size", "max_size", "free", "utilization_percent"} {
		if _, ok := pool[k].(float64); !ok {
			t.Errorf("/health connection_pool.%s missing or not a number: %v", k, pool)
		}
	}
	if s.name == workflow {
		if dep := str(obj(m["dependencies"]), "codebase_mcp"); dep != "reachable" {
			t.Errorf("workflow-mcp /health dependencies.codebase_mcp = %q with codebase-mcp running, want reachable", dep)
		}
	}
}

func getHealth(tb testing.TB, base string) (int, map[string]any) {
	tb.Helper()
	r := do("GET", base+"/health", nil)
	if r.Err != nil || r.JSON == nil {
		tb.Fatalf("%s", r.describe("GET", base+"/health"))
	}
	return r.Status, r.JSON
}

func testMetrics(t *testing.T, s *server) {
	p := metricPrefix(s.name)
	before := scrape(t, s.URL)
	reqBefore, _ := total(before, p+"_requests_total")
	errBefore, ok := total(before, p+"_errors_total")
	if !ok {
		t.Errorf("%s_errors_total absent", p)
	}
	durBefore, _ := total(before, p+"_request_duration_seconds")
	const okCalls, badCalls = 10, 3
	for i := 0; i < okCalls; i++ {
		do("GET", s.URL+"/health", nil)
	}
	for i := 0; i < badCalls; i++ {
		do("GET", s.URL+"/mcp/no-such-route", nil)
	}
	after := scrape(t, s.URL)
	reqAfter, _ := total(after, p+"_requests_total")
	errAfter, _ := total(after, p+"_errors_total")
	durAfter, _ := total(after, p+"_request_duration_seconds")
	// The first scrape itself may count too, so at least, not exactly.
	if d := reqAfter - reqBefore; d < okCalls+badCalls {
		t.Errorf("%s_requests_total moved by %v after %d requests", p, d, okCalls+badCalls)
	}
	if d := errAfter - errBefore; d < badCalls {
		t.Errorf("%s_errors_total moved by %v after %d failed requests", p, d, badCalls)
	}
	if d := durAfter - durBefore; d < okCalls+badCalls {
		t.Errorf("%s_request_duration_seconds counted %v more observations after %d requests", p, d, okCalls+badCalls)
	}
	for _, n := range []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if _, ok := after[n]; !ok {
			t.Errorf("/metrics lacks the runtime/process metric %s", n)
		}
	}
	pool := false
	for n := range after {
		pool = pool || regexp.MustCompile("^"+p+"_db_pool_").MatchString(n)
	}
	if !pool {
		t.Errorf("/metrics has no %s_db_pool_* metric", p)
	}

	r := do("GET", s.URL+"/metrics", nil)
	req, _ := http.NewRequest("GET", s.URL+"/metrics", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var mj struct {
		Counters []struct {
			Name  string  `json:"name"`
			Help  string  `json:"help_text"`
			Value float64 `json:"value"`
		} `json:"counters"`
		Histograms []struct {
			Name    string `json:"name"`
			Buckets []struct {
				LE    float64 `json:"bucket_le"`
				Count float64 `json:"count"`
			} `json:"buckets"`
			Count float64 `json:"count"`
			Sum   float64 `json:"sum"`
		} `json:"histograms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&mj); err != nil {
		t.Fatalf("/metrics as JSON: %v (text answer was %d)", err, r.Status)
	}
	found := false
	for _, c := range mj.Counters {
		if c.Name == p+"_requests_total" {
			found = true
			if c.Value < reqAfter {
				t.Errorf("JSON %s = %v, below the text format's %v read earlier", c.Name, c.Value, reqAfter)
			}
		}
	}
	if !found {
		t.Errorf("JSON counters lack %s_requests_total", p)
	}
	found = false
	for _, h := range mj.Histograms {
		if h.Name == p+"_request_duration_seconds" {
			found = true
			if h.Count < durAfter || len(h.Buckets) == 0 || h.Sum <= 0 {
				t.Errorf("JSON histogram %s: count %v (text %v), %d buckets, sum %v", h.Name, h.Count, durAfter, len(h.Buckets), h.Sum)
			}
		}
	}
	if !found {
		t.Errorf("JSON histograms lack %s_request_duration_seconds", p)
	}
}

// testSlowAndBusy holds an exclusive lock on workflow-mcp's projects
// table from a direct database session, so list_projects requests queue
// behind it: one request takes over 1 s (slow_operation) and, with a
// pool of 2, concurrent ones fill the pool (pool_utilization_high).
// The lock is real PostgreSQL fault injection; the servers are reached
// only through HTTP.
func testSlowAndBusy(t *testing.T) {
	wdb := dbtest.New(t, migrations.Workflow())
	wf := startServer(t, workflow, "--database-url", wdb, "--codebase-url", "http://127.0.0.1:1",
		"--db-pool-min", "1", "--db-pool-max", "2", "--db-pool-wait", "20s")
	call(t, http.StatusOK, "GET", wf.URL+"/mcp/projects", nil)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, wdb)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	replies := make([]reply, 4)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = do("GET", wf.URL+"/mcp/projects", nil)
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	_, hm := getHealth(t, wf.URL)
	tx.Rollback(ctx) //nolint:errcheck // releases the lock
	wg.Wait()
	for i, r := range replies {
		if r.Err != nil || (r.Status != http.StatusOK && r.Status != http.StatusServiceUnavailable) {
			t.Errorf("request %d behind the lock: %s", i, r.describe("GET", wf.URL+"/mcp/projects"))
		}
	}
	if st := str(hm, "status"); st != "degraded" && st != "unhealthy" {
		t.Errorf("/health with the whole pool busy = %q, want degraded or unhealthy: %v", st, hm)
	}
	l := wf.waitEvent(t, 5*time.Second, "slow_operation", nil)
	if l.str("level") != "WARNING" || l.str("operation_name") == "" {
		t.Errorf("slow_operation line: %v", l)
	}
	l = wf.waitEvent(t, 5*time.Second, "pool_utilization_high", nil)
	if l.str("level") != "WARNING" {
		t.Errorf("pool_utilization_high level %q, want WARNING", l.str("level"))
	}
	if _, ok := l.ctx()["waiting"]; !ok {
		t.Errorf("pool_utilization_high without context.waiting: %v", l)
	}
	checkLogs(t, wf)
}

var (
	tsPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$`)
	levels    = map[string]bool{"DEBUG": true, "INFO": true, "WARNING": true, "ERROR": true, "CRITICAL": true}
)

// checkLogs asserts that every line the server logged is a JSON object
// with the CONTRACT.md fields, and request lines with the request fields.
func checkLogs(t *testing.T, s *server) {
	t.Helper()
	lines, bad := s.logs()
	requests := 0
	for _, l := range lines {
		if l.str("event") == "http_request" {
			requests++
		}
	}
	// Counts first, so a failure below is the last message of the test.
	t.Logf("%s: %d log lines checked, %d request lines, %d not JSON", s.name, len(lines), requests, len(bad))
	if len(bad) > 0 {
		t.Errorf("%s: %d log lines are not JSON, first: %q", s.name, len(bad), bad[0])
	}
	if len(lines) == 0 {
		t.Fatalf("%s logged nothing", s.name)
	}
	for _, l := range lines {
		if !tsPattern.MatchString(l.str("timestamp")) || !levels[l.str("level")] || l.str("event") == "" || l.str("server_id") != s.name {
			t.Errorf("%s: log line lacks a contract field (timestamp UTC RFC 3339 <= µs, level, event, server_id): %v", s.name, l)
			return
		}
		if l.str("event") == "http_request" {
			_, hasLat := l["latency_ms"].(float64)
			if l.str("request_id") == "" || l.str("operation_name") == "" || !hasLat ||
				(l.str("outcome") != "success" && l.str("outcome") != "failure") {
				t.Errorf("%s: request line lacks request_id/operation_name/latency_ms/outcome: %v", s.name, l)
				return
			}
		}
	}
}
