package chunk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
)

// bigGoFunc is a documented Go function of n statements, one per line,
// with a blank line every 7 statements.
func bigGoFunc(n int) string {
	var b strings.Builder
	b.WriteString("package big\n\n// Huge does a lot.\nfunc Huge(x int) int {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\tx += %d // step %d\n", i, i)
		if i%7 == 6 {
			b.WriteString("\n")
		}
	}
	b.WriteString("\treturn x\n}\n")
	return b.String()
}

func TestChunker_Chunk_OversizeSplit(t *testing.T) {
	c := newChunker(t, chunk.Options{})
	src := bigGoFunc(400)
	got := c.Chunk(context.Background(), "go", []byte(src))
	checkInvariants(t, "go", []byte(src), got)

	var parts []codebase.Chunk
	for _, ch := range got {
		if ch.Symbol == "Huge" {
			parts = append(parts, ch)
		}
	}
	if len(parts) < 3 {
		t.Fatalf("got %d parts of Huge, want at least 3 (400+ lines, cap 150)", len(parts))
	}
	for i, p := range parts {
		if p.Kind != codebase.KindFunction {
			t.Errorf("part %d: Kind = %q, want function", i, p.Kind)
		}
		if n := p.EndLine - p.StartLine + 1; n > chunk.DefaultMaxLines {
			t.Errorf("part %d: %d lines, over the cap", i, n)
		}
		if p.Signature != "func Huge(x int) int" {
			t.Errorf("part %d: Signature = %q", i, p.Signature)
		}
		if (p.Doc != "") != (i == 0) {
			t.Errorf("part %d: Doc = %q, want it on the first part only", i, p.Doc)
		}
		if i > 0 && p.StartLine <= parts[i-1].EndLine {
			t.Errorf("part %d starts at %d, inside part %d (ends %d)", i, p.StartLine, i-1, parts[i-1].EndLine)
		}
		// Cut cleanly: every part but the last ends after a whole statement.
		lines := strings.Split(p.Content, "\n")
		if last := strings.TrimSpace(lines[len(lines)-1]); i < len(parts)-1 && !strings.HasPrefix(last, "x +=") {
			t.Errorf("part %d ends with %q, not a statement", i, last)
		}
		if !strings.Contains(p.Comments, "step") {
			t.Errorf("part %d: Comments = %q, want the step comments", i, p.Comments)
		}
	}
	if parts[0].StartLine != 3 || parts[len(parts)-1].EndLine != strings.Count(src, "\n") {
		t.Errorf("parts span %d-%d, want 3-%d", parts[0].StartLine, parts[len(parts)-1].EndLine, strings.Count(src, "\n"))
	}
}

func TestChunker_Chunk_ByteCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("def wide():\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "    value_%d = %q\n", i, strings.Repeat("abcdefgh", 25))
	}
	src := b.String()
	c := newChunker(t, chunk.Options{})
	got := c.Chunk(context.Background(), "python", []byte(src))
	checkInvariants(t, "python", []byte(src), got)
	if len(got) < 2 {
		t.Fatalf("got %d chunks for %d bytes, want a split at 12 KiB", len(got), len(src))
	}
	for i, ch := range got {
		if len(ch.Content) > chunk.DefaultMaxBytes {
			t.Errorf("chunk %d: %d bytes, over the cap", i, len(ch.Content))
		}
		if ch.Symbol != "wide" || ch.Kind != codebase.KindFunction {
			t.Errorf("chunk %d: %s %q, want function wide", i, ch.Kind, ch.Symbol)
		}
	}
}

func TestChunker_Chunk_LongLine(t *testing.T) {
	// A minified bundle: one line of 100 KB with multi-byte runes.
	line := strings.Repeat("var a=\"é€😀\";function f(){return 1}", 2500)
	tests := []string{"javascript", "text"}
	c := newChunker(t, chunk.Options{})
	for _, lang := range tests {
		t.Run(lang, func(t *testing.T) {
			got := c.Chunk(context.Background(), lang, []byte(line+"\n"))
			checkInvariants(t, lang, []byte(line), got)
			total := 0
			for i, ch := range got {
				if ch.StartLine != 1 || ch.EndLine != 1 {
					t.Errorf("piece %d: lines %d-%d, want 1-1", i, ch.StartLine, ch.EndLine)
				}
				if len(ch.Content) > chunk.DefaultMaxBytes {
					t.Errorf("piece %d: %d bytes, over the cap", i, len(ch.Content))
				}
				total += len(ch.Content)
			}
			if total < len(line) {
				t.Errorf("pieces hold %d bytes of %d", total, len(line))
			}
		})
	}
}

