//go:build scenarios

package scenarios_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/scenarios/loadgen"
	"github.com/mcp-memory/servers/test/scenarios/perf"
	"github.com/mcp-memory/servers/test/scenarios/report"
)

// TestScenario4_Load drives both servers with the vegeta library through
// the profile's client ramp (search, work item create and read, entity
// query, health), then overloads a workflow-mcp with a tiny pool.
func TestScenario4_Load(t *testing.T) {
	t.Run("Ramp", testLoadRamp)
	t.Run("Overload", testOverload)
}

func testLoadRamp(t *testing.T) {
	p := env.profile
	st := newStack(t, nil, nil)
	repo := fixtureRepo(t, env.profile.WorkRepoFiles, 4)
	indexRepo(t, st.cb.URL, repo, "load", false)
	newProject(t, st.wf.URL, "load")
	call(t, http.StatusCreated, "POST", st.wf.URL+"/mcp/entity_types", map[string]any{"type_name": "service",
		"schema": map[string]any{"type": "object", "properties": map[string]any{"tier": map[string]any{"type": "string"}}}})
	for i := 0; i < 200; i++ {
		call(t, http.StatusCreated, "POST", st.wf.URL+"/mcp/entities", map[string]any{"entity_type": "service",
			"name": fmt.Sprintf("svc-%03d", i), "data": map[string]any{"tier": []string{"gold", "silver", "bronze"}[i%3]}})
	}
	var ids []string
	for i := 0; i < 50; i++ {
		ids = append(ids, str(call(t, http.StatusCreated, "POST", st.wf.URL+"/mcp/work_items", map[string]any{"title": fmt.Sprintf("seed %d", i)}), "id"))
	}
	hits := search(t, st.cb.URL, map[string]any{"query": "cache", "limit": 10, "project_id": "load"})
	var refs []string
	for _, h := range hits {
		refs = append(refs, str(h, "chunk_id"))
	}

	jsonHdr := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	var seq atomic.Uint64
	targeter := func(tg *vegeta.Target) error {
		n := seq.Add(1)
		tg.Header, tg.Body = jsonHdr, nil
		switch n % 20 {
		case 0, 1, 2, 3, 4, 5: // 30 % search
			tg.Method, tg.URL = "POST", st.cb.URL+"/mcp/search"
			tg.Body, _ = json.Marshal(map[string]any{"query": searchQueries[n%uint64(len(searchQueries))], "limit": 10, "project_id": "load"})
		case 6, 7, 8, 9: // 20 % create
			tg.Method, tg.URL = "POST", st.wf.URL+"/mcp/work_items"
			body := map[string]any{"title": fmt.Sprintf("load %d", n)}
			if len(refs) > 0 {
				body["entity_references"] = []string{refs[n%uint64(len(refs))]}
			}
			tg.Body, _ = json.Marshal(body)
		case 10, 11, 12, 13: // 20 % read
			tg.Method, tg.URL = "GET", st.wf.URL+"/mcp/work_items/"+ids[n%uint64(len(ids))]
		case 14, 15, 16: // 15 % entity query
			tg.Method, tg.URL = "GET", st.wf.URL+"/mcp/entities?entity_type=service&filter="+url.QueryEscape(`{"tier":"gold"}`)
		case 17:
			tg.Method, tg.URL = "GET", st.cb.URL+"/health#cb"
		default: // 15 % health
			tg.Method, tg.URL = "GET", st.wf.URL+"/health#wf"
		}
		return nil
	}

	t.Logf("load profile %s: %v, %s in all, %s think time per client", p.Name, p.Load, p.Load.Duration(), thinkTime)
	start := time.Now()
	col := newCollector(p.Load, start)
	var samples []report.Sample
	var smu sync.Mutex
	var sampleErrs []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(p.Sample)
		defer tick.Stop()
		lastLog := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			cb, cerr := sampleResources(st.cb)
			wf, werr := sampleResources(st.wf)
			s := report.Sample{T: time.Since(start).Seconds(), Codebase: cb.report(), Workflow: wf.report()}
			smu.Lock()
			samples = append(samples, s)
			if cerr != nil || werr != nil {
				sampleErrs = append(sampleErrs, fmt.Sprint(cerr, werr))
			}
			smu.Unlock()
			if time.Since(lastLog) >= 10*time.Second {
				lastLog = time.Now()
				tot := col.series(p.Name, nil).Total
				t.Logf("  load %s/%s: %.0f clients, %d requests, %d errors, p95 %.0f ms; RSS cb %.0f MB wf %.0f MB, pool cb %.0f%% wf %.0f%%",
					time.Since(start).Round(time.Second), p.Load.Duration(), p.Load.ClientsAt(time.Since(start)), tot.Requests, tot.Errors, tot.P95,
					s.Codebase.RSSBytes/1e6, s.Workflow.RSSBytes/1e6, s.Codebase.PoolUtilPct, s.Workflow.PoolUtilPct)
			}
		}
	}()
	atk := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.MaxWorkers(256), vegeta.KeepAlive(true))
	for res := range atk.Attack(targeter, loadgen.Pacer{Profile: p.Load, Think: thinkTime}, 0, "load") {
		col.add(res)
	}
	close(stop)
	wg.Wait()

	smu.Lock()
	series := col.series(p.Name, samples)
	smu.Unlock()
	var rss, gor []float64
	for _, s := range samples {
		rss = append(rss, s.Codebase.RSSBytes+s.Workflow.RSSBytes)
		gor = append(gor, s.Codebase.Goroutines+s.Workflow.Goroutines)
	}
	series.Growth = map[string]float64{}
	if g, ok := growth(rss); ok {
		series.Growth["rss_ratio"] = g
	}
	if g, ok := growth(gor); ok {
		series.Growth["goroutines_ratio"] = g
	}
	writeSeries(t, "load", series)
	t.Logf("load done: %d requests, %.2f%% errors, p95 %.0f ms, p99 %.0f ms; growth over the run: RSS x%.2f, goroutines x%.2f; errors by type %v",
		series.Total.Requests, series.Total.ErrorRate*100, series.Total.P95, series.Total.P99, series.Growth["rss_ratio"], series.Growth["goroutines_ratio"], series.ErrorTypes)

	for op, r := range series.Operations {
		lat := col.ops[op]
		server, name, _ := strings.Cut(op, " ")
		rec := perf.NewRecord(server, "load_"+name, lat, targetLoadP95, 0, map[string]any{"profile": p.Name, "max_clients": p.Load.MaxClients(),
			"think_time_s": thinkTime.Seconds(), "errors": r.Errors, "error_rate": r.ErrorRate})
		rec.Pass = rec.Pass && r.ErrorRate < maxLoadErrorRate
		emit(t, rec)
	}
	if series.Total.Requests == 0 {
		t.Fatal("the load test sent no request")
	}
	if series.Total.P95 > float64(targetLoadP95/time.Millisecond) {
		t.Errorf("p95 under load %.0f ms, target %s", series.Total.P95, targetLoadP95)
	}
	if series.Total.ErrorRate >= maxLoadErrorRate {
		t.Errorf("error rate under load %.2f%% (errors by type %v), target < 1%%", series.Total.ErrorRate*100, series.ErrorTypes)
	}
	if len(sampleErrs) > 0 {
		t.Errorf("%d of %d resource samples failed (a server stopped answering /metrics or /health), first: %s",
			len(sampleErrs), len(samples), sampleErrs[0])
	}
	for _, s := range []*server{st.cb, st.wf} {
		if s.exited() {
			t.Errorf("%s crashed under load (exit %d)", s.name, s.code)
		} else if code, h := getHealth(t, s.URL); code != http.StatusOK {
			t.Errorf("%s /health after the load: %d %v", s.name, code, h)
		}
	}
}

