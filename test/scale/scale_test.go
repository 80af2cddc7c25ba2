//go:build scale

package scale_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-memory/servers/internal/codebase/fixture"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
)

// Sizes, overridable for a bigger machine.
var (
	onceFiles  = envInt("SCALE_ONCE_FILES", 3000) // the job that must run once (replication lag measured under it)
	killFiles  = envInt("SCALE_KILL_FILES", 6000) // the job whose replica is killed
	loadTime   = envDur("SCALE_LOAD_TIME", 20*time.Second)
	loadConcur = envInt("SCALE_CONCURRENCY", 8)
)

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDur(k string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

// stack is everything the test runs.
type stack struct {
	// top is the whole test: a replica restarted by a subtest must live
	// until the stack ends, not be stopped by the subtest's cleanup.
	top              *testing.T
	primary, replica *dbtest.Cluster
	cdb, wdb         string // primary URLs
	crdb, wrdb       string // replica URLs
	cb, wf           []*server
	cbArgs           []string
	cbLB, cbOneLB    string // codebase-mcp through nginx: both replicas, the first only
	wfLB             string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{top: t}
	s.primary = dbtest.NewCluster(t)
	s.cdb = s.primary.CreateDatabase(t, "codebase_mcp")
	s.wdb = s.primary.CreateDatabase(t, "workflow_mcp")
	dbtest.Migrate(t, s.cdb, migrations.Codebase())
	dbtest.Migrate(t, s.wdb, migrations.Workflow())
	s.replica = s.primary.NewReplica(t)
	s.crdb, s.wrdb = s.replica.URL("codebase_mcp"), s.replica.URL("workflow_mcp")

	s.cbArgs = []string{"--database-url", s.cdb, "--database-read-url", s.crdb, "--db-pool-max", "12"}
	s.cb = []*server{startServer(t, codebase, 0, s.cbArgs...), startServer(t, codebase, 0, s.cbArgs...)}
	lb := startNginx(t, map[string][]*server{"codebase_mcp": s.cb, "codebase_one": s.cb[:1]})
	s.cbLB, s.cbOneLB = lb.URL["codebase_mcp"], lb.URL["codebase_one"]
	wfArgs := []string{"--database-url", s.wdb, "--database-read-url", s.wrdb, "--codebase-url", s.cbLB}
	s.wf = []*server{startServer(t, workflow, 0, wfArgs...), startServer(t, workflow, 0, wfArgs...)}
	s.wfLB = startNginx(t, map[string][]*server{"workflow_mcp": s.wf}).URL["workflow_mcp"]
	return s
}

// figures collects what the test measured, written to SCALE_OUT (JSON)
// when set and logged in any case.
type figures map[string]any

func (f figures) save(t *testing.T) {
	b, _ := json.MarshalIndent(f, "", "  ")
	t.Logf("figures:\n%s", b)
	if out := os.Getenv("SCALE_OUT"); out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Error(err)
		}
	}
}

func TestScaleOut(t *testing.T) {
	start := time.Now()
	s := newStack(t)
	fig := figures{"cpus": runtime.NumCPU(), "stack_start_seconds": time.Since(start).Seconds(), "loadavg_before": loadavg()}
	defer fig.save(t)
	t.Logf("stack up in %s: primary :%d, replica :%d, codebase-mcp %s (:%d, :%d), workflow-mcp %s (:%d, :%d)",
		time.Since(start).Round(time.Millisecond), s.primary.Port, s.replica.Port,
		s.cbLB, s.cb[0].Port, s.cb[1].Port, s.wfLB, s.wf[0].Port, s.wf[1].Port)

	t.Run("SessionlessMCPCallsSpread", func(t *testing.T) { sessionless(t, s) })
	t.Run("IndexJobRunsOnce", func(t *testing.T) { runsOnce(t, s, fig) })
	t.Run("KillReplicaMidJobAndLoad", func(t *testing.T) { killMidJob(t, s, fig) })
	t.Run("ReadsOnTheReplica", func(t *testing.T) { readsOnReplica(t, s, fig) })
	t.Run("SearchThroughput", func(t *testing.T) { throughput(t, s, fig) })
}