func TestChunker_Chunk_Windows(t *testing.T) {
	lines := make([]string, 130)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d", i+1)
	}
	src := strings.Join(lines, "\n") + "\n"
	tests := []struct {
		name     string
		opts     chunk.Options
		language string
		want     [][2]int
	}{
		{"default 60/10", chunk.Options{}, "markdown", [][2]int{{1, 60}, {51, 110}, {101, 130}}},
		{"text", chunk.Options{}, "text", [][2]int{{1, 60}, {51, 110}, {101, 130}}},
		{"40/5", chunk.Options{WindowLines: 40, WindowOverlap: 5}, "yaml", [][2]int{{1, 40}, {36, 75}, {71, 110}, {106, 130}}},
		// Not Go: a Go file that is all syntax errors falls back too.
		{"unparsable go", chunk.Options{}, "go", [][2]int{{1, 60}, {51, 110}, {101, 130}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChunker(t, tc.opts)
			got := c.Chunk(context.Background(), tc.language, []byte(src))
			checkInvariants(t, tc.language, []byte(src), got)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d windows, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				ch := got[i]
				if ch.StartLine != w[0] || ch.EndLine != w[1] || ch.Kind != codebase.KindWindow || ch.Symbol != "" {
					t.Errorf("window %d = %s %q %d-%d, want window %d-%d", i, ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine, w[0], w[1])
				}
				if first := strings.SplitN(ch.Content, "\n", 2)[0]; first != fmt.Sprintf("line %d", w[0]) {
					t.Errorf("window %d starts with %q", i, first)
				}
			}
		})
	}
}

func TestChunker_Chunk_ParseBudget(t *testing.T) {
	src := []byte(bigGoFunc(20000)) // ~400 KB
	c := newChunker(t, chunk.Options{ParseBudget: time.Microsecond})
	got := c.Chunk(context.Background(), "go", src)
	checkInvariants(t, "go", src, got)
	for i, ch := range got {
		if ch.Kind != codebase.KindWindow {
			t.Fatalf("chunk %d is %s, want windows after the parse ran over budget", i, ch.Kind)
		}
	}
	// The parser was reset: the next file parses from its own start. (It is
	// small enough that tree-sitter never looks at the clock: it checks
	// every 100 parse operations.)
	ok := c.Chunk(context.Background(), "go", []byte("package x\n\nfunc F() {}\n"))
	if _, found := find(ok, codebase.KindFunction, "F"); !found {
		t.Fatalf("after a timeout the parser did not recover: %v", ok)
	}
}

func TestChunker_Chunk_MostlyErrors(t *testing.T) {
	src := []byte("func ok() {}\n" + strings.Repeat("}{ )( ]] func func ((( \n", 40))
	c := newChunker(t, chunk.Options{})
	got := c.Chunk(context.Background(), "go", src)
	checkInvariants(t, "go", src, got)
	for _, ch := range got {
		if ch.Kind != codebase.KindWindow {
			t.Fatalf("got a %s chunk, want windows for a file of syntax errors", ch.Kind)
		}
	}
}

func TestChunker_Chunk_Edges(t *testing.T) {
	tests := []struct {
		name, language, src string
		wantKinds           []string
	}{
		{"empty", "go", "", nil},
		{"blank", "python", "\n\n   \n\t\n", nil},
		{"only comments", "go", "// a\n// b\n\n/* c */\n", []string{"toplevel"}},
		{"only python comments", "python", "# a\n# b\n", []string{"toplevel"}},
		{"invalid utf-8", "go", "package x\n\nfunc F() { _ = \"\xff\xfe\" }\n", []string{"header", "function"}},
		{"NUL bytes", "javascript", "function f() { return '\x00'; }\n", []string{"function"}},
		{"no trailing newline", "rust", "fn main() {}", []string{"function"}},
		{"CRLF", "c", "#include <a.h>\r\n\r\nint f(void) {\r\n  return 1;\r\n}\r\n", []string{"header", "function"}},
		{"unclosed brace", "java", "class A {\n  void f() {\n", nil},
		{"only header", "go", "package x\n", []string{"header"}},
	}
	c := newChunker(t, chunk.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Chunk(context.Background(), tc.language, []byte(tc.src))
			checkInvariants(t, tc.language, []byte(tc.src), got)
			if tc.wantKinds == nil && tc.name != "unclosed brace" && len(got) != 0 {
				t.Fatalf("got %d chunks, want none", len(got))
			}
			if tc.wantKinds != nil {
				var kinds []string
				for _, ch := range got {
					kinds = append(kinds, ch.Kind)
				}
				if strings.Join(kinds, ",") != strings.Join(tc.wantKinds, ",") {
					t.Errorf("kinds = %v, want %v", kinds, tc.wantKinds)
				}
			}
		})
	}
}