// testOverload gives workflow-mcp a pool of 2 connections and a 100 ms
// wait cap, and sends 60 concurrent clients while a lock held from a
// direct database session makes each request keep its connection for a
// while (as slow queries would): requests queue, the wait cap turns the
// excess into clean 503s with Retry-After, pool_utilization_high is
// logged, nothing fails with 500, and the server serves again afterwards.
func testOverload(t *testing.T) {
	wdb := dbtest.New(t, migrations.Workflow())
	wf := startServer(t, workflow, "--database-url", wdb, "--codebase-url", "http://127.0.0.1:1",
		"--db-pool-min", "1", "--db-pool-max", "2", "--db-pool-wait", "100ms")
	newProject(t, wf.URL, "overload")

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
	if _, err := tx.Exec(ctx, "LOCK TABLE work_items IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	const clients = 60
	replies := make([]reply, clients)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = do("POST", wf.URL+"/mcp/work_items", map[string]any{"title": fmt.Sprintf("overload %d", i)})
		}()
	}
	time.Sleep(time.Second)
	_, h := getHealth(t, wf.URL)
	tx.Rollback(ctx) //nolint:errcheck // releases the lock
	wg.Wait()

	counts := map[int]int{}
	var okLat []time.Duration
	for _, r := range replies {
		counts[r.Status]++
		switch r.Status {
		case http.StatusCreated:
			okLat = append(okLat, r.Took)
		case http.StatusServiceUnavailable:
			if str(r.JSON, "error") != "SERVICE_UNAVAILABLE" || r.Header.Get("Retry-After") == "" {
				t.Errorf("503 without SERVICE_UNAVAILABLE and Retry-After: %s", r.describe("POST", wf.URL+"/mcp/work_items"))
			}
		default:
			t.Errorf("overload answer %s", r.describe("POST", wf.URL+"/mcp/work_items"))
		}
	}
	t.Logf("overload: %d clients on a pool of 2 with a 100 ms wait cap: %v by status; /health during it: %s, pool %v",
		clients, counts, str(h, "status"), h["connection_pool"])
	if counts[http.StatusServiceUnavailable] == 0 {
		t.Error("no request was refused with 503 although the pool was full")
	}
	if counts[http.StatusCreated] == 0 {
		t.Error("no request succeeded: the pool did not queue and serve any")
	}
	if len(okLat) > 0 {
		emit(t, perf.NewRecord(workflow, "overload_queued_create", okLat, 0, 0, map[string]any{"clients": clients, "pool_max": 2,
			"pool_wait_ms": 100, "refused_503": counts[http.StatusServiceUnavailable]}))
	}
	l := wf.waitEvent(t, 5*time.Second, "pool_utilization_high", nil)
	t.Logf("pool_utilization_high: %v", l.ctx())
	call(t, http.StatusCreated, "POST", wf.URL+"/mcp/work_items", map[string]any{"title": "after the overload"})
	if code, _ := getHealth(t, wf.URL); code != http.StatusOK {
		t.Errorf("/health after the overload = %d", code)
	}
}
