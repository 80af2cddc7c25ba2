//go:build scenarios

package scenarios_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/migrations"
	"github.com/mcp-memory/servers/test/scenarios/perf"
)

// searchQueries are what the concurrent search clients ask.
var searchQueries = []string{"parse configuration file", "validate user input", "cache lookup", "http request handler",
	"compute the total", "read records from disk", "format the output", "retry on error", "connect to the database",
	"sort items by key", "load settings", "render template", "process batch", "serialize to json", "authenticate user",
	"merge results", "schedule job", "hash password", "send notification", "parse arguments"}

// TestScenario1_PerformanceBaseline measures the operations of the
// specification's baseline table and writes one record per operation:
// cold indexing of the generated repository (IndexRuns runs after a
// warm-up, p95 and coefficient of variation), concurrent search, project
// switches and JSONB entity queries.
func TestScenario1_PerformanceBaseline(t *testing.T) {
	p := env.profile
	repo := fixtureRepo(t, p.RepoFiles, 1)
	var lastURL string
	t.Run("Indexing", func(t *testing.T) {
		var runs []time.Duration
		var chunks any
		for i := 0; i <= p.IndexRuns; i++ {
			label := fmt.Sprintf("run %d/%d", i, p.IndexRuns)
			if i == 0 {
				label = "warm-up"
			}
			// A fresh database per run: every run is a cold index of the same
			// repository into the same empty schema.
			ok := t.Run(fmt.Sprintf("run%d", i), func(t *testing.T) {
				dsn := dbtest.New(t, migrations.Codebase())
				// Every run starts from the same state: the previous run's
				// dirty buffers (hundreds of MB) written out now, not by a
				// checkpoint in the middle of this run.
				execSQL(t, dsn, "CHECKPOINT")
				cb := startServer(t, codebase, "--database-url", dsn)
				j := indexRepo(t, cb.URL, repo, "baseline", false)
				chunks = j.Last["chunks_written"]
				t.Logf("indexing %s: %d files in %s (%v chunks)", label, p.RepoFiles, j.Took.Round(time.Millisecond), chunks)
				if i > 0 {
					runs = append(runs, j.Took)
				}
				if i == p.IndexRuns {
					cb.stop(t)
				}
			})
			if !ok {
				t.FailNow()
			}
		}
		rec := perf.NewRecord(codebase, fmt.Sprintf("index_%d_files", p.RepoFiles), runs, p.target(targetIndex10k), maxIndexCV*p.Slack,
			map[string]any{"files": p.RepoFiles, "runs": p.IndexRuns, "warmup_runs": 1, "chunks": chunks, "embedder": "builtin"})
		emit(t, rec)
		if !rec.Pass {
			t.Errorf("indexing: p95 %.0f ms (target %.0f ms), CV %.3f (limit %.3f)", rec.P95, rec.TargetP95, rec.CV, rec.MaxCV)
		}
	})

	cb := startServer(t, codebase, "--database-url", dbtest.New(t, migrations.Codebase()))
	lastURL = cb.URL
	t.Run("Search", func(t *testing.T) {
		indexRepo(t, lastURL, repo, "baseline", false)
		var mu sync.Mutex
		var lat []time.Duration
		var failures []string
		empty := 0
		var wg sync.WaitGroup
		for c := 0; c < p.SearchClients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for q := 0; q < p.SearchQueries; q++ {
					query := searchQueries[(c*p.SearchQueries+q)%len(searchQueries)]
					r := do("POST", lastURL+"/mcp/search", map[string]any{"query": query, "limit": 10, "project_id": "baseline"})
					mu.Lock()
					if r.Err != nil || r.Status != http.StatusOK {
						failures = append(failures, r.describe("POST", lastURL+"/mcp/search"))
					} else {
						lat = append(lat, r.Took)
						if len(list(r.JSON, "results")) == 0 {
							empty++
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of %d searches failed, first: %s", len(failures), p.SearchClients*p.SearchQueries, failures[0])
		}
		if empty > 0 {
			t.Errorf("%d searches found nothing in a %d-file repository", empty, p.RepoFiles)
		}
		rec := perf.NewRecord(codebase, "search", lat, p.target(targetSearch), 0,
			map[string]any{"clients": p.SearchClients, "queries_per_client": p.SearchQueries, "limit": 10, "files": p.RepoFiles})
		emit(t, rec)
		if !rec.Pass {
			t.Errorf("search p95 %.1f ms over %.0f ms", rec.P95, rec.TargetP95)
		}
	})

	wf := startServer(t, workflow, "--database-url", dbtest.New(t, migrations.Workflow()), "--codebase-url", cb.URL)
	t.Run("ProjectSwitch", func(t *testing.T) {
		var ids []string
		for i := 0; i < p.Projects; i++ {
			ids = append(ids, str(call(t, http.StatusCreated, "POST", wf.URL+"/mcp/projects", map[string]any{"name": fmt.Sprintf("switch-%d", i)}), "id"))
		}
		var lat []time.Duration
		for i := 0; i < p.Switches; i++ {
			id := ids[i%len(ids)]
			r := do("POST", wf.URL+"/mcp/projects/"+id+"/activate", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("switch %d: %s", i, r.describe("POST", wf.URL+"/mcp/projects/"+id+"/activate"))
			}
			lat = append(lat, r.Took)
			if a := call(t, http.StatusOK, "GET", wf.URL+"/mcp/projects/active", nil); str(a, "id") != id {
				t.Fatalf("after switching to %s the active project is %v", id, a)
			}
		}
		rec := perf.NewRecord(workflow, "project_switch", lat, p.target(targetSwitch), 0, map[string]any{"switches": p.Switches, "projects": p.Projects})
		emit(t, rec)
		if !rec.Pass {
			t.Errorf("project switch p95 %.1f ms over %.0f ms", rec.P95, rec.TargetP95)
		}
	})

	t.Run("EntityQuery", func(t *testing.T) {
		newProject(t, wf.URL, "entities")
		call(t, http.StatusCreated, "POST", wf.URL+"/mcp/entity_types", map[string]any{"type_name": "service", "schema": map[string]any{
			"type": "object", "properties": map[string]any{"tier": map[string]any{"type": "string"}, "region": map[string]any{"type": "string"},
				"replicas": map[string]any{"type": "integer"}}, "required": []string{"tier", "region"}}})
		tiers, regions := []string{"gold", "silver", "bronze", "free"}, []string{"eu", "us", "apac", "latam", "africa"}
		want := map[string]int{}
		var createLat []time.Duration
		for i := 0; i < p.Entities; i++ {
			tier, region := tiers[i%len(tiers)], regions[(i/len(tiers))%len(regions)]
			want[filterKey(map[string]any{"tier": tier})]++
			want[filterKey(map[string]any{"tier": tier, "region": region})]++
			r := do("POST", wf.URL+"/mcp/entities", map[string]any{"entity_type": "service", "name": fmt.Sprintf("svc-%04d", i),
				"data": map[string]any{"tier": tier, "region": region, "replicas": i % 7}, "tags": []string{tier}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create entity %d: %s", i, r.describe("POST", wf.URL+"/mcp/entities"))
			}
			createLat = append(createLat, r.Took)
		}
		emit(t, perf.NewRecord(workflow, "entity_create", createLat, p.target(targetWorkItem), 0, map[string]any{"entities": p.Entities}))
		filters := []map[string]any{{"tier": "gold"}, {"tier": "free"}, {"tier": "silver", "region": "eu"}, {"tier": "bronze", "region": "apac"}, {"tier": "gold", "region": "latam"}}
		var lat []time.Duration
		for round := 0; round < 20; round++ {
			for _, f := range filters {
				fj, _ := json.Marshal(f)
				u := wf.URL + "/mcp/entities" + query("entity_type", "service", "filter", string(fj))
				r := do("GET", u, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("entity query %s: %s", fj, r.describe("GET", u))
				}
				lat = append(lat, r.Took)
			}
		}
		for _, f := range filters {
			fj, _ := json.Marshal(f)
			if got := countFiltered(t, wf.URL, string(fj)); got != want[filterKey(f)] {
				t.Errorf("filter %s matched %d entities, want %d", fj, got, want[filterKey(f)])
			}
		}
		rec := perf.NewRecord(workflow, "entity_query", lat, p.target(targetEntityQuery), 0,
			map[string]any{"entities": p.Entities, "filters": len(filters), "queries": len(lat), "jsonb_containment": true})
		emit(t, rec)
		if !rec.Pass {
			t.Errorf("entity query p95 %.1f ms over %.0f ms", rec.P95, rec.TargetP95)
		}
	})
}

func filterKey(f map[string]any) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// countFiltered counts the entities a filter matches over all pages.
func countFiltered(tb testing.TB, wfURL, filter string) int {
	tb.Helper()
	n, cursor := 0, ""
	for {
		m := call(tb, http.StatusOK, "GET", wfURL+"/mcp/entities"+query("entity_type", "service", "filter", filter, "limit", "500", "cursor", cursor), nil)
		n += len(list(m, "entities"))
		if cursor = str(m, "next_cursor"); cursor == "" {
			return n
		}
	}
}
