//go:build scenarios

package scenarios_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestScenario2_CrossServer runs workflows that span both servers: code
// found by codebase-mcp becomes references of workflow-mcp work items,
// which stay correct across re-indexing, deletion, hierarchy, entity
// queries and concurrent clients.
func TestScenario2_CrossServer(t *testing.T) {
	st := newStack(t, nil, nil)
	repo := copyRepo(t, fixtureRepo(t, env.profile.WorkRepoFiles, 2))
	const project = "cross"
	cbURL, wfURL := st.cb.URL, st.wf.URL
	var hits []map[string]any
	cbReady := t.Run("SetupCodebase", func(t *testing.T) {
		indexRepo(t, cbURL, repo, project, false)
		for _, q := range []string{"parse config", "validate input", "cache", "process items", "render output"} {
			hits = append(hits, search(t, cbURL, map[string]any{"query": q, "limit": 10, "project_id": project})...)
		}
		if len(hits) < 10 {
			t.Fatalf("the setup searches found %d results, want at least 10", len(hits))
		}
	})
	wfReady := t.Run("SetupWorkflow", func(t *testing.T) { newProject(t, wfURL, "cross") })
	need := func(t *testing.T) {
		t.Helper()
		if !cbReady || !wfReady {
			t.Fatal("setup failed (see SetupCodebase, SetupWorkflow)")
		}
	}
	createItem := func(t *testing.T, body map[string]any) map[string]any {
		t.Helper()
		return call(t, http.StatusCreated, "POST", wfURL+"/mcp/work_items", body)
	}
	getItem := func(t *testing.T, id string) map[string]any {
		t.Helper()
		return call(t, http.StatusOK, "GET", wfURL+"/mcp/work_items/"+id, nil)
	}
	// distinct returns hits from n different files.
	distinct := func(n int) []map[string]any {
		seen := map[string]bool{}
		var out []map[string]any
		for _, h := range hits {
			if !seen[str(h, "file_path")] && len(out) < n {
				seen[str(h, "file_path")] = true
				out = append(out, h)
			}
		}
		return out
	}

	t.Run("01_SearchToWorkItemReadBack", func(t *testing.T) {
		need(t)
		h := hits[0]
		for _, k := range []string{"chunk_id", "file_path", "start_line", "end_line", "content", "similarity_score"} {
			if _, ok := h[k]; !ok {
				t.Errorf("search result lacks %s: %v", k, h)
			}
		}
		m := createItem(t, map[string]any{"title": "Fix " + str(h, "symbol"), "entity_references": []string{str(h, "chunk_id")}})
		if len(list(m, "warnings")) != 0 {
			t.Errorf("create with codebase-mcp up warned %v", m["warnings"])
		}
		g := getItem(t, str(m, "id"))
		if refs := strs(list(g, "entity_references")); !contains(refs, str(h, "chunk_id")) {
			t.Errorf("entity_references %v lack %s", refs, str(h, "chunk_id"))
		}
		if s := list(g, "stale_references"); len(s) != 0 {
			t.Errorf("fresh reference reported stale: %v", s)
		}
	})

	t.Run("02_ReferencesToSeveralChunks", func(t *testing.T) {
		need(t)
		var ids []string
		for _, h := range distinct(5) {
			ids = append(ids, str(h, "chunk_id"))
		}
		g := getItem(t, str(createItem(t, map[string]any{"title": "touches five files", "entity_references": ids}), "id"))
		if refs := strs(list(g, "entity_references")); len(refs) != len(ids) {
			t.Errorf("entity_references %v, want all of %v", refs, ids)
		}
		lk := call(t, http.StatusOK, "POST", cbURL+"/mcp/chunks/lookup", map[string]any{"chunk_ids": ids})
		if len(list(lk, "found")) != len(ids) || len(list(lk, "missing")) != 0 {
			t.Errorf("lookup of %d referenced ids: %v", len(ids), lk)
		}
	})

	t.Run("03_ChunkReadBackMatchesSearch", func(t *testing.T) {
		if !cbReady {
			t.Fatal("setup failed (see SetupCodebase)")
		}
		h := hits[1]
		c := call(t, http.StatusOK, "GET", cbURL+"/mcp/chunks/"+str(h, "chunk_id"), nil)
		for _, k := range []string{"file_path", "start_line", "end_line", "content"} {
			if fmt.Sprint(c[k]) != fmt.Sprint(h[k]) {
				t.Errorf("chunk %s: %s = %v, search said %v", str(h, "chunk_id"), k, c[k], h[k])
			}
		}
	})

	var keptItem string
	var keptRefs []string
	t.Run("04_ReindexUnchangedKeepsIDs", func(t *testing.T) {
		need(t)
		for _, h := range distinct(3) {
			keptRefs = append(keptRefs, str(h, "chunk_id"))
		}
		keptItem = str(createItem(t, map[string]any{"title": "survives re-index", "entity_references": keptRefs}), "id")
		before := chunkCount(t, cbURL, project)
		indexRepo(t, cbURL, repo, project, false)
		if after := chunkCount(t, cbURL, project); after != before {
			t.Errorf("re-index of an unchanged repository: %d chunks, before %d", after, before)
		}
		if s := list(getItem(t, keptItem), "stale_references"); len(s) != 0 {
			t.Errorf("references stale after an unchanged re-index: %v", s)
		}
	})

	t.Run("05_ReindexChangedChunkIsStaleWithReplacement", func(t *testing.T) {
		need(t)
		h := distinct(6)[5]
		editChunk(t, repo, h)
		id := str(createItem(t, map[string]any{"title": "edited function", "entity_references": []string{str(h, "chunk_id")}}), "id")
		indexRepo(t, cbURL, repo, project, false)
		g := getItem(t, id)
		if !contains(strs(list(g, "stale_references")), str(h, "chunk_id")) {
			t.Fatalf("after editing %s and re-indexing, stale_references = %v, want %s", str(h, "file_path"), g["stale_references"], str(h, "chunk_id"))
		}
		repl := obj(g["suggested_replacements"])
		if str(repl, str(h, "chunk_id")) == "" {
			t.Errorf("no suggested replacement for the edited chunk %s (%s in %s): %v", str(h, "chunk_id"), str(h, "symbol"), str(h, "file_path"), g)
		}
		if !contains(strs(list(g, "entity_references")), str(h, "chunk_id")) {
			t.Errorf("the stale reference was dropped: %v", g["entity_references"])
		}
	})

	t.Run("06_ReindexDeletedFileIsStale", func(t *testing.T) {
		need(t)
		h := distinct(8)[7]
		id := str(createItem(t, map[string]any{"title": "file goes away", "entity_references": []string{str(h, "chunk_id")}}), "id")
		if err := os.Remove(filepath.Join(repo, filepath.FromSlash(str(h, "file_path")))); err != nil {
			t.Fatal(err)
		}
		indexRepo(t, cbURL, repo, project, false)
		g := getItem(t, id)
		if !contains(strs(list(g, "stale_references")), str(h, "chunk_id")) {
			t.Errorf("after deleting %s, stale_references = %v", str(h, "file_path"), g["stale_references"])
		}
		if _, ok := obj(g["suggested_replacements"])[str(h, "chunk_id")]; ok {
			t.Errorf("a replacement was suggested for a chunk whose file is gone: %v", g["suggested_replacements"])
		}
		if s := list(getItem(t, keptItem), "stale_references"); len(s) != 0 && keptItem != "" {
			t.Errorf("untouched references went stale: %v", s)
		}
	})

	t.Run("07_UnknownReferenceKeptAndStale", func(t *testing.T) {
		need(t)
		g := getItem(t, str(createItem(t, map[string]any{"title": "dangling", "entity_references": []string{"not-a-chunk"}}), "id"))
		if !contains(strs(list(g, "entity_references")), "not-a-chunk") || !contains(strs(list(g, "stale_references")), "not-a-chunk") {
			t.Errorf("unknown id: entity_references %v, stale_references %v", g["entity_references"], g["stale_references"])
		}
	})

	t.Run("08_HierarchyFromSearchResults", func(t *testing.T) {
		need(t)
		parent := createItem(t, map[string]any{"title": "refactor the cache layer", "item_type": "project"})
		pid := str(parent, "id")
		res := search(t, cbURL, map[string]any{"query": "cache", "limit": 4, "project_id": project})
		for _, h := range res {
			createItem(t, map[string]any{"title": "review " + str(h, "file_path"), "parent_id": pid, "entity_references": []string{str(h, "chunk_id")}})
		}
		l := call(t, http.StatusOK, "GET", wfURL+"/mcp/work_items"+query("parent_id", pid), nil)
		if got := len(list(l, "work_items")); got != len(res) {
			t.Errorf("%d children listed, %d created", got, len(res))
		}
		hm := call(t, http.StatusOK, "GET", wfURL+"/mcp/work_items/"+pid+"/hierarchy", nil)
		if !strings.Contains(fmt.Sprint(hm), str(res[0], "chunk_id")) && !strings.Contains(fmt.Sprint(hm), "review ") {
			t.Errorf("hierarchy of %s shows none of its children: %v", pid, hm)
		}
	})

	t.Run("09_EntityQueryAfterWork", func(t *testing.T) {
		need(t)
		call(t, http.StatusCreated, "POST", wfURL+"/mcp/entity_types", map[string]any{"type_name": "module",
			"schema": map[string]any{"type": "object", "properties": map[string]any{"path": map[string]any{"type": "string"},
				"owner": map[string]any{"type": "string"}}}})
		files := distinct(4)
		for i, h := range files {
			call(t, http.StatusCreated, "POST", wfURL+"/mcp/entities", map[string]any{"entity_type": "module", "name": str(h, "file_path"),
				"data": map[string]any{"path": str(h, "file_path"), "owner": []string{"ana", "bo"}[i%2]}})
		}
		l := call(t, http.StatusOK, "GET", wfURL+"/mcp/entities"+query("entity_type", "module", "filter", `{"owner":"ana"}`), nil)
		if got := len(list(l, "entities")); got != (len(files)+1)/2 {
			t.Errorf("filter owner=ana found %d modules, want %d", got, (len(files)+1)/2)
		}
	})

	t.Run("10_ConcurrentClients", func(t *testing.T) {
		need(t)
		var wg sync.WaitGroup
		errs := make(chan string, 100)
		for c := 0; c < 10; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := do("POST", cbURL+"/mcp/search", map[string]any{"query": searchQueries[c%len(searchQueries)], "limit": 3, "project_id": project})
				if r.Status != http.StatusOK || len(list(r.JSON, "results")) == 0 {
					errs <- r.describe("POST", cbURL+"/mcp/search")
					return
				}
				ref := str(obj(list(r.JSON, "results")[0]), "chunk_id")
				w := do("POST", wfURL+"/mcp/work_items", map[string]any{"title": fmt.Sprintf("client %d", c), "entity_references": []string{ref}})
				if w.Status != http.StatusCreated {
					errs <- w.describe("POST", wfURL+"/mcp/work_items")
					return
				}
				g := do("GET", wfURL+"/mcp/work_items/"+str(w.JSON, "id"), nil)
				if g.Status != http.StatusOK || !contains(strs(list(g.JSON, "entity_references")), ref) {
					errs <- "read back: " + g.describe("GET", wfURL+"/mcp/work_items/...")
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})

	t.Run("11_VersionedUpdateOfReferences", func(t *testing.T) {
		need(t)
		m := createItem(t, map[string]any{"title": "versioned", "entity_references": []string{str(hits[2], "chunk_id")}})
		id, v := str(m, "id"), num(m, "version")
		refs := []string{str(hits[2], "chunk_id"), str(hits[3], "chunk_id")}
		u := call(t, http.StatusOK, "PATCH", wfURL+"/mcp/work_items/"+id, map[string]any{"version": v, "entity_references": refs})
		if len(list(u, "entity_references")) != 2 || num(u, "version") <= v {
			t.Errorf("update: %v", u)
		}
		r := do("PATCH", wfURL+"/mcp/work_items/"+id, map[string]any{"version": v, "title": "stale write"})
		if r.Status != http.StatusConflict || str(r.JSON, "error") != "VERSION_CONFLICT" {
			t.Errorf("stale version: %s", r.describe("PATCH", wfURL+"/mcp/work_items/"+id))
		}
	})

	t.Run("12_ProjectIsolation", func(t *testing.T) {
		need(t)
		// A second project with its own repository: neither project's
		// searches or lists show the other's data.
		other := indexRepo(t, cbURL, fixtureRepo(t, 50, 12), project+"-other", false)
		if other.RepositoryID == "" {
			t.Fatal("POST /mcp/index answered no repository_id")
		}
		mine := map[string]bool{}
		for _, h := range hits {
			mine[str(h, "chunk_id")] = true
		}
		for _, q := range []string{"parse config", "validate input", "cache"} {
			res := search(t, cbURL, map[string]any{"query": q, "limit": 20, "project_id": project + "-other"})
			if len(res) == 0 {
				t.Errorf("search %q in %s-other found nothing", q, project)
			}
			for _, h := range res {
				if mine[str(h, "chunk_id")] || str(h, "repository_id") != other.RepositoryID {
					t.Errorf("search in %s-other returned chunk %s of repository %s, not its own %s", project, str(h, "chunk_id"),
						str(h, "repository_id"), other.RepositoryID)
				}
			}
		}
		newProject(t, wfURL, "cross-other")
		l := call(t, http.StatusOK, "GET", wfURL+"/mcp/work_items", nil)
		if n := len(list(l, "work_items")); n != 0 {
			t.Errorf("a new active project lists %d work items of another project", n)
		}
	})
}

// editChunk changes the body of a search hit's chunk in its file, keeping
// its symbol: a line comment after the chunk's first line.
func editChunk(tb testing.TB, repo string, h map[string]any) {
	tb.Helper()
	p := filepath.Join(repo, filepath.FromSlash(str(h, "file_path")))
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	start := int(num(h, "start_line"))
	if start < 1 || start >= len(lines) {
		tb.Fatalf("hit %v has start_line outside its file (%d lines)", h, len(lines))
	}
	next := lines[start] // the chunk's second line (0-based start)
	indent := next[:len(next)-len(strings.TrimLeft(next, " \t"))]
	comment := "# edited by scenario 2"
	if str(h, "language") != "python" {
		comment = "// edited by scenario 2"
	}
	lines = append(lines[:start], append([]string{indent + comment}, lines[start:]...)...)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		tb.Fatal(err)
	}
}
