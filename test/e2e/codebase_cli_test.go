//go:build e2e

package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCodebaseCLIOutputs covers the CLI answers TestCodebaseIndexAndSearch
// leaves out: --json for dry runs and real runs, a long function cut to
// its first lines, a result whose file changed since indexing, and a
// search that matches nothing.
func TestCodebaseCLIOutputs(t *testing.T) {
	t.Parallel()
	db := migratedDB(t, codebase)
	var long strings.Builder
	long.WriteString("package calc\n\n// sumSquares adds the squares of one to twenty.\nfunc sumSquares() int {\n\ttotal := 0\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&long, "\ttotal += %d * %d\n", i, i)
	}
	long.WriteString("\treturn total\n}\n")
	root := writeRepo(t, map[string]string{"calc/sum.go": long.String(), "calc/mul.go": "package calc\n\n// double returns twice x.\nfunc double(x int) int {\n\treturn 2 * x\n}\n"})
	dbArg := []string{"--database-url", db, "--project", "outputs"}

	r := runIn(t, root, append([]string{"index", ".", "--dry-run", "--json"}, dbArg...)...)
	var dry struct {
		Status    string `json:"status"`
		ProjectID string `json:"project_id"`
	}
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &dry) != nil || dry.Status != "dry_run" || dry.ProjectID != "outputs" {
		t.Fatalf("index --dry-run --json: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = runIn(t, root, append([]string{"index", ".", "--json"}, dbArg...)...)
	var job struct {
		Status    string `json:"status"`
		FilesDone int    `json:"files_done"`
	}
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &job) != nil || job.Status != "completed" || job.FilesDone != 2 {
		t.Fatalf("index --json: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}

	r = runIn(t, root, append([]string{"search", "sum of squares", "--limit", "1"}, dbArg...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "sumSquares") || !strings.Contains(r.Stdout, "more lines") {
		t.Errorf("search of a long function: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	// Edit the file after indexing: the hit is marked stale.
	if err := os.WriteFile(filepath.Join(root, "calc/mul.go"), []byte("package calc\n\n// double returns twice x, now for floats.\nfunc double(x float64) float64 {\n\treturn 2 * x\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runIn(t, root, append([]string{"search", "double returns twice", "--limit", "1"}, dbArg...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "calc/mul.go") || !strings.Contains(r.Stdout, "[stale: file changed since indexed]") {
		t.Errorf("search after an edit: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = runIn(t, root, append([]string{"search", "anything", "--file-type", "rs"}, dbArg...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "No results in project outputs") {
		t.Errorf("search with no match: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

// TestCodebaseServeWithEmbedderDown: with a remote embedder whose
// dimension is not configured, serve probes it at start; an embedder that
// answers with an error is reported (embedder_unavailable) and the server
// still starts, since searches and jobs report it again when they need it.
func TestCodebaseServeWithEmbedderDown(t *testing.T) {
	t.Parallel()
	emb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"model \"nomic-embed-text\" not found, try pulling it first"}`, http.StatusNotFound)
	}))
	t.Cleanup(emb.Close)
	db := migratedDB(t, codebase)
	s := startServer(t, codebase, nil, "--port", "0", "--database-url", db,
		"--embedder", "ollama", "--embedder-url", emb.URL, "--embedder-max-retries", "-1")
	l := s.waitEvent(t, 10*time.Second, "embedder_unavailable", nil)
	if !strings.Contains(fmt.Sprint(l), "nomic-embed-text") {
		t.Errorf("embedder_unavailable does not name the model: %v", l)
	}
	if code, h := getObject(t, s.URL+"/health"); code != 200 {
		t.Errorf("/health with the embedder down: %d %v", code, h)
	}
	s.stop(t, syscall.SIGTERM)
}
