package embed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/embed"
	"github.com/mcp-memory/servers/test/cputime"
)

// benchCorpus cuts GOROOT's net/http into top-level declarations: the code
// (doc comment removed) and, for documented ones, a query made of the doc
// comment's first sentence without its first word (the name).
func benchCorpus(b *testing.B) (code, queries []string, target []int, size int64) {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "net", "http", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, part := range strings.SplitAfter(string(src), "\n}\n") {
			var doc, body []string
			for line := range strings.Lines(part) {
				if t := strings.TrimSpace(line); strings.HasPrefix(t, "//") && len(body) == 0 {
					doc = append(doc, strings.TrimPrefix(t, "//"))
				} else if t != "" || len(body) > 0 {
					body = append(body, line)
				}
			}
			c := strings.Join(body, "")
			size += int64(len(c))
			code = append(code, c)
			first, _, _ := strings.Cut(strings.Join(doc, " "), ". ")
			if w := strings.Fields(first); len(w) >= 5 && strings.HasPrefix(c, "func") {
				queries = append(queries, strings.Join(w[1:], " "))
				target = append(target, len(code)-1)
			}
		}
	}
	if len(code) == 0 {
		b.Fatal("no Go sources found under GOROOT/src/net/http")
	}
	return code, queries, target, size
}

// BenchmarkBuiltin measures the builtin embedder's speed per dimension.
func BenchmarkBuiltin(b *testing.B) {
	code, _, _, size := benchCorpus(b)
	for _, dim := range []int{256, 384, 768} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			e, err := embed.New(embed.Config{Dimension: dim}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			start := cputime.Used()
			for b.Loop() {
				for i := 0; i < len(code); i += 64 {
					if _, err := e.Embed(context.Background(), code[i:min(i+64, len(code))]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(code))*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
			cputime.Report(b, start, size, len(code))
		})
	}
}

// BenchmarkBuiltinRetrieval measures what the dimension costs in quality:
// MRR@10 of doc-comment queries against the declarations of net/http
// (vector channel alone, which search weighs low).
func BenchmarkBuiltinRetrieval(b *testing.B) {
	code, queries, target, _ := benchCorpus(b)
	for _, dim := range []int{128, 256, 384, 768, 2000} {
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			e, err := embed.New(embed.Config{Dimension: dim}, nil)
			if err != nil {
				b.Fatal(err)
			}
			var mrr float64
			for b.Loop() {
				cv, _ := e.Embed(context.Background(), code)
				qv, _ := e.Embed(context.Background(), queries)
				mrr = 0
				scores := make([]float64, len(cv))
				for qi, q := range qv {
					for i, c := range cv {
						scores[i] = cos(q, c)
					}
					t := scores[target[qi]]
					rank := 1
					for i, s := range scores {
						if s > t && i != target[qi] {
							rank++
						}
					}
					if rank <= 10 {
						mrr += 1 / float64(rank)
					}
				}
				mrr /= float64(len(qv))
			}
			b.ReportMetric(mrr, "mrr@10")
			b.ReportMetric(float64(len(queries)), "queries")
			b.ReportMetric(float64(len(code)), "chunks")
		})
	}
}
