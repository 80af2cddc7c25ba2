package scan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/scan"
)

func TestScan_Commit(t *testing.T) {
	root := t.TempDir()
	git(t, root, "init", "-q")
	writeTree(t, root, map[string]string{"a.py": "x = 1\n", "sub/b.py": "y = 2\n"})

	if got := mustScan(t, root, scan.Options{}).Commit; got != "" {
		t.Errorf("unborn branch: Commit = %q, want empty", got)
	}
	git(t, root, "add", ".")
	git(t, root, "commit", "-q", "-m", "first")
	first := strings.TrimSpace(git(t, root, "rev-parse", "HEAD"))
	writeTree(t, root, map[string]string{"c.py": "z = 3\n"})
	git(t, root, "add", ".")
	git(t, root, "commit", "-q", "-m", "second")
	second := strings.TrimSpace(git(t, root, "rev-parse", "HEAD"))

	check := func(t *testing.T, dir, want string) {
		t.Helper()
		if got := mustScan(t, dir, scan.Options{}).Commit; got != want || len(got) != 40 {
			t.Errorf("Commit = %q, want %q", got, want)
		}
	}
	t.Run("loose ref", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(root, ".git", "refs", "heads", "main")); err != nil {
			t.Fatalf("expected a loose ref: %v", err)
		}
		check(t, root, second)
	})
	t.Run("subdirectory of the work tree", func(t *testing.T) {
		check(t, filepath.Join(root, "sub"), second)
	})
	t.Run("packed refs", func(t *testing.T) {
		git(t, root, "pack-refs", "--all", "--prune")
		if _, err := os.Stat(filepath.Join(root, ".git", "refs", "heads", "main")); !os.IsNotExist(err) {
			t.Fatalf("loose ref still present after pack-refs: %v", err)
		}
		check(t, root, second)
	})
	t.Run("detached HEAD", func(t *testing.T) {
		git(t, root, "checkout", "-q", "--detach", first)
		head, err := os.ReadFile(filepath.Join(root, ".git", "HEAD"))
		if err != nil || strings.HasPrefix(string(head), "ref:") {
			t.Fatalf("HEAD is not detached: %q %v", head, err)
		}
		check(t, root, strings.TrimSpace(git(t, root, "rev-parse", "HEAD")))
		git(t, root, "checkout", "-q", "main")
	})
	t.Run("linked worktree", func(t *testing.T) {
		wt := filepath.Join(t.TempDir(), "wt")
		git(t, root, "worktree", "add", "-q", "-b", "feature", wt, first)
		check(t, wt, first)
	})
	t.Run("not a git work tree", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"a.py": ""})
		if got := mustScan(t, dir, scan.Options{}).Commit; got != "" {
			t.Errorf("Commit = %q, want empty", got)
		}
	})
}
