package chunk_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
)

// TestChunker_Chunk_GoStandardLibrary checks the invariants on real code:
// a few packages of the Go standard library, tests and all.
func TestChunker_Chunk_GoStandardLibrary(t *testing.T) {
	root := filepath.Join(runtime.GOROOT(), "src")
	c := newChunker(t, chunk.Options{})
	files := 0
	for _, pkg := range []string{"strings", "net/http", "go/ast", "encoding/json"} {
		paths, err := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no Go files in %s: %v", pkg, err)
		}
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Chunk(context.Background(), "go", src)
			checkInvariants(t, "go", src, got)
			if len(got) == 0 || got[0].Kind != codebase.KindHeader {
				t.Errorf("%s: first chunk is not the header", p)
			}
			for _, ch := range got {
				if ch.Kind == codebase.KindWindow {
					t.Errorf("%s: fell back to windows", p)
					break
				}
			}
			files++
		}
	}
	t.Logf("%d files", files)
}

// TestChunker_Chunk_Concurrent runs many goroutines over every fixture and
// compares their results with a sequential run (run it with -race).
func TestChunker_Chunk_Concurrent(t *testing.T) {
	c := newChunker(t, chunk.Options{MaxIdleParsers: 2})
	langs := make([]string, 0, len(fixtures))
	for l := range fixtures {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	srcs := map[string][]byte{}
	want := map[string][]codebase.Chunk{}
	for _, l := range langs {
		srcs[l] = readFixture(t, fixtures[l])
		want[l] = c.Chunk(context.Background(), l, srcs[l])
	}
	srcs["text"] = []byte(strings.Repeat("some text\n", 200))
	want["text"] = c.Chunk(context.Background(), "text", srcs["text"])
	langs = append(langs, "text")

	var wg sync.WaitGroup
	errs := make(chan string, 16*20*len(langs))
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				for _, l := range langs {
					if got := c.Chunk(context.Background(), l, srcs[l]); !reflect.DeepEqual(got, want[l]) {
						errs <- l
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for l := range errs {
		t.Errorf("%s: a concurrent call returned other chunks than the sequential one", l)
	}
}

// FuzzChunk feeds arbitrary bytes to every language and checks that the
// chunker neither panics nor returns invalid line ranges, and that every
// non-blank line is in a chunk.
func FuzzChunk(f *testing.F) {
	langs := []string{"go", "python", "javascript", "typescript", "tsx", "java", "rust", "c", "text"}
	for i, l := range langs {
		if name, ok := fixtures[l]; ok {
			src, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), src)
		}
	}
	f.Add(uint8(0), []byte("package x\nfunc (\xff) F[T any]() {\n"))
	f.Add(uint8(1), []byte("class A:\n  def f(self):\n    '''x\n"))
	f.Add(uint8(7), []byte("#ifdef X\nint f() {\n#else\n}\n#endif\n"))
	f.Add(uint8(8), []byte("\x00\x00\n\n\r\n"))
	c := chunk.New(chunk.Options{MaxLines: 20, MaxBytes: 512, WindowLines: 8, WindowOverlap: 3})
	f.Cleanup(c.Close)
	f.Fuzz(func(t *testing.T, li uint8, src []byte) {
		lang := langs[int(li)%len(langs)]
		got := c.Chunk(context.Background(), lang, src)
		checkInvariants(t, lang, src, got)
		for i, ch := range got {
			if len(ch.Content) > 512 {
				t.Errorf("chunk %d: %d bytes, over the cap", i, len(ch.Content))
			}
			if ch.EndLine-ch.StartLine+1 > 20 && ch.Kind != codebase.KindClass && ch.Kind != codebase.KindType {
				t.Errorf("chunk %d (%s): %d lines, over the cap", i, ch.Kind, ch.EndLine-ch.StartLine+1)
			}
		}
	})
}
