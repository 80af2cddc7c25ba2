package chunk_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
)

// TestChunker_Chunk_AssignedDeclarations covers declarations written as
// assignments: a class expression bound to a const, CommonJS exports, and
// the forms that stay plain code (several declarators, a destructuring
// pattern, module.exports itself, a non-function value); and Rust's
// "mod x;" in the header and an impl for a reference to a path type.
func TestChunker_Chunk_AssignedDeclarations(t *testing.T) {
	js := "const Foo = class {\n  m() {\n    return 1\n  }\n}\n\n" +
		"let a = () => 1, b = 2;\n\nmodule.exports = function () {\n  return 2\n}\n\n" +
		"exports.handler = function (e) {\n  return e\n}\n\n" +
		"module.exports.run = async function () {\n  return 3\n}\n\n" +
		"const [x] = [() => 1];\n\nconst y = 5;\n"
	rs := "mod util;\nuse std::fmt;\n\nstruct Foo;\n\n" +
		"impl<'a> std::fmt::Display for &'a Foo {\n    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {\n        write!(f, \"foo\")\n    }\n}\n"
	tests := []struct {
		language, src string
		want          []want
	}{
		{"javascript", js, []want{
			{"class", "Foo", 1, 5},
			{"method", "Foo.m", 2, 4},
			{"toplevel", "", 7, 11},
			{"function", "handler", 13, 15},
			{"function", "run", 17, 19},
			{"toplevel", "", 21, 23},
		}},
		{"rust", rs, []want{
			{"header", "", 1, 2},
			{"type", "Foo", 4, 4},
			{"type", "Foo", 6, 10},
			{"method", "Foo.fmt", 7, 9},
		}},
	}
	c := newChunker(t, chunk.Options{})
	for _, tc := range tests {
		t.Run(tc.language, func(t *testing.T) {
			got := c.Chunk(context.Background(), tc.language, []byte(tc.src))
			checkInvariants(t, tc.language, []byte(tc.src), got)
			if len(got) != len(tc.want) {
				for _, ch := range got {
					t.Logf("%s %q %d-%d", ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine)
				}
				t.Fatalf("got %d chunks, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				ch := got[i]
				if string(ch.Kind) != w.kind || ch.Symbol != w.symbol || ch.StartLine != w.start || ch.EndLine != w.end {
					t.Errorf("chunk %d = %s %q %d-%d, want %s %q %d-%d", i, ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine, w.kind, w.symbol, w.start, w.end)
				}
			}
		})
	}
}

// TestChunker_Languages lists the tree-sitter languages, sorted.
func TestChunker_Languages(t *testing.T) {
	got := newChunker(t, chunk.Options{}).Languages()
	for _, l := range []string{"c", "go", "java", "javascript", "python", "rust", "tsx", "typescript"} {
		if !slices.Contains(got, l) {
			t.Errorf("Languages() = %v, lacks %s", got, l)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("Languages() = %v, not sorted", got)
	}
}

// TestChunker_Chunk_OptionsOutOfRange checks the corrections of options
// that cannot work: an overlap not below the window height means no
// overlap, and a byte cap under 256 is raised to 256.
func TestChunker_Chunk_OptionsOutOfRange(t *testing.T) {
	lines := make([]string, 130)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i+1)
	}
	src := []byte(strings.Join(lines, "\n") + "\n")
	for _, overlap := range []int{40, 50, -1} {
		got := newChunker(t, chunk.Options{WindowLines: 40, WindowOverlap: overlap}).Chunk(context.Background(), "text", src)
		var spans [][2]int
		for _, ch := range got {
			spans = append(spans, [2]int{ch.StartLine, ch.EndLine})
		}
		if want := [][2]int{{1, 40}, {41, 80}, {81, 120}, {121, 130}}; !slices.Equal(spans, want) {
			t.Errorf("overlap %d: windows %v, want %v", overlap, spans, want)
		}
	}
	long := "def f():\n" + strings.Repeat("    x = 1234567890\n", 100)
	got := newChunker(t, chunk.Options{MaxBytes: 10}).Chunk(context.Background(), "python", []byte(long))
	checkInvariants(t, "python", []byte(long), got)
	if len(got) < 2 {
		t.Fatalf("%d chunks, want the function split", len(got))
	}
	for i, ch := range got {
		if len(ch.Content) > 256 || len(ch.Content) < 100 || ch.Symbol != "f" || ch.Kind != codebase.KindFunction {
			t.Errorf("piece %d: %s %q, %d bytes; want function f pieces of 100-256 bytes", i, ch.Kind, ch.Symbol, len(ch.Content))
		}
	}
}

// TestChunker_Chunk_WindowsSkipBlankRuns checks that windows start on a
// non-blank line and that a run of blank lines longer than a window
// yields no chunk.
func TestChunker_Chunk_WindowsSkipBlankRuns(t *testing.T) {
	lines := make([]string, 130)
	for i := range lines {
		if i < 40 || i >= 100 {
			lines[i] = fmt.Sprintf("line %d", i+1)
		}
	}
	src := []byte(strings.Join(lines, "\n") + "\n")
	got := newChunker(t, chunk.Options{}).Chunk(context.Background(), "text", src)
	var spans [][2]int
	for _, ch := range got {
		spans = append(spans, [2]int{ch.StartLine, ch.EndLine})
	}
	if want := [][2]int{{1, 40}, {101, 130}}; !slices.Equal(spans, want) {
		t.Errorf("windows %v, want %v", spans, want)
	}
}
