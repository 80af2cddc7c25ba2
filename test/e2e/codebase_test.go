//go:build e2e

package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// codebaseRepo is a small repository: the function searches must find,
// and decoys.
var codebaseRepo = map[string]string{
	"billing/invoice.go": `package billing

// computeInvoiceTotal adds up the line items of an invoice, tax included.
func computeInvoiceTotal(items []float64, tax float64) float64 {
	total := 0.0
	for _, it := range items {
		total += it
	}
	return total * (1 + tax)
}
`,
	"billing/refund.go": `package billing

// issueRefund sends money back to a customer.
func issueRefund(amount float64) error { return nil }
`,
	"web/handler.py": `def render_page(name):
    """Render an HTML page by name."""
    return "<html>" + name + "</html>"
`,
	"assets/logo.png": "\x89PNG\r\n\x1a\n\x00\x00\x00binary",
}

func writeRepo(tb testing.TB, files map[string]string) string {
	tb.Helper()
	root := tb.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// call sends a JSON request and decodes the JSON object answered.
func call(tb testing.TB, method, url string, body any) (int, map[string]any) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		tb.Fatalf("%s %s: %d, not a JSON object: %s", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

// runIn runs codebase-mcp in dir (at most 60 s).
func runIn(tb testing.TB, dir string, args ...string) result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath(codebase), args...)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("codebase-mcp %s: did not finish within 60 s\nstderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return result{Code: exitCode(err), Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
}

// Index a repository over REST, follow the job to completion, find the
// function, look chunks up; the same through the CLI.
func TestCodebaseIndexAndSearch(t *testing.T) {
	t.Parallel()
	db := migratedDB(t, codebase)
	root := writeRepo(t, codebaseRepo)
	s := startServer(t, codebase, nil, "--port", "0", "--database-url", db)

	code, started := call(t, "POST", s.URL+"/mcp/index", map[string]any{"repo_path": root, "project_id": "e2e"})
	jobID, _ := started["job_id"].(string)
	if code != http.StatusAccepted || jobID == "" || started["status"] != "pending" || started["project_id"] != "e2e" {
		t.Fatalf("POST /mcp/index: %d %v", code, started)
	}
	var job map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, job = call(t, "GET", s.URL+"/mcp/jobs/"+jobID, nil)
		if code != 200 {
			t.Fatalf("GET job: %d %v", code, job)
		}
		if st := job["status"]; st != "pending" && st != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %v after 30 s", job["status"])
		}
		time.Sleep(200 * time.Millisecond)
	}
	byLang, _ := job["chunks_by_language"].(map[string]any)
	skipped, _ := job["skipped"].(map[string]any)
	if job["status"] != "completed" || job["files_done"] != 3.0 || job["progress_percent"] != 100.0 || byLang["go"] == nil || len(skipped) == 0 {
		t.Fatalf("job: %v", job)
	}

	code, res := call(t, "POST", s.URL+"/mcp/search", map[string]any{"query": "compute invoice total", "project_id": "e2e"})
	results, _ := res["results"].([]any)
	if code != 200 || len(results) == 0 {
		t.Fatalf("search: %d %v", code, res)
	}
	first := results[0].(map[string]any)
	if first["symbol"] != "computeInvoiceTotal" || first["file_path"] != "billing/invoice.go" || first["stale"] != false || first["indexed_at"] == "" {
		t.Fatalf("first result: %v", first)
	}
	chunkID := first["chunk_id"].(string)

	const unknown = "00000000-0000-4000-8000-000000000000"
	code, look := call(t, "POST", s.URL+"/mcp/chunks/lookup", map[string]any{"chunk_ids": []string{chunkID, unknown}})
	found, _ := look["found"].([]any)
	missing, _ := look["missing"].([]any)
	if code != 200 || len(found) != 1 || found[0].(map[string]any)["chunk_id"] != chunkID || found[0].(map[string]any)["content_hash"] == "" ||
		len(missing) != 1 || missing[0] != unknown {
		t.Fatalf("lookup: %d %v", code, look)
	}
	if code, c := call(t, "GET", s.URL+"/mcp/chunks/"+chunkID, nil); code != 200 || c["symbol"] != "computeInvoiceTotal" {
		t.Errorf("GET chunk: %d %v", code, c)
	}
	if code, c := call(t, "GET", s.URL+"/mcp/chunks/"+unknown, nil); code != 404 || c["error"] != "NOT_FOUND" {
		t.Errorf("GET unknown chunk: %d %v", code, c)
	}
	if code, repos := call(t, "GET", s.URL+"/mcp/repositories?project_id=e2e", nil); code != 200 || repos["count"] != 1.0 {
		t.Errorf("repositories: %d %v", code, repos)
	}
	if code, e := call(t, "POST", s.URL+"/mcp/index", map[string]any{"repo_path": "relative/path"}); code != 400 || e["error"] != "VALIDATION_ERROR" {
		t.Errorf("relative repo_path: %d %v", code, e)
	}

	// The CLI, on the same database, with a path relative to its working directory.
	dbArg := []string{"--database-url", db}
	r := runIn(t, filepath.Dir(root), append([]string{"index", filepath.Base(root), "--project", "cli", "--dry-run"}, dbArg...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "nothing was written") || !strings.Contains(r.Stdout, "language") ||
		!strings.Contains(r.Stdout, "estimated chunks") || !strings.Contains(r.Stdout, "assets/logo.png") {
		t.Fatalf("index --dry-run: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if code, e := call(t, "GET", s.URL+"/mcp/repositories?project_id=cli", nil); code != 404 {
		t.Errorf("the dry run created project cli: %d %v", code, e)
	}
	r = runIn(t, filepath.Dir(root), append([]string{"index", filepath.Base(root), "--project", "cli"}, dbArg...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, root+": completed") || !strings.Contains(r.Stdout, "files:   3 of 3") ||
		!strings.Contains(r.Stdout, "skipped:") || !strings.Contains(r.Stdout, "phases:") {
		t.Fatalf("index: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = runIn(t, root, append([]string{"search", "compute invoice total", "--project", "cli", "--limit", "2"}, dbArg...)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "1. billing/invoice.go:3-10  computeInvoiceTotal") || strings.Contains(r.Stdout, "\033[") {
		t.Fatalf("search: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = runIn(t, root, append([]string{"search", "issueRefund", "--project", "cli", "--json"}, dbArg...)...)
	var out struct {
		Results []struct {
			Symbol string `json:"symbol"`
		} `json:"results"`
		ProjectID string `json:"project_id"`
	}
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &out) != nil || len(out.Results) == 0 || out.Results[0].Symbol != "issueRefund" || out.ProjectID != "cli" {
		t.Fatalf("search --json: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	r = runIn(t, root, append([]string{"search", "anything", "--project", "nobody"}, dbArg...)...)
	if r.Code != 1 || !strings.Contains(r.errText(), "nobody") {
		t.Errorf("search in an unknown project: exit %d\n%s", r.Code, r.Stderr)
	}

	// Nothing indexable: the job fails and the command says why, exit 1.
	binaries := writeRepo(t, map[string]string{"a.dat": "\x00\x01binary", "b.dat": "\x00\x02binary"})
	r = runIn(t, binaries, append([]string{"index", ".", "--project", "cli"}, dbArg...)...)
	if r.Code != 1 || !strings.Contains(r.Stdout, "failed") || !strings.Contains(r.errText(), "0 of 2 files indexable") {
		t.Errorf("index of binaries: exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
}
