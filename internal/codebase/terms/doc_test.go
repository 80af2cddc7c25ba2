package terms_test

import (
	"slices"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

// goChunk is a method chunk as the chunker makes it: Content holds the doc
// comment, the signature and the body with its comment.
var goChunk = codebase.Chunk{
	FilePath:  "internal/auth/token_store.go",
	Language:  "go",
	Symbol:    "Store.RefreshToken",
	Kind:      codebase.KindMethod,
	Signature: "func (s *Store) RefreshToken(ctx context.Context) error",
	Doc:       "RefreshToken renews the access token.",
	Comments:  "retry once on conflict",
	Content: "// RefreshToken renews the access token.\n" +
		"func (s *Store) RefreshToken(ctx context.Context) error {\n" +
		"\t// retry once on conflict\n" +
		"\treturn s.db.Exec(ctx, refreshQuery)\n" +
		"}\n",
}

// pyChunk keeps its doc comment inside the body, as Python does.
var pyChunk = codebase.Chunk{
	FilePath:  "app/config.py",
	Language:  "python",
	Symbol:    "load_config",
	Kind:      codebase.KindFunction,
	Signature: "def load_config(path):",
	Doc:       "Read the settings file.",
	Comments:  "fall back to defaults",
	Content: "def load_config(path):\n" +
		"    \"\"\"Read the settings file.\"\"\"\n" +
		"    # fall back to defaults\n" +
		"    return parse(open(path).read())\n",
}

func TestForChunk(t *testing.T) {
	tests := []struct {
		name  string
		chunk codebase.Chunk
		lens  [4]int
		tf    []tfCase
	}{
		{
			name:  "go method",
			chunk: goChunk,
			// A: func s store refresh token refreshtoken ctx context context error + internal auth
			// B: token store token_store + refresh token refreshtoken renew the access token (make → mak)
			// C: return s db exec ctx refresh query refreshquery
			// D: retry once on conflict
			lens: [4]int{12, 10, 8, 4},
			tf: []tfCase{
				{"refresh", terms.ClassA, 1}, {"internal", terms.ClassA, 1}, {"auth", terms.ClassA, 1},
				{"token", terms.ClassB, 3}, {"token_store", terms.ClassB, 1}, {"renew", terms.ClassB, 1},
				{"exec", terms.ClassC, 1}, {"ctx", terms.ClassC, 1}, {"refresh", terms.ClassC, 1},
				{"refreshquery", terms.ClassC, 1}, {"renew", terms.ClassC, 0}, {"func", terms.ClassC, 0},
				{"retry", terms.ClassC, 0}, {"retry", terms.ClassD, 1},
				{"go", terms.ClassB, 0}, // the extension is not a term
			},
		},
		{
			name:  "python docstring inside the body",
			chunk: pyChunk,
			// A: def load config load_config path + app
			// B: config + read the set file
			// C: return pars open path read
			// D: fall back to default
			lens: [4]int{6, 5, 5, 4},
			tf: []tfCase{
				{"load_config", terms.ClassA, 1}, {"app", terms.ClassA, 1},
				{"config", terms.ClassB, 1}, {"set", terms.ClassB, 1},
				{"read", terms.ClassC, 1}, {"set", terms.ClassC, 0}, {"path", terms.ClassC, 1},
				{"default", terms.ClassD, 1}, {"default", terms.ClassC, 0},
			},
		},
		{
			name:  "line window: all code",
			chunk: codebase.Chunk{FilePath: "README", Kind: codebase.KindWindow, Content: "make test\nmake bench"},
			lens:  [4]int{0, 1, 4, 0},
			tf:    []tfCase{{"mak", terms.ClassC, 2}, {"readm", terms.ClassB, 1}},
		},
		{
			name:  "dotfile keeps its name",
			chunk: codebase.Chunk{FilePath: ".gitignore", Content: "*.log"},
			lens:  [4]int{0, 1, 1, 0},
			tf:    []tfCase{{"gitignor", terms.ClassB, 1}, {"log", terms.ClassC, 1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := terms.ForChunk(tc.chunk)
			for class, want := range tc.lens {
				if got := d.Len(class); got != want {
					t.Errorf("Len(%d) = %d, want %d", class, got, want)
				}
			}
			for _, c := range tc.tf {
				if got := d.TF(c.term, c.class); got != c.want {
					t.Errorf("TF(%q, %d) = %d, want %d", c.term, c.class, got, c.want)
				}
			}
		})
	}
}

type tfCase struct {
	term  string
	class int
	want  int
}

func TestDoc_Terms(t *testing.T) {
	d := terms.ForChunk(goChunk)
	got := d.Terms()
	if !slices.IsSorted(got) {
		t.Errorf("Terms not sorted: %q", got)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("Terms has duplicates: %q", got)
	}
	total := 0
	for _, term := range got {
		for class := range 4 {
			total += d.TF(term, class)
		}
	}
	if want := d.Len(0) + d.Len(1) + d.Len(2) + d.Len(3); total != want {
		t.Errorf("sum of TF over Terms = %d, sum of Len = %d", total, want)
	}
}

func TestDoc_Zero(t *testing.T) {
	var d terms.Doc
	if d.Len(terms.ClassA) != 0 || d.TF("x", terms.ClassC) != 0 || d.Terms() != nil || d.TSVector() != "" {
		t.Errorf("zero Doc is not empty: len %d, terms %q, tsvector %q", d.Len(0), d.Terms(), d.TSVector())
	}
	d = terms.ForChunk(goChunk)
	if d.Len(-1) != 0 || d.Len(4) != 0 || d.TF("token", 9) != 0 {
		t.Error("an unknown class must count nothing")
	}
}
