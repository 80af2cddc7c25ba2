package chunk

import (
	"bytes"
	"github.com/mcp-memory/servers/test/cputime"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// BenchmarkParse measures the tree-sitter parse alone (no walk, no chunk
// building) per language on the testdata fixtures repeated to 64 KB, to
// show what share of BenchmarkChunk is the parser's.
func BenchmarkParse(b *testing.B) {
	fixtures := map[string]string{
		"go": "sample.go", "python": "sample.py", "javascript": "sample.js", "typescript": "sample.ts",
		"tsx": "sample.tsx", "java": "Sample.java", "rust": "sample.rs", "c": "sample.c",
	}
	names := make([]string, 0, len(fixtures))
	for n := range fixtures {
		names = append(names, n)
	}
	sort.Strings(names)
	c := New(Options{})
	defer c.Close()
	for _, lang := range names {
		src, err := os.ReadFile(filepath.Join("testdata", fixtures[lang]))
		if err != nil {
			b.Fatal(err)
		}
		src = bytes.Repeat(src, 64<<10/len(src)+1)
		b.Run(lang, func(b *testing.B) {
			l := c.langs[lang]
			w := l.get(c.opts.ParseBudget)
			defer l.put(w)
			b.SetBytes(int64(len(src)))
			cpu0 := cputime.Used()
			for i := 0; i < b.N; i++ {
				t := w.parse(src)
				if t == nil {
					b.Fatal("parse over budget")
				}
				t.Close()
			}
			b.ReportMetric(float64(len(src)*b.N)/1e6/(cputime.Used()-cpu0).Seconds(), "MB/cpu-s")
		})
	}
}
