package chunk_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
	"github.com/mcp-memory/servers/test/cputime"
)

// benchFile is one input of a benchmark corpus.
type benchFile struct {
	language string
	src      []byte
}

// BenchmarkChunk measures chunking throughput on one core (MB/s is per
// core: the index service runs one Chunk call per core):
//
//   - goroot: real Go code, GOROOT/src/{net/http,go,encoding,strings}
//     without testdata;
//   - <language>: each fixture of testdata repeated to 64 KB files, 1 MB
//     per language (per-language parse and walk cost);
//   - dir: every .py/.js/.go/... file under $CHUNK_BENCH_DIR when set
//     (e.g. the output of test/cmd/genrepo).
//
// Run: go test -run '^$' -bench BenchmarkChunk -benchtime 3x ./internal/codebase/chunk/
func BenchmarkChunk(b *testing.B) {
	corpora := map[string][]benchFile{"goroot": gorootCorpus(b)}
	for lang, name := range fixtures {
		corpora[lang] = repeatedCorpus(b, lang, name)
	}
	if dir := os.Getenv("CHUNK_BENCH_DIR"); dir != "" {
		corpora["dir"] = dirCorpus(b, dir)
	}
	names := make([]string, 0, len(corpora))
	for n := range corpora {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		files := corpora[name]
		b.Run(name, func(b *testing.B) {
			c := chunk.New(chunk.Options{})
			defer c.Close()
			var size int64
			for _, f := range files {
				size += int64(len(f.src))
			}
			b.SetBytes(size)
			b.ReportAllocs()
			chunks, windows := 0, 0
			start, cpu0 := time.Now(), cputime.Used()
			for i := 0; i < b.N; i++ {
				chunks, windows = 0, 0
				for _, f := range files {
					for _, ch := range c.Chunk(context.Background(), f.language, f.src) {
						chunks++
						if ch.Kind == codebase.KindWindow {
							windows++
						}
					}
				}
			}
			b.ReportMetric(float64(len(files)*b.N)/time.Since(start).Seconds(), "files/s")
			// CPU time of the process (GC included) is steadier than wall
			// time on a shared machine.
			b.ReportMetric(float64(size*int64(b.N))/1e6/(cputime.Used()-cpu0).Seconds(), "MB/cpu-s")
			b.ReportMetric(float64(chunks), "chunks")
			b.ReportMetric(float64(windows), "windows")
		})
	}
}

func gorootCorpus(tb testing.TB) []benchFile {
	tb.Helper()
	var files []benchFile
	for _, dir := range []string{"net/http", "go", "encoding", "strings"} {
		root := filepath.Join(runtime.GOROOT(), "src", dir)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") {
				return nil
			}
			src, err := os.ReadFile(p)
			files = append(files, benchFile{"go", src})
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return files
}

// repeatedCorpus makes 16 files of about 64 KB from a fixture.
func repeatedCorpus(tb testing.TB, lang, name string) []benchFile {
	tb.Helper()
	src := readFixture(tb, name)
	one := bytes.Repeat(src, 64<<10/len(src)+1)
	files := make([]benchFile, 16)
	for i := range files {
		files[i] = benchFile{lang, one}
	}
	return files
}

func dirCorpus(tb testing.TB, dir string) []benchFile {
	tb.Helper()
	ext := map[string]string{".go": "go", ".py": "python", ".js": "javascript", ".mjs": "javascript",
		".ts": "typescript", ".tsx": "tsx", ".java": "java", ".rs": "rust", ".c": "c", ".h": "c"}
	var files []benchFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		lang, ok := ext[filepath.Ext(p)]
		if !ok {
			return nil
		}
		src, err := os.ReadFile(p)
		files = append(files, benchFile{lang, src})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}
