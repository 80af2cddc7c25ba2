package chunk_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/chunk"
)

// newChunker returns a chunker closed at the end of the test.
func newChunker(tb testing.TB, opts chunk.Options) *chunk.Chunker {
	tb.Helper()
	c := chunk.New(opts)
	tb.Cleanup(c.Close)
	return c
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

// fixtures maps each tree-sitter language to its fixture file.
var fixtures = map[string]string{
	"go":         "sample.go",
	"python":     "sample.py",
	"javascript": "sample.js",
	"typescript": "sample.ts",
	"tsx":        "sample.tsx",
	"java":       "Sample.java",
	"rust":       "sample.rs",
	"c":          "sample.c",
}

// want is the expected outline of a chunk.
type want struct {
	kind, symbol string
	start, end   int
}

func TestChunker_Chunk_Outline(t *testing.T) {
	tests := []struct {
		language string
		want     []want
	}{
		{"go", []want{
			{"header", "", 1, 7},
			{"constants", "MaxRetries", 9, 10},
			{"constants", "defaultName", 12, 12},
			{"type", "Client", 14, 18},
			{"method", "Client.Refresh", 20, 27},
			{"method", "Stack.Push", 29, 32},
			{"type", "Stack", 34, 36},
			{"type", "Reader", 38, 41},
			{"function", "New", 43, 49},
		}},
		{"python", []want{
			{"header", "", 1, 3},
			{"toplevel", "", 5, 6},
			{"function", "top", 9, 16},
			{"class", "Animal", 19, 22},
			{"method", "Animal.__init__", 24, 25},
			{"method", "Animal.speak", 27, 31},
			{"class", "Animal.Inner", 33, 34},
			{"method", "Animal.Inner.method", 36, 37},
			{"toplevel", "", 40, 41},
		}},
		{"javascript", []want{
			{"header", "", 1, 2},
			{"function", "greet", 4, 11},
			{"class", "Shape", 13, 24},
			{"method", "Shape.area", 16, 19},
			{"method", "Shape.create", 21, 23},
			{"function", "handler", 26, 28},
			{"method", "Shape.perimeter", 30, 32},
			{"toplevel", "", 34, 34},
		}},
		{"typescript", []want{
			{"header", "", 1, 1},
			{"type", "Point", 3, 7},
			{"type", "ID", 9, 9},
			{"type", "Color", 11, 14},
			{"toplevel", "", 16, 16},
			{"function", "Geo.dist", 17, 19},
			{"toplevel", "", 20, 20},
			{"class", "Repo", 22, 31},
			{"method", "Repo.add", 27, 30},
			{"function", "main", 33, 35},
		}},
		{"tsx", []want{
			{"header", "", 1, 1},
			{"type", "Props", 3, 3},
			{"function", "Hello", 5, 8},
			{"function", "App", 10, 10},
		}},
		{"java", []want{
			{"header", "", 1, 3},
			{"class", "Sample", 5, 31},
			{"method", "Sample.Sample", 11, 13},
			{"method", "Sample.run", 15, 22},
			{"class", "Sample.Inner", 24, 26},
			{"method", "Sample.Inner.value", 25, 25},
			{"type", "Sample.Visitor", 28, 30},
			{"type", "Mode", 33, 37},
			{"method", "Mode.on", 36, 36},
		}},
		{"rust", []want{
			{"header", "", 1, 2},
			{"type", "Point", 4, 9},
			{"type", "Point", 11, 17},
			{"method", "Point.new", 12, 16},
			{"type", "Point", 19, 23},
			{"method", "Point.fmt", 20, 22},
			{"type", "Shape", 25, 30},
			{"method", "Shape.name", 27, 29},
			{"type", "Dir", 32, 32},
			{"constants", "LIMIT", 34, 34},
			{"function", "main", 36, 38},
		}},
		{"c", []want{
			{"header", "", 1, 5},
			{"type", "point_t", 7, 11},
			{"type", "node", 13, 15},
			{"toplevel", "", 17, 17},
			{"function", "add", 19, 25},
			{"function", "name", 27, 27},
			{"function", "main", 29, 32},
		}},
	}
	c := newChunker(t, chunk.Options{})
	for _, tc := range tests {
		t.Run(tc.language, func(t *testing.T) {
			src := readFixture(t, fixtures[tc.language])
			got := c.Chunk(context.Background(), tc.language, src)
			var outline []want
			for _, ch := range got {
				outline = append(outline, want{ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine})
			}
			if len(outline) != len(tc.want) {
				t.Fatalf("got %d chunks, want %d:\n got %v\nwant %v", len(outline), len(tc.want), outline, tc.want)
			}
			for i := range tc.want {
				if outline[i] != tc.want[i] {
					t.Errorf("chunk %d = %+v, want %+v", i, outline[i], tc.want[i])
				}
			}
			checkInvariants(t, tc.language, src, got)
		})
	}
}

func TestChunker_Chunk_DocSignatureComments(t *testing.T) {
	tests := []struct {
		language, symbol, kind string
		signature, doc         string
		comments               string
		contains               string // a line the content must hold
	}{
		{"go", "Client.Refresh", "method", "func (c *Client) Refresh(ctx context.Context) error", "Refresh reloads the token.", "check the context first", "// Refresh reloads the token."},
		{"go", "Client", "type", "type Client struct", "Client talks to the server.\nIt is safe for concurrent use.", "the name", ""},
		{"go", "New", "function", "func New(name string) *Client", "New makes a client.", "", ""},
		{"go", "Stack.Push", "method", "func (s Stack[T]) Push(v T)", "", "append at the end", ""},
		{"go", "", "header", "package sample", "Package sample is a fixture for the chunker tests.", "", `"fmt"`},
		{"python", "top", "function", "def top(a: int, b: int) -> int:", "Add two numbers.\n\nReturns the sum.", "add them", "@decorator"},
		{"python", "Animal.speak", "method", "def speak(self):", "speak says something.\nSay it.", "", "@property"},
		{"python", "Animal", "class", "class Animal(Base):", "An animal.", "", "legs = 4"},
		{"python", "", "header", "", "Module docstring for the sample.", "", "import os"},
		{"javascript", "greet", "function", "function greet(name)", "Greets someone.\n@param {string} name", "build the message", ""},
		{"javascript", "Shape.area", "method", "area()", "Area of the shape.", "", ""},
		{"javascript", "handler", "function", "export const handler = async (req) =>", "", "", ""},
		{"javascript", "Shape", "class", "export class Shape", "", "", "sides = 0;"},
		{"typescript", "Point", "type", "export interface Point", "A point.", "", "x: number;"},
		{"typescript", "Repo", "class", "export abstract class Repo<T>", "", "", "abstract name(): string;"},
		{"typescript", "Repo.add", "method", "add(item: T): void", "add stores an item.", "", ""},
		{"tsx", "Hello", "function", "export function Hello({ name }: Props)", "Hello renders a greeting.", "", "<div"},
		{"java", "Sample.run", "method", "public void run(List<String> args)", "run runs.", "loop over args", "@Override"},
		{"java", "Sample", "class", "public class Sample", "A sample class.", "", "private final int count = 0;"},
		{"java", "Sample.Sample", "method", "public Sample()", "Makes a sample.", "", ""},
		{"rust", "Point.new", "method", "pub fn new(x: i32, y: i32) -> Self", "Makes a point.", "straightforward", ""},
		{"rust", "Point.fmt", "method", "fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result", "", "", ""},
		{"rust", "Shape", "type", "pub trait Shape", "", "", "fn area(&self) -> f64;"},
		{"rust", "", "header", "", "Crate docs.", "", "use std::fmt;"},
		{"c", "add", "function", "int add(int a, int b)", "add returns the sum.", "sum", ""},
		{"c", "name", "function", "static char *name(void)", "", "", ""},
		{"c", "point_t", "type", "typedef struct … } point_t;", "A point.", "", ""},
	}
	c := newChunker(t, chunk.Options{})
	for _, tc := range tests {
		t.Run(tc.language+"/"+tc.kind+"/"+tc.symbol, func(t *testing.T) {
			got := c.Chunk(context.Background(), tc.language, readFixture(t, fixtures[tc.language]))
			ch, ok := find(got, tc.kind, tc.symbol)
			if !ok {
				t.Fatalf("no %s chunk %q", tc.kind, tc.symbol)
			}
			if ch.Signature != tc.signature {
				t.Errorf("Signature = %q, want %q", ch.Signature, tc.signature)
			}
			if ch.Doc != tc.doc {
				t.Errorf("Doc = %q, want %q", ch.Doc, tc.doc)
			}
			if ch.Comments != tc.comments {
				t.Errorf("Comments = %q, want %q", ch.Comments, tc.comments)
			}
			if tc.contains != "" && !strings.Contains(ch.Content, tc.contains) {
				t.Errorf("Content does not hold %q:\n%s", tc.contains, ch.Content)
			}
			if ch.Language != tc.language {
				t.Errorf("Language = %q, want %q", ch.Language, tc.language)
			}
		})
	}
}

func find(chunks []codebase.Chunk, kind, symbol string) (codebase.Chunk, bool) {
	for _, ch := range chunks {
		if ch.Kind == kind && ch.Symbol == symbol {
			return ch, true
		}
	}
	return codebase.Chunk{}, false
}

// TestChunker_Chunk_ClassSplit checks that a method's code is in its own
// chunk only: its class chunk keeps the header and fields.
func TestChunker_Chunk_ClassSplit(t *testing.T) {
	tests := []struct {
		language string
		class    string
		methods  map[string]string // method symbol -> a line of its body
		kept     []string          // class members that stay in the class chunk
	}{
		{"python", "Animal", map[string]string{"Animal.__init__": "self.name = name", "Animal.speak": `return "..."`}, []string{`"""An animal."""`, "legs = 4"}},
		{"python", "Animal.Inner", map[string]string{"Animal.Inner.method": "return 1"}, []string{`kind = "inner"`}},
		{"javascript", "Shape", map[string]string{"Shape.area": "return 0;", "Shape.create": "return new Shape();"}, []string{"sides = 0;"}},
		{"typescript", "Repo", map[string]string{"Repo.add": "this.items.push(item);"}, []string{"private items: T[] = [];", "abstract name(): string;"}},
		{"java", "Sample", map[string]string{"Sample.run": "System.out.println(a);", "Sample.Inner.value": "return 1;"}, []string{"private final int count = 0;"}},
		{"rust", "Point", map[string]string{"Point.new": "Point { x, y }"}, nil},
		{"rust", "Shape", map[string]string{"Shape.name": `String::from("shape")`}, []string{"fn area(&self) -> f64;"}},
	}
	c := newChunker(t, chunk.Options{})
	for _, tc := range tests {
		t.Run(tc.language+"/"+tc.class, func(t *testing.T) {
			got := c.Chunk(context.Background(), tc.language, readFixture(t, fixtures[tc.language]))
			for sym, body := range tc.methods {
				n := 0
				for _, ch := range got {
					if strings.Contains(ch.Content, body) {
						n++
						if ch.Symbol != sym || ch.Kind != codebase.KindMethod {
							t.Errorf("%q is in %s %q, want only in method %q", body, ch.Kind, ch.Symbol, sym)
						}
					}
				}
				if n != 1 {
					t.Errorf("%q is in %d chunks, want 1", body, n)
				}
			}
			var class codebase.Chunk
			for _, ch := range got {
				if ch.Symbol == tc.class && (ch.Kind == codebase.KindClass || ch.Kind == codebase.KindType) && strings.Contains(ch.Signature, lastPart(tc.class)) {
					class = ch
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(class.Content, k) {
					t.Errorf("class chunk %q lacks %q:\n%s", tc.class, k, class.Content)
				}
			}
		})
	}
}

func lastPart(s string) string { return s[strings.LastIndexByte(s, '.')+1:] }

// checkInvariants asserts what holds for every chunk of every file: valid
// line ranges, content taken from those lines, a matching hash, valid
// UTF-8, and every non-blank line of the file in some chunk.
func checkInvariants(tb testing.TB, language string, src []byte, chunks []codebase.Chunk) {
	tb.Helper()
	var text strings.Builder
	for b := src; len(b) > 0; {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || r == 0 {
			r = utf8.RuneError
		}
		text.WriteRune(r)
		b = b[n:]
	}
	lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
	covered := make([]bool, len(lines))
	pieceAt := map[int]int{}
	for i, ch := range chunks {
		if ch.StartLine < 1 || ch.EndLine < ch.StartLine || ch.EndLine > len(lines) {
			tb.Fatalf("chunk %d (%s %q): lines %d-%d outside 1-%d", i, ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine, len(lines))
		}
		if ch.Language != language {
			tb.Errorf("chunk %d: Language = %q, want %q", i, ch.Language, language)
		}
		if ch.ContentHash != codebase.ContentHash([]byte(ch.Content)) {
			tb.Errorf("chunk %d: ContentHash does not match Content", i)
		}
		if ch.ID != "" || ch.ProjectID != "" || ch.RepositoryID != "" || ch.FilePath != "" {
			tb.Errorf("chunk %d: sets fields the index service owns", i)
		}
		for _, s := range []string{ch.Content, ch.Doc, ch.Signature, ch.Comments, ch.Symbol} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				tb.Errorf("chunk %d: text is not valid UTF-8 or holds NUL", i)
			}
		}
		if strings.TrimSpace(ch.Content) == "" {
			tb.Errorf("chunk %d (%s %q, lines %d-%d): empty content", i, ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine)
		}
		for l := ch.StartLine - 1; l < ch.EndLine; l++ {
			covered[l] = true
		}
		if ch.StartLine == ch.EndLine {
			// Pieces of an over-long line follow each other.
			line := lines[ch.StartLine-1]
			off := pieceAt[ch.StartLine]
			if off < len(line) && strings.HasPrefix(line[off:], ch.Content) {
				pieceAt[ch.StartLine] = off + len(ch.Content)
				continue
			}
			if !strings.Contains(line, ch.Content) {
				tb.Errorf("chunk %d (%s %q, line %d): content is not from its line", i, ch.Kind, ch.Symbol, ch.StartLine)
			}
			continue
		}
		// Content lines are whole lines of the chunk's range, in order.
		at := ch.StartLine - 1
		for _, cl := range strings.Split(ch.Content, "\n") {
			for at < ch.EndLine && lines[at] != cl {
				at++
			}
			if at >= ch.EndLine {
				tb.Fatalf("chunk %d (%s %q, lines %d-%d): content line %q not in its range", i, ch.Kind, ch.Symbol, ch.StartLine, ch.EndLine, cl)
			}
			at++
		}
	}
	for i, l := range lines {
		if strings.TrimSpace(l) != "" && !covered[i] {
			tb.Errorf("line %d %q is in no chunk", i+1, l)
		}
	}
}