// mcpClient initializes an MCP client over Streamable HTTP at url and
// checks that the server handed out no session.
func mcpClient(t *testing.T, url string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(url + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "scale-test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	if id := c.GetSessionId(); id != "" {
		t.Fatalf("a --stateless server handed out session %q", id)
	}
	return c
}

// call runs a tool and returns its structured content.
func call(t *testing.T, c *client.Client, name string, args map[string]any) map[string]any {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s: tool error %+v", name, res.Content)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var m map[string]any
	json.Unmarshal(b, &m) //nolint:errcheck // checked by the callers' field reads
	return m
}

// sessionless: a client without a session talks to both replicas of each
// server through nginx; every call succeeds, both replicas answer some,
// and a read after a write (through whichever replica) sees the write.
func sessionless(t *testing.T, s *stack) {
	wfOps := []string{"create_project", "switch_project", "get_active_project", "create_work_item", "get_work_item",
		"update_work_item", "query_work_items"}
	before := []float64{s.wf[0].requests(t, wfOps...), s.wf[1].requests(t, wfOps...)}
	c := mcpClient(t, s.wfLB)
	p := call(t, c, "create_project", map[string]any{"name": "scale"})
	pid, _ := p["id"].(string)
	sw := call(t, c, "switch_project", map[string]any{"project_id": pid})
	if sw["project_id"] != pid {
		t.Fatalf("switch_project answered %v", sw)
	}
	calls := 2
	for i := range 20 {
		// The switch is seen at once by whichever replica answers.
		a := call(t, c, "get_active_project", map[string]any{})
		if b, _ := json.Marshal(a); !strings.Contains(string(b), pid) {
			t.Fatalf("get_active_project after switch_project: %s", b)
		}
		w := call(t, c, "create_work_item", map[string]any{"title": fmt.Sprintf("item %d", i)})
		id, _ := w["id"].(string)
		// Read and update right after the create, through the balancer.
		g := call(t, c, "get_work_item", map[string]any{"work_item_id": id})
		if g["id"] != id {
			t.Fatalf("get_work_item right after create_work_item: %v", g)
		}
		u := call(t, c, "update_work_item", map[string]any{"work_item_id": id, "version": 1, "status": "active"})
		u2 := call(t, c, "update_work_item", map[string]any{"work_item_id": id, "version": u["version"], "title": "again"})
		if u2["version"] != float64(3) {
			t.Fatalf("second update right after the first: %v", u2)
		}
		call(t, c, "query_work_items", map[string]any{})
		calls += 6
	}
	after := []float64{s.wf[0].requests(t, wfOps...), s.wf[1].requests(t, wfOps...)}
	d0, d1 := after[0]-before[0], after[1]-before[1]
	t.Logf("workflow-mcp: %d session-less calls through nginx, replica 1 answered %.0f, replica 2 %.0f", calls, d0, d1)
	if d0+d1 != float64(calls) || d0 == 0 || d1 == 0 {
		t.Errorf("calls per replica %.0f + %.0f, want both > 0 and %d in all", d0, d1, calls)
	}

	cbOps := []string{"list_repositories", "search_code"}
	cbBefore := []float64{s.cb[0].requests(t, cbOps...), s.cb[1].requests(t, cbOps...)}
	cc := mcpClient(t, s.cbLB)
	for range 10 {
		call(t, cc, "list_repositories", map[string]any{})
		call(t, cc, "search_code", map[string]any{"query": "parse config"})
	}
	e0, e1 := s.cb[0].requests(t, cbOps...)-cbBefore[0], s.cb[1].requests(t, cbOps...)-cbBefore[1]
	t.Logf("codebase-mcp: 20 session-less calls through nginx, replica 1 answered %.0f, replica 2 %.0f", e0, e1)
	if e0+e1 != 20 || e0 == 0 || e1 == 0 {
		t.Errorf("calls per replica %.0f + %.0f, want both > 0 and 20 in all", e0, e1)
	}
}

// generate writes a fixture repository.
func generate(t *testing.T, n int, seed int64) (string, int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), fmt.Sprintf("repo-%d-%d", n, seed))
	st, err := fixture.Generate(dir, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return dir, st.Files
}

