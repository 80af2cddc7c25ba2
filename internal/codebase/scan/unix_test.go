//go:build unix

package scan_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestScan_FIFO: opening a FIFO blocks until a writer comes, so the
// scanner must skip special files without opening them.
func TestScan_FIFO(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"a.py": "x = 1\n"})
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustScan(t, root, scan.Options{})
	if reasonOf(res, "pipe.txt") != codebase.SkipUnsupported || len(res.Files) != 1 {
		t.Errorf("skipped %v, files %v", res.Examples, paths(res))
	}
}
