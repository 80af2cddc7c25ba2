package scan_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestResult_DescribeEveryReason names each skip reason in a summary,
// with thousands separators, largest count first.
func TestResult_DescribeEveryReason(t *testing.T) {
	res := &scan.Result{
		Total: 1234567,
		Skipped: map[string]int{
			codebase.SkipTooLarge: 1000, codebase.SkipUnreadable: 7, codebase.SkipSymlink: 2,
			scan.SkipSymlinkInside: 3, codebase.SkipUnsupported: 12345, "something new": 1,
		},
	}
	want := "0 of 1,234,567 files indexable: 12,345 unsupported (media, archives, compiled files), " +
		"1,000 too large, 7 unreadable, 3 symlinks (not followed), 2 symlinks leading outside the root, 1 something new"
	if got := res.Describe(); got != want {
		t.Errorf("Describe() =\n%q, want\n%q", got, want)
	}
	wantOrder := []string{codebase.SkipUnsupported, codebase.SkipTooLarge, codebase.SkipUnreadable,
		scan.SkipSymlinkInside, codebase.SkipSymlink, "something new"}
	if got := res.ReasonsByCount(); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("ReasonsByCount() = %v, want %v", got, wantOrder)
	}
}

// TestReadFile_BadInput checks the errors of ReadFile for a relative root,
// a missing repository and a missing file.
func TestReadFile_BadInput(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.txt": "hello"})
	if got, err := scan.ReadFile(root, "a.txt"); err != nil || string(got) != "hello" {
		t.Fatalf("ReadFile(a.txt) = %q, %v", got, err)
	}
	if _, err := scan.ReadFile("relative/dir", "a.txt"); apperr.CodeOf(err) != apperr.Validation {
		t.Errorf("relative root: err = %v, want Validation", err)
	}
	if _, err := scan.ReadFile(filepath.Join(root, "missing"), "a.txt"); apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing root: err = %v, want NotFound naming the repository", err)
	}
	if _, err := scan.ReadFile(root, "b.txt"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("missing file: err = %v, want NotFound", err)
	}
}

// TestScan_CommitOddGitFiles checks the commit Scan reports for a ".git"
// file with a relative gitdir (submodules) and for HEAD files it cannot
// resolve: a symbolic ref outside refs/, a non-hex id, an unknown ref.
func TestScan_CommitOddGitFiles(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name, head, want string
	}{
		{"relative gitdir", id + "\n", id},
		{"symbolic ref outside refs", "ref: HEAD\n", ""},
		{"not an object id", "0123456789ABCDEF0123456789ABCDEF01234567\n", ""},
		{"short id", "abc123\n", ""},
		{"unknown ref", "ref: refs/heads/none\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			gitDir := filepath.Join(root, "modules", "sub")
			if err := os.MkdirAll(gitDir, 0o755); err != nil {
				t.Fatal(err)
			}
			writeTree(t, root, map[string]string{
				"work/.git": "gitdir: ../modules/sub\n", "work/a.py": "x = 1\n",
				"modules/sub/HEAD": tc.head, "modules/sub/packed-refs": "# pack-refs with: peeled\n^" + id + "\n",
			})
			if got := mustScan(t, filepath.Join(root, "work"), scan.Options{}).Commit; got != tc.want {
				t.Errorf("Commit = %q, want %q", got, tc.want)
			}
		})
	}
}