func TestChunker_Chunk_CancelledContext(t *testing.T) {
	c := newChunker(t, chunk.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := c.Chunk(ctx, "go", readFixture(t, "sample.go")); got != nil {
		t.Fatalf("got %d chunks for a cancelled context, want nil", len(got))
	}
}

func TestChunker_Chunk_Specifics(t *testing.T) {
	tests := []struct {
		name, language, src string
		want                []want
		check               func(t *testing.T, got []codebase.Chunk)
	}{
		{
			name:     "comment markers inside strings are not comments",
			language: "javascript",
			src:      "function f() {\n  const u = \"http://x/*y\";\n  // real\n  return u;\n}\n",
			want:     []want{{"function", "f", 1, 5}},
			check: func(t *testing.T, got []codebase.Chunk) {
				if got[0].Comments != "real" {
					t.Errorf("Comments = %q, want only the real comment", got[0].Comments)
				}
			},
		},
		{
			name:     "require calls are part of the header",
			language: "javascript",
			src:      "'use strict';\nconst a = require('a');\nconst b = require('b'), c = require('c');\n\nmodule.exports = { a };\n",
			want:     []want{{"header", "", 1, 3}, {"toplevel", "", 5, 5}},
		},
		{
			name:     "C header guard",
			language: "c",
			src:      "#ifndef A_H\n#define A_H\n#include <stdio.h>\n\n/* f does it. */\nint f(void);\n\nstatic inline int g(void) { return 1; }\n\n#endif\n",
			want:     []want{{"header", "", 1, 3}, {"toplevel", "", 5, 6}, {"function", "g", 8, 8}, {"toplevel", "", 10, 10}},
		},
		{
			name:     "go directives are left out of docs",
			language: "go",
			src:      "package p\n\n// F does it.\n//\n//go:noinline\nfunc F() {}\n",
			want:     []want{{"header", "", 1, 1}, {"function", "F", 3, 6}},
			check: func(t *testing.T, got []codebase.Chunk) {
				if got[1].Doc != "F does it." {
					t.Errorf("Doc = %q", got[1].Doc)
				}
			},
		},
		{
			name:     "comment after code is not a doc comment",
			language: "go",
			src:      "package p\n\nvar x = 1 // about x\nfunc F() {}\n",
			want:     []want{{"header", "", 1, 1}, {"constants", "x", 3, 3}, {"function", "F", 4, 4}},
			check: func(t *testing.T, got []codebase.Chunk) {
				if got[2].Doc != "" {
					t.Errorf("Doc of F = %q, want none", got[2].Doc)
				}
			},
		},
		{
			name:     "rust generic impl and attributes",
			language: "rust",
			src:      "#[cfg(test)]\nimpl<'a, T: Clone> Display for &'a Stack<T> {\n    fn fmt(&self) {}\n}\n",
			want:     []want{{"type", "Stack", 1, 4}, {"method", "Stack.fmt", 3, 3}},
		},
		{
			name:     "python methods of a decorated class",
			language: "python",
			src:      "@dataclass\nclass P:\n    x: int\n\n    def norm(self):\n        return abs(self.x)\n",
			want:     []want{{"class", "P", 1, 3}, {"method", "P.norm", 5, 6}},
			check: func(t *testing.T, got []codebase.Chunk) {
				if got[0].Signature != "class P:" {
					t.Errorf("Signature = %q, want the class line without the decorator", got[0].Signature)
				}
			},
		},
		{
			name:     "typescript decorators and class members",
			language: "typescript",
			src:      "@Component({})\nexport class C {\n  @Input() name: string;\n  @HostListener('x')\n  onX(): void {\n    return;\n  }\n}\n",
			want:     []want{{"class", "C", 1, 8}, {"method", "C.onX", 4, 7}},
		},
		{
			name:     "javascript object of functions stays top-level code",
			language: "javascript",
			src:      "module.exports = {\n  f() { return 1; },\n};\n",
			want:     []want{{"toplevel", "", 1, 3}},
		},
	}
	c := newChunker(t, chunk.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Chunk(context.Background(), tc.language, []byte(tc.src))
			checkInvariants(t, tc.language, []byte(tc.src), got)
			var outline []want
			for _, ch := range got {
				outline = append(outline, want{ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine})
			}
			if fmt.Sprint(outline) != fmt.Sprint(tc.want) {
				t.Fatalf("outline = %v, want %v", outline, tc.want)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// A parser stopped by its budget must never be reused: with tree-sitter
// 0.25.0 a timeout during subtree balancing left the parser in a state in
// which the next parse aborted the process (an assertion in C). Budgets
// around the full parse time make some timeouts land in balancing.
func TestChunker_Chunk_TimeoutDuringBalancingDoesNotAbort(t *testing.T) {
	src := []byte(bigGoFunc(4000))
	start := time.Now()
	newChunker(t, chunk.Options{}).Chunk(context.Background(), "go", src)
	full := time.Since(start)
	small := []byte("package x\n\nfunc F() {}\n")
	for i := 0; i < 40; i++ {
		// One chunker, one language: its second call gets the first
		// call's parser back if that was returned to the free list.
		c := newChunker(t, chunk.Options{ParseBudget: full * time.Duration(40+i) / 100})
		c.Chunk(context.Background(), "go", src)
		if _, found := find(c.Chunk(context.Background(), "go", small), codebase.KindFunction, "F"); !found {
			t.Fatalf("after a timeout (budget %d%% of a full parse) the next parse failed", 40+i)
		}
	}
}
