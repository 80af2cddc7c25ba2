//go:build scenarios

package scenarios_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// TestScenario3_FailureIsolation: a stopped codebase-mcp does not stop
// workflow-mcp (writes succeed with code_search_unavailable, reads work),
// a stopped workflow-mcp does not stop search, and a codebase-mcp that
// accepts connections but never answers keeps workflow-mcp within its
// latency target.
func TestScenario3_FailureIsolation(t *testing.T) {
	st := newStack(t, nil, nil)
	repo := fixtureRepo(t, env.profile.WorkRepoFiles, 3)
	const project = "isolation"
	var chunkID string
	indexed := t.Run("SetupCodebase", func(t *testing.T) {
		indexRepo(t, st.cb.URL, repo, project, false)
		hits := search(t, st.cb.URL, map[string]any{"query": "parse config", "limit": 5, "project_id": project})
		if len(hits) == 0 {
			t.Fatal("search found nothing in the indexed repository")
		}
		chunkID = str(hits[0], "chunk_id")
	})
	projected := t.Run("SetupWorkflow", func(t *testing.T) { newProject(t, st.wf.URL, "isolation") })

	t.Run("CodebaseDown", func(t *testing.T) {
		if !indexed || !projected {
			t.Fatal("setup failed (see SetupCodebase, SetupWorkflow)")
		}
		st.cb.stop(t)
		defer st.cb.restart(t)
		m := call(t, http.StatusCreated, "POST", st.wf.URL+"/mcp/work_items",
			map[string]any{"title": "written while codebase-mcp is down", "entity_references": []string{chunkID}})
		if !contains(strs(list(m, "warnings")), "code_search_unavailable") {
			t.Errorf("create with codebase-mcp down: warnings %v, want code_search_unavailable", m["warnings"])
		}
		id := str(m, "id")
		g := call(t, http.StatusOK, "GET", st.wf.URL+"/mcp/work_items/"+id, nil)
		if !contains(strs(list(g, "entity_references")), chunkID) {
			t.Errorf("read back: entity_references %v, want %s kept", g["entity_references"], chunkID)
		}
		call(t, http.StatusOK, "GET", st.wf.URL+"/mcp/work_items", nil)
		deadline := time.Now().Add(15 * time.Second)
		for {
			code, h := getHealth(t, st.wf.URL)
			if code == http.StatusOK && str(obj(h["dependencies"]), "codebase_mcp") == "unreachable" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("workflow-mcp /health with codebase-mcp down: %d %v, want 200 with dependencies.codebase_mcp unreachable", code, h)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("WorkflowDown", func(t *testing.T) {
		if !indexed {
			t.Fatal("setup failed (see SetupCodebase)")
		}
		st.wf.stop(t)
		defer st.wf.restart(t)
		hits := search(t, st.cb.URL, map[string]any{"query": "parse config", "limit": 5, "project_id": project})
		if len(hits) == 0 {
			t.Error("search with workflow-mcp down found nothing")
		}
		if code, h := getHealth(t, st.cb.URL); code != http.StatusOK || str(h, "status") != "healthy" {
			t.Errorf("codebase-mcp /health with workflow-mcp down: %d %v", code, h)
		}
	})

	t.Run("CodebaseHangs", func(t *testing.T) {
		hang := hangingListener(t)
		wf := startServer(t, workflow, "--database-url", dbtest.New(t, migrations.Workflow()), "--codebase-url", "http://"+hang)
		newProject(t, wf.URL, "hang")
		ref := chunkID
		if ref == "" {
			ref = "00000000-0000-8000-8000-000000000001"
		}
		const n = 200
		var creates, reads []time.Duration
		warned := 0
		for i := 0; i < n; i++ {
			r := do("POST", wf.URL+"/mcp/work_items", map[string]any{"title": fmt.Sprintf("hang %d", i), "entity_references": []string{ref}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create %d with a hanging codebase-mcp: %s", i, r.describe("POST", wf.URL+"/mcp/work_items"))
			}
			creates = append(creates, r.Took)
			if contains(strs(list(r.JSON, "warnings")), "code_search_unavailable") {
				warned++
			}
			g := do("GET", wf.URL+"/mcp/work_items/"+str(r.JSON, "id"), nil)
			if g.Status != http.StatusOK {
				t.Fatalf("read %d with a hanging codebase-mcp: %s", i, g.describe("GET", wf.URL+"/mcp/work_items/..."))
			}
			reads = append(reads, g.Took)
		}
		params := map[string]any{"requests": n, "codebase_mcp": "accepts connections, never answers"}
		for _, rec := range []perf.Record{
			perf.NewRecord(workflow, "work_item_create_codebase_hanging", creates, env.profile.target(targetWorkItem), 0, params),
			perf.NewRecord(workflow, "work_item_read_codebase_hanging", reads, env.profile.target(targetWorkItem), 0, params),
		} {
			emit(t, rec)
			if !rec.Pass {
				t.Errorf("%s p95 %.1f ms over the %.0f ms target with a hanging codebase-mcp", rec.Operation, rec.P95, rec.TargetP95)
			}
		}
		if warned != n {
			t.Errorf("%d of %d creates warned code_search_unavailable with a hanging codebase-mcp", warned, n)
		}
	})
}

// hangingListener accepts TCP connections and never answers; it returns
// its address. The connections close when the test ends.
func hangingListener(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c) //nolint:errcheck // reads and ignores the request
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
