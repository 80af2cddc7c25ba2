package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase/api"
	"github.com/mcp-memory/servers/internal/platform/dbtest"
	"github.com/mcp-memory/servers/internal/platform/launch"
	"github.com/mcp-memory/servers/migrations"
)

// runCLI runs codebase-mcp with args on the real runtime against dsn and
// returns stdout, stderr and the error run returned.
func runCLI(t *testing.T, ctx context.Context, dsn string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := launch.Run(ctx, spec(), args, launch.Env{
		Getenv: getenv(map[string]string{"CODEBASE_MCP_DATABASE_URL": dsn}),
		Stdout: &stdout, Stderr: &stderr,
	})
	return stdout.String(), stderr.String(), err
}

// A path that is not a directory is refused before anything is written,
// with a message naming it, for a dry run and a real run alike; it exits
// 1 like every other failed index.
func TestIndexCommand_BadPath(t *testing.T) {
	db := dbtest.New(t, migrations.Codebase())
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	file := filepath.Join(t.TempDir(), "file.go")
	if err := os.WriteFile(file, []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		path string
	}{
		{"missing", []string{"index", missing}, missing},
		{"missing dry run", []string{"index", "--dry-run", missing}, missing},
		{"a file", []string{"index", file}, file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _, err := runCLI(t, t.Context(), db, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("err = %v, want one naming %s", err, tc.path)
			}
			if apperr.CodeOf(err) != apperr.Validation {
				t.Errorf("code %s, want %s: %v", apperr.CodeOf(err), apperr.Validation, err)
			}
			if code := launch.ExitCode(err); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
	// Nothing was created for the refused paths.
	out, _, err := runCLI(t, t.Context(), db, "search", "package", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res api.SearchOut
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Results) != 0 || res.IndexStatus != "empty" {
		t.Errorf("search after refused indexes: %v %+v", err, res)
	}
}

// The human summary of index and of a dry run name the git commit the
// files were read at; --dry-run --json prints what the REST API answers.
func TestIndexCommand_CommitInSummaries(t *testing.T) {
	db := dbtest.New(t, migrations.Codebase())
	root := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	for name, content := range map[string]string{
		"tax.go":    "package tax\n\n// Rate is the VAT rate.\nfunc Rate() float64 { return 0.2 }\n",
		".git/HEAD": commit + "\n",
	} {
		full := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := runCLI(t, t.Context(), db, "index", "--dry-run", root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "nothing was written") || !strings.Contains(out, "; commit "+commit) {
		t.Errorf("dry run output:\n%s", out)
	}
	out, _, err = runCLI(t, t.Context(), db, "index", "--dry-run", "--json", root)
	if err != nil {
		t.Fatal(err)
	}
	var dry api.StartIndexingOut
	if err := json.Unmarshal([]byte(out), &dry); err != nil || dry.Status != api.StatusDryRun || dry.DryRun == nil ||
		dry.DryRun.Commit != commit || dry.DryRun.Files != 1 || dry.JobID != "" {
		t.Errorf("dry run --json: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, t.Context(), db, "index", root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, root+": completed in ") || !strings.Contains(out, "  commit:  "+commit) ||
		!strings.Contains(out, "files:   1 of 1 (go 1)") {
		t.Errorf("index summary:\n%s", out)
	}
}

// blockingOllama is an Ollama embedding server that never answers: each
// request waits until the client gives up. started is closed when the
// first request arrives.
func blockingOllama(t *testing.T) (url string, started <-chan struct{}) {
	ch := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/embed" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		once.Do(func() { close(ch) })
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

// Ctrl-C during `index` (the command's context ends) cancels the job: the
// command prints what was done (the job as JSON with --json, else a
// summary), exits 1 with "cancelled", and the job is recorded as
// cancelled, so no worker resumes it and the next index starts anew.
// Without --json, progress lines on stderr name the phase while the job
// waits for the embedder.
func TestIndexCommand_InterruptCancelsTheJob(t *testing.T) {
	for _, asJSON := range []bool{true, false} {
		t.Run(fmt.Sprintf("json=%v", asJSON), func(t *testing.T) {
			db := dbtest.New(t, migrations.Codebase())
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "tax.go"), []byte("package tax\n\n// Rate is the VAT rate.\nfunc Rate() float64 { return 0.2 }\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			url, started := blockingOllama(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var stdout, stderr syncBuffer
			go func() {
				select {
				case <-started: // the job is embedding
				case <-ctx.Done():
					return
				}
				if !asJSON { // wait for a progress line, then press Ctrl-C
					for !strings.Contains(stderr.String(), "files/s") && ctx.Err() == nil {
						time.Sleep(20 * time.Millisecond)
					}
				}
				cancel()
			}()
			args := []string{"index", root, "--embedder", "ollama", "--embedder-url", url,
				"--embedder-dimension", "8", "--embedder-max-retries", "-1"}
			if asJSON {
				args = append(args, "--json")
			}
			err := launch.Run(ctx, spec(), args, launch.Env{
				Getenv: getenv(map[string]string{"CODEBASE_MCP_DATABASE_URL": db}), Stdout: &stdout, Stderr: &stderr,
			})
			if err == nil || !strings.Contains(err.Error(), "cancelled") {
				t.Fatalf("err = %v, want the job cancelled", err)
			}
			if code := launch.ExitCode(err); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			jobID := strings.Fields(err.Error())[2] // "index job <id> cancelled: ..."
			if asJSON {
				var job api.JobOut
				if err := json.Unmarshal([]byte(stdout.String()), &job); err != nil {
					t.Fatalf("stdout is not the job: %v\n%s", err, stdout.String())
				}
				if job.Status != "cancelled" || job.RepoPath != root || job.JobID != jobID {
					t.Errorf("job %+v, error %v", job, err)
				}
				if stderr.String() != "" {
					t.Errorf("--json without a terminal drew progress: %q", stderr.String())
				}
			} else {
				if !strings.Contains(stdout.String(), root+": cancelled in ") || !strings.Contains(stdout.String(), "job "+jobID) {
					t.Errorf("summary:\n%s", stdout.String())
				}
				if !strings.Contains(stderr.String(), "files/s  ETA --  indexing") {
					t.Errorf("progress lines:\n%s", stderr.String())
				}
			}
			conn, err := pgx.Connect(t.Context(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var status string
			var active int
			if err := conn.QueryRow(t.Context(), `SELECT status, (SELECT count(*) FROM index_jobs WHERE status IN ('pending', 'running'))
				FROM index_jobs WHERE job_id = $1`, jobID).Scan(&status, &active); err != nil {
				t.Fatal(err)
			}
			if status != "cancelled" || active != 0 {
				t.Errorf("stored job %s, %d active jobs; want cancelled, 0", status, active)
			}
		})
	}
}

// A command line path is relative to the working directory; when that
// directory no longer exists the command says it cannot resolve the
// path instead of indexing somewhere else.
func TestIndexCommand_WorkingDirectoryGone(t *testing.T) {
	db := dbtest.New(t, migrations.Codebase())
	gone := t.TempDir()
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, t.Context(), db, "index", "src")
	if err == nil || !strings.HasPrefix(err.Error(), "resolve src: ") || launch.ExitCode(err) != 1 {
		t.Errorf("err = %v (exit %d), want resolve src: ..., exit 1", err, launch.ExitCode(err))
	}
}
