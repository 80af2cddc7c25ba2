package terms_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
	"github.com/mcp-memory/servers/test/cputime"
)

// benchChunks cuts GOROOT's net/http into rough function chunks (at each
// top-level "func"), with the doc comment, signature and comments filled
// in as the chunker would.
func benchChunks(b *testing.B) ([]codebase.Chunk, int64) {
	b.Helper()
	dir := filepath.Join(runtime.GOROOT(), "src", "net", "http")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no Go sources in %s: %v", dir, err)
	}
	var chunks []codebase.Chunk
	var size int64
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		size += int64(len(src))
		for _, part := range strings.SplitAfter(string(src), "\n}\n") {
			chunks = append(chunks, roughChunk("net/http/"+filepath.Base(f), part))
		}
	}
	return chunks, size
}

func roughChunk(path, content string) codebase.Chunk {
	c := codebase.Chunk{FilePath: path, Content: content}
	var doc, comments []string
	inBody := false
	for line := range strings.Lines(content) {
		t := strings.TrimSpace(line)
		switch {
		case !inBody && strings.HasPrefix(t, "//"):
			doc = append(doc, strings.TrimPrefix(t, "//"))
		case !inBody && (strings.HasPrefix(t, "func ") || strings.HasPrefix(t, "type ")):
			c.Signature = strings.TrimSuffix(t, "{")
			inBody = true
		case inBody:
			if i := strings.Index(t, "//"); i >= 0 {
				comments = append(comments, t[i+2:])
			}
		}
	}
	c.Doc = strings.Join(doc, "\n")
	c.Comments = strings.Join(comments, "\n")
	return c
}

func BenchmarkSplit(b *testing.B) {
	chunks, size := benchChunks(b)
	b.SetBytes(size)
	b.ReportAllocs()
	start := cputime.Used()
	for b.Loop() {
		for _, c := range chunks {
			terms.Split(c.Content)
		}
	}
	cputime.Report(b, start, size, len(chunks))
}

func BenchmarkEach(b *testing.B) {
	chunks, size := benchChunks(b)
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	start := cputime.Used()
	for b.Loop() {
		for _, c := range chunks {
			terms.Each(c.Content, func([]byte, bool) { n++ })
		}
	}
	cputime.Report(b, start, size, len(chunks))
}

func BenchmarkForChunk(b *testing.B) {
	chunks, size := benchChunks(b)
	b.SetBytes(size)
	b.ReportAllocs()
	start := cputime.Used()
	for b.Loop() {
		for _, c := range chunks {
			terms.ForChunk(c)
		}
	}
	b.ReportMetric(float64(len(chunks))*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	cputime.Report(b, start, size, len(chunks))
}

func BenchmarkForChunkTSVector(b *testing.B) {
	chunks, size := benchChunks(b)
	b.SetBytes(size)
	b.ReportAllocs()
	start := cputime.Used()
	for b.Loop() {
		for _, c := range chunks {
			d := terms.ForChunk(c)
			_ = d.TSVector()
		}
	}
	b.ReportMetric(float64(len(chunks))*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	cputime.Report(b, start, size, len(chunks))
}

func BenchmarkForChunkTSVectorBinary(b *testing.B) {
	chunks, size := benchChunks(b)
	b.SetBytes(size)
	b.ReportAllocs()
	start := cputime.Used()
	var buf []byte
	for b.Loop() {
		for _, c := range chunks {
			d := terms.ForChunk(c)
			buf = d.AppendTSVectorBinary(buf[:0])
		}
	}
	b.ReportMetric(float64(len(chunks))*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	cputime.Report(b, start, size, len(chunks))
}