// startJob posts an index job through url and returns its id.
func startJob(t *testing.T, url, repo, project string) string {
	t.Helper()
	m := must(t, http.StatusAccepted, "POST", url+"/mcp/index", map[string]any{"repo_path": repo, "project_id": project})
	id, _ := m["job_id"].(string)
	if id == "" {
		t.Fatalf("POST /mcp/index answered no job_id: %v", m)
	}
	return id
}

// waitJob polls a job through url until it ends and returns its last status.
func waitJob(t *testing.T, url, id string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		a := rest("GET", url+"/mcp/jobs/"+id, nil)
		if a.Err == nil && a.Status == http.StatusOK {
			switch a.JSON["status"] {
			case "completed", "failed", "cancelled":
				return a.JSON
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not finished after %s: %d %v %v", id, timeout, a.Status, a.JSON, a.Err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// completions counts indexing_completed events of job id in the replicas' logs.
func completions(cbs []*server, id string) int {
	n := 0
	for _, s := range cbs {
		for _, ev := range s.log.events("indexing_completed") {
			if ctx, _ := ev["context"].(map[string]any); ctx["job_id"] == id {
				n++
			}
		}
	}
	return n
}

// lagSampler samples the replication lag while a job runs: replay_lag
// from the primary's pg_stat_replication, the byte distance between the
// primary's WAL and the standby's replay, and a replica's lag gauge.
type lagSampler struct {
	mu                       sync.Mutex
	replaySecs, bytes, gauge []float64
	stop                     chan struct{}
	done                     chan struct{}
}

func sampleLag(t *testing.T, s *stack) *lagSampler {
	ls := &lagSampler{stop: make(chan struct{}), done: make(chan struct{})}
	ctx := context.Background()
	conn := connect(t, ctx, s.primary.URL("postgres"))
	go func() {
		defer close(ls.done)
		defer conn.Close(ctx)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ls.stop:
				return
			case <-tick.C:
			}
			var secs, bytes float64
			err := conn.QueryRow(ctx, `SELECT coalesce(extract(epoch FROM replay_lag), 0)::float8,
				coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::float8 FROM pg_stat_replication LIMIT 1`).Scan(&secs, &bytes)
			g, ok := s.cb[1].gauge("codebase_mcp_db_replica_lag_seconds")
			ls.mu.Lock()
			if err == nil {
				ls.replaySecs = append(ls.replaySecs, secs)
				ls.bytes = append(ls.bytes, bytes)
			}
			if ok {
				ls.gauge = append(ls.gauge, g)
			}
			ls.mu.Unlock()
		}
	}()
	return ls
}

func (ls *lagSampler) finish() map[string]any {
	close(ls.stop)
	<-ls.done
	stat := func(v []float64) map[string]float64 {
		if len(v) == 0 {
			return nil
		}
		s := slices.Clone(v)
		slices.Sort(s)
		return map[string]float64{"samples": float64(len(s)), "p50": s[len(s)/2], "p95": s[(len(s)-1)*95/100], "max": s[len(s)-1]}
	}
	return map[string]any{"replay_lag_seconds": stat(ls.replaySecs), "replay_distance_bytes": stat(ls.bytes),
		"gauge_seconds": stat(ls.gauge)}
}

// runsOnce: an index job started through nginx runs exactly once across
// the two replicas (one claim, one indexing_completed), every file lands,
// and the standby replays it; the replication lag is sampled meanwhile.
func runsOnce(t *testing.T, s *stack, fig figures) {
	repo, files := generate(t, onceFiles, 1)
	ls := sampleLag(t, s)
	start := time.Now()
	id := startJob(t, s.cbLB, repo, "scale")
	st := waitJob(t, s.cbLB, id, 10*time.Minute)
	took := time.Since(start)
	lag := ls.finish()
	fig["index_once"] = map[string]any{"files": files, "chunks": st["chunks_written"], "seconds": took.Seconds(), "replication_lag": lag}
	t.Logf("indexed %d files in %s through nginx; replication lag meanwhile: %v", files, took.Round(time.Millisecond), lag)
	if st["status"] != "completed" {
		t.Fatalf("job ended %v", st)
	}
	if n := completions(s.cb, id); n != 1 {
		t.Errorf("indexing_completed logged %d times for job %s, want once", n, id)
	}
	if a := sqlValue[int32](t, s.cdb, "SELECT attempts FROM index_jobs WHERE job_id = $1", id); a != 1 {
		t.Errorf("job claimed %d times, want once", a)
	}
	n := sqlValue[int64](t, s.cdb, "SELECT count(*) FROM files f JOIN index_jobs j USING (project_id, repository_id) WHERE j.job_id = $1", id)
	if n != int64(files) {
		t.Errorf("files indexed %d, generated %d", n, files)
	}
	// The standby has it too.
	deadline := time.Now().Add(30 * time.Second)
	for sqlValue[int64](t, s.crdb, "SELECT count(*) FROM files") != n {
		if time.Now().After(deadline) {
			t.Fatal("the standby did not replay the index")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// loadResult counts a load generator's answers.
type loadResult struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	fails      map[string]int
}

func (r *loadResult) fail(why string) {
	r.failed.Add(1)
	r.mu.Lock()
	if r.fails == nil {
		r.fails = map[string]int{}
	}
	r.fails[why]++
	r.mu.Unlock()
}

// killMidJob: under search and write load through nginx, the codebase-mcp
// replica that runs a big index job is killed (SIGKILL). The job completes
// on the other replica once the lease expires, every index job nginx
// acknowledged (202) completes, every work item workflow-mcp acknowledged
// (201, its references checked against codebase-mcp through nginx)
// exists, and only requests in flight on the killed replica failed.
func killMidJob(t *testing.T, s *stack, fig figures) {
	repo, files := generate(t, killFiles, 2)
	var small []string
	for i := range 4 {
		r, _ := generate(t, 40, int64(10+i))
		small = append(small, r)
	}
	wp := must(t, http.StatusCreated, "POST", s.wfLB+"/mcp/projects", map[string]any{"name": "kill-load"})
	wpid, _ := wp["id"].(string)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var searches, writes loadResult
	var ackMu sync.Mutex
	var acked []string
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := 0; ; q++ {
				select {
				case <-stop:
					return
				default:
				}
				a := rest("POST", s.cbLB+"/mcp/search", map[string]any{"query": fmt.Sprintf("handler %d", (i*31+q)%97), "project_id": "scale"})
				if a.Err == nil && a.Status == http.StatusOK {
					searches.ok.Add(1)
				} else {
					searches.fail(fmt.Sprintf("%d %v", a.Status, a.Err))
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			a := rest("POST", s.wfLB+"/mcp/work_items", map[string]any{"title": fmt.Sprintf("load %d", i), "project_id": wpid,
				"entity_references": []string{"00000000-0000-0000-0000-000000000001"}})
			if a.Status == http.StatusCreated {
				id, _ := a.JSON["id"].(string)
				ackMu.Lock()
				acked = append(acked, id)
				ackMu.Unlock()
				writes.ok.Add(1)
			} else {
				writes.fail(fmt.Sprintf("%d %v", a.Status, a.Err))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	jobStart := time.Now()
	id := startJob(t, s.cbLB, repo, "scale-kill")
	var jobs []string
	for _, r := range small[:2] {
		jobs = append(jobs, startJob(t, s.cbLB, r, "scale-small"))
	}
	// Wait until the big job is writing, then find the replica holding it.
	var owner string
	deadline := time.Now().Add(5 * time.Minute)
	for {
		a := rest("GET", s.cbLB+"/mcp/jobs/"+id, nil)
		if done, _ := a.JSON["files_done"].(float64); a.Status == http.StatusOK && done > 0 && a.JSON["status"] == "running" {
			owner = sqlValue[string](t, s.cdb, "SELECT lease_owner FROM index_jobs WHERE job_id = $1", id)
			break
		}
		if a.JSON["status"] == "completed" {
			t.Fatalf("the job finished before it could be interrupted; raise SCALE_KILL_FILES (now %d)", killFiles)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never got going: %v", a.JSON)
		}
		time.Sleep(100 * time.Millisecond)
	}
	victim, survivor := s.cb[0], s.cb[1]
	if !strings.Contains(owner, ":"+strconv.Itoa(victim.cmd.Process.Pid)+":") {
		victim, survivor = s.cb[1], s.cb[0]
	}
	if !strings.Contains(owner, ":"+strconv.Itoa(victim.cmd.Process.Pid)+":") {
		t.Fatalf("lease owner %q is neither replica (pids %d, %d)", owner, s.cb[0].cmd.Process.Pid, s.cb[1].cmd.Process.Pid)
	}
	killedAt := time.Now()
	victim.stop(syscall.SIGKILL)
	t.Logf("killed codebase-mcp pid %d (:%d) %s into the job; lease owner was %s", victim.cmd.Process.Pid, victim.Port,
		killedAt.Sub(jobStart).Round(time.Millisecond), owner)
	for _, r := range small[2:] {
		jobs = append(jobs, startJob(t, s.cbLB, r, "scale-small"))
	}

	st := waitJob(t, s.cbLB, id, 10*time.Minute)
	resumed := time.Since(killedAt)
	close(stop)
	wg.Wait()
	if st["status"] != "completed" {
		t.Fatalf("the interrupted job ended %v", st)
	}
	for _, j := range jobs {
		if js := waitJob(t, s.cbLB, j, 5*time.Minute); js["status"] != "completed" {
			t.Errorf("acknowledged index job %s ended %v", j, js)
		}
	}
	newOwner := sqlValue[string](t, s.cdb, "SELECT lease_owner FROM index_jobs WHERE job_id = $1", id)
	attempts := sqlValue[int32](t, s.cdb, "SELECT attempts FROM index_jobs WHERE job_id = $1", id)
	if !strings.Contains(newOwner, ":"+strconv.Itoa(survivor.cmd.Process.Pid)+":") || attempts < 2 {
		t.Errorf("after the kill: owner %q, attempts %d; want the survivor (pid %d) and a second claim", newOwner, attempts, survivor.cmd.Process.Pid)
	}
	if n := completions(s.cb, id); n != 1 {
		t.Errorf("indexing_completed logged %d times, want once (by the survivor)", n)
	}
	n := sqlValue[int64](t, s.cdb, "SELECT count(*) FROM files f JOIN index_jobs j USING (project_id, repository_id) WHERE j.job_id = $1", id)
	if n != int64(files) {
		t.Errorf("files after the takeover %d, generated %d", n, files)
	}
	ackMu.Lock()
	found := sqlValue[int64](t, s.wdb, "SELECT count(*) FROM work_items WHERE id = ANY($1::uuid[])", acked)
	ackMu.Unlock()
	if found != int64(len(acked)) {
		t.Errorf("%d acknowledged work items, %d in the database", len(acked), found)
	}
	// Requests in flight on the killed replica fail (502: nginx never
	// replays a POST it already sent); later ones go to the survivor.
	if f := searches.failed.Load(); f > 8 {
		t.Errorf("%d searches failed (%v); only those in flight at the kill may", f, searches.fails)
	}
	if f := writes.failed.Load(); f > 2 {
		t.Errorf("%d writes failed (%v)", f, writes.fails)
	}
	fig["kill_mid_job"] = map[string]any{"files": files, "killed_after_seconds": killedAt.Sub(jobStart).Seconds(),
		"completed_after_kill_seconds": resumed.Seconds(), "attempts": attempts,
		"searches_ok": searches.ok.Load(), "searches_failed": searches.failed.Load(), "search_failures": searches.fails,
		"writes_acknowledged": len(acked), "writes_failed": writes.failed.Load(), "index_jobs_acknowledged": len(jobs) + 1}
	t.Logf("job completed %s after the kill (attempts %d); searches %d ok / %d failed %v; work items %d acknowledged, all present",
		resumed.Round(time.Millisecond), attempts, searches.ok.Load(), searches.failed.Load(), searches.fails, len(acked))

	// Bring the replica back on its port for the next subtests.
	i := slices.Index(s.cb, victim)
	s.cb[i] = startServer(s.top, codebase, victim.Port, s.cbArgs...)
}

// tableScans sums the sequential and index scans of the user tables of
// dsn's database (on a standby: the scans run there).
func tableScans(t *testing.T, dsn string, tables ...string) int64 {
	t.Helper()
	return sqlValue[int64](t, dsn, `SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)::int8
		FROM pg_stat_user_tables WHERE relname = ANY($1)`, tables)
}

// growth waits (statistics are flushed about every second) until the
// scans on dsn grew by at least min, and returns the growth.
func growth(t *testing.T, dsn string, before, min int64, tables ...string) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := tableScans(t, dsn, tables...) - before
		if d >= min || time.Now().After(deadline) {
			return d
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readsOnReplica: both servers' read-only calls through nginx scan
// tables on the standby, not on the primary.
func readsOnReplica(t *testing.T, s *stack, fig figures) {
	// A backend flushes its table statistics at the end of a transaction
	// at most once a second, and an idle one after 10 s: let the counts
	// of the previous subtest's load settle before taking a baseline.
	time.Sleep(11 * time.Second)
	wTables := []string{"work_items"}
	rBefore, pBefore := tableScans(t, s.wrdb, wTables...), tableScans(t, s.wdb, wTables...)
	p := must(t, http.StatusOK, "GET", s.wfLB+"/mcp/projects", nil)
	var pid string
	for _, x := range p["projects"].([]any) {
		if m := x.(map[string]any); m["name"] == "kill-load" {
			pid, _ = m["id"].(string)
		}
	}
	const n = 20
	for range n {
		must(t, http.StatusOK, "GET", s.wfLB+"/mcp/work_items?limit=5&project_id="+pid, nil)
	}
	rd := growth(t, s.wrdb, rBefore, n, wTables...)
	pd := tableScans(t, s.wdb, wTables...) - pBefore
	t.Logf("workflow-mcp: %d list calls through nginx scanned work_items %d times on the standby, %d on the primary", n, rd, pd)
	if rd < n {
		t.Errorf("the standby saw %d work_items scans for %d read-only calls", rd, n)
	}
	if pd >= n {
		t.Errorf("the primary saw %d work_items scans for %d read-only calls; they belong on the standby", pd, n)
	}

	cTables := []string{"chunks", "files", "repositories", "term_df", "lexical_stats"}
	crBefore, cpBefore := tableScans(t, s.crdb, cTables...), tableScans(t, s.cdb, cTables...)
	for i := range n {
		must(t, http.StatusOK, "POST", s.cbLB+"/mcp/search", map[string]any{"query": fmt.Sprintf("parse request %d", i), "project_id": "scale"})
	}
	crd := growth(t, s.crdb, crBefore, n, cTables...)
	cpd := tableScans(t, s.cdb, cTables...) - cpBefore
	t.Logf("codebase-mcp: %d searches through nginx scanned its tables %d times on the standby, %d on the primary", n, crd, cpd)
	if crd < n {
		t.Errorf("the standby saw %d scans of codebase-mcp's tables for %d searches", crd, n)
	}
	if cpd >= n {
		t.Errorf("the primary saw %d scans of codebase-mcp's tables for %d searches; they belong on the standby", cpd, n)
	}
	fig["reads"] = map[string]any{"workflow_list_calls": n, "workflow_scans_standby": rd, "workflow_scans_primary": pd,
		"codebase_searches": n, "codebase_scans_primary": cpd, "codebase_scans_standby": crd}
}

// throughput runs searches through nginx for loadTime with loadConcur
// clients against one replica, then against two.
func throughput(t *testing.T, s *stack, fig figures) {
	queries := []string{"parse config", "http handler", "retry with backoff", "database connection", "render template",
		"validate input", "user session", "cache entry", "load file", "error message"}
	res := map[string]any{}
	for _, c := range []struct {
		name, url string
		replicas  int
	}{{"one_replica", s.cbOneLB, 1}, {"two_replicas", s.cbLB, 2}} {
		for range 10 { // warm up connections and caches
			must(t, http.StatusOK, "POST", c.url+"/mcp/search", map[string]any{"query": "warm up", "project_id": "scale"})
		}
		var mu sync.Mutex
		var lat []time.Duration
		var failed atomic.Int64
		var wg sync.WaitGroup
		cache0 := cacheCounts(s.cb)
		cpu0, busy0 := serversCPU(s.cb), machineCPU()
		end := time.Now().Add(loadTime)
		start := time.Now()
		for w := range loadConcur {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(end); i++ {
					t0 := time.Now()
					a := rest("POST", c.url+"/mcp/search", map[string]any{"query": queries[(w+i)%len(queries)], "project_id": "scale", "limit": 10})
					d := time.Since(t0)
					if a.Err != nil || a.Status != http.StatusOK {
						failed.Add(1)
						continue
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		cpu1, busy1 := serversCPU(s.cb), machineCPU()
		cache := cacheCounts(s.cb)
		for i := range cache {
			for k := range cache[i] {
				cache[i][k] -= cache0[i][k]
			}
		}
		slices.Sort(lat)
		r := map[string]any{"replicas": c.replicas, "clients": loadConcur, "seconds": el.Seconds(), "requests": len(lat),
			"failed": failed.Load(), "per_second": float64(len(lat)) / el.Seconds(),
			"p50_ms": float64(percentile(lat, 50).Microseconds()) / 1000, "p95_ms": float64(percentile(lat, 95).Microseconds()) / 1000,
			"p99_ms": float64(percentile(lat, 99).Microseconds()) / 1000,
			// CPU seconds per wall second: the codebase-mcp processes, and
			// the whole machine (PostgreSQL, nginx, this client, and
			// whatever else the shared machine runs).
			"codebase_mcp_cpu": (cpu1 - cpu0) / el.Seconds(), "machine_cpu_busy": (busy1 - busy0) / el.Seconds(),
			// Per replica: searches answered from the in-memory lexicon,
			// searches ranked on PostgreSQL, lexicon builds.
			"search_cache": cache}
		res[c.name] = r
		t.Logf("search through nginx, %d replica(s), %d clients, %s: %d requests, %.1f/s, p50 %.1f ms, p95 %.1f ms, %d failed; CPU busy: codebase-mcp %.2f, machine %.2f of %d; search cache per replica %v",
			c.replicas, loadConcur, el.Round(time.Millisecond), len(lat), r["per_second"], r["p50_ms"], r["p95_ms"], failed.Load(),
			r["codebase_mcp_cpu"], r["machine_cpu_busy"], runtime.NumCPU(), cache)
		if failed.Load() > 0 {
			t.Errorf("%d searches failed with %d replica(s)", failed.Load(), c.replicas)
		}
	}
	res["loadavg_after"] = loadavg()
	fig["search_throughput"] = res
}

// cacheCounts reads each codebase-mcp replica's search cache counters:
// hits, misses and successful lexicon builds.
func cacheCounts(ss []*server) []map[string]float64 {
	out := make([]map[string]float64, len(ss))
	for i, s := range ss {
		out[i] = map[string]float64{}
		for k, m := range map[string]string{
			"hits":   `codebase_mcp_search_cache_requests_total{result="hit"}`,
			"misses": `codebase_mcp_search_cache_requests_total{result="miss"}`,
			"builds": `codebase_mcp_search_cache_builds_total{outcome="success"}`,
		} {
			out[i][k], _ = s.gauge(m)
		}
	}
	return out
}

// serversCPU sums the user and system CPU seconds of the processes.
func serversCPU(ss []*server) float64 {
	total := 0.0
	for _, s := range ss {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces): state is
		// field 3, utime and stime fields 14 and 15, in clock ticks (100/s).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		if len(f) > 12 {
			u, _ := strconv.ParseFloat(f[11], 64)
			sy, _ := strconv.ParseFloat(f[12], 64)
			total += (u + sy) / 100
		}
	}
	return total
}

// machineCPU is the machine's busy CPU seconds since boot (all but idle
// and iowait), from /proc/stat.
func machineCPU() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	busy := 0.0
	for i, v := range strings.Fields(line)[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / 100
}

// loadavg is /proc/loadavg: the machine is shared, so figures come with it.
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}
