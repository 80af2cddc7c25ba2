package index_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/index"
)

// TestStart_AllowedRootsResolveSymlinks checks --allowed-roots: a
// repository inside a root is accepted even when another listed root does
// not exist, and a symlink inside a root that leads outside it is refused.
func TestStart_AllowedRootsResolveSymlinks(t *testing.T) {
	e := newEnv(t)
	root := t.TempDir()
	outside := t.TempDir()
	writeTree(t, root, map[string]string{"repo/a.py": "x = 1\n"})
	writeTree(t, outside, map[string]string{"b.py": "y = 2\n"})
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{
		AllowedRoots: []string{filepath.Join(t.TempDir(), "missing"), root}})
	ctx := context.Background()
	if _, err := svc.Start(ctx, index.Request{RepoPath: filepath.Join(root, "repo"), DryRun: true}); err != nil {
		t.Errorf("repository inside an allowed root: %v", err)
	}
	_, err := svc.Start(ctx, index.Request{RepoPath: filepath.Join(root, "escape"), DryRun: true})
	if codeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), "outside the allowed roots") {
		t.Errorf("symlink leading outside: err = %v, want VALIDATION_ERROR about the allowed roots", err)
	}
}

// TestIndex_FileTurnedBinaryIsRemoved re-indexes a file that gained a NUL
// byte past the 8 KiB the scanner sniffs: the full read finds it binary,
// its chunks are removed rather than left stale, and it counts as
// skipped binary.
func TestIndex_FileTurnedBinaryIsRemoved(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.py": pyFile("a", 3), "b.py": pyFile("b", 3)})
	mustIndex(t, svc, index.Request{RepoPath: root})
	before := e.count(t, `SELECT count(*) FROM chunks WHERE file_path = 'a.py'`)
	if before == 0 {
		t.Fatal("a.py has no chunks after the first index")
	}
	blob := strings.Repeat("# text\n", 2000) + "\x00tail\n"
	writeTree(t, root, map[string]string{"a.py": blob})
	job := mustIndex(t, svc, index.Request{RepoPath: root})
	if n := e.count(t, `SELECT count(*) FROM chunks WHERE file_path = 'a.py'`); n != 0 {
		t.Errorf("a.py keeps %d stale chunks after turning binary", n)
	}
	if n := e.count(t, `SELECT count(*) FROM chunks WHERE file_path = 'b.py'`); n == 0 {
		t.Error("b.py lost its chunks")
	}
	if job.Skipped[codebase.SkipBinary] != 1 {
		t.Errorf("skipped = %v, want 1 binary", job.Skipped)
	}
	e.checkConsistent(t, "default")
}

// TestStart_PathThroughAFile refuses a repository path that runs through
// a regular file (ENOTDIR, not "does not exist"), saying it cannot be
// accessed.
func TestStart_PathThroughAFile(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := t.TempDir()
	writeTree(t, root, map[string]string{"f.txt": "x\n"})
	_, err := svc.Start(context.Background(), index.Request{RepoPath: filepath.Join(root, "f.txt", "sub")})
	if codeOf(err) != apperr.Validation || !strings.Contains(apperr.MessageOf(err), "cannot access") {
		t.Errorf("err = %v, want VALIDATION_ERROR saying the path cannot be accessed", err)
	}
}

// TestRepositories_NeverIndexed lists a repository whose only index run
// failed: it has no index, so it is not reported as changed since one.
func TestRepositories_NeverIndexed(t *testing.T) {
	e := newEnv(t)
	svc := e.service(&testEmbedder{name: "test", dim: 8}, index.Config{})
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.bin": "\x00\x01\x02"})
	job, err := svc.Index(context.Background(), index.Request{RepoPath: root}, nil)
	if err != nil || job.Status != codebase.JobFailed {
		t.Fatalf("index of a repository with nothing indexable: %s %v", job.Status, err)
	}
	page, err := svc.Repositories(context.Background(), "", 0, "")
	if err != nil || len(page.Repositories) != 1 {
		t.Fatalf("repositories: %+v %v", page, err)
	}
	if r := page.Repositories[0]; r.IndexedAt != nil || r.ChangedSinceIndex {
		t.Errorf("never-indexed repository: indexed_at %v, changed %v; want none and false", r.IndexedAt, r.ChangedSinceIndex)
	}
}
