package scan_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/fixture"
	"github.com/mcp-memory/servers/internal/codebase/scan"
)

// TestScan_Fixture checks that every file of a generated repository is
// indexable, with the right language.
func TestScan_Fixture(t *testing.T) {
	dir := t.TempDir()
	st, err := fixture.Generate(dir, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	res := mustScan(t, dir, scan.Options{})
	if len(res.Files) != st.Files || res.FilesByLanguage["python"] != st.PythonFiles || res.FilesByLanguage["javascript"] != st.JavaScriptFiles {
		t.Errorf("scan found %v (skipped %v), generator wrote %+v", res.FilesByLanguage, res.Skipped, st)
	}
	if res.BytesByLanguage["python"]+res.BytesByLanguage["javascript"] != st.Bytes {
		t.Errorf("bytes %v, generator wrote %d", res.BytesByLanguage, st.Bytes)
	}
}

// BenchmarkScan_Fixture10k measures a dry-run scan of the generated
// 10,000-file repository (page cache warm after the first iteration).
func BenchmarkScan_Fixture10k(b *testing.B) {
	dir := b.TempDir()
	if _, err := fixture.Generate(dir, 10000, 1); err != nil {
		b.Fatal(err)
	}
	benchScan(b, dir)
}

// BenchmarkScan_GOROOT measures a scan of the Go distribution's src tree.
func BenchmarkScan_GOROOT(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Fatal(err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src")
	if _, err := os.Stat(src); err != nil {
		b.Fatal(err)
	}
	benchScan(b, src)
}

func benchScan(b *testing.B, dir string) {
	var res *scan.Result
	for b.Loop() {
		var err error
		res, err = scan.Scan(context.Background(), dir, scan.Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(res.Files)), "files")
	b.Logf("%s: %s; estimated chunks %d", dir, res.Describe(), res.EstimatedChunks())
}
