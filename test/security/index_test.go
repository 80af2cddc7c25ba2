//go:build e2e

package security_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// write creates files (path relative to dir → content) and symlinks
// (content "-> target").
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func goFunc(pkg, fn string) string {
	return fmt.Sprintf("package %s\n\n// %s is a marker the search looks for.\nfunc %s() int {\n\treturn 42\n}\n", pkg, fn, fn)
}

// indexAndWait starts an index job over REST and waits for it to end; it
// returns the final job status.
func indexAndWait(t *testing.T, s *server, repo, project string) map[string]any {
	t.Helper()
	r := do(t, "POST", s.url+"/mcp/index", map[string]any{"repo_path": repo, "project_id": project})
	id, _ := r.json["job_id"].(string)
	if r.status != http.StatusAccepted || id == "" {
		t.Fatalf("POST /mcp/index %s: %d %s", repo, r.status, r.body)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		r := do(t, "GET", s.url+"/mcp/jobs/"+id, nil)
		switch r.json["status"] {
		case "completed", "failed", "cancelled":
			return r.json
		}
		if time.Now().After(deadline) {
			t.Fatalf("index job %s not done within 90 s: %s", id, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// search runs POST /mcp/search and returns the status and the hits' paths.
func search(t *testing.T, s *server, in map[string]any) (int, []string, response) {
	t.Helper()
	r := do(t, "POST", s.url+"/mcp/search", in)
	var paths []string
	results, _ := r.json["results"].([]any)
	for _, x := range results {
		m, _ := x.(map[string]any)
		paths = append(paths, fmt.Sprint(m["file_path"]))
	}
	slices.Sort(paths)
	return r.status, slices.Compact(paths), r
}

// TestIndexingPaths: with --allowed-roots only directories inside the
// roots are indexed; "..", prefixes of a root's name, relative paths and
// symlinks that lead out are refused with a 400 naming the roots, and
// nothing is indexed. Inside a repository, symlinks that lead out of it
// (file or directory) are skipped, so their targets never become
// searchable.
func TestIndexingPaths(t *testing.T) {
	t.Parallel()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(base, "allowed")
	outside := filepath.Join(base, "outside")
	write(t, outside, map[string]string{
		"secret.go":   goFunc("secret", "outsideFileMarker"),
		"pkg/leak.go": goFunc("pkg", "outsideDirMarker"),
	})
	write(t, filepath.Join(base, "allowed-evil"), map[string]string{"x.go": goFunc("x", "evilTwinMarker")})
	repo := filepath.Join(allowed, "repo")
	write(t, repo, map[string]string{
		"main.go":     goFunc("main", "insideMarker"),
		"link.go":     "-> " + filepath.Join(outside, "secret.go"),
		"linkdir":     "-> " + filepath.Join(outside, "pkg"),
		"dotdot.go":   "-> ../../outside/secret.go",
		"inlink.go":   "-> main.go",
		"sub/keep.go": goFunc("sub", "insideSubMarker"),
	})
	write(t, allowed, map[string]string{"escape": "-> " + outside})

	s := serve(t, codebase, nil, "--database-url", migratedDB(t, codebase), "--allowed-roots", allowed)
	for _, p := range []string{
		allowed + "/../outside",
		outside,
		filepath.Join(base, "allowed-evil"),
		filepath.Join(allowed, "escape"),
		filepath.Join(allowed, "escape", "pkg"),
		"/",
		"/etc",
	} {
		r := do(t, "POST", s.url+"/mcp/index", map[string]any{"repo_path": p, "project_id": "refused"})
		msg, _ := r.json["message"].(string)
		if r.status != http.StatusBadRequest || r.json["error"] != "VALIDATION_ERROR" || !strings.Contains(msg, allowed) || !strings.Contains(msg, "allowed roots") {
			t.Errorf("index %s: %d %s, want 400 VALIDATION_ERROR naming the allowed root %s", p, r.status, r.body, allowed)
		}
	}
	for _, p := range []string{"allowed/repo", "./repo", "../outside"} {
		if r := do(t, "POST", s.url+"/mcp/index", map[string]any{"repo_path": p, "project_id": "refused"}); r.status != http.StatusBadRequest {
			t.Errorf("index relative %s: %d %s, want 400", p, r.status, r.body)
		}
	}
	if r := do(t, "GET", s.url+"/mcp/repositories?project_id=refused", nil); len(asList(r.json["repositories"])) != 0 {
		t.Errorf("refused paths left repositories behind: %s", r.body)
	}

	job := indexAndWait(t, s, repo, "paths")
	if job["status"] != "completed" {
		t.Fatalf("index of the allowed repository: %v", job)
	}
	skipped, _ := job["skipped"].(map[string]any)
	if n, _ := skipped["symlink_outside"].(float64); n != 3 {
		t.Errorf("skipped %v, want 3 symlink_outside (link.go, linkdir, dotdot.go)", skipped)
	}
	for marker, want := range map[string]bool{"insideMarker": true, "insideSubMarker": true, "outsideFileMarker": false, "outsideDirMarker": false} {
		status, paths, r := search(t, s, map[string]any{"query": marker, "project_id": "paths", "limit": 50})
		if status != http.StatusOK {
			t.Fatalf("search %s: %d %s", marker, status, r.body)
		}
		found := strings.Contains(string(r.body), "func "+marker)
		if found != want {
			t.Errorf("search %s: content found %v, want %v (paths %v)", marker, found, want, paths)
		}
		for _, p := range paths {
			if strings.HasPrefix(p, "link") || strings.HasPrefix(p, "dotdot") {
				t.Errorf("search %s returned %s, a symlink leading out of the repository", marker, p)
			}
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// TestSearchFiltersAreLiteral: the directory filter's % and _ match
// themselves, not any string or character (LIKE patterns are escaped); a
// directory with ".." is refused; SQL metacharacters in every search field
// and in workflow names are data, never SQL.
func TestSearchFiltersAreLiteral(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	write(t, repo, map[string]string{
		"a_b/x.go":  goFunc("ab", "literalProbe"),
		"axb/y.go":  goFunc("axb", "literalProbe"),
		"100%/z.go": goFunc("pct", "literalProbe"),
		"100x/w.go": goFunc("hx", "literalProbe"),
		"1000/v.go": goFunc("th", "literalProbe"),
	})
	s := serve(t, codebase, nil, "--database-url", migratedDB(t, codebase))
	if job := indexAndWait(t, s, repo, "literal"); job["status"] != "completed" {
		t.Fatalf("index: %v", job)
	}
	q := func(dir string) map[string]any {
		return map[string]any{"query": "literalProbe", "project_id": "literal", "limit": 50, "directory": dir}
	}
	tests := []struct {
		dir  string
		want []string
	}{
		{"", []string{"1000/v.go", "100%/z.go", "100x/w.go", "a_b/x.go", "axb/y.go"}}, // the probe matches every file
		{"a_b", []string{"a_b/x.go"}},
		{"100%", []string{"100%/z.go"}},
		{"%", nil},
		{"_", nil},
		{"a%", nil},
		{"10_%", nil},
	}
	for _, tc := range tests {
		slices.Sort(tc.want)
		status, paths, r := search(t, s, q(tc.dir))
		if status != http.StatusOK || !slices.Equal(paths, tc.want) {
			t.Errorf("search in directory %q: %d %v, want %v (%.300s)", tc.dir, status, paths, tc.want, r.body)
		}
	}
	for _, dir := range []string{"..", "../etc", "a_b/../../x"} {
		if status, _, r := search(t, s, q(dir)); status != http.StatusBadRequest {
			t.Errorf("search in directory %q: %d %s, want 400", dir, status, r.body)
		}
	}
	// SQL in the fields: data (200, or 404 for an unknown project) or
	// refused by validation (400), never an internal error, and the index
	// is intact afterwards.
	const inj = `x'); DROP TABLE chunks; --`
	for _, in := range []map[string]any{
		{"query": inj, "project_id": "literal"},
		{"query": "literalProbe", "project_id": "literal", "directory": inj},
		{"query": "literalProbe", "project_id": "literal", "directory": `a\%`},
		{"query": "literalProbe", "project_id": "literal", "file_type": inj},
		{"query": "literalProbe", "project_id": "literal", "language": inj},
		{"query": "literalProbe", "project_id": inj},
		{"query": "literalProbe", "project_id": "literal", "repository_id": inj},
	} {
		status, paths, r := search(t, s, in)
		if status != http.StatusOK && status != http.StatusBadRequest && status != http.StatusNotFound {
			t.Errorf("search %v: %d %s, want 200, 400 or 404", in, status, r.body)
		}
		if status == http.StatusOK && len(paths) > 0 && in["query"] != inj {
			t.Errorf("search %v matched %v", in, paths)
		}
	}
	if _, paths, _ := search(t, s, q("")); len(paths) != 5 {
		t.Errorf("after the injection attempts the index has %v, want the 5 files", paths)
	}

	w := serve(t, workflow, nil, "--database-url", migratedDB(t, workflow))
	name := `Robert'); DROP TABLE projects; -- 100% _x_ \`
	r := do(t, "POST", w.url+"/mcp/projects", map[string]any{"name": name, "description": `"; DELETE FROM work_items; --`})
	if r.status != http.StatusCreated || r.json["name"] != name {
		t.Fatalf("create project %q: %d %s", name, r.status, r.body)
	}
	r = do(t, "GET", w.url+"/mcp/projects", nil)
	if ps := asList(r.json["projects"]); len(ps) != 1 || ps[0].(map[string]any)["name"] != name {
		t.Errorf("projects after creating %q: %s", name, r.body)
	}
	r = do(t, "GET", w.url+"/mcp/entities?project_id="+fmt.Sprint(asMap(asList(do(t, "GET", w.url+"/mcp/projects", nil).json["projects"])[0])["id"])+
		"&filter="+`%7B%22a%22%3A%22x'%3B%20DROP%20TABLE%20entities%3B--%22%7D`, nil)
	if r.status != http.StatusOK && r.status != http.StatusBadRequest {
		t.Errorf("entity query with SQL in the containment filter: %d %s, want 200 or 400", r.status, r.body)
	}
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
