//go:build scenarios

package scenarios_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase/fixture"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// stack is both servers, workflow-mcp pointing at codebase-mcp.
type stack struct {
	cb, wf *server
}

// newStack starts codebase-mcp and workflow-mcp on fresh migrated
// databases of the local cluster (TEST_DATABASE_URL). Extra flags go to
// each server.
func newStack(tb testing.TB, cbArgs, wfArgs []string) *stack {
	tb.Helper()
	cdb := dbtest.New(tb, migrations.Codebase())
	wdb := dbtest.New(tb, migrations.Workflow())
	cb := startServer(tb, codebase, append([]string{"--database-url", cdb}, cbArgs...)...)
	wf := startServer(tb, workflow, append([]string{"--database-url", wdb, "--codebase-url", cb.URL}, wfArgs...)...)
	return &stack{cb: cb, wf: wf}
}

var fixtures sync.Map // "n-seed" -> dir

// fixtureRepo returns a generated repository of n files (shared by the
// tests of this run; do not modify it, see copyRepo).
func fixtureRepo(tb testing.TB, n int, seed int64) string {
	tb.Helper()
	key := fmt.Sprintf("%d-%d", n, seed)
	if d, ok := fixtures.Load(key); ok {
		return d.(string)
	}
	dir := filepath.Join(env.tmp, "fixtures", key)
	start := time.Now()
	st, err := fixture.Generate(dir, n, seed)
	if err != nil {
		tb.Fatalf("generate fixture: %v", err)
	}
	tb.Logf("generated a %d-file repository (%.1f MB, %d functions, %d classes) in %s", st.Files, float64(st.Bytes)/1e6,
		st.Functions, st.Classes, time.Since(start).Round(time.Millisecond))
	fixtures.Store(key, dir)
	return dir
}

// copyRepo copies a repository into a new temporary directory that the
// test may change.
func copyRepo(tb testing.TB, src string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "repo")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		tb.Fatalf("copy repository: %v", err)
	}
	return dst
}

// job is a finished index job.
type job struct {
	ID, Status, RepositoryID string
	Took                     time.Duration
	Last                     map[string]any
}

// startIndex posts an index job and returns its id and repository id.
func startIndex(tb testing.TB, cbURL, repo, project string, force bool) (string, string) {
	tb.Helper()
	body := map[string]any{"repo_path": repo, "project_id": project}
	if force {
		body["force_reindex"] = true
	}
	m := call(tb, http.StatusAccepted, "POST", cbURL+"/mcp/index", body)
	id := str(m, "job_id")
	if id == "" {
		tb.Fatalf("POST /mcp/index answered no job_id: %v", m)
	}
	return id, str(m, "repository_id")
}

// waitJob polls a job until it ends (at most timeout) and fails the test
// unless it completed.
func waitJob(tb testing.TB, cbURL, id string, timeout time.Duration) job {
	tb.Helper()
	start := time.Now()
	lastLog := start
	for {
		r := do("GET", cbURL+"/mcp/jobs/"+id, nil)
		if r.Err == nil && r.Status == http.StatusOK {
			st := str(r.JSON, "status")
			switch st {
			case "completed":
				return job{ID: id, Status: st, Took: time.Since(start), Last: r.JSON}
			case "failed", "cancelled":
				tb.Fatalf("index job %s ended %s: %v", id, st, r.JSON)
			}
			if time.Since(lastLog) > 10*time.Second {
				tb.Logf("  index job %s: %s %s %.0f%% (%v/%v files)", id, st, str(r.JSON, "phase"), num(r.JSON, "progress_percent"),
					r.JSON["files_done"], r.JSON["files_total"])
				lastLog = time.Now()
			}
		} else if r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed {
			tb.Fatalf("job status: %s", r.describe("GET", cbURL+"/mcp/jobs/"+id))
		}
		if time.Since(start) > timeout {
			tb.Fatalf("index job %s not finished after %s: last answer %s", id, timeout, r.describe("GET", cbURL+"/mcp/jobs/"+id))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// indexRepo indexes repo into project and waits for the job.
func indexRepo(tb testing.TB, cbURL, repo, project string, force bool) job {
	tb.Helper()
	id, repoID := startIndex(tb, cbURL, repo, project, force)
	j := waitJob(tb, cbURL, id, 15*time.Minute)
	j.RepositoryID = repoID
	return j
}

// search runs a search and returns its results.
func search(tb testing.TB, cbURL string, body map[string]any) []map[string]any {
	tb.Helper()
	m := call(tb, http.StatusOK, "POST", cbURL+"/mcp/search", body)
	var out []map[string]any
	for _, r := range list(m, "results") {
		out = append(out, obj(r))
	}
	return out
}

// newProject creates a workflow project and activates it.
func newProject(tb testing.TB, wfURL, name string) string {
	tb.Helper()
	p := call(tb, http.StatusCreated, "POST", wfURL+"/mcp/projects", map[string]any{"name": name})
	id := str(p, "id")
	call(tb, http.StatusOK, "POST", wfURL+"/mcp/projects/"+id+"/activate", nil)
	return id
}

// records are appended to VALIDATE_OUT/records.jsonl.
var recordsMu sync.Mutex

// emit stores a performance record for the report and logs it.
func emit(tb testing.TB, r perf.Record) {
	tb.Helper()
	r.Scenario = strings.SplitN(tb.Name(), "/", 2)[0]
	status := "PASS"
	if !r.Pass {
		status = "FAIL"
	}
	tb.Logf("record %s %s: n=%d p50=%.2fms p95=%.2fms p99=%.2fms mean=%.2fms cv=%.3f target_p95=%.0fms %s",
		r.Server, r.Operation, r.Samples, r.P50, r.P95, r.P99, r.Mean, r.CV, r.TargetP95, status)
	b, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	recordsMu.Lock()
	defer recordsMu.Unlock()
	f, err := os.OpenFile(filepath.Join(env.out, "records.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		tb.Fatal(err)
	}
}

// writeSeries stores a named time series (load results) for the report.
func writeSeries(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(env.out, "series-"+name+".json"), b, 0o644); err != nil {
		tb.Fatal(err)
	}
}
