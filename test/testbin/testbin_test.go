package testbin_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/test/testbin"
)

// TestBuild_CoverageBinaries builds with COVER_BINARIES_DIR set: GOCOVERDIR
// points there, and each binary run that exits cleanly leaves its
// coverage counters, which go tool covdata reads.
func TestBuild_CoverageBinaries(t *testing.T) {
	cov := t.TempDir()
	t.Setenv(testbin.CoverDirEnv, cov)
	t.Setenv("GOCOVERDIR", "") // restored when the test ends
	bin := t.TempDir()
	if err := testbin.Build(bin); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("GOCOVERDIR"); got != cov {
		t.Fatalf("GOCOVERDIR = %q, want %q", got, cov)
	}
	for _, name := range testbin.Names {
		cmd := exec.Command(filepath.Join(bin, name), "version")
		cmd.Env = os.Environ()
		if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), name+" ") {
			t.Fatalf("%s version: %v\n%s", name, err, out)
		}
	}
	counters, _ := filepath.Glob(filepath.Join(cov, "covcounters.*"))
	metas, _ := filepath.Glob(filepath.Join(cov, "covmeta.*"))
	if len(counters) != len(testbin.Names) || len(metas) != len(testbin.Names) {
		t.Fatalf("%d counter and %d meta files, want %d of each", len(counters), len(metas), len(testbin.Names))
	}
	out, err := exec.Command("go", "tool", "covdata", "percent", "-i", cov).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "internal/platform/launch") {
		t.Errorf("go tool covdata percent: %v\n%s", err, out)
	}
}

// TestBuild_PlainByDefault checks that without COVER_BINARIES_DIR the
// binaries are plain builds: they write no coverage data even with
// GOCOVERDIR set.
func TestBuild_PlainByDefault(t *testing.T) {
	t.Setenv(testbin.CoverDirEnv, "")
	cov := t.TempDir()
	t.Setenv("GOCOVERDIR", cov)
	bin := t.TempDir()
	if err := testbin.Build(bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, testbin.Names[0]), "version")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	if files, _ := os.ReadDir(cov); len(files) != 0 {
		t.Errorf("a plain build wrote %d coverage files", len(files))
	}
}
